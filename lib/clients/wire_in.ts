/**
 * Wrapping and unwrapping the entries of one client config file: the plan
 * (the new text and what happens to each entry), then the write, with a
 * timestamped backup first and the restore record beside the file. The
 * record (`<file>.mcp-audit.json`) holds each wrapped entry's original
 * text and the text wrap wrote, so that `unwrap` puts the original back
 * byte for byte when nothing else changed in the entry.
 *
 * @module
 */
import type { McpClient } from "./client.ts";
import { ClientConfigError } from "./config_error.ts";
import { type EntrySpan, jsonEntries, setJsonCommand } from "./json_config.ts";
import { setTomlCommand, tomlEntries, tomlRefusal } from "./toml_config.ts";
import {
  entryState,
  originalCommandLine,
  proxyCommandLine,
  type SelfCommand,
} from "./server_entry.ts";

/** What happened, or would happen, to one entry. */
export interface EntryOutcome {
  /** The entry's name. */
  name: string;
  /** `wrapped`, `unwrapped`, `unchanged` (already so) or `skipped` (with the reason). */
  action: "wrapped" | "unwrapped" | "unchanged" | "skipped";
  /** Why it was skipped or left unchanged. */
  reason?: string;
}

/** The restore record of one file: per entry path, its original and wrapped text. */
export interface WrapRecord {
  /** Format version. */
  version: 1;
  /** By `JSON.stringify(path)`. */
  entries: Record<string, { original: string; wrapped: string }>;
}

/** The plan for one file. */
export interface FilePlan {
  /** The config file. */
  file: string;
  /** Its text now. */
  before: string;
  /** Its text after the change (equal to `before` when nothing changes). */
  after: string;
  /** One per entry considered. */
  outcomes: EntryOutcome[];
  /** The restore record to write beside the file. */
  record: WrapRecord;
}

/** Options for {@linkcode planFile}. */
export interface PlanOptions {
  /** Wrap or unwrap. */
  mode: "wrap" | "unwrap";
  /** The `mcp-audit` to write. */
  self: SelfCommand;
  /** Only these entries (by name). @default {all} */
  servers?: readonly string[];
  /**
   * The proxy has the Streamable HTTP bridge (`proxy --upstream`): remote
   * entries are wrapped; without it they are skipped, saying why.
   * @default {true}
   */
  bridge?: boolean;
}

/**
 * Where a file's restore record is kept: beside it.
 *
 * @example
 * ```ts
 * import { recordPath } from "./wire_in.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(recordPath("/h/.cursor/mcp.json"), "/h/.cursor/mcp.json.mcp-audit.json");
 * ```
 */
export function recordPath(file: string): string {
  return `${file}.mcp-audit.json`;
}

async function readRecord(file: string): Promise<WrapRecord> {
  try {
    const record = JSON.parse(await Deno.readTextFile(recordPath(file)));
    if (record?.version === 1 && typeof record.entries === "object") {
      return record;
    }
  } catch {
    // No record, or an unreadable one: unwrap then rebuilds entries from their commands.
  }
  return { version: 1, entries: {} };
}

/**
 * The entries of a file, by its format, and those it leaves alone.
 *
 * @example
 * ```ts
 * import { entriesOf } from "./wire_in.ts";
 * import { geminiCli } from "./gemini_cli.ts";
 * import assert from "node:assert/strict";
 *
 * const { spans } = entriesOf('{ "mcpServers": { "gh": { "httpUrl": "https://x/mcp" } } }', "settings.json", geminiCli);
 * assert.equal(spans[0].entry.url, "https://x/mcp");
 * ```
 */
export function entriesOf(
  text: string,
  file: string,
  client: McpClient,
): { spans: EntrySpan[]; skipped: EntryOutcome[] } {
  if (client.format === "json") {
    return { spans: jsonEntries(text, file, client), skipped: [] };
  }
  const { spans, unsupported } = tomlEntries(text, file, client);
  return {
    spans,
    skipped: unsupported.map((u) => ({
      name: u.name,
      action: "skipped",
      reason: u.reason,
    })),
  };
}

