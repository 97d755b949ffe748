/**
 * Visits every string in a JSON value with its path (`a.b[0].c`), so
 * extractors and redactors can work on nested arguments and results.
 *
 * @module
 */

/**
 * Calls `visit` for every string (and every number, as text) in `value`;
 * the path starts with `root`.
 *
 * @example
 * ```ts
 * import { walkStrings } from "./json_walk.ts";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * walkStrings({ a: [{ b: "x" }], n: 7 }, "arguments", (s, path) => seen.push(`${path}=${s}`));
 * assert.deepEqual(seen, ["arguments.a[0].b=x", "arguments.n=7"]);
 * ```
 */
export function walkStrings(
  value: unknown,
  root: string,
  visit: (text: string, path: string, key: string | undefined) => void,
): void {
  const walk = (
    v: unknown,
    path: string,
    key: string | undefined,
    depth: number,
  ): void => {
    if (depth > 64) return;
    if (typeof v === "string") visit(v, path, key);
    else if (typeof v === "number") visit(String(v), path, key);
    else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${path}[${i}]`, key, depth + 1));
    } else if (v !== null && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) {
        walk(item, path ? `${path}.${k}` : k, k, depth + 1);
      }
    }
  };
  walk(value, root, undefined, 0);
}

/**
 * A deep copy of `value` in which every string is passed through `replace`
 * (returning `undefined` keeps it). Objects without any replaced string are
 * returned as they were, so nothing is copied when nothing changes.
 *
 * @example
 * ```ts
 * import { mapStrings } from "./json_walk.ts";
 * import assert from "node:assert/strict";
 *
 * const out = mapStrings({ password: "hunter2", n: 1 }, "arguments", (s, path) =>
 *   path.endsWith("password") ? "[REDACTED]" : undefined);
 * assert.deepEqual(out, { password: "[REDACTED]", n: 1 });
 * ```
 */
export function mapStrings(
  value: unknown,
  root: string,
  replace: (text: string, path: string) => string | undefined,
): unknown {
  const map = (v: unknown, path: string, depth: number): unknown => {
    if (depth > 64) return v;
    if (typeof v === "string") return replace(v, path) ?? v;
    if (Array.isArray(v)) {
      let changed = false;
      const out = v.map((item, i) => {
        const m = map(item, `${path}[${i}]`, depth + 1);
        if (m !== item) changed = true;
        return m;
      });
      return changed ? out : v;
    }
    if (v !== null && typeof v === "object") {
      let changed = false;
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        const m = map(item, path ? `${path}.${k}` : k, depth + 1);
        if (m !== item) changed = true;
        out[k] = m;
      }
      return changed ? out : v;
    }
    return v;
  };
  return map(value, root, 0);
}
