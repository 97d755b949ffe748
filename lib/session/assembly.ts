/**
 * The one assembly of an audit: config -> plugins -> redaction key ->
 * signing key -> pipeline -> what an {@linkcode AuditSession} is opened
 * with. `mcp-audit proxy`, `auditTransport` and `AuditLogger` all come
 * through here, so a config means the same thing to each of them: the same
 * plugins, the same redaction key, the same signed checkpoints at the same
 * intervals.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import {
  type Config,
  ConfigError,
  type ConfigInput,
  ConfigSchema,
  type Extractor,
  loadConfig,
} from "../config/config.ts";
import {
  loadPlugins,
  type PluginFlags,
  redactionKey,
} from "../config/plugin_loader.ts";
import {
  THREAD_FINDINGS,
  threadBuiltinRules,
  type ThreadFindings,
} from "../config/plugin_thread.ts";
import { defaultLogDir } from "../log/log_path.ts";
import { Pipeline } from "../plugin/pipeline.ts";
import type { Plugin } from "../plugin/plugin.ts";
import { loadSigningKey, type SigningKey } from "../seal/signing_key.ts";
import type { AuditSessionOptions } from "./audit_session.ts";
import type { FindingRule } from "../findings/finding.ts";
import { configureRules } from "../findings/rule_settings.ts";
import { BUILTIN_RULES } from "../findings/builtin_rules.ts";
import { type FindingSource, ruleSource } from "../findings/live_findings.ts";

/** Rules added to the config by code (the hand-written logger's options); lists replace the config's. */
export interface AuditRules extends PluginFlags {
  /** Tools to tag READ, instead of the config's `rules.read`. */
  readTools?: string[];
  /** Extractors added to the config's `entities`. */
  entities?: Extractor[];
}

/** Options for {@linkcode assembleAudit}. */
export interface AssemblyOptions {
  /**
   * The config: the path of an `mcp-audit.jsonc`, or an object (relative
   * plugin and key paths then resolve from the working directory).
   * @default {{}} (the built-in plugins without rules)
   */
  config?: ConfigInput | string;
  /**
   * With no `config`, read `mcp-audit.jsonc` from the working directory
   * when it exists, as the CLI does; the API never reads a file implicitly.
   * @default {false}
   */
  findConfig?: boolean;
  /** Plugins to run instead of those the config names; used as given. */
  plugins?: Plugin[];
  /** Plugins compiled into the program, by the name the config uses. */
  registry?: Readonly<Record<string, Plugin>>;
  /** Tool lists that replace the config's rules, and extractors added to it. */
  rules?: AuditRules;
  /** The signing key's path, instead of the config's `signing.key`. */
  signingKeyPath?: string;
  /**
   * Where plugins remember what they learn across sessions: the directory
   * the session's log goes to.
   * @default {config.logDir ?? defaultLogDir()}
   */
  stateDir?: string;
  /** Receives warnings from the pipeline. */
  onWarning?: (message: string) => void;
}

/** What {@linkcode assembleAudit} built. */
export interface AuditAssembly {
  /** The validated config. */
  config: Config;
  /** The config file read, when one was. */
  configPath?: string;
  /** The plugin pipeline. */
  pipeline: Pipeline;
  /** The checkpoint signing key, from the flag or the config. */
  signingKey?: SigningKey;
  /** The session options the config decides. */
  session: Pick<
    AuditSessionOptions,
    | "logDir"
    | "maxPayloadBytes"
    | "signingKey"
    | "checkpointEvery"
    | "checkpointSeconds"
    | "processor"
    | "findingSources"
  >;
}

/**
 * Loads and validates the config, sets up its plugins with the redaction
 * key, reads the signing key (the flag's, else the config's `signing.key`,
 * resolved from the config file's directory) and builds the pipeline.
 * Throws `ConfigError`, `PluginLoadError` or `KeyFileError` before
 * anything is opened.
 *
 * @example The same config, assembled for a session
 * ```ts
 * import { assembleAudit } from "./assembly.ts";
 * import assert from "node:assert/strict";
 *
 * const audit = await assembleAudit({
 *   config: { rules: { sensitive: ["get_pay_*"] }, signing: { checkpointEvery: 50 } },
 * });
 * assert.equal(audit.session.checkpointEvery, 50);
 * assert.equal(audit.signingKey, undefined);
 * assert.ok(audit.pipeline);
 * ```
 */
