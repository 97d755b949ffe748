/**
 * The events-table row of a log line, written as TabSeparated bytes
 * straight from the line's bytes: what `ship` does for nearly every line,
 * instead of decoding the line, parsing it whole with `JSON.parse`, and
 * writing and encoding the row as a string.
 *
 * The line is checked as strict JSON (and UTF-8) while it is read, so a
 * line it takes is one `JSON.parse` takes too; the members the row needs
 * are read where they stand, and everything else is skipped. It takes only
 * the plain case: a top-level member name or a needed string with an
 * escape, a `ts` not in the writer's form, an error event, a checkpoint, a
 * line that is not an object with a string `session` and a number `seq`,
 * and anything else out of the ordinary return -1, and the caller builds
 * that row with {@linkcode eventRow} from the parsed line: the rows are the
 * same either way (tests/fleet/event_row_batch_test.ts holds the two to
 * that, on generated and mutated lines).
 *
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const TAB = 0x09;
const APOSTROPHE = 0x27;

/** Set by `skipString`: the string just skipped had an escape. */
let stringEscaped = false;
/** Set while a line is read: it holds a backslash or a tab, so its copy needs escaping. */
let lineNeedsEscape = false;
/** How deep `skipValue` may go before the line is left to `JSON.parse`. */
const MAX_DEPTH = 64;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) ||
    (c >= 0x61 && c <= 0x66);
}

function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d) i++;
    else if (c === TAB) {
      lineNeedsEscape = true;
      i++;
    } else break;
  }
  return i;
}

/** Bytes of the well-formed UTF-8 sequence at `i` (lead byte >= 0x80), or -1. */
function utf8Length(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0;
    else if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90;
    else if (c === 0xf4) hi = 0x8f;
  } else return -1;
  if (i + n > end) return -1;
  const second = b[i + 1];
  if (second < lo || second > hi) return -1;
  for (let k = 2; k < n; k++) {
    const next = b[i + k];
    if (next < 0x80 || next > 0xbf) return -1;
  }
  return n;
}

/** Bytes a string may hold as they are: printable ASCII but `"` and `\`. */
const PLAIN = new Uint8Array(256).map((_, c) =>
  c >= 0x20 && c < 0x80 && c !== QUOTE && c !== BACKSLASH ? 1 : 0
);

/** The index after the JSON string whose quote is at `i`, or -1. */
function skipString(b: Uint8Array, i: number, end: number): number {
  i++;
  let escaped = false;
  while (i < end) {
    while (i < end && PLAIN[b[i]] === 1) i++;
    if (i >= end) break;
    const c = b[i];
    if (c === QUOTE) {
      stringEscaped = escaped;
      return i + 1;
    }
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      escaped = true;
      lineNeedsEscape = true;
      if (i + 1 >= end) return -1;
      const e = b[i + 1];
      if (e === 0x75) { // \uXXXX
        if (i + 6 > end) return -1;
        for (let k = 2; k < 6; k++) if (!isHex(b[i + k])) return -1;
        i += 6;
      } else if (
        e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 ||
        e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74
      ) {
        i += 2;
      } else return -1;
    } else if (c < 0x80) i++;
    else {
      const n = utf8Length(b, i, end);
      if (n < 0) return -1;
      i += n;
    }
  }
  return -1;
}

