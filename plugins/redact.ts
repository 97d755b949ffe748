/**
 * Built-in plugin `redact`: replaces secrets and personal data in what is
 * logged (never in the forwarded traffic) with a type marker and a short
 * keyed hash, `[REDACTED:email:1a2b3c4d]`, so the same value can still be
 * followed across events without being stored. Covers API keys and bearer
 * tokens of the common providers, private keys, JWTs, values under keys
 * named like passwords or tokens (at any depth, and as `key=value` or
 * `"key": value` in text), emails, card numbers (Luhn-checked) and
 * patterns from the config. A value too guessable to hash with the shared
 * key (see {@linkcode SHARED_KEY_BITS}) is hashed with a key that lives
 * only in this process, so that no key file lets its marker be reversed.
 *
 * @module
 */
import { createHmac } from "node:crypto";
import { z } from "zod";
import {
  type Assert,
  compilePattern,
  definePlugin,
  type Equals,
  linearPatternIssue,
  memoize,
  PatternFlagsSchema,
  patternProblem,
  type Plugin,
  searcher,
} from "../lib/plugin/kit/mod.ts";

/** An extra pattern for the `redact` plugin: matches are redacted as `type`. */
export interface RedactPattern {
  /** The type named in the marker, e.g. `ssn` in `[REDACTED:ssn:1a2b3c4d]`. */
  type: string;
  /** A regular expression. */
  pattern: string;
  /** Regular expression flags: `d`, `i`, `m`, `s`, `u`, `v`; every match is redacted (`g` is implied) and `y` is refused (see the kit's `PatternFlagsSchema`). */
  flags?: string;
}

/** Options of the `redact` plugin (the config's `redact`). */
export interface RedactOptions {
  /** Redact API keys, tokens, private keys and JWTs. @default {true} */
  secrets?: boolean;
  /**
   * Redact whole values under a key that looks like a secret (`password`,
   * `api_key`, `token`, ...), wherever they are: arguments, results,
   * errors, `_meta`, a command line's `--password x`; and the value of such
   * a key written as `key=value` or `"key": value` in text.
   * @default {true}
   */
  secretArguments?: boolean;
  /** Redact email addresses. @default {true} */
  emails?: boolean;
  /** Redact card numbers that pass the Luhn check. @default {true} */
  cards?: boolean;
  /** Extra patterns: `{ "type": "ssn", "pattern": "\\b\\d{3}-\\d{2}-\\d{4}\\b" }`. @default {[]} */
  patterns?: RedactPattern[];
  /** Extra keys (case-insensitive regular expression) whose values are always redacted, wherever they are. */
  argumentKeys?: string;
  /** The key for the hashes; keep it stable to correlate across sessions. Set by the loader from a key file when absent. */
  key?: string;
}

/** {@linkcode RedactOptions} as parsed: every defaulted option filled in. */
export interface ParsedRedactOptions extends RedactOptions {
  /** Redact API keys, tokens, private keys and JWTs. */
  secrets: boolean;
  /** Redact whole values under keys that look like secrets, anywhere. */
  secretArguments: boolean;
  /** Redact email addresses. */
  emails: boolean;
  /** Redact card numbers that pass the Luhn check. */
  cards: boolean;
  /** Extra patterns. */
  patterns: RedactPattern[];
}

const redactOptions = z.object({
  secrets: z.boolean().default(true),
  secretArguments: z.boolean().default(true),
  emails: z.boolean().default(true),
  cards: z.boolean().default(true),
  patterns: z.array(
    z.object({
      type: z.string().min(1),
      pattern: z.string(),
      flags: PatternFlagsSchema.optional(),
    }).strict().superRefine(linearPatternIssue()),
  )
    .default([]),
  argumentKeys: z.string().superRefine((keys, context) => {
    const problem = patternProblem(keys, "i");
    if (problem !== undefined) {
      context.addIssue({ code: "custom", message: problem });
    }
  }).optional(),
  key: z.string().optional(),
}).strict();
/** Validates {@linkcode RedactOptions} and fills in the defaults. */
export const RedactOptionsSchema: z.ZodType<
  ParsedRedactOptions,
  RedactOptions
> = redactOptions;

type _SchemasMatchInterfaces = [
  Assert<Equals<z.output<typeof redactOptions>, ParsedRedactOptions>>,
  Assert<Equals<z.input<typeof redactOptions>, RedactOptions>>,
];

