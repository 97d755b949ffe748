/**
 * mcp-audit: an audit log for every tool call an AI agent makes over the
 * Model Context Protocol. This module is the programmatic API; the
 * `mcp-audit` command line is in `cli.ts` (it does not import this module).
 * The report has its own export path, `@mcp-audit/mcp-audit/report`, so
 * importing this module never loads the report's Preact.
 *
 * Four ways in, one log format: {@linkcode runProxy} wraps a stdio server
 * process, {@linkcode auditTransport} wraps an `@modelcontextprotocol/sdk`
 * transport in your own client or server, {@linkcode AuditLogger} records
 * tool calls by hand, and `renderReport` (from `@mcp-audit/mcp-audit/report`)
 * turns events read by {@linkcode readLogs} into one HTML page. All of them run the same plugin
 * {@linkcode Pipeline} and write the same {@linkcode AuditEvent}s and
 * {@linkcode Summary}.
 *
 * @example Auditing an SDK client in one line
 * ```ts ignore
 * import { auditTransport } from "@mcp-audit/mcp-audit";
 * import { Client } from "@modelcontextprotocol/sdk/client/index.js";
 * import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
 *
 * const client = new Client({ name: "my-agent", version: "1.0.0" });
 * await client.connect(auditTransport(
 *   new StdioClientTransport({ command: "my-mcp-server" }),
 *   { logPath: "session.jsonl", config: "mcp-audit.jsonc" },
 * ));
 * ```
 *
 * @example Recording tool calls by hand, then reading the log and rendering a report
 * ```ts
 * import { AuditLogger, readLog } from "./mod.ts";
 * import { renderReport } from "./report/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const logPath = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const log = await AuditLogger.open({ logPath, sensitiveTools: ["get_pay_info"] });
 * log.toolCall("get_pay_info", { employee_id: "E003" }).result("91000 EUR");
 * await log.close();
 *
 * const { events, skipped } = await readLog(logPath);
 * assert.deepEqual(skipped, []);
 * assert.deepEqual(events.map((e) => e.kind).filter((k) => k !== "checkpoint"), [
 *   "session_start", "request", "response", "session_end",
 * ]);
 * assert.match(renderReport(events), /get_pay_info/);
 * await Deno.remove(logPath);
 * ```
 *
 * @example Findings: the built-in rules, and a rule of your own in a few lines
 * ```ts
 * import { BUILTIN_RULES, findFindings, type FindingRule } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const events = [
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "drop_db",
 *     params: { name: "drop_db", arguments: {} } },
 * ];
 * const noDrops: FindingRule = {
 *   id: "no-drops",
 *   description: "any call to drop_db",
 *   find: (session) => session.calls.filter((c) => c.tool === "drop_db").map((c) => ({
 *     rule: "no-drops", severity: "high", title: "drop_db was called", explanation: "Never.",
 *     session: session.session, seqs: [c.requestSeq], entities: [],
 *   })),
 * };
 * const [f] = findFindings(events, { rules: [...BUILTIN_RULES, noDrops] });
 * assert.deepEqual([f.rule, f.seqs], ["no-drops", [1]]);
 * ```
 *
 * @example Wrapping a server process from code
 * ```ts ignore
 * import { runProxy } from "@mcp-audit/mcp-audit";
 *
 * const result = await runProxy({ command: ["my-mcp-server"], logPath: "session.jsonl" });
 * console.log(result.summary.toolCalls);
 * ```
 *
 * @module
 */
