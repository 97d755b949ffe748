/**
 * Cheap pre-tests for regular expressions: the literal text a pattern
 * cannot match without, found by reading its source, so a string that
 * lacks it is skipped without running the expression. Plugins run their
 * extractors and redaction patterns over every string of every event, and
 * most strings hold nothing; `String.prototype.includes` rejects them far
 * faster than the expression would.
 *
 * The reading is conservative: when it is unsure (classes, escapes it does
 * not know, lookarounds, back-references, optional parts, case-insensitive
 * letters) it requires nothing, so a pre-test never rejects a string the
 * expression would match.
 *
 * Texts longer than `LINEAR_ABOVE` are searched by the pattern's linear
 * twin instead (see `linear.ts`), so no text can make a search take more
 * than linear time.
 *
 * @module
 */
import { LINEAR_ABOVE, linearTwin } from "./linear.ts";
import { spendBudget } from "./budget.ts";

/** A test that is false only when the expression cannot match the text. */
export type Prefilter = (text: string) => boolean;

/** Escapes that stand for one literal character. */
const LITERAL_ESCAPES = new Set("\\/.-^$*+?()[]{}|@#:_,='\"!%&~<>` ");
const QUANTIFIER_START = new Set("?*+{");

/**
 * Any one of these literals is needed for a match; `undefined` when nothing
 * is known to be needed.
 */
type Need = string[] | undefined;

/**
 * The literals one of which must occur in any text that `source` matches,
 * or `undefined` when the pattern needs no particular text.
 *
 * @example
 * ```ts
 * import { requiredLiterals } from "./regex_prefilter.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(requiredLiterals("\\bACC-\\d{6}\\b"), ["ACC-"]);
 * assert.deepEqual(requiredLiterals("[\\w.+-]+@[\\w-]+\\.\\w+"), ["@"]);
 * assert.deepEqual(requiredLiterals("\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b"), ["AKIA", "ASIA"]);
 * assert.deepEqual(requiredLiterals("sk-\\w+|ghp_\\w+"), ["sk-", "ghp_"]);
 * assert.equal(requiredLiterals("\\d{4}"), undefined);
 * assert.deepEqual(requiredLiterals("colou?r"), ["colo"]);
 * ```
 */
