/**
 * Builds the plugin pipeline from the config: the built-in plugins with
 * their options from the config's sections, and custom plugins loaded from
 * a path (relative to the config file) or a URL. A plugin that fails to
 * load is a {@linkcode PluginLoadError} naming it and the cause, raised
 * before the server starts.
 *
 * @module
 */
import type { Config } from "./config.ts";
import type { Plugin } from "../plugin/plugin.ts";
import { sensitivityPlugin } from "../../plugins/sensitivity.ts";
import {
  type AnnotationsOptions,
  annotationsPlugin,
} from "../../plugins/annotations.ts";
import { entitiesPlugin } from "../../plugins/entities.ts";
import { redactPlugin } from "../../plugins/redact.ts";
import { PluginThreadLoadError, threadPlugin } from "./plugin_thread.ts";

/** A plugin could not be loaded or set up. */
export class PluginLoadError extends Error {
  /** The plugin as named in the config. */
  readonly plugin: string;
  /** Creates the error for `plugin`. */
  constructor(plugin: string, reason: string, options?: ErrorOptions) {
    super(`Cannot load plugin "${plugin}": ${reason}`, options);
    this.name = "PluginLoadError";
    this.plugin = plugin;
  }
}

/** The built-in plugins' names, in their default order. */
export const BUILTIN_PLUGINS = [
  "sensitivity",
  "annotations",
  "entities",
  "redact",
] as const;

/** Overrides from the command line; they replace the config's lists. */
export interface PluginFlags {
  /** Tools to tag SENSITIVE, instead of the config's `rules.sensitive`. */
  sensitiveTools?: string[];
  /** Tools to tag WRITE, instead of the config's `rules.write`. */
  writeTools?: string[];
}

/** Options for {@linkcode loadPlugins}. */
export interface LoadPluginsOptions {
  /** The config file's path; relative plugin paths are resolved from its directory. */
  configPath?: string;
  /** Flags that override the config. */
  flags?: PluginFlags;
  /** The key for redaction hashes (see {@linkcode redactionKey}). */
  redactKey?: string;
  /**
   * Where plugins may remember what they learnt across sessions (the
   * `annotations` plugin keeps each server's tool list there).
   */
  stateDir?: string;
  /**
   * Plugins compiled into the program, by the name the config uses for
   * them: how a binary carries custom plugins (see the README).
   */
  registry?: Readonly<Record<string, Plugin>>;
  /**
   * Load plugin modules into this thread instead of a worker each: their
   * hooks then share the relay's thread, and one that loops stops it.
   * @default {false}
   */
  inProcess?: boolean;
}

/**
 * The plugins a config asks for, set up and in order.
 *
 * @example
 * ```ts
 * import { loadPlugins } from "./plugin_loader.ts";
 * import { parseConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 *
 * const config = parseConfig('{ "rules": { "sensitive": ["get_pay_info"] } }', "mcp-audit.jsonc");
 * const plugins = await loadPlugins(config);
 * assert.deepEqual(plugins.map((p) => p.name), ["sensitivity", "annotations", "entities", "redact"]);
 * ```
 */
export async function loadPlugins(
  config: Config,
  options: LoadPluginsOptions = {},
): Promise<Plugin[]> {
  const entries = config.plugins ??
    BUILTIN_PLUGINS.filter((name) =>
      !(name === "redact" && config.redact === false) &&
      !(name === "annotations" && config.annotations === false)
    );
  const base = options.configPath
    ? new URL(".", toFileUrl(options.configPath))
    : new URL(`${toFileUrl(Deno.cwd()).href}/`);
  const plugins: Plugin[] = [];
  for (const entry of entries) {
    const use = typeof entry === "string" ? entry : entry.use;
    const pluginOptions = typeof entry === "string" ? undefined : entry.options;
    plugins.push(await loadOne(use, pluginOptions, config, base, options));
  }
  return plugins;
}

