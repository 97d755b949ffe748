/**
 * mcp-audit: an audit log for every tool call an AI agent makes over the
 * Model Context Protocol. This module is the programmatic API; the
 * `mcp-audit` command line is in `cli.ts`.
 *
 * @example Wrapping a server from code
 * ```ts ignore
 * import { runProxy } from "@mcp-audit/mcp-audit";
 *
 * const result = await runProxy({ command: ["my-mcp-server"], logPath: "session.jsonl" });
 * console.log(result.summary.toolCalls);
 * ```
 *
 * @module
 */
export { type ProxyOptions, type ProxyResult, runProxy } from "./lib/proxy.ts";
export {
  type AuditEvent,
  AuditEventSchema,
  type Classification,
  type Direction,
  type Entity,
  type ErrorEvent,
  type HandshakeEvent,
  type InvalidEvent,
  type MessageEvent,
  type NotificationEvent,
  type RequestEvent,
  type ResponseEvent,
  SCHEMA_VERSION,
  type SessionEndEvent,
  type SessionStartEvent,
  type Summary,
} from "./lib/event.ts";
export {
  definePlugin,
  type FoundEntity,
  type HookContext,
  type Plugin,
  type PluginFindings,
  type ToolCall,
} from "./lib/plugin.ts";
export { Pipeline, type PipelineOptions } from "./lib/pipeline.ts";
export {
  type Config,
  ConfigError,
  loadConfig,
  parseConfig,
} from "./lib/config.ts";
export { loadPlugins, PluginLoadError } from "./lib/plugin_loader.ts";
export { sensitivityPlugin } from "./plugins/sensitivity.ts";
export { annotationsPlugin } from "./plugins/annotations.ts";
export { entitiesPlugin } from "./plugins/entities.ts";
export { redactPlugin } from "./plugins/redact.ts";
export { CommandNotFoundError } from "./lib/server_process.ts";
export { LogOpenError } from "./lib/log_writer.ts";
export { defaultLogDir, latestLog } from "./lib/log_path.ts";
