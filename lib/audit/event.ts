/**
 * The audit event: the one record the log holds, one JSON object per line.
 * The interfaces below are its documented shape. The zod schemas that
 * validate it are in `event_schema.ts`, checked at compile time to produce
 * exactly these interfaces; they live apart so that the modules that make
 * and write events (the proxy's hot path) never load zod.
 *
 * Field names follow the OpenTelemetry MCP semantic conventions in meaning:
 * `method` is `mcp.method.name`, `tool` is `gen_ai.tool.name`, `id` is
 * `jsonrpc.request.id`, `session` is `mcp.session.id` and `errorType` is
 * `error.type`.
 *
 * Numbers are written as the peer wrote them when a JavaScript number
 * cannot hold them: an id such as `12345678901234567890` (past 2^53), a
 * number with more significant digits than a double keeps, or one out of
 * its range (`1e400`) is written as the same JSON number token, digit for
 * digit, never rounded and never `null`. In an event in memory such a
 * number is a {@linkcode RawNumber} (`JSON.rawJSON`); a reader that wants
 * it exactly parses the log with a parser that keeps number text (Python's
 * `json`, or `JSON.parse` with a reviver reading `context.source`).
 *
 * @module
 */
import { SCHEMA_VERSION } from "./schema_version.ts";
import type { DuplicateKey, JsonRpcId, RawNumber } from "../wire/jsonrpc.ts";
import type { Truncated } from "../wire/payload.ts";
import type { McpHeaders } from "../wire/mcp_headers.ts";

// The wire stage owns the shapes it produces; an event holds them as they are.
export { SCHEMA_VERSION };
export type { DuplicateKey, JsonRpcId, RawNumber, Truncated };
export type { McpHeaders };

/** Which way a message travelled: `c2s` (client to server) or `s2c`. */
export type Direction = "c2s" | "s2c";

/** A classification given to a tool call by a plugin, and where it came from. */
export interface Classification {
  /** `READ`, `SENSITIVE`, `WRITE` or a custom label. */
  label: string;
  /** The plugin (and rule) that gave the label, e.g. `sensitivity:config`. */
  source: string;
}

/** A data entity (an employee id, an email, an account) that a message touched. */
export interface Entity {
  /** The entity's type, e.g. `employee` or `email`. */
  type: string;
  /** The entity's value, e.g. `E003`. */
  value: string;
  /** Where it was found: `arguments.employee_id`, `result.content[0].text`, ... */
  path: string;
  /** The tool whose call touched it, when the message was a tool call. */
  tool?: string;
  /** The plugin that extracted it. */
  source: string;
}

/** A plugin that failed on this event; the event is logged regardless. */
export interface PluginFailure {
  /** The plugin's name. */
  plugin: string;
  /** What went wrong: the error it threw, or that it timed out. */
  error: string;
}

/** W3C trace context found in a request's `params._meta`. */
export interface TraceContext {
  /** The W3C `traceparent` header value. */
  traceparent?: string;
  /** The W3C `tracestate` header value. */
  tracestate?: string;
  /** The W3C `baggage` header value. */
  baggage?: string;
}

/** A JSON-RPC error object. */
export interface JsonRpcError {
  /** The JSON-RPC error code (a {@linkcode RawNumber} when a double cannot hold it). */
  code: number | RawNumber;
  /** The error message. */
  message: string;
  /** Additional information, as the peer sent it. */
  data?: unknown;
}

/** Client or server identity from `initialize` or `server/discover`. */
export interface PeerInfo {
  /** The implementation's name. */
  name: string;
  /** The implementation's version. */
  version?: string;
  /** A human-readable name. */
  title?: string;
}

/**
 * The protocol era of a message: `2025` for the revisions with an
 * `initialize` handshake (2025-06-18, 2025-11-25 and earlier), `2026` for
 * those where each request carries its version in `_meta` (2026-07-28 on).
 * See docs/protocol-eras.md.
 */
