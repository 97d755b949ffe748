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
 * @module
 */

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
  return (text) => tests.some((test) => test(text));
}

/**
 * `includes(literal)`, behind a search for the literal's rarest character
 * when that is not its first: the engine scans for a literal's first
 * character, and a common one ("e" of "eyJ") stops it everywhere.
 */
function literalTest(literal: string): Prefilter {
  let rarest = literal[0];
  for (const c of literal) if (commonness(c) < commonness(rarest)) rarest = c;
  if (literal.length === 1 || rarest === literal[0]) {
    return (text) => text.includes(literal);
  }
  return (text) => text.includes(rarest) && text.includes(literal);
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
  "-": 4,
  ":": 3,
  "\n": 3,
  "_": 2,
  "/": 2,
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
