/**
 * The zod schemas of the audit event, one per interface in `event.ts`, each
 * checked at compile time to produce exactly its interface. The JSON Schema
 * in `schema/event.schema.json` is generated from them (`deno task schema`).
 * Only the modules that validate logs or configs import this file: it loads
 * zod, which the proxy's hot path does without.
 *
 * @module
 */
import { z } from "zod";

import type { Assert, Equals } from "../util/_type_check.ts";
import type { Schema } from "./schema.ts";
import { SCHEMA_VERSION } from "./schema_version.ts";
import { isRawNumber } from "../wire/raw_number.ts";
import type {
  AuditEvent,
  CheckpointEvent,
  Classification,
  DecisionEvent,
  Direction,
  DuplicateKey,
  Entity,
  ErrorResponseEvent,
  EventBase,
  FindingEvent,
  GapEvent,
  HandshakeEvent,
  HookDecisionRecord,
  HookOrigin,
  InvalidEvent,
  JsonRpcError,
  JsonRpcId,
  LogicalCall,
  McpHeaders,
  MessageEventBase,
  NotificationEvent,
  PeerInfo,
  Pending,
  PluginFailure,
  ProtocolEra,
  RawNumber,
  ReplyEventBase,
  RequestEvent,
  ResponseEvent,
  SessionEndEvent,
  SessionStartEvent,
  StderrEvent,
  Summary,
  ToolChangeEvent,
  TraceContext,
  Truncated,
} from "./event.ts";

// Each schema is built untyped, checked against its interface at the end of
// the file, and exported with that interface as its type.

const direction = z.enum(["c2s", "s2c"]);
/** Validates a {@linkcode Direction}. */
export const DirectionSchema: z.ZodType<Direction> = direction;

// In a log read back a RawNumber is a number again: the JSON Schema says
// "number", with the note on exactness.
const rawNumber = z.custom<RawNumber>(isRawNumber).meta({
  type: "number",
  description:
    "A number a JavaScript number cannot hold (past 2^53, more digits than a double keeps, or out of its range such as 1e400), written as the peer's exact token.",
});
/** Validates a {@linkcode RawNumber} (an event in memory; a parsed log holds numbers). */
export const RawNumberSchema: z.ZodType<RawNumber> = rawNumber;

const jsonRpcId = z.union([z.string(), z.number(), rawNumber, z.null()])
  .meta({
    description:
      "The JSON-RPC id. A number id is written as the exact token the peer sent, so ids past 2^53 such as 12345678901234567890 keep every digit; read them with a parser that keeps number text.",
  });
/** Validates a {@linkcode JsonRpcId}. */
export const JsonRpcIdSchema: z.ZodType<JsonRpcId> = jsonRpcId;

const truncated = z.object({
  $truncated: z.literal(true),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
  preview: z.string(),
});
/** Validates a {@linkcode Truncated} payload. */
export const TruncatedSchema: z.ZodType<Truncated> = truncated;

const classification = z.object({
  label: z.string(),
  source: z.string(),
});
/** Validates a {@linkcode Classification}. */
export const ClassificationSchema: z.ZodType<Classification> = classification;

const entity = z.object({
  type: z.string(),
  value: z.string(),
  path: z.string(),
  tool: z.string().optional(),
  source: z.string(),
});
/** Validates an {@linkcode Entity}. */
export const EntitySchema: z.ZodType<Entity> = entity;

const pluginFailure = z.object({
  plugin: z.string(),
  error: z.string(),
});
/** Validates a {@linkcode PluginFailure}. */
export const PluginFailureSchema: z.ZodType<PluginFailure> = pluginFailure;

const traceContext = z.object({
  traceparent: z.string().optional(),
  tracestate: z.string().optional(),
  baggage: z.string().optional(),
});
/** Validates a {@linkcode TraceContext}. */
export const TraceContextSchema: z.ZodType<TraceContext> = traceContext;

const jsonRpcError = z.object({
  code: z.union([z.number(), rawNumber]),
  message: z.string(),
  data: z.unknown().optional(),
});
/** Validates a {@linkcode JsonRpcError}. */
export const JsonRpcErrorSchema: z.ZodType<JsonRpcError> = jsonRpcError;