export type ProtocolEra = "2025" | "2026";

/**
 * The logical call a message belongs to when one call took several requests:
 * a 2026-07-28 retry after an `input_required` result, or a task's
 * `tasks/get`, `tasks/update` and `tasks/cancel`.
 */
export interface LogicalCall {
  /** Seq of the request that began the logical call. */
  seq: number;
  /** The JSON-RPC id of that first request. */
  id: JsonRpcId;
  /** How this message continues the call: a retry with `inputResponses`, or a request on its task. */
  via: "input_required" | "task";
  /** Which request of the call this is (or answers): 1 for the first, 2 for the first retry or poll, ... */
  round: number;
  /** The task's id, when `via` is `task`. */
  taskId?: string;
}

/** How a session's messages travelled: a server's stdio, Streamable HTTP, or the older HTTP+SSE transport. */
export type Transport = "stdio" | "streamable-http" | "sse";

/**
 * The HTTP exchange a message travelled in, on the HTTP transports. It
 * holds no credential in clear: `headers` maps each secret header
 * (`authorization`, `cookie`, `set-cookie`, `proxy-authorization`, those
 * marked secret) to a keyed-hash marker such as `[REDACTED:secret:1a2b3c4d]`
 * (the redact plugin's form and key), the same marker for the same value.
 */
export interface HttpExchange {
  /** The HTTP method of the request the message was in or answered (`POST`, `GET`). */
  method: string;
  /** The HTTP status of the response, once it was known. */
  status?: number;
  /** The SSE event id the message came in, when the server gave one. */
  eventId?: string;
  /** Secret headers of the exchange, by lower-case name, as keyed-hash markers; no other header is logged. */
  headers?: Record<string, string>;
  /** What went wrong with the exchange, when the proxy answered in the upstream's place. */
  fault?: string;
}

/** What every event has. */
export interface EventBase {
  /** Schema version. */
  v: typeof SCHEMA_VERSION;
  /** Sequence number in the session, from 0, without gaps unless a `gap` event says so. */
  seq: number;
  /** ISO 8601 time the proxy saw the event. */
  ts: string;
  /** Session id (`mcp.session.id` in OpenTelemetry terms). */
  session: string;
  /**
   * Hash chain: hex SHA-256 over the previous line's hash and this line's
   * canonical bytes (docs/evidence.md). Always the line's last member.
   */
  hash?: string;
}

/**
 * Where a tool call seen through a coding agent's hook came from
 * (`mcp-audit hook`), not from the MCP wire.
 */
export interface HookOrigin {
  /** The agent whose hook reported it: `claude-code`, `cursor` or `codex`. */
  agent: string;
  /** The agent's hook event, e.g. `PreToolUse`. */
  event: string;
  /**
   * For an MCP tool (`mcp__server__tool`): its server and tool, so the
   * proxy's event for the same call is linked to this one, not counted twice.
   */
  mcp?: { server: string; tool: string };
}

/** A guard's answer to a tool call seen through a hook, sealed with the call. */
export interface HookDecisionRecord {
  /** What was answered. */
  action: "allow" | "deny" | "ask";
  /** Why, as the agent (and its model) was told. */
  reason: string;
  /** The rule that decided, when a rule did. */
  ruleId?: string;
}