export function requiredLiterals(
  source: string,
  flags = "",
): string[] | undefined {
  const caseless = flags.includes("i");
  // Set notation (`v`) nests classes; not read.
  if (flags.includes("v")) return undefined;
  try {
    const [need, end] = alternation(source, 0, caseless);
    return end === source.length ? need : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A pre-test for `re`: a function that returns false only when `re` cannot
 * match the text. Always true when nothing is known to be needed.
 *
 * @example
 * ```ts
 * import { prefilter } from "./regex_prefilter.ts";
 * import assert from "node:assert/strict";
 *
 * const may = prefilter(/\bE\d{3}\b/g);
 * assert.equal(may("no employees here"), false);
 * assert.equal(may("see E042"), true);
 * ```
 */
export function prefilter(re: RegExp): Prefilter {
  const need = requiredLiterals(re.source, re.flags);
  if (need === undefined) return () => true;
  const tests = need.map(literalTest);
  if (tests.length === 1) return tests[0];
  return function mayMatchAny(text: string): boolean {
    for (let i = 0; i < tests.length; i++) if (tests[i](text)) return true;
    return false;
  };
}

/** `includes(literal)`, by way of its rarest character (see {@linkcode findLiteral}). */
function literalTest(literal: string): Prefilter {
  if (literal.length === 1) return (text) => text.includes(literal);
  const find = findLiteral(literal);
  return (text) => find(text, 0) >= 0;
}

/** `text.indexOf(literal, from)`, but fast when the literal starts with a common character. */
type FindLiteral = (text: string, from: number) => number;

/**
 * `indexOf(literal)` by way of the literal's rarest character: the engine
 * scans for a literal's first character, and a common one ("l" of
 * "ledger", "e" of "eyJ") stops it at every other word, where a rare one
 * is found by a plain memchr-like scan and checked in place.
 */
function findLiteral(literal: string): FindLiteral {
  const k = needleIndex(literal);
  if (k < 0) return (text, from) => text.indexOf(literal, from);
  const rare = literal[k];
  return function findByRarest(text: string, from: number): number {
    let q = text.indexOf(rare, from + k);
    while (q >= 0) {
      if (text.startsWith(literal, q - k)) return q - k;
      q = text.indexOf(rare, q + 1);
    }
    return -1;
  };
}

/**
 * Below this ratio of commonness between a literal's first character and
 * its rarest, the engine's own search for the whole literal is faster:
 * it stops at each first character in native code, where the search by
 * the rarest stops in script.
 */
const RARE_GAIN = 4;
/** Characters this rare are worth looking for on their own. */
const RARE = 2;

/**
 * Which character of `literal` to look for: the index of its rarest
 * character, or -1 to look for the whole literal with `indexOf`.
 */
function needleIndex(literal: string): number {
  const k = rarestIndex(literal);
  const rare = commonness(literal[k]);
  return k > 0 && rare <= RARE && commonness(literal[0]) >= RARE_GAIN * rare
    ? k
    : -1;
}

/** The index of the literal's rarest character (the first such). */
function rarestIndex(literal: string): number {
  let k = 0;
  for (let i = 1; i < literal.length; i++) {
    if (commonness(literal[i]) < commonness(literal[k])) k = i;
  }
  return k;
}

/**
 * Finds the leftmost match of a regular expression that starts at or after
 * `from`: what `re.exec(text)` returns with `re.lastIndex = from` and the
 * `g` flag set.
 */
export type Search = (text: string, from: number) => RegExpExecArray | null;

/** Above this commonness a literal is too frequent to look for match by match. */
const MAX_ANCHOR_COMMONNESS = 20;

/**
 * A search for the matches of `re`, equal to running `re.exec` with the
 * `g` flag from `from`, but cheaper. When every match holds a literal at a
 * fixed distance from its start (the `-` eight characters into a UUID, the
 * `ledger` of `\bledger\b`), the search looks for that literal, checks
 * the most selective other fixed characters or classes in place, and tries
 * the expression, sticky, only where a match could start; a 1 KB text with
 * no match costs a few character scans instead of a run of the expression
 * at every position. Other expressions run behind their
 * {@linkcode prefilter}. Either way the expression runs with its groups of
 * fixed count written out (see {@linkcode unrolled}).
 *
 * @example
 * ```ts
 * import { searcher } from "./regex_prefilter.ts";
 * import assert from "node:assert/strict";
 *
 * const search = searcher(/\b\d{4}-\d{2}-\d{2}\b/g);
 * const found: string[] = [];
 * for (let m = search("on 2026-07-28 and 2026-08-01", 0); m; m = search(m.input, m.index + m[0].length)) {
 *   found.push(`${m.index}:${m[0]}`);
 * }
 * assert.deepEqual(found, ["3:2026-07-28", "18:2026-08-01"]);
 * assert.equal(search("nothing - here", 0), null);
 * ```
 */
export function searcher(re: RegExp): Search {
  return searchers(re).search;
}

/** Where a match lies in its text: filled in by a {@linkcode SpanSearch}. */
export interface Span {
  /** The index of the match's first character. */
  start: number;
  /** The index just past its last character. */
  end: number;
}

/**
 * A {@linkcode Search} that fills in where the leftmost match lies instead
 * of returning it, and returns whether there is one. It allocates nothing
 * where the search goes by a literal, so a caller that already holds the
 * text of a match (a repeated date, a repeated id) need not copy it again.
 */
export type SpanSearch = (text: string, from: number, span: Span) => boolean;

/**
 * The search of {@linkcode searcher}, as a {@linkcode SpanSearch}: the same
 * matches, given as spans.
 *
 * @example
 * ```ts
 * import { spanSearcher } from "./regex_prefilter.ts";
 * import assert from "node:assert/strict";
 *
 * const search = spanSearcher(/\bledger\b/g);
 * const span = { start: 0, end: 0 };
 * const found: string[] = [];
 * for (let at = 0; search("a ledger, ledgers, ledger", at, span); at = span.end) {
 *   found.push(`${span.start}-${span.end}`);
 * }
 * assert.deepEqual(found, ["2-8", "19-25"]);
 * ```
 */
export function spanSearcher(re: RegExp): SpanSearch {
  return searchers(re).span;
}

/** Both searches for `re`, skipping texts too short to hold a match. */
function searchers(re: RegExp): { search: Search; span: SpanSearch } {
  const twin = linearTwin(re);
  const fast = fullSearchers(re, twin);
  const full = linearAbove(re, fast, twin);
  // Most strings are short (names, ids, flags): too short to hold a match.
  const min = minMatchLength(re.source, re.flags);
  if (min <= 1) return full;
  return {
    search: (text, from) =>
      text.length - from < min ? null : full.search(text, from),
    span: (text, from, span) =>
      text.length - from >= min && full.span(text, from, span),
  };
}

/** Searches on short texts between two reads of the clock (see `budget.ts`). */
const SEARCHES_PER_BUDGET_CHECK = 32;
let searchesSinceCheck = 0;

/**
 * `fast` for texts of up to {@linkcode LINEAR_ABOVE} characters, where the
 * backtracking engine's cost is bounded (and V8 falls back to its linear
 * engine after `--regexp-backtracks-before-fallback` backtracks at one
 * place); for longer ones `re`'s linear twin, searching once from `from`
 * (a search for every start could scan on from each, quadratic in all), or
 * the search by a fixed-offset literal whose failed tries may take about
 * as long as the twin would before the twin takes over (`long`, see
 * {@linkcode FAILED_TRIES_PER_CHECK}). Each
 * search spends the running hook's budget. Without a twin (no linear
 * engine in this process, or a pattern it does not run, which a config
 * cannot give) long texts go to `fast` too.
 */
function linearAbove(
  re: RegExp,
  fast: { search: Search; span: SpanSearch; long?: Search },
  twin: RegExp | undefined,
): { search: Search; span: SpanSearch } {
  const may = twin === undefined ? undefined : prefilter(re);
  const search = (text: string, from: number): RegExpExecArray | null => {
    if (twin === undefined || text.length - from <= LINEAR_ABOVE) {
      if (++searchesSinceCheck >= SEARCHES_PER_BUDGET_CHECK) {
        searchesSinceCheck = 0;
        spendBudget();
      }
      return fast.search(text, from);
    }
    spendBudget();
    if (fast.long !== undefined) return fast.long(text, from);
    if (from === 0 && !may!(text)) return null;
    twin.lastIndex = from;
    return twin.exec(text);
  };
  return {
    search,
    span(text, from, span): boolean {
      if (twin === undefined || text.length - from <= LINEAR_ABOVE) {
        if (++searchesSinceCheck >= SEARCHES_PER_BUDGET_CHECK) {
          searchesSinceCheck = 0;
          spendBudget();
        }
        return fast.span(text, from, span);
      }
      const match = search(text, from);
      if (match === null) return false;
      span.start = match.index;
      span.end = match.index + match[0].length;
      return true;
    },
  };
}

/** {@linkcode searchers} without the length test. */
function fullSearchers(
  re: RegExp,
  twin: RegExp | undefined,
): { search: Search; span: SpanSearch; long?: Search } {
  const anchors = anchorLiterals(re.source, re.flags);
  if (
    anchors !== undefined &&
    commonness(anchors[0][1][rarestIndex(anchors[0][1])]) <=
      MAX_ANCHOR_COMMONNESS
  ) {
    return anchoredSearchers(re, anchors, twin);
  }
  const may = prefilter(re);
  const global = new RegExp(
    unrolled(re.source, re.flags),
    re.flags.includes("g") ? re.flags : `${re.flags}g`,
  );
  const search = (text: string, from: number): RegExpExecArray | null => {
    if (from === 0 && !may(text)) return null;
    global.lastIndex = from;
    return global.exec(text);
  };
  return {
    search,
    span(text, from, span): boolean {
      const match = search(text, from);
      if (match === null) return false;
      span.start = match.index;
      span.end = match.index + match[0].length;
      return true;
    },
  };
}

/**
 * A length (in UTF-16 code units) that every match of `source` has at
 * least; 0 when the pattern is not read (flag `v`, back-references, group
 * modifiers, unusual escapes or classes).
 *
 * @example
 * ```ts
 * import { minMatchLength } from "./regex_prefilter.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(minMatchLength("\\b\\d{4}-\\d{2}-\\d{2}\\b"), 10);
 * assert.equal(minMatchLength("sk-\\w{20,}|ghp_\\w+"), 5);
 * assert.equal(minMatchLength("colou?r"), 5);
 * assert.equal(minMatchLength("(a)\\1"), 0); // A back-reference: not read.
 * ```
 */
export function minMatchLength(source: string, flags = ""): number {
  if (flags.includes("v")) return 0;
  try {
    const [min, , end] = branchesWidth(source, 0);
    return end === source.length ? min : 0;
  } catch {
    return 0;
  }
}

/** The searches by a fixed-offset literal; see {@linkcode searcher}. */
function anchoredSearchers(
  re: RegExp,
  anchors: [number, string][],
  twin: RegExp | undefined,
): { search: Search; span: SpanSearch; long?: Search } {
  const [offset, literal] = anchors[0];
  const sticky = new RegExp(
    unrolled(re.source, re.flags),
    `${re.flags.replace("g", "")}y`,
  );
  const k = needleIndex(literal);
  // What `indexOf` looks for, and how far before it a match starts.
  const needle = k < 0 ? literal : literal[k];
  const lead = k < 0 ? offset : offset + k;
  // Other characters at fixed offsets, as offsets from the match start and
  // tables by char code: checked in place, the few most selective rule out
  // most places before the expression is tried.
  const kept = checkPlan(re.source, re.flags)
    .filter(([at]) => at < lead || at >= lead + needle.length) // Found by indexOf.
    .slice(0, MAX_CHECKS);
  const checks = kept.length;
  const offsets = Int32Array.from(kept, ([at]) => at);
  // All tables in one array: table `i` at `i * 128`.
  const tables = new Uint8Array(checks * 128);
  kept.forEach(([, table], i) => tables.set(table, i * 128));
  /** The first place at or after `from` where a match could start, or -1. */
  const candidate = (text: string, from: number): number => {
    next: for (
      let q = text.indexOf(needle, from + lead);
      q >= 0;
      q = text.indexOf(needle, q + 1)
    ) {
      const start = q - lead;
      for (let i = 0; i < checks; i++) {
        const c = text.charCodeAt(start + offsets[i]);
        // Past the end, charCodeAt gives NaN; other than ASCII, the
        // expression decides.
        if (c !== c || (c < 128 && tables[(i << 7) | c] === 0)) continue next;
      }
      return start;
    }
    return -1;
  };
  // A long text's failed tries so far, and when its search began: past
  // its allowance of time, the twin goes on.
  let longText: string | undefined;
  let failures = 0;
  let began = 0;
  const long = twin === undefined ? undefined : function searchLong(
    text: string,
    from: number,
  ): RegExpExecArray | null {
    if (text !== longText) {
      longText = text;
      failures = 0;
      began = performance.now();
    }
    for (
      let at = candidate(text, from);
      at >= 0;
      at = candidate(text, at + 1)
    ) {
      if (
        failures >= FAILED_TRIES_PER_CHECK &&
        failures % FAILED_TRIES_PER_CHECK === 0 &&
        performance.now() - began >
          ALLOWANCE_MS + text.length * ALLOWANCE_MS_PER_CHAR
      ) {
        twin.lastIndex = at;
        return twin.exec(text);
      }
      sticky.lastIndex = at;
      const match = sticky.exec(text);
      if (match !== null) return match;
      failures++;
    }
    longText = undefined;
    return null;
  };
  return {
    long,
    search(text, from): RegExpExecArray | null {
      for (
        let at = candidate(text, from);
        at >= 0;
        at = candidate(text, at + 1)
      ) {
        sticky.lastIndex = at;
        const match = sticky.exec(text);
        if (match !== null) return match;
      }
      return null;
    },
    span(text, from, span): boolean {
      for (
        let at = candidate(text, from);
        at >= 0;
        at = candidate(text, at + 1)
      ) {
        sticky.lastIndex = at;
        // `test` makes no match object; the end is where it stopped.
        if (sticky.test(text)) {
          span.start = at;
          span.end = sticky.lastIndex;
          return true;
        }
      }
      return false;
    },
  };
}

/**
 * Failed tries at candidate places of a long text between two reads of the
 * clock. A failed try may have scanned far (a run of token characters with
 * no end), and many in one run add up to quadratic time; so once the tries
 * on a text have taken longer than the linear twin would take over all of
 * it (about 45 ns a character, allowed 20 plus half a millisecond), the
 * twin searches the rest. Either way the matches are the same; only the
 * time is bounded.
 */
const FAILED_TRIES_PER_CHECK = 16;
const ALLOWANCE_MS = 0.5;
const ALLOWANCE_MS_PER_CHAR = 20e-6;

/** Checks made in place before the expression is tried, at most. */
const MAX_CHECKS = 2;

/** For each ASCII char code, 1 when `re` matches the one character. */
function asciiTable(re: RegExp): Uint8Array {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    table[c] = re.test(String.fromCharCode(c)) ? 1 : 0;
  }
  return table;
}

/**
 * The one-character atoms (literals, escapes, classes, `.`) of a pattern's
 * top level at fixed offsets from the start, up to its first part of
 * varying width, each with a table of the ASCII characters it matches
 * (read by the engine itself, one character at a time); the most
 * selective first. None when the pattern is not read.
 */
function checkPlan(source: string, flags: string): [number, Uint8Array][] {
  if (/[iuvy]/.test(flags)) return [];
  let items: Item[];
  try {
    items = topItems(source);
  } catch {
    return [];
  }
  const checks: [number, Uint8Array][] = [];
  const atomFlags = flags.replace(/[gy]/g, "");
  let offset = 0;
  for (const item of items) {
    if (item.lo === 1 && item.hi === 1 && !item.source.startsWith("(")) {
      const table = asciiTable(new RegExp(`^(?:${item.source})$`, atomFlags));
      for (let i = 0; i < item.min; i++) checks.push([offset + i, table]);
    }
    if (item.lo !== item.hi || item.min !== item.max) break;
    offset += item.lo * item.min;
  }
  return checks.sort((a, b) => count(a[1]) - count(b[1]));
}

/** How many ASCII characters a table lets through. */
function count(table: Uint8Array): number {
  let n = 0;
  for (const x of table) n += x;
  return n;
}

/** One atom of a pattern's top level, with its quantifier. */
interface Item {
  /** The atom's source, without its quantifier. */
  source: string;
  /** The atom's source with its quantifier. */
  quantified: string;
  /** The least and greatest width of one repetition. */
  lo: number;
  hi: number;
  /** The least and greatest number of repetitions. */
  min: number;
  max: number;
}

/** Repetitions of a group written out, at most (see {@linkcode unrolled}). */
const MAX_UNROLLED = 8;

/**
 * `source` with each top-level group repeated a fixed number of times
 * (`(?:\.\d{1,3}){3}`) written out as that many copies: the same matches,
 * but the engine runs a written-out sequence several times faster than its
 * counted loop. Groups that capture are kept, as their numbers would move;
 * so is everything in a pattern that is not read.
 *
 * @example
 * ```ts
 * import { unrolled } from "./regex_prefilter.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(unrolled("\\b\\d{1,3}(?:\\.\\d{1,3}){3}\\b"), "\\b\\d{1,3}(?:\\.\\d{1,3})(?:\\.\\d{1,3})(?:\\.\\d{1,3})\\b");
 * assert.equal(unrolled("(a){2}"), "(a){2}"); // A capturing group.
 * ```
 */
export function unrolled(source: string, flags = ""): string {
  let items: Item[];
  try {
    if (flags.includes("v")) return source;
    items = topItems(source);
  } catch {
    return source;
  }
  let out = "";
  for (const item of items) {
    // A lazy `{n}?` matches as `{n}` does.
    const repeat = item.source.startsWith("(?:") && item.min === item.max &&
      item.min >= 2 && item.min <= MAX_UNROLLED &&
      groupCount(item.source, flags) === 0;
    out += repeat ? item.source.repeat(item.min) : item.quantified;
  }
  return out;
}

/**
 * How many capture groups a pattern has; -1 when `source` is no pattern.
 *
 * @example
 * ```ts
 * import { groupCount } from "./regex_prefilter.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(groupCount("(a)(?:b)(?<c>c)"), 2);
 * assert.equal(groupCount("(unclosed"), -1);
 * ```
 */
export function groupCount(source: string, flags = ""): number {
  try {
    return new RegExp(`${source}|`, flags.replace(/[gy]/g, "")).exec("")!
      .length - 1;
  } catch {
    return -1;
  }
}

/** The atoms of a pattern with no top-level `|`; throws when it is not read. */
function topItems(source: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  while (i < source.length) {
    if (source[i] === "|" || source[i] === ")") {
      throw new SyntaxError("alternatives are not read");
    }
    const [lo, hi, , end] = atomWidth(source, i);
    const [min, max, after] = readQuantifier(source, end);
    items.push({
      source: source.slice(i, end),
      quantified: source.slice(i, after),
      lo,
      hi,
      min,
      max,
    });
    i = after;
  }
  return items;
}

/**
 * The literals that every match of `source` holds at a fixed offset from
 * its start, as `[offset, literal]` pairs, the best to search for first;
 * `undefined` when there are none, or when the pattern is not read (flags
 * `i`, `u`, `v` or `y`, a top-level `|`, back-references, group modifiers,
 * unusual escapes or classes).
 *
 * @example
 * ```ts
 * import { anchorLiterals } from "./regex_prefilter.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(anchorLiterals("\\bACC-\\d{6}\\b"), [[0, "ACC-"]]);
 * assert.deepEqual(anchorLiterals("\\b\\d{4}-\\d{2}-\\d{2}\\b"), [[4, "-"], [7, "-"]]);
 * assert.deepEqual(anchorLiterals("\\d+-x"), undefined); // `-` at no fixed offset
 * assert.deepEqual(anchorLiterals("abc|xyz"), undefined);
 * ```
 */
export function anchorLiterals(
  source: string,
  flags = "",
): [number, string][] | undefined {
  if (/[iuvy]/.test(flags)) return undefined;
  const found: [number, string][] = [];
  try {
    const [, , end] = sequenceWidth(source, 0, found);
    if (end !== source.length) return undefined;
  } catch {
    return undefined;
  }
  if (found.length === 0) return undefined;
  // Best first: the rarest character, then the longer literal, then the earlier.
  const rank = (x: [number, string]): number =>
    commonness(x[1][rarestIndex(x[1])]) - x[1].length / 100;
  const best = found.reduce((a, b) => (rank(b) < rank(a) ? b : a));
  return [best, ...found.filter((x) => x !== best)];
}

/** No bound on a width. */
const UNBOUNDED = Infinity;

/**
 * Reads the branches `a|b|c` from `at`, up to a closing `)` or the end: the
 * least and greatest width of any of them, and the index where they end.
 */
function branchesWidth(source: string, at: number): [number, number, number] {
  let min = UNBOUNDED;
  let max = 0;
  let i = at;
  while (true) {
    const [lo, hi, end] = sequenceWidth(source, i);
    min = Math.min(min, lo);
    max = Math.max(max, hi);
    if (source[end] !== "|") return [min, max, end];
    i = end + 1;
  }
}

/**
 * Reads one branch from `at`, up to `|`, `)` or the end: its least and
 * greatest width, and the index where it ends. When `found` is given (the
 * top level), literal runs at a fixed offset from the start are pushed to it.
 */
function sequenceWidth(
  source: string,
  at: number,
  found?: [number, string][],
): [number, number, number] {
  let min = 0;
  let max = 0;
  let run = "";
  let runAt = 0;
  const flush = (): void => {
    if (run !== "" && found) found.push([runAt, run]);
    run = "";
  };
  let i = at;
  while (i < source.length && source[i] !== "|" && source[i] !== ")") {
    const [lo, hi, char, end] = atomWidth(source, i);
    const [qlo, qhi, after] = readQuantifier(source, end);
    const quantified = after !== end;
    i = after;
    if (
      char !== undefined && !quantified && min === max && max !== UNBOUNDED
    ) {
      if (run === "") runAt = min;
      run += char;
    } else {
      flush();
    }
    min += lo * qlo;
    max += hi === 0 || qhi === 0 ? 0 : hi * qhi;
  }
  flush();
  return [min, max, i];
}

/**
 * Reads the quantifier at `at`, if any: the least and greatest number of
 * repetitions (1 and 1 without one), and the index after it (and after
 * its laziness mark). Throws on a brace that is not a quantifier.
 */
function readQuantifier(source: string, at: number): [number, number, number] {
  const q = source[at];
  let min = 1;
  let max = 1;
  let i = at;
  if (q === "?" || q === "*" || q === "+") {
    min = q === "+" ? 1 : 0;
    max = q === "?" ? 1 : UNBOUNDED;
    i++;
  } else if (q === "{") {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 24));
    if (!m) throw new SyntaxError("a literal brace is not read");
    min = Number(m[1]);
    max = m[2] === undefined ? min : m[3] === "" ? UNBOUNDED : Number(m[3]);
    if (max < min) throw new SyntaxError("numbers out of order");
    i += m[0].length;
  }
  if (i !== at && source[i] === "?") i++; // Lazy.
  return [min, max, i];
}

