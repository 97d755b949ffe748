/**
 * Where a session's plugins come from, as plain data: the config and what
 * the loader needs besides. Unlike plugin objects it can be posted to a
 * worker, so the log's thread can load the plugins and run the pipeline
 * beside the relay (see `ThreadLog`).
 *
 * @module
 */
import type { Config } from "./config.ts";
import { Pipeline } from "./pipeline.ts";
import { loadPlugins, type PluginFlags } from "./plugin_loader.ts";

/** The plugins of a config, as data that can cross to another thread. */
export interface PluginSource {
  /** The parsed config (see `loadConfig`). */
  config: Config;
  /** The config file's path; relative plugin paths are resolved from its directory. */
  configPath?: string;
  /** Flags that override the config. */
  flags?: PluginFlags;
  /** The key for redaction hashes (see `redactionKey`). */
  redactKey?: string;
}

/**
 * Loads the plugins of `source` (throwing `PluginLoadError` when one cannot
 * be loaded) and returns the pipeline that runs them, with the config's
 * hook timeout.
 *
 * @example
 * ```ts
 * import { openPipeline } from "./plugin_source.ts";
 * import { parseConfig } from "./config.ts";
 * import type { RequestEvent } from "./event.ts";
 * import assert from "node:assert/strict";
 *
 * const config = parseConfig('{ "rules": { "write": ["delete_*"] } }', "mcp-audit.jsonc");
 * const pipeline = await openPipeline({ config });
 * const event: RequestEvent = {
 *   v: 1, seq: 0, ts: "", session: "s", kind: "request", dir: "c2s",
 *   bytes: 0, id: 1, method: "tools/call", tool: "delete_file",
 *   params: { name: "delete_file", arguments: {} },
 * };
 * await pipeline.process(event);
 * assert.equal(event.classes?.[0].label, "WRITE");
 * ```
 */
export async function openPipeline(
  source: PluginSource,
  onWarning?: (message: string) => void,
): Promise<Pipeline> {
  const plugins = await loadPlugins(source.config, {
    configPath: source.configPath,
    flags: source.flags,
    redactKey: source.redactKey,
  });
  return new Pipeline(plugins, {
    hookTimeoutMs: source.config.hookTimeoutMs,
    onWarning,
  });
}
