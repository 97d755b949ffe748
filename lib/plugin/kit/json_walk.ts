/**
 * Visits every string in a JSON value with its path (`a.b[0].c`), so
 * extractors and redactors can work on nested arguments and results.
 *
 * @module
 */
import { flatString } from "./_flat_string.ts";
import { isRawNumber } from "../../wire/raw_number.ts";

/**
 * Calls `visit` for every string (and every number, as text) in `value`,
 * with the key it sits under and a function that returns its path
 * (`a.b[0].c`, starting with `root`). The path is only built when asked
 * for, so a walk that finds nothing allocates nothing per string.
 *
 * @example
 * ```ts
 * import { walkStrings } from "./json_walk.ts";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * walkStrings({ a: [{ b: "x" }], n: 7 }, "arguments", (s, key, path) => seen.push(`${path()}=${s} (${key})`));
 * assert.deepEqual(seen, ["arguments.a[0].b=x (b)", "arguments.n=7 (n)"]);
 * ```
 */
export function walkStrings(
  value: unknown,
  root: string,
  visit: (text: string, key: string | undefined, path: () => string) => void,
): void {
  // The current path, as object keys and array indices.
  const segments: (string | number)[] = [];
  // Built once per string, when first asked for.
  let built: string | undefined;
  const path = (): string => {
    if (built !== undefined) return built;
    let p = root;
    for (let i = 0; i < segments.length; i++) p = childPath(p, segments[i]);
    return built = p;
  };
  const walk = (v: unknown, key: string | undefined, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (typeof v === "string") {
      built = undefined;
      visit(v, key, path);
    } else if (typeof v === "number") {
      built = undefined;
      visit(String(v), key, path);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        segments.push(i);
        walk(v[i], key, depth + 1);
        segments.pop();
      }
    } else if (v !== null && typeof v === "object") {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        // A number kept as its token (lib/wire/raw_number.ts) is a number.
        if (k === "rawJSON" && isRawNumber(v)) {
          built = undefined;
          visit(v.rawJSON, key, path);
          break;
        }
        segments.push(k);
        walk((v as Record<string, unknown>)[k], k, depth + 1);
        segments.pop();
      }
    }
  };
  walk(value, undefined, 0);
}

/** How deep a JSON value is walked: deeper values are not visited, or are withheld. */
export const MAX_DEPTH = 256;

/** What {@linkcode mapStrings} puts in place of a value nested deeper than its `maxDepth`. */
export const WITHHELD_DEPTH = "[WITHHELD:depth]";

/** Options for {@linkcode mapStrings}. */
export interface MapStringsOptions {
  /**
   * Passes each object key, with the path of the object it is in; a
   * replaced key renames its member, and the paths below it are built with
   * the new name. Keys recur, so this is a function of its own (one that
   * may remember its answers). Without it keys are kept.
   */
  keys?: (key: string, path: string) => string | undefined;
  /**
   * Pass numbers through `replace` too, as text; a replaced number becomes
   * the string returned.
   * @default {false}
   */
  numbers?: boolean;
  /**
   * Values nested deeper than this are replaced whole by
   * {@linkcode WITHHELD_DEPTH}: never passed through unseen, and never
   * deep enough to exhaust the stack.
   * @default {MAX_DEPTH}
   */
  maxDepth?: number;
}

/**
 * A deep copy of `value` in which every string is passed through `replace`
 * (returning `undefined` keeps it), and with `keys` and `numbers` every key
 * and number too. Objects without any replaced string are returned as they
 * were, so nothing is copied when nothing changes. A value nested deeper
 * than `maxDepth` is replaced by {@linkcode WITHHELD_DEPTH}: what a walk
 * has not seen must not pass as seen.
 *
 * @example
 * ```ts
 * import { mapStrings, WITHHELD_DEPTH } from "./json_walk.ts";
 * import assert from "node:assert/strict";
 *
 * const out = mapStrings({ password: "hunter2", n: 1 }, "arguments", (s, path) =>
 *   path.endsWith("password") ? "[REDACTED]" : undefined);
 * assert.deepEqual(out, { password: "[REDACTED]", n: 1 });
 * const hide = (s: string) => (s.includes("@") || s.length > 12 ? "[x]" : undefined);
 * const all = mapStrings({ "ana@example.com": 4111111111111111 }, "", hide, { keys: hide, numbers: true });
 * assert.deepEqual(all, { "[x]": "[x]" });
 * assert.deepEqual(mapStrings([[["deep"]]], "", () => undefined, { maxDepth: 2 }), [[WITHHELD_DEPTH]]);
 * ```
 */