/**
 * Reads one atom at `at`: its least and greatest width, its character when
 * it is one literal character, and the index after it. Throws on anything
 * not read, so the caller gives up.
 */
function atomWidth(
  source: string,
  at: number,
): [number, number, string | undefined, number] {
  const c = source[at];
  if (c === "\\") {
    const next = source[at + 1];
    if (next === "b" || next === "B") return [0, 0, undefined, at + 2];
    if ("dDwWsStnrvf".includes(next)) return [1, 1, undefined, at + 2];
    if (next === "0" && !/[0-9]/.test(source[at + 2] ?? "")) {
      return [1, 1, undefined, at + 2];
    }
    if (next === "x" && /^[0-9A-Fa-f]{2}$/.test(source.slice(at + 2, at + 4))) {
      return [1, 1, undefined, at + 4];
    }
    if (next === "u" && /^[0-9A-Fa-f]{4}$/.test(source.slice(at + 2, at + 6))) {
      return [1, 1, undefined, at + 6];
    }
    if (next === "c" && /^[A-Za-z]$/.test(source[at + 2] ?? "")) {
      return [1, 1, undefined, at + 3];
    }
    if (next !== undefined && LITERAL_ESCAPES.has(next)) {
      return [1, 1, next, at + 2];
    }
    throw new SyntaxError("escape not read");
  }
  if (c === "[") {
    // `[]` and `[^]` end where a reader of other flavours would not.
    if (source[at + 1] === "]" || source.startsWith("^]", at + 1)) {
      throw new SyntaxError("empty or negated-empty class not read");
    }
    return [1, 1, undefined, skipClass(source, at)];
  }
  if (c === "(") {
    let inner = at + 1;
    let zeroWidth = false;
    if (source[inner] === "?") {
      const head = source.slice(inner, inner + 3);
      if (head.startsWith("?:")) inner += 2;
      else if (head.startsWith("?=") || head.startsWith("?!")) {
        inner += 2;
        zeroWidth = true;
      } else if (head === "?<=" || head === "?<!") {
        inner += 3;
        zeroWidth = true;
      } else {
        const named = /^\?<[A-Za-z_$][\w$]*>/.exec(
          source.slice(inner, inner + 64),
        );
        if (!named) throw new SyntaxError("group modifiers are not read");
        inner += named[0].length;
      }
    }
    const [min, max, i] = branchesWidth(source, inner);
    if (source[i] !== ")") throw new SyntaxError("unclosed group");
    return zeroWidth ? [0, 0, undefined, i + 1] : [min, max, undefined, i + 1];
  }
  if (c === "^" || c === "$") return [0, 0, undefined, at + 1];
  if (c === ".") return [1, 1, undefined, at + 1];
  if ("?*+{}]|)".includes(c)) throw new SyntaxError("character not read");
  return [1, 1, c, at + 1];
}