const peerInfo = z.object({
  name: z.string(),
  version: z.string().optional(),
  title: z.string().optional(),
});
/** Validates a {@linkcode PeerInfo}. */
export const PeerInfoSchema: z.ZodType<PeerInfo> = peerInfo;

const duplicateKey = z.object({
  path: z.string(),
  key: z.string(),
});
/** Validates a {@linkcode DuplicateKey}. */
export const DuplicateKeySchema: z.ZodType<DuplicateKey> = duplicateKey;

const protocolEra = z.enum(["2025", "2026"]);
/** Validates a {@linkcode ProtocolEra}. */
export const ProtocolEraSchema: z.ZodType<ProtocolEra> = protocolEra;

const logicalCall = z.object({
  seq: z.number().int().nonnegative(),
  id: jsonRpcId,
  via: z.enum(["input_required", "task"]),
  round: z.number().int().positive(),
  taskId: z.string().optional(),
});
/** Validates a {@linkcode LogicalCall}. */
export const LogicalCallSchema: z.ZodType<LogicalCall> = logicalCall;

const mcpHeaders = z.object({
  protocolVersion: z.string().optional(),
  method: z.string().optional(),
  name: z.string().optional(),
  params: z.record(z.string(), z.string()).optional(),
  malformed: z.array(z.string()).optional(),
});
/** Validates {@linkcode McpHeaders}. */
export const McpHeadersSchema: z.ZodType<McpHeaders> = mcpHeaders;

/** {@linkcode EventBase}. */
const base = {
  v: z.literal(SCHEMA_VERSION),
  seq: z.number().int().nonnegative(),
  ts: z.string(),
  session: z.string(),
  hash: z.string().optional(),
};

const hookOrigin = z.object({
  agent: z.string(),
  event: z.string(),
  mcp: z.object({ server: z.string(), tool: z.string() }).optional(),
});

const hookDecision = z.object({
  action: z.enum(["allow", "deny", "ask"]),
  reason: z.string(),
  ruleId: z.string().optional(),
});

/** {@linkcode MessageEventBase}. */
const transport = z.enum(["stdio", "streamable-http", "sse"]);

const httpExchange = z.object({
  method: z.string(),
  status: z.number().int().optional(),
  eventId: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  fault: z.string().optional(),
});

const messageBase = {
  ...base,
  dir: DirectionSchema,
  bytes: z.number().int().nonnegative(),
  batch: z.object({ index: z.number().int(), size: z.number().int() })
    .optional(),
  classes: z.array(ClassificationSchema).optional(),
  entities: z.array(EntitySchema).optional(),
  pluginErrors: z.array(PluginFailureSchema).optional(),
  duplicateKeys: z.array(DuplicateKeySchema).optional().meta({
    description:
      'Keys that occurred more than once in one object of the message: the object\'s path from the message root ("" for the message itself) and the key. The logged message holds the last value of each; a peer that keeps the first read something else.',
  }),
  protocolEra: ProtocolEraSchema.optional(),
  http: httpExchange.optional(),
  hook: hookOrigin.optional(),
  decision: hookDecision.optional(),
};

const requestEvent = z.object({
  ...messageBase,
  kind: z.literal("request"),
  id: JsonRpcIdSchema,
  method: z.string(),
  params: z.unknown().optional(),
  tool: z.string().optional(),
  trace: TraceContextSchema.optional(),
  call: LogicalCallSchema.optional(),
  mcpHeaders: McpHeadersSchema.optional(),
});
/** Validates a {@linkcode RequestEvent}. */
export const RequestEventSchema: z.ZodType<RequestEvent> = requestEvent;

const notificationEvent = z.object({
  ...messageBase,
  kind: z.literal("notification"),
  method: z.string(),
  params: z.unknown().optional(),
  cancelsSeq: z.number().int().optional(),
  trace: TraceContextSchema.optional(),
  subscriptionSeq: z.number().int().optional(),
  call: LogicalCallSchema.optional(),
});
/** Validates a {@linkcode NotificationEvent}. */
export const NotificationEventSchema: z.ZodType<NotificationEvent> =
  notificationEvent;