const SECRET_PATTERNS: [string, RegExp][] = [
  [
    "private_key",
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  ],
  ["anthropic_key", /\bsk-ant-[A-Za-z0-9_-]{20,}/g],
  ["openai_key", /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}/g],
  [
    "github_token",
    /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/g,
  ],
  ["aws_access_key", /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g],
  ["slack_token", /\bxox[abposr]-[A-Za-z0-9-]{10,}/g],
  ["stripe_key", /\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}/g],
  ["google_api_key", /\bAIza[0-9A-Za-z_-]{35}\b/g],
  ["jwt", /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g],
  // A literal start, not a lookbehind: a lookbehind is tried at every position.
  ["bearer_token", /\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/g],
];
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
const SECRET_KEY =
  /pass(?:word|wd|phrase)?$|secret|token|api[_-]?key|credential|private[_-]?key|^auth(?:orization)?$|^pin$|^cvv$|^pwd$/i;
/** Keys that {@linkcode SECRET_KEY} would take but that hold no secret: MCP's progress token, token counts. */
const NOT_SECRET_KEY = /^progress_?token$|.tokens$/i;
/** Where a key that may name a secret is, in text: found, then read whole around the match. */
const KEY_WORD =
  /pass|pwd|secret|token|api[_-]?key|credential|private[_-]?key|auth|pin|cvv/gi;
/** Authorization schemes: in `Authorization: Bearer x` the secret is `x`. */
const SCHEME = /^(?:Bearer|Basic|Token|Digest)[ \t]+/i;
/** Longest key read around a {@linkcode KEY_WORD} match; longest quoted value taken. */
const MAX_KEY = 64;

/**
 * Estimated bits of entropy a value must have for its marker to be keyed
 * with the shared key (the key file, `MCP_AUDIT_REDACT_KEY`), so that the
 * same value gets the same marker in every log. Whoever holds that key can
 * test guesses against a marker; at 2^64 guesses a value is out of reach.
 * A value below it (a PIN, a short password, a card number) is keyed with
 * a random key of this process, never stored: its markers still match
 * each other within the log, and nothing can reverse them.
 */
export const SHARED_KEY_BITS = 64;

/**
 * An estimate of the bits of entropy in `value`: its length times the
 * Shannon entropy of its characters. It never overestimates what a
 * guesser must try for a value drawn from its own characters: `1234`
 * gives 8, `4111111111111111` 5.4, a random 16-digit number about 50.
 *
 * @example
 * ```ts
 * import { entropyBits } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(entropyBits("1234"), 8);
 * assert.equal(entropyBits("aaaaaaaa"), 0);
 * assert.ok(entropyBits("sk-ant-api03-Vx7Qm2pL9rT4wZ8kY1nB6cJ3hF5dG0sA") > 64);
 * ```
 */
export function entropyBits(value: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const count of counts.values()) {
    bits -= count * Math.log2(count / value.length);
  }
  return bits;
}

/** Whether a key (`password`, `db.api_key`, `--token`) names a secret, and which kind. */
function keyKind(key: string, extra: RegExp | undefined): string | null {
  if (SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key)) {
    return /pass/i.test(key) ? "password" : "secret";
  }
  return extra?.test(key) ? "secret" : null;
}

/** A character of a key as text writes it: a word character, `.` or `-`. */
function isKeyCode(c: number): boolean {
  return isWordCode(c) || c === 46 || c === 45;
}

/** A character that ends an unquoted value in text. */
function endsValue(c: number): boolean {
  // Whitespace, " ' , ; & < > ( ) [ ] { }
  return c <= 32 || c === 34 || c === 39 || c === 44 || c === 59 ||
    c === 38 || c === 60 || c === 62 || c === 40 || c === 41 || c === 91 ||
    c === 93 || c === 123 || c === 125;
}

/**
 * The values of secret-named keys written in `text` (`password=x`,
 * `"api_key": "x"`, `--token x` is the command line's business):
 * `[start, end, kind]` of each value. Found by {@linkcode KEY_WORD}, then
 * read by hand around the match, so the cost stays linear: no expression
 * backtracks over a key or a value.
 */
