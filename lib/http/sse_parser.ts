/**
 * Server-sent events, parsed as they arrive (the WHATWG event-stream
 * format: `data:`, `event:`, `id:` and `retry:` lines, an event ended by a
 * blank line, lines ended by CRLF, LF or CR). The proxy relays the bytes
 * themselves unchanged; the parser only reads a copy, to audit each
 * event's data as one JSON-RPC message.
 *
 * @module
 */

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The event type (`message` when none was given). */
  event: string;
  /** The data lines, joined by LF. */
  data: string;
  /** The `id:` field of this event, when it had one. */
  id?: string;
}

/** An event grew past the limit before its blank line. */
export class SseEventTooLargeError extends Error {
  /** The limit, in bytes. */
  readonly limit: number;
  /** Makes the error for a stream from `where`. */
  constructor(limit: number, where: string) {
    super(
      `an SSE event from ${where} is larger than ${limit} bytes; raise --max-event-bytes if such events are expected`,
    );
    this.name = "SseEventTooLargeError";
    this.limit = limit;
  }
}

/**
 * An incremental event-stream parser: push chunks, get events.
 *
 * @example
 * ```ts
 * import { SseParser } from "./sse_parser.ts";
 * import assert from "node:assert/strict";
 *
 * const events: string[] = [];
 * const parser = new SseParser((e) => events.push(`${e.event}:${e.data}`));
 * const bytes = new TextEncoder().encode("event: endpoint\ndata: /message?a=1\n\ndata: {\"x\"\r\ndata: :1}\n\n");
 * parser.push(bytes.subarray(0, 7));
 * parser.push(bytes.subarray(7));
 * assert.deepEqual(events, ["endpoint:/message?a=1", 'message:{"x"\n:1}']);
 * ```
 */
export class SseParser {
  #onEvent: (event: SseEvent) => void;
  #decoder = new TextDecoder();
  #line = "";
  #cr = false;
  #data: string[] = [];
  #event = "";
  #id: string | undefined;
  #size = 0;
  #maxEventBytes: number;
  #where: string;
  #cut = -1;
  #retry: number | undefined;
  // An `id:` line seen since the last blank line (an event in progress).
  #pendingId = false;

  /** Calls `onEvent` for every event; throws {@linkcode SseEventTooLargeError} past `maxEventBytes`. */
  constructor(
    onEvent: (event: SseEvent) => void,
    options: { maxEventBytes?: number; where?: string } = {},
  ) {
    this.#onEvent = onEvent;
    this.#maxEventBytes = options.maxEventBytes ?? 16 * 1024 * 1024;
    this.#where = options.where ?? "the server";
  }

  /**
   * How many bytes of the last chunk pushed end at a point between events
   * (after an event's blank line, or a comment or blank line outside any
   * event), or -1 when no such point fell in it. The reverse proxy
   * forwards a chunk up to there and holds the rest, so what the client has
   * is always whole events: when an event then proves too large, the
   * proxy can still give the client a well-formed event in its place.
   *
   * @example
   * ```ts
   * import { SseParser } from "./sse_parser.ts";
   * import assert from "node:assert/strict";
   *
   * const parser = new SseParser(() => {});
   * parser.push(new TextEncoder().encode("data: 1\r\n\r\ndata: 2"));
   * assert.equal(parser.cut, 11);
   * parser.push(new TextEncoder().encode("2\n"));
   * assert.equal(parser.cut, -1);
   * parser.push(new TextEncoder().encode("\n: keep-alive\n"));
   * assert.equal(parser.cut, 14);
   * ```
   */
  get cut(): number {
    return this.#cut;
  }

  /**
   * The reconnection time the stream set with its last `retry:` field, in
   * milliseconds (a client that resumes the stream waits that long first).
   *
   * @example
   * ```ts
   * import { SseParser } from "./sse_parser.ts";
   * import assert from "node:assert/strict";
   *
   * const parser = new SseParser(() => {});
   * assert.equal(parser.retry, undefined);
   * parser.push(new TextEncoder().encode("id: 1\nretry: 200\ndata:\n\n"));
   * assert.equal(parser.retry, 200);
   * ```
   */
  get retry(): number | undefined {
    return this.#retry;
  }

  /** Parses a chunk. */
  push(chunk: Uint8Array): void {
    this.#size += chunk.length;
    const split = this.#cr;
    // The LF of a CRLF split off the chunk before, when that one ended
    // between events: it may go at once.
    const lead = split && chunk[0] === 10 && this.#idle();
    const text = this.#decoder.decode(chunk, { stream: true });
    let start = 0;
    let ends = 0;
    let settled = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (i === 0 && c === 10 && this.#cr) {
        // The LF of a CRLF split across two chunks.
        start = 1;
        continue;
      }
      this.#lineEnd(this.#line + text.slice(start, i));
      this.#line = "";
      ends++;
      if (this.#idle()) settled = ends;
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.#cr = text.charCodeAt(text.length - 1) === 13;
    if (start < text.length) this.#line += text.slice(start);
    this.#cut = settled > 0
      ? byteAfterLineEnd(chunk, settled, split)
      : lead
      ? 1
      : -1;
    if (this.#size > this.#maxEventBytes) {
      throw new SseEventTooLargeError(this.#maxEventBytes, this.#where);
    }
  }

  /** No event in progress (a line end here is a point between events). */
  #idle(): boolean {
    return this.#data.length === 0 && this.#event === "" && !this.#pendingId;
  }

  #lineEnd(line: string): void {
    if (line === "") {
      if (this.#data.length > 0) {
        const event: SseEvent = {
          event: this.#event || "message",
          data: this.#data.join("\n"),
        };
        if (this.#id !== undefined) event.id = this.#id;
        this.#onEvent(event);
      }
      this.#data = [];
      this.#event = "";
      this.#id = undefined;
      this.#pendingId = false;
      this.#size = 0;
      return;
    }
    if (line.charCodeAt(0) === 58) return; // a comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.#retry = +value;
    else if (field === "id" && !value.includes("\0")) {
      this.#id = value;
      this.#pendingId = true;
    }
  }
}

/**
 * The offset just after the `n`th line end of `chunk` (CR, LF or CRLF,
 * counted as the parser counts them: a LF first in the chunk after a CR
 * last in the one before ends no line). Line ends are ASCII bytes, never
 * part of a UTF-8 sequence, so the parser's count in the decoded text is
 * the count in the bytes.
 */
function byteAfterLineEnd(
  chunk: Uint8Array,
  n: number,
  split: boolean,
): number {
  let seen = 0;
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i];
    if (b !== 10 && b !== 13) continue;
    if (i === 0 && b === 10 && split) continue;
    if (b === 13 && chunk[i + 1] === 10) i++;
    if (++seen === n) return i + 1;
  }
  return chunk.length;
}
