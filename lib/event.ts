/**
 * The audit event: the one record the log holds, one JSON object per line.
 * Defined once here with zod; the JSON Schema in `schema/event.schema.json`
 * is generated from it (`deno task schema`).
 *
 * Field names follow the OpenTelemetry MCP semantic conventions in meaning:
 * `method` is `mcp.method.name`, `tool` is `gen_ai.tool.name`, `id` is
 * `jsonrpc.request.id`, `session` is `mcp.session.id` and `errorType` is
 * `error.type`.
 *
 * @module
 */
import { z } from "zod";

import { SCHEMA_VERSION } from "./schema_version.ts";

export { SCHEMA_VERSION };

/** Which way a message travelled: client to server, or server to client. */
export const DirectionSchema: z.ZodEnum<{ c2s: "c2s"; s2c: "s2c" }> = z.enum([
  "c2s",
  "s2c",
]);
/** Which way a message travelled: `c2s` (client to server) or `s2c`. */
export type Direction = z.infer<typeof DirectionSchema>;

/** A JSON-RPC id as it appeared on the wire. */
export const JsonRpcIdSchema = z.union([z.string(), z.number(), z.null()]);
/** A JSON-RPC id as it appeared on the wire. */
export type JsonRpcId = z.infer<typeof JsonRpcIdSchema>;

/**
 * A payload too large to log whole: its size and SHA-256 are kept so the
 * original can still be matched, with the first characters as a preview.
 */
export const TruncatedSchema = z.object({
  $truncated: z.literal(true),
  /** Byte length of the payload's JSON text. */
  bytes: z.number().int().nonnegative(),
  /** Hex SHA-256 of the payload's JSON text (or of the whole frame for frames too large to parse). */
  sha256: z.string(),
  /** The first characters of the payload's JSON text. */
  preview: z.string(),
});
/** A payload too large to log whole. */
export type Truncated = z.infer<typeof TruncatedSchema>;

/** A classification given to a tool call by a plugin, and where it came from. */
export const ClassificationSchema = z.object({
  /** `READ`, `SENSITIVE`, `WRITE` or a custom label. */
  label: z.string(),
  /** The plugin (and rule) that gave the label, e.g. `sensitivity:config`. */
  source: z.string(),
});
/** A classification given to a tool call by a plugin. */
export type Classification = z.infer<typeof ClassificationSchema>;

/** A data entity (an employee id, an email, an account) that a message touched. */
export const EntitySchema = z.object({
  type: z.string(),
  value: z.string(),
  /** Where it was found: `arguments.employee_id`, `result.content[0].text`, ... */
  path: z.string(),
  /** The tool whose call touched it, when the message was a tool call. */
  tool: z.string().optional(),
  /** The plugin that extracted it. */
  source: z.string(),
});
/** A data entity that a message touched. */
export type Entity = z.infer<typeof EntitySchema>;

/** A plugin that failed on this event; the event is logged regardless. */
export const PluginFailureSchema = z.object({
  plugin: z.string(),
  error: z.string(),
});

/** W3C trace context found in a request's `params._meta`. */
export const TraceContextSchema = z.object({
  traceparent: z.string().optional(),
  tracestate: z.string().optional(),
  baggage: z.string().optional(),
});
/** W3C trace context found in a request's `params._meta`. */
export type TraceContext = z.infer<typeof TraceContextSchema>;

/** A JSON-RPC error object. */
export const JsonRpcErrorSchema = z.object({
  code: z.number(),
  message: z.string(),
  data: z.unknown().optional(),
});

/** Client or server identity from `initialize` or `server/discover`. */
export const PeerInfoSchema = z.object({
  name: z.string(),
  version: z.string().optional(),
  title: z.string().optional(),
});
/** Client or server identity. */
export type PeerInfo = z.infer<typeof PeerInfoSchema>;

const base = {
  /** Schema version. */
  v: z.literal(SCHEMA_VERSION),
  /** Sequence number in the session, from 0, without gaps unless a `gap` event says so. */
  seq: z.number().int().nonnegative(),
  /** ISO 8601 time the proxy saw the event. */
  ts: z.string(),
  /** Session id (`mcp.session.id` in OpenTelemetry terms). */
  session: z.string(),
  /**
   * Hash chain: hex SHA-256 over the previous line's hash and this line's
   * canonical bytes (docs/evidence.md). Always the line's last member.
   */
  hash: z.string().optional(),
};

/** Fields that the plugin pipeline fills on message events. */
const enrichment = {
  classes: z.array(ClassificationSchema).optional(),
  entities: z.array(EntitySchema).optional(),
  /** Plugins that threw or timed out on this event. */
  pluginErrors: z.array(PluginFailureSchema).optional(),
};

