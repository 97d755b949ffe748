/**
 * `mcp-audit wrap <agent> --hooks` and `unwrap <agent> --hooks`: writes the
 * hook entries of lib/hooks/hook_install.ts (each runs the absolute
 * `mcp-audit hook <agent>`) into the agent's settings file, and takes them
 * out again. The file is edited with `jsonc-parser`'s `modify`, so comments,
 * formatting and the user's other hooks stay; it is copied to
 * `<file>.<time>.bak` before the first write, and
 * `<file>.mcp-audit-hooks.json` keeps the text from before so that `unwrap`
 * restores it byte for byte while the file still holds what wrap wrote.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  applyEdits,
  type FormattingOptions,
  modify,
  parse,
  type ParseError,
  printParseErrorCode,
} from "jsonc-parser";
import { ClientConfigError, lineColumn } from "../clients/config_error.ts";
import { unifiedDiff } from "../clients/_unified_diff.ts";
import type { SelfCommand } from "../clients/server_entry.ts";
import { HOOK_AGENTS, type HookAgent } from "../hooks/hook_input.ts";
import {
  addHookEntries,
  HOOK_EVENTS,
  hookSettingsPath,
  removeHookEntries,
} from "../hooks/hook_install.ts";
import type { CommandContext } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { UsageError } from "./usage_error.ts";

type Json = Record<string, unknown>;

const TITLES: Record<HookAgent, string> = {
  "claude-code": "Claude Code",
  cursor: "Cursor",
  codex: "Codex CLI",
};

/** What `<file>.mcp-audit-hooks.json` holds. */
interface HooksRecord {
  /** The agent whose hooks were written. */
  agent: HookAgent;
  /** The command the entries run. */
  command: string;
  /** The file's text before wrap; null when wrap created the file. */
  before: string | null;
  /** The file's text as wrap left it. */
  after: string;
}

/** The restore record's path beside `file`. */
export function hooksRecordPath(file: string): string {
  return `${file}.mcp-audit-hooks.json`;
}

/** Options of {@linkcode wrapHooks}, from the command line. */
export interface WrapHooksOptions {
  /** "wrap" or "unwrap". */
  mode: "wrap" | "unwrap";
  /** The agent positional. */
  agent: string | undefined;
  /** `--config PATH`. */
  config?: string;
  /** `--project DIR`. */
  project?: string;
  /** `--managed`: Claude Code's managed settings file for this OS. */
  managed?: boolean;
  /** `--dry-run`. */
  dryRun: boolean;
  /** The command's help, for usage errors. */
  help: string;
  /** The mcp-audit to write; the running one by default. */
  self?: SelfCommand;
}

/** A word quoted for `sh -c` (left bare when it needs no quoting). */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\/.,:=+@%-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command line the agent's hook runs: the absolute mcp-audit, then
 * `hook <agent>`, quoted for the shell the agents run hooks with.
 *
 * @example
 * ```ts
 * import { hookCommandLine } from "./_wrap_hooks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   hookCommandLine({ command: "/opt/mcp audit", args: [], how: "binary" }, "codex"),
 *   "'/opt/mcp audit' hook codex",
 * );
 * ```
 */
export function hookCommandLine(self: SelfCommand, agent: HookAgent): string {
  return [self.command, ...self.args, "hook", agent].map(shellQuote).join(" ");
}

/** The fast hook client's permissions: the Unix socket needs `--allow-net`. */
const CLIENT_FLAGS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-net",
];

/**
 * The fast hook client (`lib/hooks/hook_client.ts`, bundled as
 * `mcp-audit-hook.js` beside `mcp-audit.js`) for the program at
 * `mainModule`, when it is there: the compiled binary has none, and runs
 * the full command.
 *
 * @example
 * ```ts
 * import { hookClientPath } from "./_wrap_hooks.ts";
 * import assert from "node:assert/strict";
 *
 * const cli = new URL("../../cli.ts", import.meta.url).href;
 * assert.match((await hookClientPath(cli))!, /lib[\\/]hooks[\\/]hook_client\.ts$/);
 * assert.equal(await hookClientPath("file:///nowhere/mcp-audit.js"), undefined);
 * ```
 */