/** Characters per thousand in English text and JSON, roughly. */
const FREQUENCY: Record<string, number> = {
  " ": 150,
  e: 100,
  t: 75,
  a: 65,
  o: 62,
  i: 57,
  n: 57,
  s: 53,
  r: 50,
  h: 45,
  l: 33,
  d: 32,
  c: 23,
  u: 22,
  m: 20,
  f: 18,
  p: 16,
  g: 16,
  w: 15,
  y: 14,
  b: 12,
  v: 8,
  k: 6,
  x: 1.5,
  j: 1,
  q: 1,
  z: 0.7,
  ".": 8,
  ",": 8,
  '"': 5,
  // Dates, ids and slugs make these far commoner in tool traffic than in prose.
  "-": 12,
  ":": 3,
  "\n": 3,
  "_": 2,
  "/": 8,
};

/** How often a character turns up in text, roughly, per thousand. */
function commonness(c: string): number {
  return FREQUENCY[c] ?? (c >= "0" && c <= "9" ? 5 : 1.5);
}

/** Reads `a|b|c` up to a closing `)` or the end; any branch may match. */
function alternation(
  source: string,
  at: number,
  caseless: boolean,
): [Need, number] {
  const branches: Need[] = [];
  let i = at;
  while (true) {
    const [need, end] = sequence(source, i, caseless);
    branches.push(need);
    i = end;
    if (source[i] !== "|") break;
    i++;
  }
  if (branches.some((b) => b === undefined)) return [undefined, i];
  return [[...new Set(branches.flatMap((b) => b!))], i];
}

