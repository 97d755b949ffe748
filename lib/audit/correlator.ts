/**
 * Stage 3: JSON-RPC messages -> audit events. Pairs every request with its
 * response per direction (the same id may be live both ways at once), times
 * each call, follows `notifications/cancelled`, picks up the handshake from
 * `initialize`, `server/discover` or request `_meta`, and records W3C trace
 * context. It records each message's protocol era and links the requests of
 * one 2026-07-28 logical call: a retry after an `input_required` result,
 * and `tasks/get`, `tasks/update` and `tasks/cancel` on a task handle
 * (docs/protocol-eras.md). Its sequence numbers are provisional: the audit sink numbers
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
  LogicalCall,
  McpHeaders,
  NotificationEvent,
  PeerInfo,
  Pending,
  ProtocolEra,
  RequestEvent,
  ResponseEvent,
  TraceContext,
} from "./event.ts";
import { SCHEMA_VERSION } from "./schema_version.ts";
import { protocolEraOf } from "./protocol_era.ts";
import { errorNameOf } from "./error_name.ts";

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
  /** The request's own era, when it said (or the session's when it was sent). */
  era?: ProtocolEra;
  /** The logical call the request continues, and the call's first request. */
  call?: LogicalCall;
  root?: RequestEvent;
}

/** A call that got `input_required`, waiting for the client's retry. */
interface Awaiting {
  root: RequestEvent;
  round: number;
  method: string;
  target?: string;
  requestState?: string;
  keys: string[];
}

/** A task handle and the call it came from. */
interface TaskLink {
  root: RequestEvent;
  rounds: number;
}

/** What the correlator has learnt of the handshake. */
export interface HandshakeInfo {
  protocolVersion?: string;
  client?: PeerInfo;
  server?: PeerInfo;
  protocolEra?: ProtocolEra;
}

/** What a transport knows of a frame beside its bytes (Streamable HTTP). */
export interface FrameContext {
  /** The request's MCP headers, from `mcpHeaders()` (`lib/wire/mcp_headers.ts`): set on its request events. */
  mcpHeaders?: McpHeaders;
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
const META_SERVER = "io.modelcontextprotocol/serverInfo";
const META_SUBSCRIPTION = "io.modelcontextprotocol/subscriptionId";

/** The requests that may answer `input_required` (2026-07-28 MRTR, "Supported Requests"). */
const RETRYABLE = new Set(["tools/call", "prompts/get", "resources/read"]);
/** The tasks extension's requests on a task handle. */
const TASK_METHODS = new Set(["tasks/get", "tasks/update", "tasks/cancel"]);
/** Calls awaiting a retry, and task handles, remembered; older ones are forgotten past this. */
const MAX_LINKS = 10_000;

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
  /** The session's era: from `initialize` (2025) or a request's `_meta` version. */
  #era?: ProtocolEra;
  /** Calls answered `input_required`, oldest first. */
  #awaiting: Awaiting[] = [];
  /** Task id -> the call that created it. */
  #tasks = new Map<string, TaskLink>();
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