function setCommand(
  text: string,
  span: EntrySpan,
  line: { command: string; args: string[] },
  client: McpClient,
): string {
  return client.format === "json"
    ? setJsonCommand(text, span.path, line, client)
    : setTomlCommand(text, span, line, client);
}

/**
 * Plans the wrap or unwrap of `file` (a config of `client`); `undefined`
 * when the file does not exist. Throws {@linkcode ClientConfigError} when
 * the file does not parse, or when a chosen entry is wrapped by another
 * tool.
 *
 * @example Wrapping twice changes nothing the second time
 * ```ts
 * import { planFile } from "./wire_in.ts";
 * import { cursor } from "./cursor.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const file = `${dir}/mcp.json`;
 * await Deno.writeTextFile(file, '{ "mcpServers": { "fs": { "command": "npx", "args": ["fs"] } } }');
 * const self = { command: "/bin/mcp-audit", args: [], how: "binary" };
 * const plan = (await planFile(cursor, file, { mode: "wrap", self }))!;
 * assert.equal(plan.outcomes[0].action, "wrapped");
 * await Deno.writeTextFile(file, plan.after);
 * const again = (await planFile(cursor, file, { mode: "wrap", self }))!;
 * assert.equal(again.after, plan.after);
 * assert.equal(again.outcomes[0].action, "unchanged");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function planFile(
  client: McpClient,
  file: string,
  options: PlanOptions,
): Promise<FilePlan | undefined> {
  let before: string;
  try {
    before = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ClientConfigError(
      `${file}: cannot be read (${(error as Error).message}).`,
      { cause: error },
    );
  }
  const record = await readRecord(file);
  const first = entriesOf(before, file, client);
  const chosen = (name: string): boolean =>
    !options.servers || options.servers.includes(name);
  const outcomes: EntryOutcome[] = first.skipped.filter((s) => chosen(s.name));
  if (options.mode === "wrap") {
    const foreign = first.spans.flatMap((s) => {
      const state = entryState(s.entry);
      return chosen(s.entry.name) && state.kind === "foreign"
        ? [`"${s.entry.name}" (wrapped by ${state.tool})`]
        : [];
    });
    if (foreign.length > 0) {
      throw new ClientConfigError(
        `${file}: ${
          foreign.join(", ")
        } already runs behind another tool; mcp-audit does not stack on it. Nothing was written: unwrap it with that tool first, or leave it out with --server.`,
      );
    }
  }
  let text = before;
  for (const { path, entry } of first.spans) {
    if (!chosen(entry.name)) continue;
    // Spans move as earlier entries change: find this one again.
    const span = entriesOf(text, file, client).spans.find((s) =>
      JSON.stringify(s.path) === JSON.stringify(path)
    )!;
    const key = JSON.stringify(path);
    const state = entryState(entry);
    if (options.mode === "wrap") {
      if (state.kind === "audited") {
        outcomes.push({
          name: entry.name,
          action: "unchanged",
          reason: "already audited",
        });
        continue;
      }
      if (state.kind === "unknown") {
        outcomes.push({
          name: entry.name,
          action: "skipped",
          reason: "it has neither a command nor a URL",
        });
        continue;
      }
      const refusal = (client.format === "toml"
        ? tomlRefusal(text, span, client)
        : undefined) ??
        (state.kind === "remote" && options.bridge === false
          ? "it is remote, and this mcp-audit has no Streamable HTTP bridge (proxy --upstream) yet"
          : undefined);
      if (refusal) {
        outcomes.push({ name: entry.name, action: "skipped", reason: refusal });
        continue;
      }
      const original = text.slice(span.start, span.end);
      text = setCommand(
        text,
        span,
        proxyCommandLine(options.self, entry),
        client,
      );
      const after = entriesOf(text, file, client).spans.find((s) =>
        JSON.stringify(s.path) === key
      )!;
      record.entries[key] = {
        original,
        wrapped: text.slice(after.start, after.end),
      };
      outcomes.push({ name: entry.name, action: "wrapped" });
    } else {
      if (state.kind !== "audited") {
        outcomes.push({
          name: entry.name,
          action: "unchanged",
          reason: "not audited",
        });
        continue;
      }
      const saved = record.entries[key];
      const current = text.slice(span.start, span.end);
      if (saved && saved.wrapped === current) {
        text = text.slice(0, span.start) + saved.original +
          text.slice(span.end);
        outcomes.push({ name: entry.name, action: "unwrapped" });
      } else {
        const line = originalCommandLine(entry.command!, entry.args);
        if (!line) {
          outcomes.push({
            name: entry.name,
            action: "skipped",
            reason:
              `it changed since it was wrapped and its original is not in ${
                recordPath(file)
              }; restore it from the backup beside the file`,
          });
          continue;
        }
        text = setCommand(text, span, line, client);
        outcomes.push({
          name: entry.name,
          action: "unwrapped",
          reason:
            "it changed since it was wrapped: its command and args were restored, its formatting may differ",
        });
      }
      delete record.entries[key];
    }
  }
  // What the edit wrote must still parse.
  if (text !== before) entriesOf(text, file, client);
  return { file, before, after: text, outcomes, record };
}

/** Options for {@linkcode writePlan}. */
export interface WriteOptions {
  /** The time in the backup's name. @default {new Date()} */
  now?: Date;
}