async function loadOne(
  use: string,
  pluginOptions: unknown,
  config: Config,
  base: URL,
  options: LoadPluginsOptions,
): Promise<Plugin> {
  try {
    switch (use) {
      case "sensitivity": {
        const rules = {
          ...config.rules,
          ...(pluginOptions as object ?? {}),
        } as Record<string, unknown>;
        if (options.flags?.sensitiveTools) {
          rules.sensitive = options.flags.sensitiveTools;
        }
        if (options.flags?.writeTools) rules.write = options.flags.writeTools;
        return sensitivityPlugin(rules);
      }
      case "annotations":
        return annotationsPlugin({
          ...(options.stateDir &&
            { memory: `${options.stateDir}/annotations` }),
          ...(pluginOptions as AnnotationsOptions ?? {}),
        });
      case "entities":
        return entitiesPlugin({
          extractors: config.entities ?? [],
          idArguments: config.idArguments ?? true,
          builtins: config.builtinEntities ?? {},
          ...(pluginOptions as object ?? {}),
        });
      case "redact":
        return redactPlugin({
          ...(config.redact === false ? {} : config.redact),
          ...(pluginOptions as object ?? {}),
          ...(options.redactKey && !(config.redact && config.redact.key)
            ? { key: options.redactKey }
            : {}),
        });
    }
  } catch (error) {
    throw new PluginLoadError(use, `invalid options ${describe(error)}.`, {
      cause: error,
    });
  }
  const compiledIn = options.registry?.[use];
  if (compiledIn) return await preparePlugin(use, compiledIn, pluginOptions);
  return await loadModule(use, pluginOptions, base, options, config);
}

/** The largest plugin module loaded: a plugin is code, not data. */
export const MAX_PLUGIN_BYTES = 4 * 1024 * 1024;

/** A local plugin module must be a regular file of a plausible size, so that `/dev/zero` or a huge file never reaches the importer. */
function checkModuleFile(use: string, url: URL): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(url);
  } catch {
    return; // The import itself reports a missing file.
  }
  if (!info.isFile) {
    throw new PluginLoadError(
      use,
      `"${url.pathname}" is not a regular file. Give the path of a .ts or .js module.`,
    );
  }
  if (info.size > MAX_PLUGIN_BYTES) {
    throw new PluginLoadError(
      use,
      `"${url.pathname}" is ${info.size} bytes, more than the ${MAX_PLUGIN_BYTES} a plugin module may have.`,
    );
  }
}

