/**
 * Regular expressions under a linear-time guarantee. V8's backtracking
 * engine (irregexp) is fast on ordinary text but can take time exponential
 * (`(a+)+$`) or polynomial (`[\w.]+@` over a long run without `@`) in the
 * length of a hostile text; V8 also has a linear-time engine, enabled by
 * the runtime flag `--enable-experimental-regexp-engine` and chosen per
 * expression with the flag `l`, which is 50-100 times slower on ordinary
 * text (45 µs for 1 KB against 0.5-5 µs, measured in Deno 2.9.6) and runs
 * no back-references, lookaheads, group modifiers or flags `i`, `u`, `v`.
 *
 * So the kit's searches run a pattern on the backtracking engine where its
 * cost is bounded whatever the text (a text of at most
 * {@linkcode LINEAR_ABOVE} characters, or a pattern whose matches have a
 * bounded length), and on its linear twin ({@linkcode linearTwin}) where it
 * is not. A config's patterns must have a twin: {@linkcode linearProblem}
 * says why one cannot, and plugins refuse such a pattern at config load.
 *
 * @module
 */

/**
 * Texts longer than this (in UTF-16 code units) are searched by a
 * pattern's linear twin unless its matches have a bounded length.
 */
export const LINEAR_ABOVE = 2048;

/** The flag that runs an expression on the linear-time engine (unknown to linters). */
const LINEAR_FLAG = "l";

let available: boolean | undefined;

/**
 * Whether this process runs V8's linear-time engine (Deno was started with
 * `--v8-flags=--enable-experimental-regexp-engine`, as `mcp-audit` is).
 *
 * @example
 * ```ts
 * import { linearEngineAvailable } from "./linear.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof linearEngineAvailable(), "boolean");
 * ```
 */
export function linearEngineAvailable(): boolean {
  if (available === undefined) {
    try {
      new RegExp("", LINEAR_FLAG);
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/**
 * Why the linear-time engine cannot run `source` with `flags`, as a
 * sentence that says what to change; `undefined` when it can. Read from
 * the source, so the answer is the same with or without the engine.
 *
 * @example
 * ```ts
 * import { linearProblem } from "./linear.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(linearProblem("\\bE\\d{3}\\b", "i"), undefined);
 * assert.equal(linearProblem("(a+)+$"), undefined); // Runs in linear time there.
 * assert.match(linearProblem("(a)\\1") ?? "", /back-reference/);
 * assert.match(linearProblem("foo(?=bar)") ?? "", /lookaround/);
 * assert.match(linearProblem("\\p{L}+", "u") ?? "", /flag "u"/);
 * ```
 */
export function linearProblem(
  source: string,
  flags = "",
): string | undefined {
  const stall =
    "and a pattern that backtracks can stall the audit on a hostile text";
  for (const flag of ["u", "v"]) {
    if (flags.includes(flag)) {
      return `flag "${flag}" is not supported: the linear-time regular-expression engine does not run it, ${stall}. Remove "${flag}" (write a character outside the BMP as its two \\u escapes)`;
    }
  }
  const found = scanFeatures(source);
  if (found === "backreference") {
    return `a back-reference (\\1, \\k<name>) cannot be matched in linear time, ${stall}. Match the repeated text with a pattern of its own instead`;
  }
  if (found === "lookaround") {
    return `a lookaround ((?=...), (?!...), (?<=...), (?<!...)) is not run by the linear-time regular-expression engine in a search for every match, ${stall}. Match the text around it too (a plugin takes the first group as the value when there is one)`;
  }
  if (found === "modifier") {
    return `a group modifier ((?i:...)) is not run by the linear-time regular-expression engine, ${stall}. Use the flag "i" for the whole pattern, or write both cases as [aA]`;
  }
  if (linearEngineAvailable() && twinOf(source, flags) === undefined) {
    return `the linear-time regular-expression engine does not run this pattern, ${stall}. Simplify it`;
  }
  return undefined;
}

/**
 * The same pattern compiled for the linear-time engine, global: flag `i`
 * written out as classes (see {@linkcode caseFolded}) and `d` dropped (it
 * changes no match); `undefined` when the engine is not available or does
 * not run the pattern.
 *
 * @example
 * ```ts
 * import { linearEngineAvailable, linearTwin } from "./linear.ts";
 * import assert from "node:assert/strict";
 *
 * const twin = linearTwin(/\bdrop\b/i);
 * if (linearEngineAvailable()) {
 *   assert.equal(twin?.flags, "gl");
 *   assert.equal(twin?.test("x DROP y"), true);
 *   assert.equal(linearTwin(/(a)\1/), undefined);
 * } else assert.equal(twin, undefined);
 * ```
 */
export function linearTwin(re: RegExp): RegExp | undefined {
  if (!linearEngineAvailable()) return undefined;
  return twinOf(re.source, re.flags);
}

function twinOf(source: string, flags: string): RegExp | undefined {
  if (/[uvy]/.test(flags)) return undefined;
  try {
    const folded = flags.includes("i") ? caseFolded(source) : source;
    const kept = flags.replace(/[gidl]/g, "");
    return new RegExp(folded, `${kept}g${LINEAR_FLAG}`);
  } catch {
    return undefined;
  }
}

/** Which feature outside the linear engine `source` uses, if any. */
function scanFeatures(
  source: string,
): "backreference" | "lookaround" | "modifier" | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      const next = source[i + 1] ?? "";
      if (!inClass && /[1-9]/.test(next)) return "backreference";
      if (!inClass && next === "k" && source[i + 2] === "<") {
        return "backreference";
      }
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
      if (source[i + 1] === "]") i++;
      else if (source.startsWith("^]", i + 1)) i += 2;
    } else if (c === "(" && source[i + 1] === "?") {
      const next = source[i + 2];
      if (next === "=" || next === "!") return "lookaround";
      if (next === "<" && (source[i + 3] === "=" || source[i + 3] === "!")) {
        return "lookaround";
      }
      if (next !== ":" && next !== "<") return "modifier";
    }
  }
  return undefined;
}