/**
 * Writes a plan that changes its file: checks that no running program
 * holds the file locked (where the OS says so), copies the file to
 * `<file>.<time>.bak` beside it, writes the new text, and the restore
 * record (removed once it holds nothing). Returns the backup's path.
 *
 * @example
 * ```ts
 * import { planFile, recordPath, writePlan } from "./wire_in.ts";
 * import { windsurf } from "./windsurf.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const file = `${dir}/mcp_config.json`;
 * const text = '{ "mcpServers": { "git": { "command": "uvx", "args": ["mcp-server-git"] } } }';
 * await Deno.writeTextFile(file, text);
 * const self = { command: "/bin/mcp-audit", args: [], how: "binary" };
 * const backup = await writePlan((await planFile(windsurf, file, { mode: "wrap", self }))!);
 * assert.equal(await Deno.readTextFile(backup!), text);
 * await writePlan((await planFile(windsurf, file, { mode: "unwrap", self }))!);
 * assert.equal(await Deno.readTextFile(file), text);
 * await assert.rejects(Deno.stat(recordPath(file)));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writePlan(
  plan: FilePlan,
  options: WriteOptions = {},
): Promise<string | undefined> {
  if (plan.after === plan.before) return undefined;
  await refuseLocked(plan.file);
  const stamp = (options.now ?? new Date()).toISOString().replace(/[:.]/g, "-");
  const backup = `${plan.file}.${stamp}.bak`;
  await Deno.copyFile(plan.file, backup);
  await Deno.writeTextFile(plan.file, plan.after);
  const path = recordPath(plan.file);
  if (Object.keys(plan.record.entries).length > 0) {
    await Deno.writeTextFile(path, JSON.stringify(plan.record, null, 2) + "\n");
  } else {
    await Deno.remove(path).catch(() => {});
  }
  return backup;
}

/**
 * Throws {@linkcode ClientConfigError} when the OS reports `file` locked
 * (Windows: a client holding it open without sharing). POSIX systems have
 * no mandatory locks, so there nothing is ever reported.
 */
async function refuseLocked(file: string): Promise<void> {
  try {
    const handle = await Deno.open(file, { read: true, write: true });
    handle.close();
  } catch (error) {
    const message = String((error as Error).message);
    if (
      error instanceof Deno.errors.Busy || /os error (32|33)\b/.test(message)
    ) {
      throw new ClientConfigError(
        `${file}: the file is locked by a running program (${message}). Nothing was written: quit the client, then run the command again.`,
        { cause: error },
      );
    }
    throw new ClientConfigError(
      `${file}: cannot be written (${message}). Nothing was written.`,
      { cause: error },
    );
  }
}