  /**
   * Turns one parsed frame into events (none for a blank line); `context`
   * adds what the transport knew of it (the HTTP request's MCP headers).
   */
  frame(
    dir: Direction,
    frame: Frame,
    parsed: ParsedFrame,
    context?: FrameContext,
  ): CorrelatedEvent[] {
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
        if (context?.mcpHeaders && event.kind === "request") {
          event.mcpHeaders = context.mcpHeaders;
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
        if (live.method === "subscriptions/listen") p.subscription = true;
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
    const metaVersion = meta?.[META_VERSION];
    let era: ProtocolEra | undefined;
    if (method === "initialize") {
      era = "2025";
      this.#era = era;
    } else if (typeof metaVersion === "string") {
      era = protocolEraOf(metaVersion);
      // After an initialize the session stays in the 2025 era.
      this.#era ??= era;
    } else era = this.#era;
    if (era !== undefined) {
      event.protocolEra = era;
      live.era = era;
    }
    if (dir === "c2s" && p) this.#link(event, live, method, p);
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
      this.#handshake.protocolEra = "2025";
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
        protocolEra: protocolEraOf(meta[META_VERSION] as string),
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
    const nmeta = asRecord(p?._meta);
    const trace = traceOf(nmeta);
    if (trace) event.trace = trace;
    if (this.#era !== undefined) event.protocolEra = this.#era;
    const subscription = nmeta?.[META_SUBSCRIPTION];
    if (isIdValue(subscription)) {
      // The value is the id of the listen request, sent the other way.
      const other: Direction = dir === "c2s" ? "s2c" : "c2s";
      const listen = this.#live[other].get(keyOf(subscription as JsonRpcId));
      if (listen?.method === "subscriptions/listen") {
        event.subscriptionSeq = listen.event.seq;
      }
    }
    if (method === "notifications/tasks" && typeof p?.taskId === "string") {
      const task = this.#tasks.get(p.taskId);
      if (task) {
        event.call = {
          seq: task.root.seq,
          id: task.root.id,
          via: "task",
          round: task.rounds,
          taskId: p.taskId,
        };
      }
    }
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
      if (r && typeof r.resultType === "string") {
        event.resultType = r.resultType;
      }
      if (
        r && typeof r.status === "string" &&
        (r.resultType === "task" || live?.method === "tasks/get")
      ) event.taskStatus = r.status;
      // A skimmed frame's result is a truncation record: its isError was
      // read by the skim.
      const isError = r && typeof r.isError === "boolean"
        ? r.isError
        : m.isError;
      if (isError !== undefined) {
        event.isError = isError;
        if (isError && live?.method === "tools/call") {
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
      const era = live?.era ?? this.#era;
      const name = typeof m.error.code === "number"
        ? errorNameOf(m.error.code, era, live?.method)
        : undefined;
      if (name !== undefined) event.errorName = name;
    }
    event[FRAME] = frame;
    if (live) {
      event.method = live.method;
      event.requestSeq = live.event.seq;
      event.durationMs = round(this.#now() - live.start);
      if (live.tool !== undefined) event.tool = live.tool;
      if (live.cancelled) event.cancelled = true;
      if (live.era !== undefined) event.protocolEra = live.era;
      if (live.call) event.call = live.call;
      event[REQUEST] = live.event;
      if (m.type === "response") {
        this.#afterResult(event as ResponseEvent, live);
      }
    } else if (this.#era !== undefined) event.protocolEra = this.#era;
    const out: CorrelatedEvent[] = [event];
    if (m.type === "response" && live) {
      const r = asRecord(m.result);
      if (live.method === "initialize" && r) {
        const info: HandshakeInfo = { protocolEra: "2025" };
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
        if (live.era !== undefined) info.protocolEra = live.era;
        // 2026-07-28 puts it in the result's _meta; older drafts at the top.
        const server = peerOf(asRecord(r._meta)?.[META_SERVER]) ??
          peerOf(r.serverInfo);
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
    if (info.protocolEra !== undefined) event.protocolEra = info.protocolEra;
    return event;
  }

  /**
   * Links a client request to the logical call it continues: a retry that
   * carries `inputResponses` or `requestState` after an `input_required`
   * result for the same method and name (the echoed `requestState` decides
   * among several), or a request of the tasks extension on a known task.
   */
  #link(
    event: RequestEvent,
    live: Live,
    method: string,
    p: Record<string, unknown>,
  ): void {
    if (TASK_METHODS.has(method) && typeof p.taskId === "string") {
      const task = this.#tasks.get(p.taskId);
      if (!task) return;
      task.rounds++;
      live.root = task.root;
      live.call = event.call = {
        seq: task.root.seq,
        id: task.root.id,
        via: "task",
        round: task.rounds,
        taskId: p.taskId,
      };
      return;
    }
    if (!RETRYABLE.has(method)) return;
    const state = typeof p.requestState === "string"
      ? p.requestState
      : undefined;
    const responses = asRecord(p.inputResponses);
    if (state === undefined && responses === undefined) return;
    const target = targetOf(p);
    const keys = responses ? Object.keys(responses) : [];
    let found = -1;
    for (let i = this.#awaiting.length - 1; i >= 0; i--) {
      const a = this.#awaiting[i];
      if (a.method !== method || a.target !== target) continue;
      if (a.requestState !== state) continue;
      if (state === undefined && !keys.every((k) => a.keys.includes(k))) {
        continue;
      }
      found = i;
      break;
    }
    if (found < 0) return;
    const [a] = this.#awaiting.splice(found, 1);
    live.root = a.root;
    live.call = event.call = {
      seq: a.root.seq,
      id: a.root.id,
      via: "input_required",
      round: a.round + 1,
    };
  }

  /** Remembers what a result starts: a wait for a retry, or a task handle. */
  #afterResult(event: ResponseEvent, live: Live): void {
    if (live.event.dir !== "c2s") return;
    const r = asRecord(event.result);
    if (!r) return;
    const root = live.root ?? live.event;
    const round = live.call?.round ?? 1;
    if (r.resultType === "input_required" && RETRYABLE.has(live.method)) {
      event.call ??= {
        seq: root.seq,
        id: root.id,
        via: "input_required",
        round,
      };
      const params = asRecord(live.event.params) ?? {};
      const a: Awaiting = {
        root,
        round,
        method: live.method,
        keys: Object.keys(asRecord(r.inputRequests) ?? {}),
      };
      const target = targetOf(params);
      if (target !== undefined) a.target = target;
      if (typeof r.requestState === "string") a.requestState = r.requestState;
      this.#awaiting.push(a);
      if (this.#awaiting.length > MAX_LINKS) this.#awaiting.shift();
    } else if (r.resultType === "task" && typeof r.taskId === "string") {
      this.#tasks.set(r.taskId, { root, rounds: round });
      event.call ??= {
        seq: root.seq,
        id: root.id,
        via: "task",
        round,
        taskId: r.taskId,
      };
      if (this.#tasks.size > MAX_LINKS) {
        this.#tasks.delete(this.#tasks.keys().next().value!);
      }
    }
  }
}

/** What a retry must repeat: the tool or prompt name, or the resource URI. */
function targetOf(p: Record<string, unknown>): string | undefined {
  return typeof p.name === "string"
    ? p.name
    : typeof p.uri === "string"
    ? p.uri
    : undefined;
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