/** Fields common to every JSON-RPC message event. */
const messageBase = {
  ...base,
  dir: DirectionSchema,
  /** Byte length of the frame on the wire, without the line ending. */
  bytes: z.number().int().nonnegative(),
  /** Position in a JSON-RPC batch, when the frame was an array. */
  batch: z.object({ index: z.number().int(), size: z.number().int() })
    .optional(),
  ...enrichment,
};

/** A JSON-RPC request (has an id and a method). */
export const RequestEventSchema = z.object({
  ...messageBase,
  kind: z.literal("request"),
  id: JsonRpcIdSchema,
  method: z.string(),
  params: z.unknown().optional(),
  /** `gen_ai.tool.name`, for `tools/call`. */
  tool: z.string().optional(),
  trace: TraceContextSchema.optional(),
});

/** A JSON-RPC notification (a method without an id). */
export const NotificationEventSchema = z.object({
  ...messageBase,
  kind: z.literal("notification"),
  method: z.string(),
  params: z.unknown().optional(),
  /** For `notifications/cancelled`: the seq of the request it cancels. */
  cancelsSeq: z.number().int().optional(),
  trace: TraceContextSchema.optional(),
});

/** Fields common to responses and error responses. */
const replyBase = {
  ...messageBase,
  id: JsonRpcIdSchema,
  /** The method of the request this answers, when it was seen. */
  method: z.string().optional(),
  /** `gen_ai.tool.name`, when this answers a `tools/call`. */
  tool: z.string().optional(),
  /** Seq of the request this answers; absent when no such request was seen. */
  requestSeq: z.number().int().optional(),
  /** Milliseconds from the request to this answer. */
  durationMs: z.number().optional(),
  /** The request had been cancelled by `notifications/cancelled`. */
  cancelled: z.boolean().optional(),
  /** `error.type`: the JSON-RPC error code, or `tool_error` when a tool result has `isError`. */
  errorType: z.string().optional(),
};

/** A JSON-RPC success response. For `tools/call`, `result` holds content, structuredContent and isError. */
export const ResponseEventSchema = z.object({
  ...replyBase,
  kind: z.literal("response"),
  result: z.unknown(),
  /** Copied from a tool result's `isError`. */
  isError: z.boolean().optional(),
});

/** A JSON-RPC error response. */
export const ErrorEventSchema = z.object({
  ...replyBase,
  kind: z.literal("error"),
  error: z.union([JsonRpcErrorSchema, TruncatedSchema]),
});

/** A line that is not a valid JSON-RPC message; forwarded unchanged, logged here. */
export const InvalidEventSchema = z.object({
  ...base,
  kind: z.literal("invalid"),
  dir: DirectionSchema,
  bytes: z.number().int().nonnegative(),
  reason: z.enum(["invalid_json", "not_jsonrpc", "invalid_utf8", "oversized"]),
  /** The start of the line, decoded with replacement characters. */
  excerpt: z.string(),
  sha256: z.string(),
});

/** Text the server wrote on stderr, bounded in total per session. */
export const StderrEventSchema = z.object({
  ...base,
  kind: z.literal("stderr"),
  text: z.string(),
});

/** Events that could not be written (the log failed mid-session). */
export const GapEventSchema = z.object({
  ...base,
  kind: z.literal("gap"),
  /** How many events were lost. */
  lost: z.number().int().nonnegative(),
  /** Seq of the first lost event. */
  fromSeq: z.number().int().nonnegative(),
  reason: z.string(),
});

/** The first event of a session. */
export const SessionStartEventSchema = z.object({
  ...base,
  kind: z.literal("session_start"),
  /** The server command and its arguments. */
  command: z.array(z.string()),
  /** The server's process id. */
  pid: z.number().int().optional(),
  /** The proxy's own process id. */
  proxyPid: z.number().int(),
  cwd: z.string(),
  proxy: z.object({ name: z.string(), version: z.string() }),
  /** Hex of the hash chain's starting value (docs/evidence.md). */
  chainStart: z.string().optional(),
});

/** The handshake, once seen: from `initialize`, `server/discover` or request `_meta`. */
export const HandshakeEventSchema = z.object({
  ...base,
  kind: z.literal("handshake"),
  via: z.enum(["initialize", "server/discover", "_meta"]),
  protocolVersion: z.string().optional(),
  client: PeerInfoSchema.optional(),
  server: PeerInfoSchema.optional(),
});

/** A request never answered by the end of the session. */
export const PendingSchema = z.object({
  seq: z.number().int(),
  dir: DirectionSchema,
  id: JsonRpcIdSchema,
  method: z.string(),
  tool: z.string().optional(),
  cancelled: z.boolean(),
});

