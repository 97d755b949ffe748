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

  /** Calls `onEvent` for every event; throws {@linkcode SseEventTooLargeError} past `maxEventBytes`. */
  constructor(
    onEvent: (event: SseEvent) => void,
    options: { maxEventBytes?: number; where?: string } = {},
  ) {
    this.#onEvent = onEvent;
    this.#maxEventBytes = options.maxEventBytes ?? 16 * 1024 * 1024;
    this.#where = options.where ?? "the server";
  }

  /** Parses a chunk. */
  push(chunk: Uint8Array): void {
    this.#size += chunk.length;
    const text = this.#decoder.decode(chunk, { stream: true });
    let start = 0;
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
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.#cr = text.charCodeAt(text.length - 1) === 13;
    if (start < text.length) this.#line += text.slice(start);
    if (this.#size > this.#maxEventBytes) {
      throw new SseEventTooLargeError(this.#maxEventBytes, this.#where);
    }
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
    else if (field === "id" && !value.includes("\0")) this.#id = value;
  }
}