function keyedValues(
  text: string,
  extra: RegExp | undefined,
): [number, number, string][] {
  let found: [number, number, string][] | undefined;
  const n = text.length;
  KEY_WORD.lastIndex = 0;
  for (let m = KEY_WORD.exec(text); m !== null; m = KEY_WORD.exec(text)) {
    let start = m.index;
    const floor = Math.max(0, start - MAX_KEY);
    while (start > floor && isKeyCode(text.charCodeAt(start - 1))) start--;
    let end = m.index + m[0].length;
    const ceiling = Math.min(n, end + MAX_KEY);
    while (end < ceiling && isKeyCode(text.charCodeAt(end))) end++;
    KEY_WORD.lastIndex = end;
    // A marker's own type (`[REDACTED:github_token:...]`) is no key.
    if (text.startsWith("[REDACTED:", start - 10)) continue;
    const kind = keyKind(text.slice(start, end), extra);
    if (kind === null) continue;
    // The key's closing quote, escaped too (JSON in a JSON string: `\"`).
    let i = end;
    if (text.charCodeAt(i) === 92 && text.charCodeAt(i + 1) === 34) i++;
    const q0 = text.charCodeAt(i);
    if (q0 === 34 || q0 === 39) i++;
    while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
    const sep = text.charCodeAt(i);
    if (sep !== 61 && sep !== 58) continue; // = or :
    i++;
    while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
    const escaped = text.charCodeAt(i) === 92 && text.charCodeAt(i + 1) === 34;
    if (escaped) i++;
    const quote = text.charCodeAt(i);
    let vs: number;
    let ve: number;
    if (quote === 34 || quote === 39) {
      vs = i + 1;
      ve = vs;
      // To the closing quote (for an escaped one, its backslash), or the
      // end of a cut text.
      while (ve < n) {
        const c = text.charCodeAt(ve);
        if (c === quote || (escaped && c === 92)) break;
        ve += c === 92 ? 2 : 1;
      }
      ve = Math.min(ve, n);
    } else {
      const scheme = SCHEME.exec(text.slice(i, i + 16));
      vs = scheme ? i + scheme[0].length : i;
      ve = vs;
      while (ve < n && !endsValue(text.charCodeAt(ve))) ve++;
    }
    if (ve === vs || text.startsWith("[REDACTED:", vs)) continue;
    (found ??= []).push([vs, ve, kind]);
    KEY_WORD.lastIndex = ve;
  }
  return found ?? [];
}

/**
 * Whether a digit string passes the Luhn check (card numbers do).
 *
 * @example
 * ```ts
 * import { luhnValid } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(luhnValid("4111 1111 1111 1111"));
 * assert.ok(!luhnValid("4111 1111 1111 1112"));
 * ```
 */