/** Fields common to every JSON-RPC message event, including what the plugin pipeline fills in. */
export interface MessageEventBase extends EventBase {
  /** Which way the message travelled. */
  dir: Direction;
  /** Byte length of the frame on the wire, without the line ending. */
  bytes: number;
  /** Position in a JSON-RPC batch, when the frame was an array. */
  batch?: { index: number; size: number };
  /** Classifications given by plugins. */
  classes?: Classification[];
  /** Entities the message touched, found by plugins. */
  entities?: Entity[];
  /** Plugins that threw or timed out on this event. */
  pluginErrors?: PluginFailure[];
  /**
   * Keys that occurred more than once in one object of the message. The
   * logged message holds the last value of each (as `JSON.parse` keeps);
   * a peer that keeps the first read something else.
   */
  duplicateKeys?: DuplicateKey[];
  /** The protocol era of the message, where it is known (docs/protocol-eras.md). */
  protocolEra?: ProtocolEra;
  /** The HTTP exchange the message travelled in (HTTP transports only). */
  http?: HttpExchange;
  /** The call was seen through an agent's hook (`mcp-audit hook`). */
  hook?: HookOrigin;
  /**
   * The guard's decision on a call seen through a hook, as the first
   * `mcp-audit hook` wrote it.
   * @deprecated The hook now records a `decision` event after the request, as the proxy does.
   */
  decision?: HookDecisionRecord;
}

/** A JSON-RPC request (has an id and a method). */
export interface RequestEvent extends MessageEventBase {
  /** The event kind. */
  kind: "request";
  /** The request's id. */
  id: JsonRpcId;
  /** `mcp.method.name`, e.g. `tools/call`. */
  method: string;
  /** The request's params (possibly {@linkcode Truncated}). */
  params?: unknown;
  /** `gen_ai.tool.name`, for `tools/call`. */
  tool?: string;
  /** Trace context from `params._meta`. */
  trace?: TraceContext;
  /** The logical call this request continues (a retry with `inputResponses`, or `tasks/get` on its task). */
  call?: LogicalCall;
  /** Over Streamable HTTP: the request's MCP headers, decoded; redacted as arguments are. */
  mcpHeaders?: McpHeaders;
}

/** A JSON-RPC notification (a method without an id). */
export interface NotificationEvent extends MessageEventBase {
  /** The event kind. */
  kind: "notification";
  /** `mcp.method.name`, e.g. `notifications/cancelled`. */
  method: string;
  /** The notification's params (possibly {@linkcode Truncated}). */
  params?: unknown;
  /** For `notifications/cancelled`: the seq of the request it cancels. */
  cancelsSeq?: number;
  /** Trace context from `params._meta`. */
  trace?: TraceContext;
  /** Seq of the `subscriptions/listen` request named by `_meta["io.modelcontextprotocol/subscriptionId"]`. */
  subscriptionSeq?: number;
  /** For `notifications/tasks`: the logical call whose task it reports on. */
  call?: LogicalCall;
}

/** Fields common to responses and error responses. */
export interface ReplyEventBase extends MessageEventBase {
  /** The id of the request this answers. */
  id: JsonRpcId;
  /** The method of the request this answers, when it was seen. */
  method?: string;
  /** `gen_ai.tool.name`, when this answers a `tools/call`. */
  tool?: string;
  /** Seq of the request this answers; absent when no such request was seen. */
  requestSeq?: number;
  /** Milliseconds from the request to this answer. */
  durationMs?: number;
  /** The request had been cancelled by `notifications/cancelled`. */
  cancelled?: boolean;
  /** `error.type`: the JSON-RPC error code, or `tool_error` when a tool result has `isError`. */
  errorType?: string;
  /** The name the message's protocol revision gives the error code, e.g. `HeaderMismatch` (docs/protocol-eras.md). */
  errorName?: string;
  /** The logical call this reply belongs to (see {@linkcode LogicalCall}). */
  call?: LogicalCall;
}

/** A JSON-RPC success response. For `tools/call`, `result` holds content, structuredContent and isError. */
export interface ResponseEvent extends ReplyEventBase {
  /** The event kind. */
  kind: "response";
  /** The response's result (possibly {@linkcode Truncated}). */
  result: unknown;
  /** Copied from a tool result's `isError`. */
  isError?: boolean;
  /** Copied from the result's `resultType` (2026-07-28): `complete`, `input_required`, `task`, ... */
  resultType?: string;
  /** A task's `status` (`working`, `input_required`, `completed`, ...) in a task result or `tasks/get` reply. */
  taskStatus?: string;
}