async function loadModule(
  use: string,
  pluginOptions: unknown,
  base: URL,
  options: LoadPluginsOptions,
  config: Config,
): Promise<Plugin> {
  const looksLikePath = /^(\.{0,2}[\\/]|[A-Za-z]:[\\/])/.test(use);
  const looksLikeSpecifier = /^(file|https?|npm|jsr):/.test(use);
  if (!looksLikePath && !looksLikeSpecifier) {
    throw new PluginLoadError(
      use,
      `no built-in or compiled-in plugin has that name (built-ins: ${
        BUILTIN_PLUGINS.join(", ")
      }); a module must be given as a path ("./my_plugin.ts") or URL.`,
    );
  }
  const specifier = looksLikePath
    ? new URL(use.replace(/\\/g, "/"), base).href
    : use;
  if (specifier.startsWith("file:")) checkModuleFile(use, new URL(specifier));
  if (!options.inProcess) {
    // In a worker of its own, where a hook that loops cannot stop the relay.
    try {
      return await threadPlugin(specifier, pluginOptions, {
        budgetMs: config.hookTimeoutMs,
        // Its finding rules run in the same worker, under these settings.
        findings: config.findings,
      });
    } catch (error) {
      if (!(error instanceof PluginThreadLoadError)) throw error;
      throw new PluginLoadError(use, error.message, { cause: error });
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = await import(specifier);
  } catch (error) {
    throw new PluginLoadError(
      use,
      `importing "${specifier}" failed: ${
        error instanceof Error ? error.message : error
      }`,
      {
        cause: error,
      },
    );
  }
  return await preparePlugin(
    use,
    (mod.default ?? mod.plugin) as Plugin | undefined,
    pluginOptions,
  );
}

/**
 * Checks a plugin object, validates its options and runs its setup; throws
 * a {@linkcode PluginLoadError} naming `use` for what is wrong. A plugin's
 * worker prepares it the same way (`plugin_thread.ts`).
 *
 * @example
 * ```ts
 * import { preparePlugin } from "./plugin_loader.ts";
 * import assert from "node:assert/strict";
 *
 * const plugin = await preparePlugin("mine", { name: "mine", onMessage: () => {} }, {});
 * assert.equal(plugin.name, "mine");
 * await assert.rejects(preparePlugin("none", { name: "none" }, {}), /has no hook/);
 * ```
 */
export async function preparePlugin(
  use: string,
  plugin: Plugin | undefined,
  pluginOptions: unknown,
): Promise<Plugin> {
  if (
    !plugin || typeof plugin !== "object" || typeof plugin.name !== "string"
  ) {
    throw new PluginLoadError(
      use,
      `the module has no plugin as its default export. Write "export default definePlugin({ name: ..., onToolCall() {...} })".`,
    );
  }
  if (
    !plugin.onToolCall && !plugin.onMessage && !plugin.redact &&
    !plugin.findings?.length
  ) {
    throw new PluginLoadError(
      use,
      `plugin "${plugin.name}" has no hook (onToolCall, onMessage, redact or findings).`,
    );
  }
  let opts: unknown = pluginOptions;
  if (plugin.options) {
    const parsed = plugin.options.safeParse(pluginOptions ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PluginLoadError(
        use,
        `invalid options at "${issue.path.join(".")}": ${issue.message}.`,
      );
    }
    opts = parsed.data;
  }
  try {
    await plugin.setup?.(opts);
  } catch (error) {
    throw new PluginLoadError(
      use,
      `its setup failed: ${error instanceof Error ? error.message : error}`,
      {
        cause: error,
      },
    );
  }
  return plugin;
}

/**
 * The key for redaction hashes: `MCP_AUDIT_REDACT_KEY`, else the contents of
 * `redact.key` in `dir`, created (mode 0600) with a random key on first use,
 * so the same value gets the same marker across sessions.
 *
 * @example
 * ```ts
 * import { redactionKey } from "./plugin_loader.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const key = await redactionKey(dir);
 * assert.equal(await redactionKey(dir), key);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function redactionKey(dir: string): Promise<string> {
  const fromEnv = Deno.env.get("MCP_AUDIT_REDACT_KEY");
  if (fromEnv) return fromEnv;
  const path = `${dir}/redact.key`;
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch {
    const key = [...crypto.getRandomValues(new Uint8Array(32))].map((b) =>
      b.toString(16).padStart(2, "0")
    ).join("");
    try {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      await Deno.writeTextFile(path, key + "\n", {
        mode: 0o600,
        createNew: true,
      });
      return key;
    } catch {
      // Another session created it first, or the directory is not writable.
      try {
        return (await Deno.readTextFile(path)).trim();
      } catch {
        return key;
      }
    }
  }
}

/** A built-in's options error: a schema's first issue at its key, as for a module's options. */
function describe(error: unknown): string {
  const issue =
    (error as { issues?: { path: PropertyKey[]; message: string }[] })
      ?.issues?.[0];
  if (issue) return `at "${issue.path.join(".")}": ${issue.message}`;
  return `(${error instanceof Error ? error.message : error})`;
}

function toFileUrl(path: string): URL {
  const absolute = path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)
    ? path
    : `${Deno.cwd()}/${path}`;
  return new URL(
    `file://${absolute.startsWith("/") ? "" : "/"}${
      absolute.replace(/\\/g, "/")
    }`,
  );
}
