/** Glob matching for names (`*`, `?`), compiled once per pattern. */

const cache = new Map<string, RegExp>();

/** Whether `name` matches the glob `pattern` (whole name, case-sensitive). */
export function globMatch(pattern: string, name: string): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern === name;
  let re = cache.get(pattern);
  if (!re) {
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*").replace(/\?/g, ".");
    re = new RegExp(`^${source}$`, "s");
    cache.set(pattern, re);
  }
  return re.test(name);
}

/** A name list as an array. */
export function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