/** {@linkcode ReplyEventBase}. */
const replyBase = {
  ...messageBase,
  id: JsonRpcIdSchema,
  method: z.string().optional(),
  tool: z.string().optional(),
  requestSeq: z.number().int().optional(),
  durationMs: z.number().optional(),
  cancelled: z.boolean().optional(),
  errorType: z.string().optional(),
  errorName: z.string().optional(),
  call: LogicalCallSchema.optional(),
};

const responseEvent = z.object({
  ...replyBase,
  kind: z.literal("response"),
  result: z.unknown(),
  isError: z.boolean().optional(),
  resultType: z.string().optional(),
  taskStatus: z.string().optional(),
});
/** Validates a {@linkcode ResponseEvent}. */
export const ResponseEventSchema: z.ZodType<ResponseEvent> = responseEvent;

const errorEvent = z.object({
  ...replyBase,
  kind: z.literal("error"),
  error: z.union([JsonRpcErrorSchema, TruncatedSchema]),
});
/** Validates an {@linkcode ErrorResponseEvent}. */
export const ErrorResponseEventSchema: z.ZodType<ErrorResponseEvent> =
  errorEvent;

const invalidEvent = z.object({
  ...base,
  kind: z.literal("invalid"),
  dir: DirectionSchema,
  bytes: z.number().int().nonnegative(),
  reason: z.enum(["invalid_json", "not_jsonrpc", "invalid_utf8", "oversized"]),
  excerpt: z.string(),
  sha256: z.string(),
});
/** Validates an {@linkcode InvalidEvent}. */
export const InvalidEventSchema: z.ZodType<InvalidEvent> = invalidEvent;

const stderrEvent = z.object({
  ...base,
  kind: z.literal("stderr"),
  text: z.string(),
});
/** Validates a {@linkcode StderrEvent}. */
export const StderrEventSchema: z.ZodType<StderrEvent> = stderrEvent;

const gapEvent = z.object({
  ...base,
  kind: z.literal("gap"),
  lost: z.number().int().nonnegative(),
  fromSeq: z.number().int().nonnegative(),
  toSeq: z.number().int().nonnegative().optional(),
  reason: z.string(),
  head: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  torn: z.number().int().positive().optional(),
});
/** Validates a {@linkcode GapEvent}. */
export const GapEventSchema: z.ZodType<GapEvent> = gapEvent;

const sessionStartEvent = z.object({
  ...base,
  kind: z.literal("session_start"),
  command: z.array(z.string()),
  pid: z.number().int().optional(),
  proxyPid: z.number().int(),
  cwd: z.string(),
  proxy: z.object({ name: z.string(), version: z.string() }),
  chainStart: z.string().optional(),
  transport: transport.optional(),
  upstream: z.string().optional(),
  httpSession: z.string().optional(),
  serverName: z.string().optional(),
});
/** Validates a {@linkcode SessionStartEvent}. */
export const SessionStartEventSchema: z.ZodType<SessionStartEvent> =
  sessionStartEvent;

const handshakeEvent = z.object({
  ...base,
  kind: z.literal("handshake"),
  via: z.enum(["initialize", "server/discover", "_meta"]),
  protocolVersion: z.string().optional(),
  client: PeerInfoSchema.optional(),
  server: PeerInfoSchema.optional(),
  protocolEra: ProtocolEraSchema.optional(),
});
/** Validates a {@linkcode HandshakeEvent}. */
export const HandshakeEventSchema: z.ZodType<HandshakeEvent> = handshakeEvent;

const pending = z.object({
  seq: z.number().int(),
  dir: DirectionSchema,
  id: JsonRpcIdSchema,
  method: z.string(),
  tool: z.string().optional(),
  cancelled: z.boolean(),
  subscription: z.boolean().optional(),
});
/** Validates a {@linkcode Pending} request. */
export const PendingSchema: z.ZodType<Pending> = pending;