export async function hookClientPath(
  mainModule: string = Deno.mainModule,
): Promise<string | undefined> {
  if (!mainModule.startsWith("file:")) return undefined;
  const main = new URL(mainModule);
  const client = main.pathname.endsWith("/cli.ts")
    ? new URL("./lib/hooks/hook_client.ts", main)
    : main.pathname.endsWith("/mcp-audit.js")
    ? new URL("./mcp-audit-hook.js", main)
    : undefined;
  if (!client) return undefined;
  try {
    await Deno.stat(client);
    return fileURLToPath(client);
  } catch {
    return undefined;
  }
}

/**
 * The command line of the fast hook client at `client`, run by `deno`
 * (`<deno> run ... <client> hook <agent>`): it hands the event to the
 * per-user writer, so the agent waits about as long as for a no-op Deno
 * script.
 *
 * @example
 * ```ts
 * import { hookClientCommandLine } from "./_wrap_hooks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(
 *   hookClientCommandLine("/opt/deno", "/opt/m/mcp-audit-hook.js", "codex"),
 *   /^\/opt\/deno run --quiet --no-config .*--allow-net \/opt\/m\/mcp-audit-hook\.js hook codex$/,
 * );
 * ```
 */
export function hookClientCommandLine(
  deno: string,
  client: string,
  agent: HookAgent,
): string {
  return [
    deno,
    "run",
    "--quiet",
    "--no-config",
    ...CLIENT_FLAGS,
    client,
    "hook",
    agent,
  ]
    .map(shellQuote).join(" ");
}

function formatting(text: string): FormattingOptions {
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? "  ";
  return {
    insertSpaces: !indent.startsWith("\t"),
    tabSize: indent.startsWith("\t") ? 1 : indent.length,
    eol: text.includes("\r\n") ? "\r\n" : "\n",
  };
}

/** The parsed settings, or a {@linkcode ClientConfigError} naming line and column. */
function parseSettings(text: string, file: string): Json {
  const errors: ParseError[] = [];
  const value = parse(text, errors, {
    allowTrailingComma: true,
    disallowComments: false,
  });
  if (errors.length > 0) {
    const { line, column } = lineColumn(text, errors[0].offset);
    throw new ClientConfigError(
      `${file}:${line}:${column}: the file does not parse (${
        printParseErrorCode(errors[0].error)
      }). Nothing was written: fix the file, then run the command again.`,
    );
  }
  if (value === undefined && text.trim() === "") return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ClientConfigError(
      `${file}:1:1: the file holds no JSON object. Nothing was written.`,
    );
  }
  const hooks = (value as Json).hooks;
  if (
    hooks !== undefined &&
    (hooks === null || typeof hooks !== "object" || Array.isArray(hooks))
  ) {
    throw new ClientConfigError(
      `${file}: "hooks" is not an object. Nothing was written: fix the file, then run the command again.`,
    );
  }
  return value as Json;
}

/** `text` with the agent's entries for `command` added, edited in place. */
export function addHooksText(
  text: string,
  file: string,
  agent: HookAgent,
  command: string,
): string {
  const source = text.trim() === "" ? "{}\n" : text;
  const parsed = parseSettings(source, file);
  const after = addHookEntries(parsed, agent, command);
  const old = (parsed.hooks ?? {}) as Record<string, unknown>;
  const added = after.hooks as Record<string, unknown[]>;
  const formattingOptions = formatting(source);
  let out = source;
  if (agent === "cursor" && parsed.version === undefined) {
    out = applyEdits(
      out,
      modify(out, ["version"], 1, { formattingOptions }),
    );
  }
  for (const event of HOOK_EVENTS[agent]) {
    const before = old[event];
    if (!Array.isArray(before)) {
      out = applyEdits(
        out,
        modify(out, ["hooks", event], added[event], { formattingOptions }),
      );
      continue;
    }
    for (const entry of added[event].slice(before.length)) {
      out = applyEdits(
        out,
        modify(out, ["hooks", event, -1], entry, {
          formattingOptions,
          isArrayInsertion: true,
        }),
      );
    }
  }
  return out === source ? text : out;
}

/**
 * `text` without the entries that run `command` (events left empty
 * removed, and with `dropEmptyHooks`, a `"hooks"` object left empty: one
 * that wrap created).
 */