/** Reads one branch; the best single requirement found in it. */
function sequence(
  source: string,
  at: number,
  caseless: boolean,
): [Need, number] {
  let best: Need;
  const consider = (need: Need): void => {
    if (need === undefined || need.length === 0) return;
    if (best === undefined || score(need) > score(best)) best = need;
  };
  let run = "";
  const flush = (): void => {
    if (run !== "") consider([run]);
    run = "";
  };
  let i = at;
  while (i < source.length && source[i] !== "|" && source[i] !== ")") {
    // One atom: its literal text (when it is one character) or what it needs.
    let char: string | undefined;
    let need: Need;
    const c = source[i];
    if (c === "\\") {
      const next = source[i + 1];
      if (next === undefined) throw new SyntaxError("trailing backslash");
      if (LITERAL_ESCAPES.has(next)) char = next;
      i = skipEscape(source, i);
    } else if (c === "[") {
      i = skipClass(source, i);
    } else if (c === "(") {
      const lookaround = /^\(\?<?[=!]/.test(source.slice(i, i + 4));
      let inner = i + 1;
      if (source[inner] === "?" && !/^[:=!<]/.test(source[inner + 1] ?? "")) {
        throw new SyntaxError("group modifiers (?i: ...) are not read");
      }
      if (source[inner] === "?") {
        const named = /^\?<[A-Za-z_$][\w$]*>/.exec(source.slice(inner));
        inner += named ? named[0].length : 2;
      }
      const [groupNeed, end] = alternation(source, inner, caseless);
      if (source[end] !== ")") throw new SyntaxError("unclosed group");
      if (!lookaround) need = groupNeed;
      i = end + 1;
    } else if (c === "." || c === "^" || c === "$") {
      i++;
    } else if (QUANTIFIER_START.has(c) && c !== "{") {
      throw new SyntaxError("quantifier without an atom");
    } else {
      char = c;
      i++;
    }
    if (
      char !== undefined && caseless &&
      char.toLowerCase() !== char.toUpperCase()
    ) {
      char = undefined; // A letter matched either way round: not a literal.
    }
    // Its quantifier, if any.
    let min = 1;
    let quantified = false;
    const q = source[i];
    if (q === "?" || q === "*") {
      min = 0;
      quantified = true;
      i++;
    } else if (q === "+") {
      quantified = true;
      i++;
    } else if (q === "{") {
      const m = /^\{(\d+)(,\d*)?\}/.exec(source.slice(i));
      if (m) {
        min = Number(m[1]);
        quantified = !(m[2] === undefined && min === 1);
        i += m[0].length;
      }
    }
    if (quantified && source[i] === "?") i++; // Lazy.
    if (min === 0) {
      flush();
      continue;
    }
    if (char !== undefined && !quantified) {
      run += char;
      continue;
    }
    // Needed at least once, but not as part of a longer literal.
    flush();
    if (char !== undefined) consider([char]);
    consider(need);
  }
  flush();
  return [best, i];
}

/**
 * How good a requirement is as a pre-test, higher being better: a literal
 * is as cheap to rule out, and as selective, as its rarest character is
 * rare; longer literals break ties. Any of several literals costs a test
 * each.
 */
function score(need: string[]): number {
  const literal = (s: string): number =>
    -Math.min(...[...s].map(commonness)) + s.length / 100;
  return Math.min(...need.map(literal)) * (need.length > 1 ? need.length : 1);
}

/** The index just after the escape that starts at `at`. */
function skipEscape(source: string, at: number): number {
  const next = source[at + 1];
  let i = at + 2;
  const braced = (open: string, close: string): number => {
    if (source[i] !== open) return i;
    const end = source.indexOf(close, i);
    if (end < 0) throw new SyntaxError("unclosed escape");
    return end + 1;
  };
  if (next === "u") i = source[i] === "{" ? braced("{", "}") : i + 4;
  else if (next === "x") i += 2;
  else if (next === "c") i += 1;
  else if (next === "p" || next === "P") i = braced("{", "}");
  else if (next === "k") i = braced("<", ">");
  else if (next >= "0" && next <= "9") {
    while (source[i] >= "0" && source[i] <= "9") i++;
  }
  return i;
}

/** The index just after the character class that starts at `at`. */
function skipClass(source: string, at: number): number {
  let i = at + 1;
  if (source[i] === "^") i++;
  if (source[i] === "]") i++;
  while (i < source.length && source[i] !== "]") {
    i += source[i] === "\\" ? 2 : 1;
  }
  if (i >= source.length) throw new SyntaxError("unclosed class");
  return i + 1;
}