const summary = z.object({
  toolCalls: z.number().int(),
  tools: z.record(z.string(), z.number().int()),
  toolClasses: z.record(z.string(), z.array(z.string())),
  entities: z.array(z.object({ type: z.string(), value: z.string() })),
  uniqueEntities: z.number().int(),
  errors: z.number().int(),
  messages: z.object({ c2s: z.number().int(), s2c: z.number().int() }),
  invalid: z.number().int(),
  errorKinds: z.record(z.string(), z.number().int()).optional(),
  durationMs: z.number(),
});
/** Validates a session {@linkcode Summary}. */
export const SummarySchema: z.ZodType<Summary> = summary;

const sessionEndEvent = z.object({
  ...base,
  kind: z.literal("session_end"),
  reason: z.enum([
    "client_closed",
    "server_exited",
    "signal",
    "proxy_error",
  ]),
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
  protocolEra: ProtocolEraSchema.optional(),
  stderr: z.object({
    bytes: z.number().int(),
    loggedBytes: z.number().int(),
  }),
  chain: z.object({ head: z.string(), events: z.number().int() }).optional(),
  otlp: z.object({
    exported: z.number().int(),
    dropped: z.number().int(),
    error: z.string().optional(),
  }).optional(),
  anchor: z.object({
    published: z.number().int(),
    failed: z.number().int(),
    dropped: z.number().int(),
    error: z.string().optional(),
  }).optional(),
});
/** Validates a {@linkcode SessionEndEvent}. */
export const SessionEndEventSchema: z.ZodType<SessionEndEvent> =
  sessionEndEvent;

const checkpointEvent = z.object({
  ...base,
  kind: z.literal("checkpoint"),
  treeSize: z.number().int().nonnegative(),
  root: z.string(),
  head: z.string(),
  keyId: z.string().optional(),
  signature: z.string().optional(),
});
/** Validates a {@linkcode CheckpointEvent}. */
export const CheckpointEventSchema: z.ZodType<CheckpointEvent> =
  checkpointEvent;

const findingEvent = z.object({
  ...base,
  kind: z.literal("finding"),
  rule: z.string(),
  severity: z.enum(["high", "medium", "low"]),
  title: z.string(),
  explanation: z.string(),
  seqs: z.array(z.number().int()),
  entities: z.array(z.object({ type: z.string(), value: z.string() })),
  value: z.string().optional(),
});
/** Validates a {@linkcode FindingEvent}. */
export const FindingEventSchema: z.ZodType<FindingEvent> = findingEvent;
const decisionEvent = z.object({
  ...base,
  kind: z.literal("decision"),
  mode: z.enum(["monitor", "enforce"]),
  action: z.enum(["allow", "deny", "ask", "hide"]),
  rule: z.string().optional(),
  reason: z.string(),
  requestSeq: z.number().int().nonnegative().optional(),
  method: z.string(),
  tool: z.string().optional(),
  outcome: z.enum(["forwarded", "blocked"]),
  approval: z.enum([
    "accepted",
    "declined",
    "cancelled",
    "timeout",
    "unsupported",
    "failed",
  ]).optional(),
  hidden: z.array(z.string()).optional(),
});
/** Validates a {@linkcode DecisionEvent}. */
export const DecisionEventSchema: z.ZodType<DecisionEvent> = decisionEvent;

const toolChangeEvent = z.object({
  ...base,
  kind: z.literal("tool_change"),
  server: z.string(),
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.object({
    tool: z.string(),
    fields: z.array(z.string()),
    diff: z.string(),
  })),
  enforced: z.boolean(),
});
/** Validates a {@linkcode ToolChangeEvent}. */
export const ToolChangeEventSchema: z.ZodType<ToolChangeEvent> =
  toolChangeEvent;

const auditEvent = z.discriminatedUnion("kind", [
  sessionStartEvent,
  handshakeEvent,
  requestEvent,
  notificationEvent,
  responseEvent,
  errorEvent,
  invalidEvent,
  stderrEvent,
  gapEvent,
  sessionEndEvent,
  checkpointEvent,
  findingEvent,
  decisionEvent,
  toolChangeEvent,
]);

/**
 * The zod schema of any event, for tools that need zod itself (the JSON
 * Schema generator). The public API's view of it is {@linkcode AuditEventSchema}.
 */