/**
 * A JSON-RPC error response. (Not `ErrorEvent`: that name is the DOM's, a
 * global in Deno, and an import of ours would shadow it.)
 */
export interface ErrorResponseEvent extends ReplyEventBase {
  /** The event kind. */
  kind: "error";
  /** The JSON-RPC error, or its truncation when too large to log. */
  error: JsonRpcError | Truncated;
}

/** A line that is not a valid JSON-RPC message; forwarded unchanged, logged here. */
export interface InvalidEvent extends EventBase {
  /** The event kind. */
  kind: "invalid";
  /** Which way the line travelled. */
  dir: Direction;
  /** Byte length of the line, without the line ending. */
  bytes: number;
  /** What is wrong with the line. */
  reason: "invalid_json" | "not_jsonrpc" | "invalid_utf8" | "oversized";
  /** The start of the line, decoded with replacement characters. */
  excerpt: string;
  /** Hex SHA-256 of the line's bytes. */
  sha256: string;
}

/** Text the server wrote on stderr, bounded in total per session. */
export interface StderrEvent extends EventBase {
  /** The event kind. */
  kind: "stderr";
  /** The text. */
  text: string;
}

/** Events that could not be written (the log failed mid-session). */
export interface GapEvent extends EventBase {
  /** The event kind. */
  kind: "gap";
  /** How many events were lost. */
  lost: number;
  /** Seq of the first lost event. */
  fromSeq: number;
  /** Seq of the last lost event (`fromSeq + lost - 1`); older logs lack it. */
  toSeq?: number;
  /** Why they were lost. */
  reason: string;
  /** The `hash` of the last lost line, so the chain can be checked across the gap. */
  head?: string;
  /** Bytes of a line cut short by the failed write that could not be cut off (the line before). */
  torn?: number;
}

/** The first event of a session. */
export interface SessionStartEvent extends EventBase {
  /** The event kind. */
  kind: "session_start";
  /** The server command and its arguments. */
  command: string[];
  /** The server's process id. */
  pid?: number;
  /** The proxy's own process id. */
  proxyPid: number;
  /** The proxy's working directory. */
  cwd: string;
  /** The auditing program's name and version. */
  proxy: { name: string; version: string };
  /** Hex of the hash chain's starting value (docs/evidence.md). */
  chainStart?: string;
  /** How the session's messages travelled (absent in logs older than the HTTP transports). */
  transport?: Transport;
  /** The remote server's URL, userinfo and secret query parameters redacted (HTTP transports). */
  upstream?: string;
  /** The `Mcp-Session-Id` (or HTTP+SSE `sessionId`) as a keyed hash: it acts as a bearer credential. */
  httpSession?: string;
  /**
   * The server's name as the client's config calls it (`proxy --name`,
   * which `wrap` writes): a hook's `mcp__<name>__<tool>` call is linked to
   * this session's call by it (lib/audit/mcp_link.ts).
   */
  serverName?: string;
}

/** The handshake, once seen: from `initialize`, `server/discover` or request `_meta`. */
export interface HandshakeEvent extends EventBase {
  /** The event kind. */
  kind: "handshake";
  /** Where the details came from. */
  via: "initialize" | "server/discover" | "_meta";
  /** The negotiated protocol version. */
  protocolVersion?: string;
  /** The client's identity. */
  client?: PeerInfo;
  /** The server's identity. */
  server?: PeerInfo;
  /** The protocol era this handshake establishes. */
  protocolEra?: ProtocolEra;
}

/** A request never answered by the end of the session. */
export interface Pending {
  /** Seq of the request. */
  seq: number;
  /** Which way the request travelled. */
  dir: Direction;
  /** The request's id. */
  id: JsonRpcId;
  /** The request's method. */
  method: string;
  /** The tool, for `tools/call`. */
  tool?: string;
  /** Whether it was cancelled by `notifications/cancelled`. */
  cancelled: boolean;
  /** A `subscriptions/listen` stream still open: not a lost request. */
  subscription?: boolean;
}