/** The index after the JSON number at `i`, or -1. */
function skipNumber(b: Uint8Array, i: number, end: number): number {
  if (i < end && b[i] === 0x2d) i++;
  if (i >= end) return -1;
  if (b[i] === 0x30) i++;
  else if (b[i] >= 0x31 && b[i] <= 0x39) {
    while (i < end && isDigit(b[i])) i++;
  } else return -1;
  if (i < end && b[i] === 0x2e) {
    i++;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  return i;
}

function skipWord(b: Uint8Array, i: number, end: number, word: string): number {
  if (i + word.length > end) return -1;
  for (let k = 0; k < word.length; k++) {
    if (b[i + k] !== word.charCodeAt(k)) return -1;
  }
  return i + word.length;
}

/** The index after the JSON value at `i` (no space before it), or -1. */
function skipValue(
  b: Uint8Array,
  i: number,
  end: number,
  depth: number,
): number {
  if (i >= end) return -1;
  const c = b[i];
  if (c === QUOTE) return skipString(b, i, end);
  if (c === 0x7b || c === 0x5b) {
    if (depth >= MAX_DEPTH) return -1;
    const close = c === 0x7b ? 0x7d : 0x5d;
    i = skipSpace(b, i + 1, end);
    if (i < end && b[i] === close) return i + 1;
    for (;;) {
      if (c === 0x7b) {
        if (i >= end || b[i] !== QUOTE) return -1;
        i = skipString(b, i, end);
        if (i < 0) return -1;
        i = skipSpace(b, i, end);
        if (i >= end || b[i] !== 0x3a) return -1;
        i = skipSpace(b, i + 1, end);
      }
      i = skipValue(b, i, end, depth + 1);
      if (i < 0) return -1;
      i = skipSpace(b, i, end);
      if (i >= end) return -1;
      if (b[i] === 0x2c) {
        i = skipSpace(b, i + 1, end);
        continue;
      }
      if (b[i] === close) return i + 1;
      return -1;
    }
  }
  if (c === 0x74) return skipWord(b, i, end, "true");
  if (c === 0x66) return skipWord(b, i, end, "false");
  if (c === 0x6e) return skipWord(b, i, end, "null");
  return skipNumber(b, i, end);
}

/** `b[start, end)` is `name`. */
function named(
  b: Uint8Array,
  start: number,
  end: number,
  name: string,
): boolean {
  if (end - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) {
    if (b[start + k] !== name.charCodeAt(k)) return false;
  }
  return true;
}

/** Where a member's value was found: `[start, end)`, start -1 when absent. */
const at = {
  session: -1,
  sessionEnd: -1,
  seq: -1,
  seqEnd: -1,
  ts: -1,
  tsEnd: -1,
  kind: -1,
  kindEnd: -1,
  dir: -1,
  dirEnd: -1,
  method: -1,
  methodEnd: -1,
  tool: -1,
  toolEnd: -1,
  classes: -1,
  classesEnd: -1,
  entities: -1,
  entitiesEnd: -1,
  errorType: -1,
  errorTypeEnd: -1,
  isError: -1,
  durationMs: -1,
  durationMsEnd: -1,
};

/** A plain string value is at `i`: a string without escapes. */
function isPlainString(b: Uint8Array, i: number, escaped: boolean): boolean {
  return i >= 0 && b[i] === QUOTE && !escaped;
}

/**
 * Reads the top-level members of the line `b[start, end)` into `at`;
 * false when the line is not a plain JSON object (then `JSON.parse` decides).
 */
function readMembers(b: Uint8Array, start: number, end: number): boolean {
  at.session =
    at.seq =
    at.ts =
    at.kind =
    at.dir =
    at.method =
    at.tool =
      -1;
  at.classes =
    at.entities =
    at.errorType =
    at.isError =
    at.durationMs =
      -1;
  lineNeedsEscape = false;
  let i = skipSpace(b, start, end);
  if (i >= end || b[i] !== 0x7b) return false;
  i = skipSpace(b, i + 1, end);
  if (i < end && b[i] === 0x7d) return false; // {}: no session.
  for (;;) {
    if (i >= end || b[i] !== QUOTE) return false;
    const keyStart = i + 1;
    i = skipString(b, i, end);
    // A name with an escape may spell a member the row needs.
    if (i < 0 || stringEscaped) return false;
    const keyEnd = i - 1;
    i = skipSpace(b, i, end);
    if (i >= end || b[i] !== 0x3a) return false;
    const v = skipSpace(b, i + 1, end);
    i = skipValue(b, v, end, 1);
    if (i < 0) return false;
    // A string value with an escape is left to JSON.parse (-2 marks it).
    const value = b[v] === QUOTE && stringEscaped ? -2 : v;
    switch (keyEnd - keyStart) {
      case 2:
        if (named(b, keyStart, keyEnd, "ts")) {
          at.ts = value;
          at.tsEnd = i;
        }
        break;
      case 3:
        if (named(b, keyStart, keyEnd, "seq")) {
          at.seq = v;
          at.seqEnd = i;
        } else if (named(b, keyStart, keyEnd, "dir")) {
          at.dir = value;
          at.dirEnd = i;
        }
        break;
      case 4:
        if (named(b, keyStart, keyEnd, "kind")) {
          at.kind = value;
          at.kindEnd = i;
        } else if (named(b, keyStart, keyEnd, "tool")) {
          at.tool = value;
          at.toolEnd = i;
        }
        break;
      case 6:
        if (named(b, keyStart, keyEnd, "method")) {
          at.method = value;
          at.methodEnd = i;
        }
        break;
      case 7:
        if (named(b, keyStart, keyEnd, "session")) {
          at.session = value;
          at.sessionEnd = i;
        } else if (named(b, keyStart, keyEnd, "classes")) {
          at.classes = v;
          at.classesEnd = i;
        } else if (named(b, keyStart, keyEnd, "isError")) {
          at.isError = b[v] === 0x74 ? 1 : -1;
        }
        break;
      case 8:
        if (named(b, keyStart, keyEnd, "entities")) {
          at.entities = v;
          at.entitiesEnd = i;
        }
        break;
      case 9:
        if (named(b, keyStart, keyEnd, "errorType")) {
          at.errorType = value;
          at.errorTypeEnd = i;
        }
        break;
      case 10:
        if (named(b, keyStart, keyEnd, "durationMs")) {
          at.durationMs = v;
          at.durationMsEnd = i;
        }
        break;
    }
    i = skipSpace(b, i, end);
    if (i >= end) return false;
    if (b[i] === 0x2c) {
      i = skipSpace(b, i + 1, end);
      continue;
    }
    if (b[i] !== 0x7d) return false;
    break;
  }
  return skipSpace(b, i + 1, end) === end;
}

/** The writer's time, `2026-12-02T19:17:34.653Z`, as `dateTimeText` cuts it. */
function writerTime(b: Uint8Array, s: number, e: number): boolean {
  // Inside the quotes: YYYY-MM-DDThh:mm:ss[.f+]Z
  const from = s + 1;
  const to = e - 1;
  if (to - from < 20) return false;
  for (let k = 0; k < 19; k++) {
    const c = b[from + k];
    const want = k === 4 || k === 7
      ? 0x2d
      : k === 10
      ? 0x54
      : k === 13 || k === 16
      ? 0x3a
      : -1;
    if (want === -1 ? !isDigit(c) : c !== want) return false;
  }
  if (b[to - 1] !== 0x5a) return false;
  if (to - from === 20) return true;
  if (b[from + 19] !== 0x2e || to - from < 22) return false;
  for (let k = from + 20; k < to - 1; k++) if (!isDigit(b[k])) return false;
  return true;
}

const EPOCH = new TextEncoder().encode("1970-01-01 00:00:00");
const TOOL_ERROR = new TextEncoder().encode("tool_error");

/**
 * Whether the JSON number `b[s, e)` prints as itself in JavaScript: plain
 * decimal, at most 15 characters (so it round-trips), no sign, no needless
 * zero, and small numbers not in exponent form.
 */
function printsAsItself(b: Uint8Array, s: number, e: number): boolean {
  if (e - s > 15) return false;
  let dot = -1;
  for (let k = s; k < e; k++) {
    const c = b[k];
    if (c === 0x2e) dot = k;
    else if (!isDigit(c)) return false;
  }
  if (dot < 0) return true;
  if (b[e - 1] === 0x30) return false;
  if (dot === s + 1 && b[s] === 0x30) {
    let zeros = 0;
    while (b[dot + 1 + zeros] === 0x30) zeros++;
    return zeros <= 5;
  }
  return true;
}

/**
 * Writes a row into an output buffer: the caller makes sure `out` has room
 * for {@linkcode rowBound} bytes.
 */
class RowWriter {
  out: Uint8Array = new Uint8Array(0);
  p = 0;

  copy(b: Uint8Array, s: number, e: number): void {
    if (e - s < 32) {
      const out = this.out;
      let p = this.p;
      for (let k = s; k < e; k++) out[p++] = b[k];
      this.p = p;
    } else {
      // A whole array (the file column) goes without a view made of it.
      this.out.set(s === 0 && e === b.length ? b : b.subarray(s, e), this.p);
      this.p += e - s;
    }
  }

  byte(c: number): void {
    this.out[this.p++] = c;
  }

  /** A plain string's content (inside its quotes at `s` and `e - 1`), or nothing. */
  text(b: Uint8Array, s: number, e: number): void {
    if (s >= 0 && b[s] === QUOTE) this.copy(b, s + 1, e - 1);
  }

  /** The text of a number, as JavaScript prints it. */
  number(b: Uint8Array, s: number, e: number): void {
    if (printsAsItself(b, s, e)) {
      this.copy(b, s, e);
      return;
    }
    const text = String(Number(String.fromCharCode(...b.subarray(s, e))));
    for (let k = 0; k < text.length; k++) this.byte(text.charCodeAt(k));
  }

  /** A plain string's content as an element of a TabSeparated array: `'` escaped. */
  element(b: Uint8Array, s: number, e: number): void {
    const out = this.out;
    let p = this.p;
    for (let k = s; k < e; k++) {
      const c = b[k];
      if (c === APOSTROPHE) out[p++] = BACKSLASH;
      out[p++] = c;
    }
    this.p = p;
  }

  /** The line, as a TabSeparated field: backslash and tab escaped. */
  line(b: Uint8Array, s: number, e: number, escape: boolean): void {
    if (!escape) {
      this.copy(b, s, e);
      return;
    }
    const out = this.out;
    let p = this.p;
    for (let k = s; k < e; k++) {
      const c = b[k];
      if (c === BACKSLASH) {
        out[p++] = BACKSLASH;
        out[p++] = BACKSLASH;
      } else if (c === TAB) {
        out[p++] = BACKSLASH;
        out[p++] = 0x74;
      } else out[p++] = c;
    }
    this.p = p;
  }
}

const writer = new RowWriter();

/**
 * Finds the members `names` of the object at `b[s]` (a value already
 * checked): for each, the start of its last value (-1 when absent, -2 when a
 * string with an escape) in `found`, and its end in `found[k + names.length]`.
 * False when a member name has an escape (it may spell one of `names`).
 */
function objectMembers(
  b: Uint8Array,
  s: number,
  end: number,
  names: readonly string[],
  found: number[],
): boolean {
  for (let k = 0; k < names.length; k++) found[k] = -1;
  let i = skipSpace(b, s + 1, end);
  if (b[i] === 0x7d) return true;
  for (;;) {
    const keyStart = i + 1;
    i = skipString(b, i, end);
    if (stringEscaped) return false;
    const keyEnd = i - 1;
    i = skipSpace(b, i, end);
    const v = skipSpace(b, i + 1, end);
    i = skipValue(b, v, end, 1);
    for (let k = 0; k < names.length; k++) {
      if (named(b, keyStart, keyEnd, names[k])) {
        found[k] = b[v] === QUOTE && stringEscaped ? -2 : v;
        found[k + names.length] = i;
      }
    }
    i = skipSpace(b, i, end);
    if (b[i] === 0x7d) return true;
    i = skipSpace(b, i + 1, end); // the comma
  }
}

const LABEL = ["label"] as const;
const ENTITY = ["type", "value"] as const;
const found: number[] = [-1, -1, -1, -1];

/**
 * Writes the TabSeparated array of `classes` (each one's `label`) or
 * `entities` (each one's `type:value`) from the array at `b[s]`; false for
 * a needed string with an escape.
 */
function writeArray(
  b: Uint8Array,
  s: number,
  end: number,
  names: readonly string[],
): boolean {
  if (s < 0 || b[s] !== 0x5b) {
    writer.byte(0x5b);
    writer.byte(0x5d);
    return true;
  }
  writer.byte(0x5b);
  let i = skipSpace(b, s + 1, end);
  let first = true;
  while (b[i] !== 0x5d) {
    if (!first) writer.byte(0x2c);
    first = false;
    writer.byte(APOSTROPHE);
    const v = i;
    i = skipValue(b, v, end, 1);
    if (b[v] === 0x7b) {
      if (!objectMembers(b, v, end, names, found)) return false;
      for (let k = 0; k < names.length; k++) {
        const at = found[k];
        if (at === -2) return false;
        if (k > 0) writer.byte(0x3a);
        if (at >= 0 && b[at] === QUOTE) {
          writer.element(b, at + 1, found[k + names.length] - 1);
        }
      }
    } else if (names.length === 2) writer.byte(0x3a);
    writer.byte(APOSTROPHE);
    i = skipSpace(b, i, end);
    if (b[i] === 0x2c) i = skipSpace(b, i + 1, end);
  }
  writer.byte(0x5d);
  return true;
}

/** The most bytes {@linkcode writeEventRowFast} writes for a line of `length` bytes, besides `tail`. */
export function rowBound(length: number): number {
  return 6 * length + 256;
}

/**
 * Writes the TabSeparated row of the line `b[start, end)` into `out` at
 * `p` (which has room for {@linkcode rowBound} plus `origin` and `tail`
 * bytes) and returns the end of what it wrote; or -1, having written
 * nothing that counts, when the line is not a plain case (see the module's
 * doc): build that row from the parsed line instead.
 *
 * `origin` is the TabSeparated `host\tuser` and `file` the file column, as
 * bytes; `lineNo` the line's number.
 */
export function writeEventRowFast(
  b: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  p: number,
  origin: Uint8Array,
  file: Uint8Array,
  lineNo: number,
): number {
  if (!readMembers(b, start, end)) return -1;
  // Not an event (JSON.parse decides that it is skipped), or left to it.
  if (!isPlainString(b, at.session, false) || at.seq < 0) return -1;
  const s = b[at.seq];
  if (s !== 0x2d && !isDigit(s)) return -1;
  if (at.session === -2 || at.kind === -2 || at.dir === -2) return -1;
  if (at.method === -2 || at.tool === -2 || at.errorType === -2) return -1;
  if (at.kind >= 0 && b[at.kind] === QUOTE) {
    if (named(b, at.kind + 1, at.kindEnd - 1, "error")) return -1;
    if (named(b, at.kind + 1, at.kindEnd - 1, "checkpoint")) return -1;
  }
  let ts = false;
  if (at.ts === -2) return -1;
  if (at.ts >= 0 && b[at.ts] === QUOTE) {
    if (!writerTime(b, at.ts, at.tsEnd)) return -1;
    ts = true;
  }
  const w = writer;
  w.out = out;
  w.p = p;
  w.text(b, at.session, at.sessionEnd);
  w.byte(TAB);
  w.number(b, at.seq, at.seqEnd);
  w.byte(TAB);
  if (ts) {
    w.copy(b, at.ts + 1, at.ts + 11);
    w.byte(0x20);
    w.copy(b, at.ts + 12, at.ts + 20);
  } else w.copy(EPOCH, 0, EPOCH.length);
  w.byte(TAB);
  w.text(b, at.kind, at.kindEnd);
  w.byte(TAB);
  w.text(b, at.dir, at.dirEnd);
  w.byte(TAB);
  w.text(b, at.method, at.methodEnd);
  w.byte(TAB);
  w.text(b, at.tool, at.toolEnd);
  w.byte(TAB);
  if (!writeArray(b, at.classes, at.classesEnd, LABEL)) return -1;
  w.byte(TAB);
  if (!writeArray(b, at.entities, at.entitiesEnd, ENTITY)) return -1;
  w.byte(TAB);
  if (at.errorType >= 0 && b[at.errorType] === QUOTE) {
    w.text(b, at.errorType, at.errorTypeEnd);
  } else if (at.isError === 1) w.copy(TOOL_ERROR, 0, TOOL_ERROR.length);
  w.byte(TAB);
  const d = at.durationMs >= 0 ? b[at.durationMs] : -1;
  if (d === 0x2d || isDigit(d)) w.number(b, at.durationMs, at.durationMsEnd);
  else w.byte(0x30);
  w.byte(TAB);
  w.copy(origin, 0, origin.length);
  w.byte(TAB);
  w.line(b, start, end, lineNeedsEscape);
  w.byte(TAB);
  w.copy(file, 0, file.length);
  w.byte(TAB);
  const n = String(lineNo);
  for (let k = 0; k < n.length; k++) w.byte(n.charCodeAt(k));
  w.byte(0x0a);
  const written = w.p;
  w.out = EMPTY;
  return written;
}

const EMPTY = new Uint8Array(0);