export function removeHooksText(
  text: string,
  file: string,
  agent: HookAgent,
  command: string,
  dropEmptyHooks = false,
): string {
  if (text.trim() === "") return text;
  const parsed = parseSettings(text, file);
  const kept = removeHookEntries(parsed, agent, command).hooks as Record<
    string,
    unknown
  >;
  const formattingOptions = formatting(text);
  let out = text;
  for (
    const [event, list] of Object.entries(
      (parsed.hooks ?? {}) as Record<string, unknown>,
    )
  ) {
    if (!Array.isArray(list)) continue;
    const keep = kept[event];
    if (!Array.isArray(keep)) {
      out = applyEdits(
        out,
        modify(out, ["hooks", event], undefined, { formattingOptions }),
      );
      continue;
    }
    // removeHookEntries filters, so kept entries are the same objects.
    for (let i = list.length - 1; i >= 0; i--) {
      if (keep.includes(list[i])) continue;
      out = applyEdits(
        out,
        modify(out, ["hooks", event, i], undefined, { formattingOptions }),
      );
    }
  }
  if (dropEmptyHooks && out !== text) {
    const left = parseSettings(out, file).hooks;
    if (
      left !== null && typeof left === "object" && !Array.isArray(left) &&
      Object.keys(left).length === 0
    ) {
      out = applyEdits(
        out,
        modify(out, ["hooks"], undefined, { formattingOptions }),
      );
    }
  }
  return out;
}

/** Whether `text` (the file before wrap; null: no file) had a `"hooks"` key. */
function hadHooks(text: string | null, file: string): boolean {
  if (text === null || text.trim() === "") return false;
  try {
    return Object.hasOwn(parseSettings(text, file), "hooks");
  } catch {
    return true; // Unknown: keep what is there.
  }
}

async function readText(file: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new ClientConfigError(
      `${file}: cannot be read (${
        (error as Error).message
      }). Nothing was written.`,
      { cause: error },
    );
  }
}

async function readRecord(file: string): Promise<HooksRecord | undefined> {
  const text = await readText(hooksRecordPath(file));
  if (text === null) return undefined;
  try {
    const record = JSON.parse(text) as HooksRecord;
    return typeof record.after === "string" ? record : undefined;
  } catch {
    return undefined;
  }
}

async function backup(file: string, now = new Date()): Promise<string> {
  const path = `${file}.${now.toISOString().replace(/[:.]/g, "-")}.bak`;
  await Deno.copyFile(file, path);
  return path;
}

function pickAgent(id: string | undefined, help: string): HookAgent {
  if (id !== undefined && (HOOK_AGENTS as readonly string[]).includes(id)) {
    return id as HookAgent;
  }
  throw new UsageError(
    `${
      id === undefined ? "no agent given" : `"${id}" has no hooks`
    }: --hooks works for ${HOOK_AGENTS.join(", ")}`,
    help,
  );
}

const CODEX_NOTE =
  "Codex CLI runs hooks by default since 0.124; an earlier Codex needs [features] codex_hooks = true in ~/.codex/config.toml (not edited by mcp-audit).";

/**
 * Runs `wrap --hooks` or `unwrap --hooks` and returns the exit status.
 *
 * @example An agent without hooks is a usage error
 * ```ts
 * import { wrapHooks } from "./_wrap_hooks.ts";
 * import { UsageError } from "./usage_error.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(
 *   wrapHooks({ mode: "wrap", agent: "vscode", dryRun: true, help: "" }, { out: () => {}, err: () => {} }),
 *   UsageError,
 * );
 * ```
 */