/** What the session did, as the predecessor promised: written in `session_end`. */
export interface Summary {
  /** Number of `tools/call` requests; a 2026-07-28 retry after `input_required` counts with the call it retries. */
  toolCalls: number;
  /** Tool name -> number of calls. */
  tools: Record<string, number>;
  /** Label (READ, SENSITIVE, WRITE, ...) -> tool names with that label. */
  toolClasses: Record<string, string[]>;
  /** Unique entities touched, by type and value. */
  entities: { type: string; value: string }[];
  /** Number of unique entities touched. */
  uniqueEntities: number;
  /** JSON-RPC error responses plus tool results with `isError`. */
  errors: number;
  /** JSON-RPC messages in each direction. */
  messages: { c2s: number; s2c: number };
  /** Lines that were not valid JSON-RPC messages. */
  invalid: number;
  /** Errors by kind: the error's name where its revision gives one (`HeaderMismatch`), else its code, or `tool_error`. */
  errorKinds?: Record<string, number>;
  /** Milliseconds from the session's start to its end. */
  durationMs: number;
}

/** The last event of a session. */
export interface SessionEndEvent extends EventBase {
  /** The event kind. */
  kind: "session_end";
  /** Why the session ended. */
  reason: "client_closed" | "server_exited" | "signal" | "proxy_error";
  /** A sentence naming what went wrong, when something did. */
  failure?: string;
  /** The server's exit code or the signal that ended it. */
  exit: { code: number | null; signal: string | null };
  /** What the session did. */
  summary: Summary;
  /** Requests never answered. */
  pending: Pending[];
  /** The negotiated protocol version. */
  protocolVersion?: string;
  /** The client's identity. */
  client?: PeerInfo;
  /** The server's identity. */
  server?: PeerInfo;
  /** The session's protocol era, where it is known. */
  protocolEra?: ProtocolEra;
  /** Server stderr bytes: written in total, and recorded in the log. */
  stderr: { bytes: number; loggedBytes: number };
  /** The hash chain before this line: the last hash and how many lines it covers. */
  chain?: { head: string; events: number };
  /** With `--otlp`: events the collector accepted and dropped, and why the last export failed. */
  otlp?: { exported: number; dropped: number; error?: string };
  /**
   * With `--anchor`: checkpoints published off the machine until
   * `session_end`, POSTs that failed (retried with the next one), heads
   * dropped from a full queue, and why the last POST failed. The checkpoint
   * after `session_end` is counted on stderr only.
   */
  anchor?: {
    published: number;
    failed: number;
    dropped: number;
    error?: string;
  };
}

/** A Merkle tree checkpoint over the events so far, signed when a key is configured. */
export interface CheckpointEvent extends EventBase {
  /** The event kind. */
  kind: "checkpoint";
  /** Leaves in the tree: every event but checkpoints, from the session's start. */
  treeSize: number;
  /** Hex RFC 6962 root over those leaves. */
  root: string;
  /** Hex chain hash of the line before this one. */
  head: string;
  /** Hex SHA-256 of the raw Ed25519 public key that signed. */
  keyId?: string;
  /** Base64 Ed25519 signature over the checkpoint message (docs/evidence.md). */
  signature?: string;
}

/**
 * A finding the proxy's live findings made as the session ran (see
 * `lib/findings/`), sealed like every other event.
 */
export interface FindingEvent extends EventBase {
  /** The event kind. */
  kind: "finding";
  /** The rule's id, e.g. `instructions-in-data`. */
  rule: string;
  /** How much it matters. */
  severity: "high" | "medium" | "low";
  /** What happened, in plain words. */
  title: string;
  /** Why it matters and what the events show. */
  explanation: string;
  /** Seq numbers of the events it rests on, ascending. */
  seqs: number[];
  /** The entities involved. */
  entities: { type: string; value: string }[];
  /** The value that flowed, for rules about a value. */
  value?: string;
}