export function mapStrings(
  value: unknown,
  root: string,
  replace: (text: string, path: string) => string | undefined,
  options: MapStringsOptions = {},
): unknown {
  const keys = options.keys;
  const numbers = options.numbers ?? false;
  const maxDepth = options.maxDepth ?? MAX_DEPTH;
  const map = (v: unknown, path: string, depth: number): unknown => {
    if (typeof v === "string") return replace(v, path) ?? v;
    if (typeof v === "number") {
      return numbers ? replace(String(v), path) ?? v : v;
    }
    if (v === null || typeof v !== "object") return v;
    if (depth >= maxDepth) return WITHHELD_DEPTH;
    // The copy is made at the first change only: most values have none.
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const item = v[i];
        if (!holdsStrings(item, numbers)) continue;
        const m = map(item, childPath(path, i), depth + 1);
        if (m === item) continue;
        out ??= v.slice();
        out[i] = m;
      }
      return out ?? v;
    }
    const names = Object.keys(v);
    // A number kept as its token is a number: left as it is.
    if (names.length === 1 && names[0] === "rawJSON" && isRawNumber(v)) {
      return v;
    }
    const values = v as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (let i = 0; i < names.length; i++) {
      const k = names[i];
      const item = values[k];
      const name = keys ? keys(k, path) ?? k : k;
      const m = holdsStrings(item, numbers)
        ? map(item, childPath(path, name), depth + 1)
        : item;
      if (out === undefined) {
        if (m === item && name === k) continue;
        out = {};
        for (let j = 0; j < i; j++) out[names[j]] = values[names[j]];
      }
      out[name] = m;
    }
    return out ?? v;
  };
  return map(value, root, 0);
}

/** Paths already built, by parent path and then key or index. */
const children = new Map<string, Map<string | number, string>>();
/** How many paths {@linkcode children} holds; past the bound it starts again. */
let childCount = 0;
const MAX_CHILD_PATHS = 4096;
/** Paths longer than this are built every time. */
const MAX_SHARED_PATH = 256;

/**
 * The path of `segment` under `parent` (`a.b`, `a[0]`, or `b` under the
 * empty root). The same few paths recur in every event, so each is built
 * once and shared (see {@linkcode flatString}).
 */
function childPath(parent: string, segment: string | number): string {
  if (parent.length > MAX_SHARED_PATH) return joinPath(parent, segment);
  let known = children.get(parent);
  if (known === undefined) {
    if (childCount >= MAX_CHILD_PATHS) {
      children.clear();
      childCount = 0;
    }
    children.set(parent, known = new Map());
  }
  let path = known.get(segment);
  if (path === undefined) {
    const text = joinPath(parent, segment);
    // Long paths are not kept: the table must stay small.
    if (text.length > MAX_SHARED_PATH) return text;
    path = flatString(text);
    known.set(segment, path);
    childCount++;
  }
  return path;
}

/** `a.b`, `a[0]`, or `b` under the empty root. */
function joinPath(parent: string, segment: string | number): string {
  return typeof segment === "number"
    ? `${parent}[${segment}]`
    : parent
    ? `${parent}.${segment}`
    : segment;
}

/** Whether `replace` may see anything in `v`: a string, an object or an array (or a number, when numbers are seen). */
function holdsStrings(v: unknown, numbers: boolean): boolean {
  return typeof v === "string" || (typeof v === "object" && v !== null) ||
    (numbers && typeof v === "number");
}
