/**
 * A raw Streamable HTTP client for the tests that need to see the wire:
 * it POSTs JSON-RPC messages, opens GET streams with `Last-Event-ID`, and
 * reads SSE events one at a time, so a test can drop a stream between two
 * events.
 *
 * @module
 */
import { type SseEvent, SseParser } from "../../lib/http/sse_parser.ts";

/** The events of one SSE response, read one at a time. */
export class SseReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #queue: SseEvent[] = [];
  #parser = new SseParser((event) => this.#queue.push(event));

  /** Reads the body of `response`. */
  constructor(response: Response) {
    if (!response.body) throw new Error(`no body (${response.status})`);
    this.#reader = response.body.getReader();
  }

  /** The next event, or undefined at the end of the stream. */
  async next(): Promise<SseEvent | undefined> {
    while (this.#queue.length === 0) {
      const chunk = await this.#reader.read();
      if (chunk.done) return undefined;
      this.#parser.push(chunk.value);
    }
    return this.#queue.shift();
  }

  /** The next event that carries a message (not a primer with empty data). */
  async nextMessage(): Promise<SseEvent | undefined> {
    for (;;) {
      const event = await this.next();
      if (!event || event.data !== "") return event;
    }
  }

  /** Drops the stream, as a client whose connection broke. */
  async drop(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

/** A 2025-era session over raw HTTP: initialize, then requests. */
export class RawSession {
  readonly url: string;
  sessionId: string | undefined;
  #nextId = 1;

  /** A session with the endpoint at `url` (not yet initialized). */
  constructor(url: string) {
    this.url = url;
  }

  /** The headers every request carries. */
  headers(extra: Record<string, string> = {}): Headers {
    const headers = new Headers({
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
      ...extra,
    });
    if (this.sessionId) headers.set("mcp-session-id", this.sessionId);
    return headers;
  }

  /** POSTs one message; returns the raw response. */
  post(message: Record<string, unknown>): Promise<Response> {
    return fetch(this.url, {
      method: "POST",
      headers: this.headers(),
      body: JSON.stringify({ jsonrpc: "2.0", ...message }),
    });
  }

  /** A new request id. */
  id(): number {
    return this.#nextId++;
  }

  /** Sends initialize and notifications/initialized. */
  async initialize(capabilities: Record<string, unknown> = {}): Promise<void> {
    const res = await this.post({
      id: this.id(),
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities,
        clientInfo: { name: "raw-client", version: "1.0.0" },
      },
    });
    this.sessionId = res.headers.get("mcp-session-id") ?? undefined;
    await res.body?.cancel();
    if (!res.ok) throw new Error(`initialize: ${res.status}`);
    const done = await this.post({ method: "notifications/initialized" });
    await done.body?.cancel();
  }

  /** Opens the GET stream, resuming after `lastEventId` when given. */
  get(lastEventId?: string): Promise<Response> {
    return fetch(this.url, {
      method: "GET",
      headers: this.headers({
        accept: "text/event-stream",
        ...(lastEventId && { "last-event-id": lastEventId }),
      }),
    });
  }

  /** Ends the session with DELETE. */
  async delete(): Promise<number> {
    const res = await fetch(this.url, {
      method: "DELETE",
      headers: this.headers(),
    });
    await res.body?.cancel();
    return res.status;
  }
}