/** What the session did, as the predecessor promised: written in `session_end`. */
export const SummarySchema = z.object({
  toolCalls: z.number().int(),
  /** Tool name -> number of calls. */
  tools: z.record(z.string(), z.number().int()),
  /** Label (READ, SENSITIVE, WRITE, ...) -> tool names with that label. */
  toolClasses: z.record(z.string(), z.array(z.string())),
  /** Unique entities touched, by type and value. */
  entities: z.array(z.object({ type: z.string(), value: z.string() })),
  uniqueEntities: z.number().int(),
  /** JSON-RPC error responses plus tool results with `isError`. */
  errors: z.number().int(),
  messages: z.object({ c2s: z.number().int(), s2c: z.number().int() }),
  invalid: z.number().int(),
  durationMs: z.number(),
});
/** The session summary. */
export type Summary = z.infer<typeof SummarySchema>;

/** The last event of a session. */
export const SessionEndEventSchema = z.object({
  ...base,
  kind: z.literal("session_end"),
  /** Why the session ended. */
  reason: z.enum([
    "client_closed",
    "server_exited",
    "signal",
    "proxy_error",
  ]),
  /** A sentence naming what went wrong, when something did. */
  failure: z.string().optional(),
  exit: z.object({
    code: z.number().int().nullable(),
    signal: z.string().nullable(),
  }),
  summary: SummarySchema,
  pending: z.array(PendingSchema),
  protocolVersion: z.string().optional(),
  client: PeerInfoSchema.optional(),
  server: PeerInfoSchema.optional(),
  stderr: z.object({
    bytes: z.number().int(),
    loggedBytes: z.number().int(),
  }),
  /** The hash chain before this line: the last hash and how many lines it covers. */
  chain: z.object({ head: z.string(), events: z.number().int() }).optional(),
});

/** A Merkle tree checkpoint over the events so far, signed when a key is configured. */
export const CheckpointEventSchema = z.object({
  ...base,
  kind: z.literal("checkpoint"),
  /** Leaves in the tree: every event but checkpoints, from the session's start. */
  treeSize: z.number().int().nonnegative(),
  /** Hex RFC 6962 root over those leaves. */
  root: z.string(),
  /** Hex chain hash of the line before this one. */
  head: z.string(),
  /** Hex SHA-256 of the raw Ed25519 public key that signed. */
  keyId: z.string().optional(),
  /** Base64 Ed25519 signature over the checkpoint message (docs/evidence.md). */
  signature: z.string().optional(),
});

/** Any event in the log. */
export const AuditEventSchema = z.discriminatedUnion("kind", [
  SessionStartEventSchema,
  HandshakeEventSchema,
  RequestEventSchema,
  NotificationEventSchema,
  ResponseEventSchema,
  ErrorEventSchema,
  InvalidEventSchema,
  StderrEventSchema,
  GapEventSchema,
  SessionEndEventSchema,
  CheckpointEventSchema,
]);

/** Any event in the log. */
export type AuditEvent = z.infer<typeof AuditEventSchema>;
/** A JSON-RPC request event. */
export type RequestEvent = z.infer<typeof RequestEventSchema>;
/** A JSON-RPC notification event. */
export type NotificationEvent = z.infer<typeof NotificationEventSchema>;
/** A JSON-RPC success response event. */
export type ResponseEvent = z.infer<typeof ResponseEventSchema>;
/** A JSON-RPC error response event. */
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;
/** An invalid line. */
export type InvalidEvent = z.infer<typeof InvalidEventSchema>;
/** Server stderr text. */
export type StderrEvent = z.infer<typeof StderrEventSchema>;
/** Lost events. */
export type GapEvent = z.infer<typeof GapEventSchema>;
/** Session start. */
export type SessionStartEvent = z.infer<typeof SessionStartEventSchema>;
/** Handshake details. */
export type HandshakeEvent = z.infer<typeof HandshakeEventSchema>;
/** Session end with its summary. */
export type SessionEndEvent = z.infer<typeof SessionEndEventSchema>;
/** A Merkle tree checkpoint. */
export type CheckpointEvent = z.infer<typeof CheckpointEventSchema>;
/** A request left unanswered. */
export type Pending = z.infer<typeof PendingSchema>;
/** Any event that carries a JSON-RPC message. */
export type MessageEvent =
  | RequestEvent
  | NotificationEvent
  | ResponseEvent
  | ErrorEvent;
/** What every event has. */
export type EventBase = Pick<AuditEvent, "v" | "seq" | "ts" | "session">;