export async function assembleAudit(
  options: AssemblyOptions = {},
): Promise<AuditAssembly> {
  const loaded = typeof options.config === "string"
    ? await loadConfig(options.config)
    : options.config === undefined && options.findConfig
    ? await loadConfig(undefined)
    : { config: options.config ?? {}, path: undefined };
  const configPath = loaded.path;
  const rules = options.rules ?? {};
  const config = validConfig(
    withRules(loaded.config, rules),
    configPath ?? "the config option",
  );
  const plugins = options.plugins ?? await loadPlugins(config, {
    configPath,
    registry: options.registry,
    flags: {
      sensitiveTools: rules.sensitiveTools,
      writeTools: rules.writeTools,
    },
    redactKey: config.redact === false ? undefined : await sharedRedactKey(),
    stateDir: options.stateDir ?? config.logDir ?? defaultLogDir(),
  });
  const keyPath = options.signingKeyPath ??
    (config.signing?.key === undefined
      ? undefined
      : relativeTo(configPath, config.signing.key));
  const signingKey = keyPath ? await loadSigningKey(keyPath) : undefined;
  const pipeline = new Pipeline(plugins, {
    hookTimeoutMs: config.hookTimeoutMs,
    onWarning: options.onWarning,
  });
  return {
    config,
    configPath,
    pipeline,
    signingKey,
    session: {
      logDir: config.logDir,
      maxPayloadBytes: config.maxPayloadBytes,
      signingKey,
      checkpointEvery: config.signing?.checkpointEvery,
      checkpointSeconds: config.signing?.checkpointSeconds,
      processor: pipeline,
      findingSources: config.liveFindings
        ? liveSources(config, configPath, plugins, options.onWarning)
        : undefined,
    },
  };
}

/**
 * Where live findings' rules run, per session: the built-in rules (under
 * the config's `findings` settings) in a worker of their own, each module
 * plugin's rules in that plugin's worker, where its module was loaded
 * (once: its `setup` runs once), and the rules of plugins in this thread
 * (compiled in, or given as objects) here. So no rule of a module runs in
 * the relay's thread, and one that stalls is stopped (see
 * `plugin_thread.ts`). A setting that names no rule is a `ConfigError`.
 */
function liveSources(
  config: Config,
  configPath: string | undefined,
  plugins: readonly Plugin[],
  onWarning: ((message: string) => void) | undefined,
): () => FindingSource[] {
  const allThreaded = plugins.flatMap((p) => {
    const t = (p as { [THREAD_FINDINGS]?: ThreadFindings })[THREAD_FINDINGS];
    return t ? [t] : [];
  });
  const inThread = plugins.flatMap((p) => [...(p.findings ?? [])]);
  const known = [
    ...BUILTIN_RULES,
    ...inThread,
    // Rules that run elsewhere, by id: only their ids are checked here.
    ...allThreaded.flatMap((t) =>
      t.ids.map((id): FindingRule => ({ id, description: "", find: () => [] }))
    ),
  ];
  let configured: FindingRule[];
  try {
    configured = configureRules(config.findings, known);
  } catch (error) {
    throw new ConfigError(
      configPath ?? "the config option",
      `"findings": ${(error as Error).message}`,
      undefined,
      { cause: error },
    );
  }
  // A plugin whose rules are all off is not sent the events.
  const threaded = allThreaded.filter((t) =>
    t.ids.some((id) => configured.some((r) => r.id === id))
  );
  const local = configured.filter((r) => inThread.some((p) => p.id === r.id));
  const builtinsOn = configured.some((r) =>
    BUILTIN_RULES.some((b) => b.id === r.id)
  );
  const builtins = builtinsOn
    ? threadBuiltinRules(config.findings, {
      budgetMs: 10 * (config.hookTimeoutMs ?? 1000),
      onWarning,
    })
    : undefined;
  return function openSources(): FindingSource[] {
    const sources: FindingSource[] = [];
    if (builtins) sources.push(builtins.open());
    for (const t of threaded) sources.push(t.open());
    if (local.length > 0) sources.push(ruleSource(local));
    return sources;
  };
}

/** A path from a config file, resolved from the file's directory (a plain path, never a URL, so spaces stay spaces). */
function relativeTo(configPath: string | undefined, path: string): string {
  if (isAbsolute(path)) return path;
  return resolve(configPath ? dirname(resolve(configPath)) : ".", path);
}

function validConfig(config: ConfigInput, where: string): Config {
  const parsed = ConfigSchema.safeParse(config);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ConfigError(
    where,
    `"${issue.path.join(".") || "the top level"}": ${issue.message}.`,
    undefined,
    { cause: parsed.error },
  );
}

function withRules(config: ConfigInput, rules: AuditRules): ConfigInput {
  const { sensitiveTools, writeTools, readTools, entities } = rules;
  if (!sensitiveTools && !writeTools && !readTools && !entities) return config;
  return {
    ...config,
    rules: {
      ...config.rules,
      ...(sensitiveTools && { sensitive: sensitiveTools }),
      ...(writeTools && { write: writeTools }),
      ...(readTools && { read: readTools }),
    },
    entities: [...(config.entities ?? []), ...(entities ?? [])],
  };
}

/** The proxy's redaction key, so a value gets the same marker in every log; a fresh one without access to it. */
async function sharedRedactKey(): Promise<string | undefined> {
  try {
    return await redactionKey(defaultLogDir());
  } catch {
    return undefined;
  }
}