export {
  type AuditedTransport,
  type AuditOptions,
  auditTransport,
  type AuditTransportOptions,
  type McpTransport,
  type McpTransportSendOptions,
} from "./lib/session/audit_transport.ts";
export {
  AuditLogger,
  type AuditLoggerOptions,
  type ToolCallRecord,
} from "./lib/session/audit_logger.ts";
export {
  type ProxyOptions,
  type ProxyResult,
  runProxy,
} from "./lib/proxy/proxy.ts";
export {
  type LogEvent,
  LogReadError,
  readLog,
  type ReadLogResult,
  readLogs,
  type SkippedLine,
} from "./lib/log/log_reader.ts";
export {
  type AuditEvent,
  type CheckpointEvent,
  type Classification,
  type Direction,
  type DuplicateKey,
  type Entity,
  type ErrorResponseEvent,
  type EventBase,
  type FindingEvent,
  type GapEvent,
  type HandshakeEvent,
  type InvalidEvent,
  type JsonRpcError,
  type JsonRpcId,
  type JsonRpcMessageEvent,
  type LogicalCall,
  type McpHeaders,
  type MessageEventBase,
  type NotificationEvent,
  type PeerInfo,
  type Pending,
  type PluginFailure,
  type ProtocolEra,
  type RawNumber,
  type ReplyEventBase,
  type RequestEvent,
  type ResponseEvent,
  SCHEMA_VERSION,
  type SessionEndEvent,
  type SessionStartEvent,
  type StderrEvent,
  type Summary,
  type TraceContext,
  type Truncated,
} from "./lib/audit/event.ts";
export { AuditEventSchema } from "./lib/audit/event_schema.ts";
export { protocolEraOf } from "./lib/audit/protocol_era.ts";
export { errorNameOf } from "./lib/audit/error_name.ts";
export { decodeMcpHeaderValue, mcpHeaders } from "./lib/wire/mcp_headers.ts";
export type {
  SafeParseResult,
  Schema,
  SchemaError,
  SchemaIssue,
} from "./lib/audit/schema.ts";
export {
  definePlugin,
  type FoundEntity,
  type HookContext,
  type HookResult,
  type Plugin,
  type PluginFindings,
  type ToolCall,
} from "./lib/plugin/plugin.ts";
export { Pipeline, type PipelineOptions } from "./lib/plugin/pipeline.ts";
// The plugin kit: what the built-in plugins are written with (also at "./plugin-kit").
export {
  compilePattern,
  type CompilePatternOptions,
  globMatcher,
  groupCount,
  memoize,
  patternFlagsProblem,
  PatternFlagsSchema,
  type Prefilter,
  prefilter,
  type Search,
  searcher,
  type Span,
  type SpanSearch,
  spanSearcher,
  walkStrings,
} from "./lib/plugin/kit/mod.ts";
export {
  type Config,
  ConfigError,
  type ConfigInput,
  type FindingRuleSettings,
  loadConfig,
  type LoadedConfig,
  parseConfig,
  type PluginEntry,
  type SigningConfig,
} from "./lib/config/config.ts";
export {
  loadPlugins,
  type LoadPluginsOptions,
  type PluginFlags,
  PluginLoadError,
} from "./lib/config/plugin_loader.ts";
export {
  type ArgumentRule,
  type SensitivityOptions,
  sensitivityPlugin,
} from "./plugins/sensitivity.ts";
export { annotationsPlugin } from "./plugins/annotations.ts";
export {
  type EntitiesOptions,
  entitiesPlugin,
  type Extractor,
} from "./plugins/entities.ts";
export {
  type ParsedRedactOptions,
  type RedactOptions,
  type RedactPattern,
  redactPlugin,
} from "./plugins/redact.ts";
export type { SigningKey } from "./lib/seal/signing_key.ts";
export { CommandNotFoundError } from "./lib/proxy/server_process.ts";
export { LogOpenError } from "./lib/log/log_writer.ts";
export {
  defaultLogDir,
  latestLog,
  type LogDirEnv,
  NoLogFoundError,
} from "./lib/log/log_path.ts";
export {
  type Finding,
  type FindingKind,
  type LineLocation,
  type SessionVerdict,
  type Severity,
  verifyLog,
  verifyLogs,
  type VerifyOptions,
  type VerifyReport,
  type VerifyStatus,
} from "./lib/evidence/verify.ts";
export {
  KeyFileError,
  loadVerifyKey,
  type VerifyKey,
} from "./lib/seal/signing_key.ts";
// Findings: the questions a reviewer would ask, answered from the log.
export {
  findFindings,
  type FindFindingsOptions,
} from "./lib/findings/find_findings.ts";
export { BUILTIN_RULES } from "./lib/findings/builtin_rules.ts";
export {
  compareFindings,
  type Finding as AuditFinding,
  type FindingEntity,
  type FindingRule,
  SEVERITIES,
  type Severity as FindingSeverity,
} from "./lib/findings/finding.ts";
export {
  type ScopeDeclaration,
  type SessionCalls,
  sessionCalls,
  type SessionMessage,
  type ToolCall as SessionToolCall,
  type ToolHints,
} from "./lib/findings/session_calls.ts";
export {
  configureRules,
  type FindingsSettings,
  type RuleSettings,
  UnknownRuleError,
} from "./lib/findings/rule_settings.ts";
export {
  type FindingSource,
  LiveFindings,
  type LiveFindingsOptions,
  ruleSource,
} from "./lib/findings/live_findings.ts";
export {
  type InstructionSign,
  instructionSigns,
  instructionsInData,
} from "./lib/findings/instructions_in_data.ts";
export {
  scopeCrossing,
  type ScopeCrossingOptions,
  scopeCrossingRule,
} from "./lib/findings/scope_crossing.ts";
export type { BuiltinEntities } from "./plugins/entities.ts";
