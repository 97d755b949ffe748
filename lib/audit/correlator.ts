/**
 * Stage 3: JSON-RPC messages -> audit events. Pairs every request with its
 * response per direction (the same id may be live both ways at once), times
 * each call, follows `notifications/cancelled`, picks up the handshake from
 * `initialize`, `server/discover` or request `_meta`, and records W3C trace
 * context. Its sequence numbers are provisional: the audit sink numbers
 * events in the order they enter the log.
 *
 * @module
 */
import type { Frame } from "../wire/line_splitter.ts";
import { sha256Hex } from "../wire/payload.ts";
import type { JsonRpcMessage, ParsedFrame } from "../wire/jsonrpc.ts";
import { isRawNumber, numberKey, numberText } from "../wire/raw_number.ts";
import type {
  AuditEvent,
  Direction,
  ErrorResponseEvent,
  HandshakeEvent,
  InvalidEvent,
  JsonRpcId,
  NotificationEvent,
  PeerInfo,
  Pending,
  RequestEvent,
  ResponseEvent,
  TraceContext,
} from "./event.ts";
import { SCHEMA_VERSION } from "./schema_version.ts";

/**
 * The frame an event came from, kept beside the event (not serialised) so
 * later stages can hash or measure the exact wire bytes.
 */
export const FRAME: unique symbol = Symbol("frame");

/**
 * The request a reply answers, kept beside the reply (not serialised) so
 * later stages (the plugin pipeline) take what they need of the request
 * from the one pairing there is, this one.
 */
export const REQUEST: unique symbol = Symbol("request");

/** An event as it leaves the correlator, with its frame (and, on a reply, its request) attached. */
export type CorrelatedEvent = AuditEvent & {
  [FRAME]?: Frame;
  [REQUEST]?: RequestEvent;
};

interface Live {
  /** The request event: its `seq` is read when needed, as the sink may renumber it. */
  event: RequestEvent;
  start: number;
  method: string;
  tool?: string;
  cancelled: boolean;
}

/** What the correlator has learnt of the handshake. */
export interface HandshakeInfo {
  protocolVersion?: string;
  client?: PeerInfo;
  server?: PeerInfo;
}

/** Options for {@linkcode Correlator}. */
export interface CorrelatorOptions {
  /** Session id written into every event. */
  session: string;
  /** Clock in milliseconds for durations. @default {performance.now} */
  now?: () => number;
}

/** Unanswered requests remembered per direction; older ones are forgotten past this. */
const MAX_LIVE = 100_000;

const META_VERSION = "io.modelcontextprotocol/protocolVersion";
const META_CLIENT = "io.modelcontextprotocol/clientInfo";

/**
 * Turns parsed frames into audit events.
 *
 * @example Pairing a request with its response
 * ```ts
 * import { Correlator } from "./correlator.ts";
 * import { parseFrame } from "../wire/jsonrpc.ts";
 * import assert from "node:assert/strict";
 *
 * const c = new Correlator({ session: "s1" });
 * const frame = (s: string) => {
 *   const bytes = new TextEncoder().encode(s);
 *   return { bytes, length: bytes.length };
 * };
 * const req = frame('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}');
 * const res = frame('{"jsonrpc":"2.0","id":7,"result":{"content":[]}}');
 * const [request] = c.frame("c2s", req, parseFrame(req));
 * const [response] = c.frame("s2c", res, parseFrame(res));
 * assert.equal(response.kind, "response");
 * assert.equal(response.kind === "response" && response.requestSeq, request.seq);
 * ```
 */