/**
 * How the ids of the guard's own `elicitation/create` requests begin (its
 * `ask`, then a number): the log holds them among the server's, and their
 * answers are the guard's to judge (its `decision` event says how).
 *
 * @example
 * ```ts
 * import { GUARD_ASK_ID } from "./event.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(`${GUARD_ASK_ID}1`.startsWith("mcp-audit-"));
 * ```
 */
export const GUARD_ASK_ID = "mcp-audit-ask-";

/**
 * A guard decision (`policy` in the config): what the policy said about a
 * request before it was forwarded, and what came of it.
 */
export interface DecisionEvent extends EventBase {
  /** The event kind. */
  kind: "decision";
  /** The policy's mode: in `monitor` nothing is blocked, the action is what would have happened. */
  mode: "monitor" | "enforce";
  /** What the policy said. */
  action: "allow" | "deny" | "ask" | "hide";
  /** The id of the rule that matched; absent when none did (the policy's default). */
  rule?: string;
  /** The rule's reason, as the agent is told it. */
  reason: string;
  /** Seq of the request decided on. */
  requestSeq?: number;
  /** The request's method. */
  method: string;
  /** The tool, for `tools/call`. */
  tool?: string;
  /** Whether the request went on to the server (`forwarded`) or was answered by the proxy (`blocked`). */
  outcome: "forwarded" | "blocked";
  /** For `ask`: the user's answer, or why there was none. */
  approval?:
    | "accepted"
    | "declined"
    | "cancelled"
    | "timeout"
    | "unsupported"
    | "failed";
  /** For a `tools/list` answer: the tools hidden from the client. */
  hidden?: string[];
}

/**
 * Tool definitions that differ from their pins (rug-pull detection): a
 * `tools/list` answer compared with the hashes recorded for the server.
 */
export interface ToolChangeEvent extends EventBase {
  /** The event kind. */
  kind: "tool_change";
  /** The server's identity the pins belong to (command or URL, and server name). */
  server: string;
  /** Tools that were not pinned. */
  added: string[];
  /** Pinned tools that are gone. */
  removed: string[];
  /** Tools whose definition changed, with a readable diff per field. */
  changed: { tool: string; fields: string[]; diff: string }[];
  /** Whether the changed and added tools were hidden and their calls denied (`pinning: "enforce"`). */
  enforced: boolean;
}

/** Any event in the log. */
export type AuditEvent =
  | SessionStartEvent
  | HandshakeEvent
  | RequestEvent
  | NotificationEvent
  | ResponseEvent
  | ErrorResponseEvent
  | InvalidEvent
  | StderrEvent
  | GapEvent
  | SessionEndEvent
  | CheckpointEvent
  | FindingEvent
  | DecisionEvent
  | ToolChangeEvent;

/**
 * Any event that carries a JSON-RPC message. (Not `MessageEvent`, the DOM
 * global that a worker's `onmessage` receives.)
 */
export type JsonRpcMessageEvent =
  | RequestEvent
  | NotificationEvent
  | ResponseEvent
  | ErrorResponseEvent;

/**
 * Marks an event made only of what the log already holds: a built-in
 * rule's live finding, its own words (and its settings from the config,
 * such as a declared scope) around values read from logged, so redacted,
 * events. The plugin pipeline passes such an event to the log as it is,
 * without redacting it again. It is a symbol, so it is not
 * written. A plugin's findings are not marked: its rules are the user's
 * code, and their words are redacted as any event's are.
 *
 * @example
 * ```ts
 * import { FROM_LOG } from "./event.ts";
 * import assert from "node:assert/strict";
 *
 * const event = { kind: "finding", [FROM_LOG]: true };
 * assert.equal(JSON.stringify(event), '{"kind":"finding"}');
 * ```
 */
export const FROM_LOG: unique symbol = Symbol("from log");
