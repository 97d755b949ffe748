/**
 * The report's input stage: reads JSONL audit logs line by line (streamed, so
 * a large log is never one string), parses each line, validates it loosely and
 * records every line it had to skip, so a damaged log still gives a report.
 *
 * @module
 */
import { LineSplitter } from "../wire/line_splitter.ts";

/**
 * One event as read from a log. Validation is deliberately loose: the fields
 * every event has are checked, the rest is kept as written (unknown kinds
 * included) so a newer log still renders.
 */
export interface LogEvent {
  /** Schema version. */
  v: number;
  /** Sequence number in the session. */
  seq: number;
  /** Event kind: `request`, `response`, `session_end`, ... or a newer kind. */
  kind: string;
  /** Session id. */
  session: string;
  /** ISO 8601 time, when present. */
  ts?: string;
  /** Every other field of the event, as written. */
  [field: string]: unknown;
}

/** A line that could not be used, and why. */
export interface SkippedLine {
  /** The log file the line came from. */
  path: string;
  /** 1-based line number. */
  line: number;
  /** Why it was skipped, e.g. `truncated last line` or `invalid JSON`. */
  reason: string;
}

/** What {@linkcode readLog} and {@linkcode readLogs} return. */
export interface ReadLogResult {
  /** The events, in the order they were read. */
  events: LogEvent[];
  /** The lines that were skipped. */
  skipped: SkippedLine[];
}

/**
 * A log file that could not be read at all (missing, a directory, no
 * permission). Damaged lines are not errors: they are listed in `skipped`.
 *
 * @example Catching an unreadable log
 * ```ts
 * import { LogReadError, readLog } from "./log_reader.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(() => readLog("/no/such/log.jsonl"), LogReadError);
 * ```
 */
export class LogReadError extends Error {
  /** The path that could not be read. */
  readonly path: string;

  /**
   * Creates the error for the log at `path`.
   *
   * @param path The log file.
   * @param message What failed and how to fix it.
   * @param options The underlying error as `cause`.
   */
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LogReadError";
    this.path = path;
  }
}
/**
 * A file given as a log holds no audit event (an empty file, or not a log
 * at all, such as a README). A {@linkcode LogReadError}, so callers that
 * handle unreadable logs handle this too; no command reports on such a
 * file as if it had checked something.
 *
 * @example
 * ```ts
 * import { LogReadError, NoAuditEventsError } from "./log_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new NoAuditEventsError("README.md", 12);
 * assert.ok(error instanceof LogReadError);
 * assert.match(error.message, /^no audit events in "README\.md"/);
 * ```
 */
export class NoAuditEventsError extends LogReadError {
  /**
   * Creates the error for the file at `path`.
   *
   * @param path The file that holds no audit event.
   * @param lines Lines the file has, when counted.
   */
  constructor(path: string, lines?: number) {
    super(
      path,
      `no audit events in "${path}": ${
        lines === undefined
          ? "no line of it is an audit event"
          : lines === 0
          ? "the file is empty"
          : lines === 1
          ? "its one line is not an audit event"
          : `none of its ${lines} lines is an audit event`
      }. Pass a JSONL log written by "mcp-audit proxy".`,
    );
    this.name = "NoAuditEventsError";
  }
}

/**
 * Whether the file at `path` holds at least one audit event: a line that
 * is a JSON object with a string `kind` and `session`. Reads only as far as
 * the first one (the first line of any log the proxy wrote), so it costs
 * nothing on a real log and tells a README or an empty file from one.
 * Throws {@linkcode LogReadError} when the file cannot be read.
 *
 * @example
 * ```ts
 * import { hasAuditEvent } from "./log_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "# Not a log\n\nJust text.\n");
 * assert.equal(await hasAuditEvent(path), false);
 * await Deno.writeTextFile(path, '{"v":1,"seq":0,"kind":"session_start","session":"s"}\n');
 * assert.equal(await hasAuditEvent(path), true);
 * await Deno.remove(path);
 * ```
 */
export async function hasAuditEvent(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new LogReadError(path, openFailure(path, error), { cause: error });
  }
  let found = false;
  const decoder = new TextDecoder();
  const splitter = new LineSplitter((frame) => {
    if (found) return;
    try {
      const value = JSON.parse(decoder.decode(frame.bytes));
      found = typeof value === "object" && value !== null &&
        typeof value.kind === "string" && typeof value.session === "string";
    } catch {
      // Not JSON: not an event; the next line may be.
    }
  });
  try {
    const block = new Uint8Array(64 * 1024);
    while (!found) {
      const n = await file.read(block).catch((error) => {
        throw readFailure(path, 0, error);
      });
      if (n === null) break;
      splitter.push(block.subarray(0, n));
    }
    if (!found) splitter.end();
    return found;
  } finally {
    file.close();
  }
}