export function luhnValid(candidate: string): boolean {
  let sum = 0;
  let digits = 0;
  for (let i = candidate.length - 1; i >= 0; i--) {
    let d = candidate.charCodeAt(i) - 48;
    if (d < 0 || d > 9) continue;
    if (digits++ % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits >= 13 && digits <= 19 && sum % 10 === 0;
}

/** A digit's code. */
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A word character's code (`\w`); false for NaN, as outside the text. */
function isWordCode(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
    c === 95;
}

/**
 * Whether the character at `i` can be inside a card number as
 * {@linkcode CARD} reads it: a digit, or one space or dash between two.
 */
function inCardRun(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return isDigit(c) ||
    ((c === 32 || c === 45) && isDigit(text.charCodeAt(i - 1)) &&
      isDigit(text.charCodeAt(i + 1)));
}

/** {@linkcode CARD}, tried at one place. */
const CARD_AT = new RegExp(CARD.source, "y");
/**
 * Thirteen digits joined by single spaces or dashes, from the start of
 * their run: the shortest text a card number can be. Written out, not as
 * `(?:[ -]?\d){12}`, and tried only where a run starts: the engine looks
 * for it several times faster so.
 */
const THIRTEEN = new RegExp(
  `(?<!\\d[ -]?)\\d${"[ -]?\\d".repeat(12)}`,
  "g",
);
/** What {@linkcode findCardNumbers} returns when there are none. */
const NO_CARDS: readonly [number, number][] = Object.freeze([]);

/**
 * The card numbers in `text`: the matches of the card pattern
 * (`\b\d(?:[ -]?\d){12,18}\b`) that pass the Luhn check, as `[start, end]`
 * pairs, exactly as a global search with the pattern finds them. Every
 * match lies in a run of digits joined by single spaces or dashes with 13
 * digits or more: such runs are found by a plain pattern for thirteen
 * digits, and the card pattern is tried only in them, where a match can
 * start.
 *
 * @example
 * ```ts
 * import { findCardNumbers } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(findCardNumbers("card 4111 1111 1111 1111, thanks"), [[5, 24]]);
 * assert.deepEqual(findCardNumbers("4111-1111-1111-1112"), []); // Fails the Luhn check.
 * assert.deepEqual(findCardNumbers("call 555 0100 on 2026-07-28"), []);
 * assert.deepEqual(findCardNumbers("4111  1111  1111  1111"), []); // Double spaces.
 * ```
 */
export function findCardNumbers(text: string): readonly [number, number][] {
  let found: [number, number][] | undefined;
  const n = text.length;
  // Each run long enough is found by the engine (most texts have none),
  // then taken whole.
  THIRTEEN.lastIndex = 0;
  for (let run = THIRTEEN.exec(text); run !== null; run = THIRTEEN.exec(text)) {
    const start = run.index;
    let end = start + run[0].length;
    while (end < n && inCardRun(text, end)) end++;
    // A match starts at a digit after a character other than a word
    // character (`\b`): at the run's start or after a separator.
    let p = start;
    while (p < end) {
      if (
        isDigit(text.charCodeAt(p)) && !isWordCode(text.charCodeAt(p - 1))
      ) {
        CARD_AT.lastIndex = p;
        if (CARD_AT.test(text)) {
          const matchEnd = CARD_AT.lastIndex;
          if (luhnValid(text.slice(p, matchEnd))) {
            (found ??= []).push([p, matchEnd]);
          }
          p = matchEnd;
          continue;
        }
      }
      p++;
    }
    THIRTEEN.lastIndex = end;
  }
  return found ?? NO_CARDS;
}

/** A character of an email's local part (`[A-Za-z0-9._%+-]`). */
function isLocalCode(c: number): boolean {
  return isWordCode(c) || c === 46 || c === 37 || c === 43 || c === 45;
}

/** What {@linkcode findEmails} returns when there are none. */
const NO_EMAILS: readonly [number, number][] = Object.freeze([]);

/** The longest local part of an address (RFC 5321). */
const MAX_LOCAL = 64;

/**
 * The domain of an address, tried right after its `@`: at most 253
 * characters, then a dot and 2 to 63 letters at a word boundary. Its
 * bounds bound the backtracking.
 */
const DOMAIN_AT = /[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}\b/y;

/**
 * The email addresses in `text`, as `[start, end]` pairs: exactly the
 * matches of a global search with
 * `\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}\b`
 * (RFC 5321's lengths), found in linear time. The expression run by the
 * engine would try every start in a long run of local-part characters, and
 * the unbounded one it replaces took 33 s on a 120 KB `a.a.…@b.b.…1`; here
 * only the `@`s are looked for, and around each one at most the 64
 * characters before and the few hundred after: the match starts at the
 * earliest word boundary of the local-part run before it (not before where
 * the last match ended), and ends where the domain ends.
 *
 * @example
 * ```ts
 * import { findEmails } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(findEmails("mail ana@example.com, or bo@x.co.uk."), [[5, 20], [25, 35]]);
 * assert.deepEqual(findEmails("a.".repeat(50_000) + "@" + "b.".repeat(50_000) + "1"), []);
 * ```
 */
export function findEmails(text: string): readonly [number, number][] {
  let found: [number, number][] | undefined;
  let from = 0;
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    // The local-part run before the `@`, at most 64 long, not before the
    // last match's end.
    const limit = Math.max(from, at - MAX_LOCAL);
    let runStart = at;
    while (runStart > limit && isLocalCode(text.charCodeAt(runStart - 1))) {
      runStart--;
    }
    // Its earliest word boundary (`\b` before the first character).
    let start = runStart;
    while (
      start < at &&
      isWordCode(text.charCodeAt(start - 1)) ===
        isWordCode(text.charCodeAt(start))
    ) start++;
    if (start >= at) continue;
    DOMAIN_AT.lastIndex = at + 1;
    if (!DOMAIN_AT.test(text)) continue;
    const end = DOMAIN_AT.lastIndex;
    (found ??= []).push([start, end]);
    from = end;
    at = end - 1;
  }
  return found ?? NO_EMAILS;
}

/**
 * Creates the `redact` plugin.
 *
 * @example
 * ```ts
 * import { redactPlugin } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * const plugin = redactPlugin({ key: "test-key" });
 * const out = plugin.redact?.("mail ana@example.com, card 4111 1111 1111 1111", "arguments.note") ?? "";
 * assert.match(out, /^mail \[REDACTED:email:[0-9a-f]{8}\], card \[REDACTED:card:[0-9a-f]{8}\]$/);
 * assert.equal(plugin.redact?.("ana@example.com", "x"), plugin.redact?.("ana@example.com", "y"));
 * assert.match(plugin.redact?.("hunter2", "arguments.password") ?? "", /^\[REDACTED:password:/);
 * assert.match(
 *   plugin.redact?.("Authorization: Bearer abcdefghijklmnop0123456789", "result.text") ?? "",
 *   /^Authorization: Bearer \[REDACTED:bearer_token:[0-9a-f]{8}\]$/,
 * );
 * ```
 */
export function redactPlugin(options: RedactOptions = {}): Plugin {
  const o = RedactOptionsSchema.parse(options);
  const key = o.key ?? crypto.randomUUID();
  // For values too guessable for the shared key: never stored anywhere.
  const localKey = crypto.getRandomValues(new Uint8Array(32));
  // Keys are short: a plain test, no search over long texts.
  const extraKey = o.argumentKeys
    ? compilePattern(o.argumentKeys, "i")
    : undefined;
  const patterns: [string, RegExp][] = [
    ...(o.secrets ? SECRET_PATTERNS : []),
    ...o.patterns.map((p) =>
      [
        p.type,
        compilePattern(p.pattern, p.flags, { global: true }),
      ] as [
        string,
        RegExp,
      ]
    ),
  ];
  // Each pattern behind its search: most strings hold nothing to redact,
  // and a missing literal (`sk-`, `eyJ`, `Bearer`) rejects them cheaply.
  const tests = patterns.map(([type, re]) => ({ type, search: searcher(re) }));
  const marker = (type: string, value: string): string =>
    `[REDACTED:${type}:${
      createHmac(
        "sha256",
        entropyBits(value) >= SHARED_KEY_BITS ? key : localKey,
      ).update(value).digest("hex").slice(0, 8)
    }]`;
  // Only a marker of a type this plugin writes is left alone: text that
  // merely looks like one (`[REDACTED:ghp_...:00000000]`) is redacted.
  const types = new Set([
    ...patterns.map(([type]) => type),
    "email",
    "card",
    "password",
    "secret",
  ]);
  const isMarker = (s: string): boolean => {
    if (!s.startsWith("[REDACTED:") || s.length > 100) return false;
    const colon = s.length - 10;
    return s.charCodeAt(colon) === 58 && s.endsWith("]") &&
      types.has(s.slice(10, colon)) &&
      /^[0-9a-f]{8}$/.test(s.slice(colon + 1, -1));
  };
  // What a path says of its value: under a key that names a password,
  // another secret, or nothing (null); by path, as the same few paths come
  // back every call.
  const secretKind = memoize((path): string | null => {
    let kind: string | null = null;
    for (const segment of path.split(/[.[\]]/)) {
      if (segment === "" || /^\d+$/.test(segment)) continue;
      const k = keyKind(segment, extraKey);
      if (k === "password") return k;
      kind ??= k;
    }
    return kind;
  });
  return definePlugin({
    name: "redact",
    redact(value, path): string | undefined {
      if (isMarker(value)) return undefined;
      if (o.secretArguments) {
        const kind = secretKind(path);
        if (kind !== null) return marker(kind, value);
      }
      let out = value;
      for (const { type, search } of tests) {
        let match = search(out, 0);
        if (match === null) continue;
        let replaced = "";
        let last = 0;
        while (match !== null) {
          const m = match[0];
          // Keep the scheme word: only the token itself is secret.
          const bearer = type === "bearer_token"
            ? /^Bearer\s+/.exec(m)?.[0] ?? ""
            : "";
          replaced += out.slice(last, match.index) + bearer +
            marker(type, m.slice(bearer.length));
          last = match.index + m.length;
          // After an empty match the search moves on one, as `replace` does.
          match = search(out, m === "" ? last + 1 : last);
        }
        out = replaced + out.slice(last);
      }
      if (
        o.secretArguments && (out.includes("=") || out.includes(":"))
      ) {
        const keyed = keyedValues(out, extraKey);
        if (keyed.length > 0) {
          let replaced = "";
          let last = 0;
          for (const [start, end, kind] of keyed) {
            replaced += out.slice(last, start) +
              marker(kind, out.slice(start, end));
            last = end;
          }
          out = replaced + out.slice(last);
        }
      }
      const emails = o.emails && out.includes("@")
        ? findEmails(out)
        : NO_EMAILS;
      if (emails.length > 0) {
        let replaced = "";
        let last = 0;
        for (const [start, end] of emails) {
          replaced += out.slice(last, start) +
            marker("email", out.slice(start, end).toLowerCase());
          last = end;
        }
        out = replaced + out.slice(last);
      }
      // Cards in what is left once other secrets are replaced.
      const cards = o.cards ? findCardNumbers(out) : NO_CARDS;
      if (cards.length > 0) {
        let replaced = "";
        let last = 0;
        for (const [start, end] of cards) {
          const digits = out.slice(start, end).replace(/\D/g, "");
          replaced += out.slice(last, start) + marker("card", digits);
          last = end;
        }
        out = replaced + out.slice(last);
      }
      return out === value ? undefined : out;
    },
  });
}