export const AuditEventZodSchema: z.ZodType<AuditEvent> = auditEvent;

/**
 * Validates any event in the log, e.g. a parsed log line; `schema/event.schema.json`
 * is the same schema for other languages.
 *
 * @example
 * ```ts
 * import { AuditEventSchema } from "./event_schema.ts";
 * import assert from "node:assert/strict";
 *
 * const line = '{"v":1,"seq":3,"ts":"2026-01-01T00:00:00Z","session":"s","kind":"stderr","text":"ready"}';
 * assert.equal(AuditEventSchema.parse(JSON.parse(line)).kind, "stderr");
 * assert.equal(AuditEventSchema.safeParse({ kind: "stderr" }).success, false);
 * ```
 */
export const AuditEventSchema: Schema<AuditEvent> = auditEvent;

// Each schema produces exactly its interface: a field added, removed or
// retyped on one side only fails to compile here.
type _SchemasMatchInterfaces = [
  Assert<Equals<z.output<typeof direction>, Direction>>,
  Assert<Equals<z.output<typeof jsonRpcId>, JsonRpcId>>,
  Assert<Equals<z.output<typeof truncated>, Truncated>>,
  Assert<Equals<z.output<typeof classification>, Classification>>,
  Assert<Equals<z.output<typeof entity>, Entity>>,
  Assert<Equals<z.output<typeof pluginFailure>, PluginFailure>>,
  Assert<Equals<z.output<typeof duplicateKey>, DuplicateKey>>,
  Assert<Equals<z.output<typeof rawNumber>, RawNumber>>,
  Assert<Equals<z.output<typeof traceContext>, TraceContext>>,
  Assert<Equals<z.output<typeof hookOrigin>, HookOrigin>>,
  Assert<Equals<z.output<typeof hookDecision>, HookDecisionRecord>>,
  Assert<Equals<z.output<typeof jsonRpcError>, JsonRpcError>>,
  Assert<Equals<z.output<typeof peerInfo>, PeerInfo>>,
  Assert<Equals<z.output<typeof protocolEra>, ProtocolEra>>,
  Assert<Equals<z.output<typeof logicalCall>, LogicalCall>>,
  Assert<Equals<z.output<typeof mcpHeaders>, McpHeaders>>,
  Assert<Equals<z.output<z.ZodObject<typeof base>>, EventBase>>,
  Assert<Equals<z.output<z.ZodObject<typeof messageBase>>, MessageEventBase>>,
  Assert<Equals<z.output<z.ZodObject<typeof replyBase>>, ReplyEventBase>>,
  Assert<Equals<z.output<typeof requestEvent>, RequestEvent>>,
  Assert<Equals<z.output<typeof notificationEvent>, NotificationEvent>>,
  Assert<Equals<z.output<typeof responseEvent>, ResponseEvent>>,
  Assert<Equals<z.output<typeof errorEvent>, ErrorResponseEvent>>,
  Assert<Equals<z.output<typeof invalidEvent>, InvalidEvent>>,
  Assert<Equals<z.output<typeof stderrEvent>, StderrEvent>>,
  Assert<Equals<z.output<typeof gapEvent>, GapEvent>>,
  Assert<Equals<z.output<typeof sessionStartEvent>, SessionStartEvent>>,
  Assert<Equals<z.output<typeof handshakeEvent>, HandshakeEvent>>,
  Assert<Equals<z.output<typeof pending>, Pending>>,
  Assert<Equals<z.output<typeof summary>, Summary>>,
  Assert<Equals<z.output<typeof sessionEndEvent>, SessionEndEvent>>,
  Assert<Equals<z.output<typeof checkpointEvent>, CheckpointEvent>>,
  Assert<Equals<z.output<typeof findingEvent>, FindingEvent>>,
  Assert<Equals<z.output<typeof auditEvent>, AuditEvent>>,
  Assert<Equals<z.output<typeof decisionEvent>, DecisionEvent>>,
  Assert<Equals<z.output<typeof toolChangeEvent>, ToolChangeEvent>>,
];