/** The reason given for a damaged final line without a newline (a crash mid-write). */
export const TRUNCATED_LAST_LINE = "truncated last line";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads one JSONL audit log. Lines that are not JSON, not an object, or miss
 * one of `v`, `seq`, `kind`, `session` are skipped and listed; a final line
 * without a newline that does not parse is reported as `truncated last line`.
 *
 * @param path The log file.
 * @returns The events and the skipped lines.
 * @throws {LogReadError} When the file cannot be opened or read.
 *
 * @example Reading a log whose last line was cut short
 * ```ts
 * import { readLog } from "./log_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(
 *   path,
 *   '{"v":1,"seq":0,"kind":"stderr","session":"s","ts":"t","text":"hi"}\n{"v":1,"se',
 * );
 * const { events, skipped } = await readLog(path);
 * assert.equal(events.length, 1);
 * assert.deepEqual(skipped, [{ path, line: 2, reason: "truncated last line" }]);
 * await Deno.remove(path);
 * ```
 */
export async function readLog(path: string): Promise<ReadLogResult> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new LogReadError(path, openFailure(path, error), { cause: error });
  }
  const events: LogEvent[] = [];
  const skipped: SkippedLine[] = [];
  // A CR before the LF is kept as written; JSON.parse takes it as whitespace.
  const splitter = LineSplitter.ofRanges(
    function takeLine(buf, start, end, line, terminated): void {
      const reason = parseLine(buf.subarray(start, end), events);
      if (reason === undefined) return;
      // A crash mid-write leaves a final line without its newline: expected.
      const cut = !terminated &&
        (reason === "invalid JSON" || reason === "invalid UTF-8");
      skipped.push({ path, line, reason: cut ? TRUNCATED_LAST_LINE : reason });
    },
    { keepCr: true },
  );
  try {
    // The handler never waits: each chunk is split in full before the next.
    for await (const chunk of file.readable) splitter.push(chunk);
  } catch (error) {
    if (error instanceof Deno.errors.IsADirectory) {
      throw new LogReadError(path, openFailure(path, error), { cause: error });
    }
    throw readFailure(path, splitter.lines, error);
  }
  splitter.end();
  // Blank lines are harmless; they are not worth a reviewer's attention.
  return { events, skipped: skipped.filter((s) => s.reason !== "empty") };
}

/**
 * Reads several logs in order and concatenates their events and skipped
 * lines; the report separates sessions by their session id.
 *
 * @param paths The log files.
 * @returns All events and all skipped lines.
 * @throws {LogReadError} When a file cannot be opened or read.
 *
 * @example Merging two logs
 * ```ts
 * import { readLogs } from "./log_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const a = await Deno.makeTempFile();
 * const b = await Deno.makeTempFile();
 * await Deno.writeTextFile(a, '{"v":1,"seq":0,"kind":"x","session":"a"}\n');
 * await Deno.writeTextFile(b, '{"v":1,"seq":0,"kind":"x","session":"b"}\nnot json\n');
 * const { events, skipped } = await readLogs([a, b]);
 * assert.deepEqual(events.map((e) => e.session), ["a", "b"]);
 * assert.deepEqual(skipped, [{ path: b, line: 2, reason: "invalid JSON" }]);
 * await Deno.remove(a);
 * await Deno.remove(b);
 * ```
 */
export async function readLogs(paths: string[]): Promise<ReadLogResult> {
  const events: LogEvent[] = [];
  const skipped: SkippedLine[] = [];
  for (const path of paths) {
    const result = await readLog(path);
    for (const event of result.events) events.push(event);
    skipped.push(...result.skipped);
  }
  return { events, skipped };
}

/** Parses one line into `events`; returns why it was skipped, if it was. */
function parseLine(bytes: Uint8Array, events: LogEvent[]): string | undefined {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return "invalid UTF-8";
  }
  if (text.trim() === "") return "empty";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the line itself; the reason stays generic.
    return "invalid JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "not a JSON object";
  }
  const record = value as Record<string, unknown>;
  const wrong = typeof record.v !== "number"
    ? "v"
    : typeof record.seq !== "number"
    ? "seq"
    : typeof record.kind !== "string"
    ? "kind"
    : typeof record.session !== "string"
    ? "session"
    : undefined;
  if (wrong) return `missing or invalid field "${wrong}"`;
  events.push(record as LogEvent);
  return undefined;
}

/**
 * The error for a log that failed while being read, after line `lineNo`.
 *
 * @example
 * ```ts
 * import { readFailure } from "./log_reader.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(readFailure("a.jsonl", 7, new Error("EIO")).message, /after line 7: EIO/);
 * ```
 */
export function readFailure(
  path: string,
  lineNo: number,
  error: unknown,
): LogReadError {
  return new LogReadError(
    path,
    `Cannot read audit log "${path}" after line ${lineNo}: ${
      error instanceof Error ? error.message : String(error)
    }. Check that the file is readable and not being replaced.`,
    { cause: error },
  );
}

/** The sentence for a log that cannot be opened: what failed and what to do. */
export function openFailure(path: string, error: unknown): string {
  if (error instanceof Deno.errors.NotFound) {
    return `Cannot read audit log "${path}": no such file. Check the path, or run the proxy with --log to write one.`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `Cannot read audit log "${path}": permission denied. Grant read access (--allow-read) or fix the file's permissions.`;
  }
  if (error instanceof Deno.errors.IsADirectory) {
    return `Cannot read audit log "${path}": it is a directory. Pass the .jsonl log file inside it.`;
  }
  return `Cannot read audit log "${path}": ${
    error instanceof Error ? error.message : String(error)
  }. Check that the path names a readable JSONL log.`;
}