export class Correlator {
  #session: string;
  #now: () => number;
  #seq: number;
  /** Requests awaiting an answer, keyed by the direction they were sent in. */
  #live: Record<Direction, Map<string, Live>> = {
    c2s: new Map(),
    s2c: new Map(),
  };
  #handshake: HandshakeInfo = {};
  #initializeClient?: PeerInfo;
  #initializeVersion?: string;
  #sawMeta = false;
  #lastMs = -1;
  #lastIso = "";

  /** Creates a correlator for one session. */
  constructor(options: CorrelatorOptions) {
    this.#session = options.session;
    this.#now = options.now ?? (() => performance.now());
    this.#seq = 0;
  }

  /** The handshake as learnt so far. */
  get handshake(): HandshakeInfo {
    return { ...this.#handshake };
  }

  /** The common fields of a new event, taking the next sequence number. */
  base(): {
    v: typeof SCHEMA_VERSION;
    seq: number;
    ts: string;
    session: string;
  } {
    const now = Date.now();
    if (now !== this.#lastMs) {
      // One Date per millisecond, not per event.
      this.#lastMs = now;
      this.#lastIso = new Date(now).toISOString();
    }
    return {
      v: SCHEMA_VERSION,
      seq: this.#seq++,
      ts: this.#lastIso,
      session: this.#session,
    };
  }

  /** Turns one parsed frame into events (none for a blank line). */
  frame(dir: Direction, frame: Frame, parsed: ParsedFrame): CorrelatedEvent[] {
    if (parsed.type === "blank") return [];
    if (parsed.type === "invalid") {
      return [this.#invalid(dir, frame, parsed.reason, parsed.excerpt)];
    }
    const out: CorrelatedEvent[] = [];
    const size = parsed.messages.length + parsed.invalid.length;
    parsed.messages.forEach((message, index) => {
      const events = this.#message(dir, frame, message);
      for (const event of events) {
        if (parsed.batch && "dir" in event && event.kind !== "invalid") {
          (event as RequestEvent).batch = { index, size };
        }
        out.push(event);
      }
    });
    for (const bad of parsed.invalid) {
      out.push(this.#invalid(dir, frame, bad.reason, bad.excerpt));
    }
    return out;
  }

  /** Requests never answered, in the order they were sent. */
  pending(): Pending[] {
    const all: Pending[] = [];
    for (const dir of ["c2s", "s2c"] as const) {
      for (const live of this.#live[dir].values()) {
        const p: Pending = {
          seq: live.event.seq,
          dir,
          id: live.event.id,
          method: live.method,
          cancelled: live.cancelled,
        };
        if (live.tool !== undefined) p.tool = live.tool;
        all.push(p);
      }
    }
    return all.sort((a, b) => a.seq - b.seq);
  }

  #invalid(
    dir: Direction,
    frame: Frame,
    reason: InvalidEvent["reason"],
    excerpt: string,
  ): CorrelatedEvent {
    const event: CorrelatedEvent = {
      ...this.base(),
      kind: "invalid",
      dir,
      bytes: frame.length,
      reason,
      excerpt,
      sha256: frame.oversized?.sha256 ?? sha256Hex(frame.bytes),
      [FRAME]: frame,
    };
    return event;
  }

  #message(dir: Direction, frame: Frame, m: JsonRpcMessage): CorrelatedEvent[] {
    const events = this.#messageEvents(dir, frame, m);
    // Rare: the message had a repeated key, which peers may read differently.
    if (m.duplicateKeys) {
      (events[0] as RequestEvent).duplicateKeys = m.duplicateKeys;
    }
    return events;
  }

  #messageEvents(
    dir: Direction,
    frame: Frame,
    m: JsonRpcMessage,
  ): CorrelatedEvent[] {
    switch (m.type) {
      case "request":
        return this.#request(
          dir,
          frame,
          m.id,
          m.method,
          m.params,
          m.paramsName,
        );
      case "notification":
        return [this.#notification(dir, frame, m.method, m.params)];
      case "response":
      case "error":
        return this.#reply(dir, frame, m);
    }
  }

  #request(
    dir: Direction,
    frame: Frame,
    id: JsonRpcId,
    method: string,
    params: unknown,
    paramsName?: string,
  ): CorrelatedEvent[] {
    const event: RequestEvent & { [FRAME]?: Frame } = {
      ...this.base(),
      kind: "request",
      dir,
      bytes: frame.length,
      id,
      method,
      [FRAME]: frame,
    };
    if (params !== undefined) event.params = params;
    const p = asRecord(params);
    let tool: string | undefined;
    const name = typeof p?.name === "string" ? p.name : paramsName;
    if (method === "tools/call" && name !== undefined) {
      tool = name;
      event.tool = tool;
    }
    const meta = asRecord(p?._meta);
    const trace = traceOf(meta);
    if (trace) event.trace = trace;
    const live: Live = {
      event,
      start: this.#now(),
      method,
      cancelled: false,
    };
    if (tool !== undefined) live.tool = tool;
    const live_ = this.#live[dir];
    live_.set(keyOf(id), live);
    // A peer that never answers must not grow memory without bound.
    if (live_.size > MAX_LIVE) {
      // Forget the oldest half at once: deleting one at a time from the
      // front of a Map rescans its deleted slots every time.
      let drop = MAX_LIVE / 2;
      for (const k of live_.keys()) {
        live_.delete(k);
        if (--drop === 0) break;
      }
    }
    const out: CorrelatedEvent[] = [event];
    if (method === "initialize" && p) {
      const client = peerOf(p.clientInfo);
      if (client) this.#initializeClient = client;
      if (typeof p.protocolVersion === "string") {
        this.#initializeVersion = p.protocolVersion;
      }
    } else if (
      meta && !this.#sawMeta && typeof meta[META_VERSION] === "string"
    ) {
      // The 2026-07-28 revision: no handshake, each request says who it is.
      this.#sawMeta = true;
      const info: HandshakeInfo = {
        protocolVersion: meta[META_VERSION] as string,
      };
      const client = peerOf(meta[META_CLIENT]);
      if (client) info.client = client;
      if (this.#handshake.protocolVersion === undefined) {
        out.push(this.#handshakeEvent("_meta", info));
      }
    }
    return out;
  }

  #notification(
    dir: Direction,
    frame: Frame,
    method: string,
    params: unknown,
  ): CorrelatedEvent {
    const event: NotificationEvent & { [FRAME]?: Frame } = {
      ...this.base(),
      kind: "notification",
      dir,
      bytes: frame.length,
      method,
      [FRAME]: frame,
    };
    if (params !== undefined) event.params = params;
    const p = asRecord(params);
    const trace = traceOf(asRecord(p?._meta));
    if (trace) event.trace = trace;
    if (method === "notifications/cancelled" && p && isIdValue(p.requestId)) {
      // The sender cancels a request it sent itself, so look in its own direction.
      const live = this.#live[dir].get(keyOf(p.requestId as JsonRpcId));
      if (live) {
        live.cancelled = true;
        event.cancelsSeq = live.event.seq;
      }
    }
    return event;
  }

  #reply(
    dir: Direction,
    frame: Frame,
    m: Extract<JsonRpcMessage, { type: "response" | "error" }>,
  ): CorrelatedEvent[] {
    const requestDir: Direction = dir === "c2s" ? "s2c" : "c2s";
    const key = keyOf(m.id);
    const live = this.#live[requestDir].get(key);
    if (live) this.#live[requestDir].delete(key);
    let event: (ResponseEvent | ErrorResponseEvent) & {
      [FRAME]?: Frame;
      [REQUEST]?: RequestEvent;
    };
    if (m.type === "response") {
      event = {
        ...this.base(),
        kind: "response",
        dir,
        bytes: frame.length,
        id: m.id,
        result: m.result,
      };
      const r = asRecord(m.result);
      if (r && typeof r.isError === "boolean") {
        event.isError = r.isError;
        if (r.isError && live?.method === "tools/call") {
          event.errorType = "tool_error";
        }
      }
    } else {
      event = {
        ...this.base(),
        kind: "error",
        dir,
        bytes: frame.length,
        id: m.id,
        error: m.error,
        errorType: numberText(m.error.code),
      };
    }
    event[FRAME] = frame;
    if (live) {
      event.method = live.method;
      event.requestSeq = live.event.seq;
      event.durationMs = round(this.#now() - live.start);
      if (live.tool !== undefined) event.tool = live.tool;
      if (live.cancelled) event.cancelled = true;
      event[REQUEST] = live.event;
    }
    const out: CorrelatedEvent[] = [event];
    if (m.type === "response" && live) {
      const r = asRecord(m.result);
      if (live.method === "initialize" && r) {
        const info: HandshakeInfo = {};
        const version = typeof r.protocolVersion === "string"
          ? r.protocolVersion
          : this.#initializeVersion;
        if (version) info.protocolVersion = version;
        if (this.#initializeClient) info.client = this.#initializeClient;
        const server = peerOf(r.serverInfo);
        if (server) info.server = server;
        out.push(this.#handshakeEvent("initialize", info));
      } else if (live.method === "server/discover" && r) {
        const info: HandshakeInfo = {};
        const server = peerOf(r.serverInfo);
        if (server) info.server = server;
        if (
          Array.isArray(r.supportedVersions) &&
          typeof r.supportedVersions[0] === "string"
        ) {
          info.protocolVersion = this.#handshake.protocolVersion ??
            r.supportedVersions[0];
        }
        out.push(this.#handshakeEvent("server/discover", info));
      }
    }
    return out;
  }

  #handshakeEvent(
    via: HandshakeEvent["via"],
    info: HandshakeInfo,
  ): HandshakeEvent {
    this.#handshake = { ...this.#handshake, ...info };
    const event: HandshakeEvent = { ...this.base(), kind: "handshake", via };
    if (info.protocolVersion !== undefined) {
      event.protocolVersion = info.protocolVersion;
    }
    if (info.client) event.client = info.client;
    if (info.server) event.server = info.server;
    return event;
  }
}

/**
 * The pairing key of an id: exact, so two ids a double cannot tell apart
 * (12345678901234567890 and 12345678901234567891) stay two.
 */
function keyOf(id: JsonRpcId): string {
  return typeof id === "number"
    ? `n:${id}`
    : typeof id === "string"
    ? `s:${id}`
    : id === null
    ? "null"
    : `n:${numberKey(id)}`;
}

function isIdValue(id: unknown): boolean {
  return typeof id === "string" || typeof id === "number" || isRawNumber(id);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

function peerOf(value: unknown): PeerInfo | undefined {
  const r = asRecord(value);
  if (!r || typeof r.name !== "string") return undefined;
  const peer: PeerInfo = { name: r.name };
  if (typeof r.version === "string") peer.version = r.version;
  if (typeof r.title === "string") peer.title = r.title;
  return peer;
}

function traceOf(
  meta: Record<string, unknown> | undefined,
): TraceContext | undefined {
  if (!meta) return undefined;
  let trace: TraceContext | undefined;
  for (const key of ["traceparent", "tracestate", "baggage"] as const) {
    if (typeof meta[key] === "string") {
      (trace ??= {})[key] = meta[key] as string;
    }
  }
  return trace;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