export async function wrapHooks(
  options: WrapHooksOptions,
  context: CommandContext,
): Promise<number> {
  const agent = pickAgent(options.agent, options.help);
  const places = [
    options.config !== undefined && "--config",
    options.project !== undefined && "--project",
    options.managed && "--managed",
  ].filter(Boolean);
  if (places.length > 1) {
    throw new UsageError(
      `give one of --config, --project and --managed, not ${
        places.join(" and ")
      }`,
      options.help,
    );
  }
  if (options.managed && agent !== "claude-code") {
    throw new UsageError(
      `--managed is for claude-code's managed-settings.json; ${agent} has no managed hook settings file: give it with --config PATH`,
      options.help,
    );
  }
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  const file = options.config !== undefined
    ? resolve(options.config)
    : options.managed
    ? hookSettingsPath(agent, "managed", {
      home: "",
      project: "",
      os: Deno.build.os,
    })!
    : options.project !== undefined
    ? hookSettingsPath(agent, "project", {
      home: "",
      project: resolve(options.project),
    })!
    : home
    ? hookSettingsPath(agent, "user", { home, project: "" })!
    : undefined;
  if (!file) {
    context.err("HOME is not set; give the settings file with --config PATH.");
    return EXIT.failed;
  }
  const title = TITLES[agent];
  const self = options.self ??
    await (await import("../clients/self_command.ts")).selfCommand();
  const client = options.self || self.how === "the compiled binary"
    ? undefined
    : await hookClientPath();
  const command = client
    ? hookClientCommandLine(Deno.execPath(), client, agent)
    : hookCommandLine(self, agent);
  const how = client ? `${self.how}, through the fast hook client` : self.how;
  try {
    const current = await readText(file);
    const record = await readRecord(file);
    let after: string;
    let note = "";
    if (options.mode === "wrap") {
      after = addHooksText(current ?? "", file, agent, command);
    } else if (current === null) {
      context.err(`${file}: not found: nothing to unwrap.`);
      return EXIT.failed;
    } else if (record && record.after === current) {
      // Unchanged since wrap: back to the text from before ("" if wrap created it).
      after = record.before ?? "";
    } else {
      // A "hooks" object that wrap created goes with the last entry.
      after = removeHooksText(
        current,
        file,
        agent,
        command,
        record !== undefined && !hadHooks(record.before, file),
      );
      if (record && after !== current) {
        note =
          " The file changed since wrap, so only mcp-audit's hook entries were removed; the rest is as it is now.";
      }
    }
    const before = current ?? "";
    context.out(`${title} hooks: ${file}`);
    context.out(`  command: ${command} (${how})`);
    if (options.dryRun) {
      const diff = unifiedDiff(before, after, file);
      if (diff) context.out(diff.trimEnd());
      context.out(
        `Dry run: nothing was written.${
          after === before ? " Nothing would change." : ""
        }`,
      );
      return EXIT.ok;
    }
    const removeFile = options.mode === "unwrap" && record?.before === null &&
      record.after === current;
    if (after === before && !removeFile) {
      context.out("Nothing to change.");
      if (options.mode === "unwrap" && record) {
        await Deno.remove(hooksRecordPath(file)).catch(() => {});
      }
      if (options.mode === "wrap" && agent === "codex") {
        context.out(CODEX_NOTE);
      }
      return EXIT.ok;
    }
    const saved = current === null || removeFile
      ? undefined
      : await backup(file);
    if (options.mode === "wrap") {
      await Deno.mkdir(dirname(file), { recursive: true });
      await Deno.writeTextFile(file, after);
      const original = current === null
        ? null
        : record
        ? removeHooksText(current, file, agent, command)
        : current;
      const next: HooksRecord = { agent, command, before: original, after };
      await Deno.writeTextFile(
        hooksRecordPath(file),
        JSON.stringify(next, null, 2) + "\n",
      );
      context.out(
        `Wrote ${HOOK_EVENTS[agent].length} hook entries into ${file}${
          saved ? `; backup: ${saved}` : " (a new file)"
        }. Restart ${title}, or start a new session, to run them.`,
      );
      if (agent === "codex") context.out(CODEX_NOTE);
      return EXIT.ok;
    }
    if (removeFile) await Deno.remove(file);
    else await Deno.writeTextFile(file, after);
    await Deno.remove(hooksRecordPath(file)).catch(() => {});
    context.out(
      `${
        removeFile
          ? `Removed ${file} (wrap had created it)`
          : `Restored ${file}`
      }${saved ? `; backup: ${saved}` : ""}.${note} Restart ${title}.`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) {
      context.err(
        `${file}: permission denied (${(error as Error).message}).${
          options.managed
            ? " Managed settings belong to the administrator: run the command as root (Administrator on Windows), or write the file's hooks yourself from --dry-run's diff."
            : " Check the file's owner and mode."
        }`,
      );
      return EXIT.failed;
    }
    if (!(error instanceof ClientConfigError)) throw error;
    context.err(error.message);
    return EXIT.failed;
  }
}