/** For each UTF-16 code unit, the code units that `i` (without `u`) makes it equal to. */
let foldTable: Map<number, number[]> | undefined;

/** ECMA-262 Canonicalize for a pattern without `u` or `v`. */
function canonicalize(code: number): number {
  const upper = String.fromCharCode(code).toUpperCase();
  if (upper.length !== 1) return code;
  const u = upper.charCodeAt(0);
  return code >= 128 && u < 128 ? code : u;
}

/** The code units that match `code` under `i`, itself included. */
function caseGroup(code: number): number[] {
  if (foldTable === undefined) {
    const groups = new Map<number, number[]>();
    for (let c = 0; c <= 0xffff; c++) {
      const k = canonicalize(c);
      let group = groups.get(k);
      if (group === undefined) groups.set(k, group = []);
      group.push(c);
    }
    foldTable = new Map();
    // Most code units have no other case: left out, looked up as themselves.
    for (const group of groups.values()) {
      if (group.length > 1) { for (const c of group) foldTable.set(c, group); }
    }
  }
  return foldTable.get(code) ?? [code];
}

/** `\uXXXX` for a code unit. */
function unit(code: number): string {
  return `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Code units as class ranges (`a-z`), consecutive ones joined. */
function ranges(codes: number[]): string {
  const sorted = [...new Set(codes)].sort((a, b) => a - b);
  let out = "";
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out += j === i ? unit(sorted[i]) : `${unit(sorted[i])}-${unit(sorted[j])}`;
    i = j + 1;
  }
  return out;
}

/** What one escape outside or inside a class stands for. */
interface Escape {
  /** The code unit it matches, when it is one literal character. */
  code?: number;
  /** The index after it. */
  end: number;
}

const CONTROL: Record<string, number> = {
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
};

function readEscape(source: string, at: number, inClass: boolean): Escape {
  const next = source[at + 1];
  if (next === undefined) throw new SyntaxError("trailing backslash");
  const hex = (length: number): Escape | undefined => {
    const digits = source.slice(at + 2, at + 2 + length);
    return new RegExp(`^[0-9A-Fa-f]{${length}}$`).test(digits)
      ? { code: parseInt(digits, 16), end: at + 2 + length }
      : undefined;
  };
  if (next === "x") return hex(2) ?? { code: 120, end: at + 2 };
  if (next === "u") return hex(4) ?? { code: 117, end: at + 2 };
  if (next === "c" && /[A-Za-z]/.test(source[at + 2] ?? "")) {
    return { code: source.charCodeAt(at + 2) % 32, end: at + 3 };
  }
  if (next in CONTROL) return { code: CONTROL[next], end: at + 2 };
  if (inClass && next === "b") return { code: 8, end: at + 2 };
  if ("dDwWsSbB".includes(next)) return { end: at + 2 };
  if (next === "0" && !/[0-9]/.test(source[at + 2] ?? "")) {
    return { code: 0, end: at + 2 };
  }
  if (/[0-9]/.test(next) || next === "k" || next === "p" || next === "P") {
    throw new SyntaxError(`escape \\${next} is not folded`);
  }
  // An identity escape (`\.`, and in Annex B any other character).
  return { code: next.charCodeAt(0), end: at + 2 };
}

/**
 * `source` written so that, without flag `i`, it matches what it matches
 * with `i` (and without `u` or `v`): each letter becomes the class of its
 * cases, and each class takes in the other cases of its members. Throws a
 * `SyntaxError` on what it does not read (back-references, `\p`).
 *
 * @example
 * ```ts
 * import { caseFolded } from "./linear.ts";
 * import assert from "node:assert/strict";
 *
 * const folded = caseFolded("\\bdrop\\s+[a-c]x");
 * assert.equal(new RegExp(folded).test("DRop  Bx"), true);
 * assert.equal(new RegExp(folded).test("drip bx"), false);
 * assert.equal(new RegExp(caseFolded("[^k]")).test("K"), false);
 * ```
 */
export function caseFolded(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === "\\") {
      const escape = readEscape(source, i, false);
      out += escape.code === undefined
        ? source.slice(i, escape.end)
        : literal(escape.code, source.slice(i, escape.end));
      i = escape.end;
    } else if (c === "[") {
      i = foldClass(source, i, (s) => (out += s));
    } else if (c === "(" && source[i + 1] === "?") {
      // Group names hold letters that are not matched: copied whole.
      const named = /^\(\?<[A-Za-z_$][\w$]*>/.exec(source.slice(i, i + 300));
      const head = named ? named[0] : source.slice(i, i + 3);
      out += head;
      i += head.length;
    } else if (c === "{") {
      const m = /^\{\d+(,\d*)?\}/.exec(source.slice(i, i + 24));
      const head = m ? m[0] : "{";
      out += m ? head : literal(123, "\\{");
      i += head.length;
    } else if ("()|^$.*+?}".includes(c)) {
      out += c;
      i++;
    } else {
      out += literal(source.charCodeAt(i), c);
      i++;
    }
  }
  return out;
}

/** One literal character: itself, or the class of its cases. */
function literal(code: number, written: string): string {
  const group = caseGroup(code);
  return group.length === 1 ? written : `[${ranges(group)}]`;
}

/** Reads the class at `at`, emits it folded, returns the index after it. */
function foldClass(
  source: string,
  at: number,
  emit: (s: string) => void,
): number {
  let i = at + 1;
  const negated = source[i] === "^";
  if (negated) i++;
  const start = i;
  const codes: number[] = [];
  while (i < source.length && source[i] !== "]") {
    let lo: number | undefined;
    if (source[i] === "\\") {
      const escape = readEscape(source, i, true);
      lo = escape.code;
      i = escape.end;
    } else {
      lo = source.charCodeAt(i);
      i++;
    }
    if (
      lo !== undefined && source[i] === "-" && i + 1 < source.length &&
      source[i + 1] !== "]"
    ) {
      let hi: number | undefined;
      if (source[i + 1] === "\\") {
        const escape = readEscape(source, i + 1, true);
        hi = escape.code;
        i = escape.end;
      } else {
        hi = source.charCodeAt(i + 1);
        i += 2;
      }
      if (hi === undefined) {
        codes.push(lo);
        continue;
      }
      for (let c = lo; c <= hi; c++) codes.push(c);
      continue;
    }
    if (lo !== undefined) codes.push(lo);
  }
  if (i >= source.length) throw new SyntaxError("unclosed class");
  const extra: number[] = [];
  for (const c of codes) {
    const group = caseGroup(c);
    if (group.length > 1) extra.push(...group);
  }
  emit(
    `[${negated ? "^" : ""}${source.slice(start, i)}${
      extra.length > 0 ? ranges(extra) : ""
    }]`,
  );
  return i + 1;
}
