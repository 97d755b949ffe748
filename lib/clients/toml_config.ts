/**
 * The TOML side of wire-in (Codex CLI's `config.toml`): `smol-toml` parses
 * and validates the file, and edits are made on the text spans of the
 * `[mcp_servers.NAME]` tables, so comments, order and formatting stay byte
 * for byte and an unwrap can put the original table text back exactly.
 *
 * @module
 */
import { parse, TomlError } from "smol-toml";
import type { McpClient } from "./client.ts";
import { ClientConfigError } from "./config_error.ts";
import type { EntrySpan } from "./json_config.ts";

/**
 * Parses `text`, or throws {@linkcode ClientConfigError} naming file, line
 * and column.
 *
 * @example
 * ```ts
 * import { parseToml } from "./toml_config.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseToml('a = "x', "config.toml"), /^ClientConfigError: config\.toml:1:\d+: the file does not parse/);
 * ```
 */
export function parseToml(text: string, file: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    const e = error as TomlError;
    const where = e instanceof TomlError ? `${e.line}:${e.column}` : "1:1";
    const first = String((error as Error).message).split("\n")[0];
    throw new ClientConfigError(
      `${file}:${where}: the file does not parse (${first}). Nothing was written: fix the file, then run the command again.`,
      { cause: error },
    );
  }
}

/** The dotted keys of a table header's inside: `mcp_servers."my server"` -> `["mcp_servers", "my server"]`. */
function headerKeys(inside: string): string[] | undefined {
  const keys: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(\.|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < inside.length && (m = re.exec(inside))) {
    keys.push(m[1] !== undefined ? JSON.parse(`"${m[1]}"`) : m[2] ?? m[3]);
    if (m[4] === "") break;
  }
  return re.lastIndex === inside.length || keys.length > 0 ? keys : undefined;
}

/** A table header line: where it starts and its keys. */
interface Header {
  start: number;
  keys: string[];
}

function headers(text: string): Header[] {
  const out: Header[] = [];
  const re = /^[ \t]*\[(?!\[)([^\]\n]*)\][ \t]*(#[^\n]*)?$/gm;
  for (const m of text.matchAll(re)) {
    const keys = headerKeys(m[1]);
    if (keys) out.push({ start: m.index!, keys });
  }
  // Arrays of tables end a table too.
  for (const m of text.matchAll(/^[ \t]*\[\[/gm)) {
    out.push({ start: m.index!, keys: [] });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Where a key's value ends: strings, arrays and inline tables scanned, comments skipped. */
function valueEnd(text: string, from: number): number {
  let i = from;
  let depth = 0;
  while (i < text.length) {
    const c = text[i];
    if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
      const q = text.slice(i, i + 3);
      i = text.indexOf(q, i + 3);
      if (i < 0) return text.length;
      i += 3;
      while (text[i] === q[0]) i++;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== "\n") {
        i += text[i] === "\\" ? 2 : 1;
      }
      i++;
      continue;
    }
    if (c === "'") {
      i = text.indexOf("'", i + 1) + 1;
      if (i === 0) return text.length;
      continue;
    }
    if (c === "#") {
      if (depth === 0) break;
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === "[" || c === "{") depth++;
    if (c === "]" || c === "}") depth--;
    if (c === "\n" && depth <= 0) break;
    i++;
  }
  let end = i;
  while (end > from && /[ \t\r]/.test(text[end - 1])) end--;
  return end;
}

/** A key/value line of a table: the key, the span of the whole line and of its value. */
export interface TomlKeyValue {
  key: string;
  /** Start of the line. */
  lineStart: number;
  /** Start of the value. */
  valueStart: number;
  /** End of the value (exclusive). */
  valueEnd: number;
  /** End of the line, with its newline. */
  lineEnd: number;
}

/**
 * The top-level key/value lines between `start` and `end` (a table's body).
 *
 * @example
 * ```ts
 * import { keyValues } from "./toml_config.ts";
 * import assert from "node:assert/strict";
 *
 * const text = 'a = [\n  "x", # c\n]\nb = 1\n';
 * const [a, b] = keyValues(text, 0, text.length);
 * assert.equal(text.slice(a.valueStart, a.valueEnd), '[\n  "x", # c\n]');
 * assert.equal(b.key, "b");
 * ```
 */
export function keyValues(
  text: string,
  start: number,
  end: number,
): TomlKeyValue[] {
  const out: TomlKeyValue[] = [];
  const re =
    /^[ \t]*("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[A-Za-z0-9_-]+)[ \t]*=[ \t]*/gm;
  re.lastIndex = start;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) && m.index < end) {
    const valueStart = m.index + m[0].length;
    const vEnd = valueEnd(text, valueStart);
    const nl = text.indexOf("\n", vEnd);
    const lineEnd = nl < 0 ? text.length : nl + 1;
    const raw = m[1];
    out.push({
      key: raw.startsWith('"')
        ? JSON.parse(raw)
        : raw.startsWith("'")
        ? raw.slice(1, -1)
        : raw,
      lineStart: m.index,
      valueStart,
      valueEnd: vEnd,
      lineEnd,
    });
    re.lastIndex = lineEnd;
  }
  return out;
}

/** Entries the file defines but not as `[mcp_servers.NAME]` tables, which wire-in does not edit. */
export interface TomlUnsupported {
  /** The entry's name. */
  name: string;
  /** Why it is left alone. */
  reason: string;
}

/**
 * The `[mcp_servers.NAME]` entries of a TOML config with their spans (the
 * table from its header to the next header), and those defined otherwise.
 * Throws {@linkcode ClientConfigError} when the file does not parse.
 *
 * @example
 * ```ts
 * import { tomlEntries } from "./toml_config.ts";
 * import { codexCli } from "./codex_cli.ts";
 * import assert from "node:assert/strict";
 *
 * const text = 'model = "o3"\n\n[mcp_servers.docs] # mine\ncommand = "npx"\nargs = ["-y", "docs"]\n';
 * const { spans } = tomlEntries(text, "config.toml", codexCli);
 * assert.equal(spans[0].entry.command, "npx");
 * assert.equal(text.slice(spans[0].start, spans[0].end), '[mcp_servers.docs] # mine\ncommand = "npx"\nargs = ["-y", "docs"]\n');
 * ```
 */
export function tomlEntries(
  text: string,
  file: string,
  client: McpClient,
): { spans: EntrySpan[]; unsupported: TomlUnsupported[] } {
  const root = parseToml(text, file);
  const servers = (root[client.serversKey] ?? {}) as Record<string, unknown>;
  const all = headers(text);
  const spans: EntrySpan[] = [];
  for (let i = 0; i < all.length; i++) {
    const h = all[i];
    if (h.keys.length !== 2 || h.keys[0] !== client.serversKey) continue;
    const name = h.keys[1];
    const raw = servers[name] as Record<string, unknown> | undefined;
    if (!raw || typeof raw !== "object") continue;
    const end = all[i + 1]?.start ?? text.length;
    const urlKey = client.urlKeys.find((k) => typeof raw[k] === "string");
    const hdrs = raw[client.headersKey];
    spans.push({
      path: [client.serversKey, name],
      start: h.start,
      end,
      entry: {
        name,
        command: typeof raw.command === "string" ? raw.command : undefined,
        args: Array.isArray(raw.args)
          ? raw.args.filter((a): a is string => typeof a === "string")
          : [],
        url: urlKey ? raw[urlKey] as string : undefined,
        headers: hdrs && typeof hdrs === "object"
          ? Object.fromEntries(
            Object.entries(hdrs).filter(([, v]) => typeof v === "string"),
          ) as Record<string, string>
          : {},
      },
    });
  }
  const unsupported = Object.keys(servers)
    .filter((name) => !spans.some((s) => s.entry.name === name))
    .map((name) => ({
      name,
      reason:
        `it is not written as a [${client.serversKey}.${name}] table; write it as one to wrap it`,
    }));
  return { spans, unsupported };
}

/**
 * Why a TOML entry cannot be wrapped by span edits, or `undefined` when it can.
 *
 * @example
 * ```ts
 * import { tomlEntries, tomlRefusal } from "./toml_config.ts";
 * import { codexCli } from "./codex_cli.ts";
 * import assert from "node:assert/strict";
 *
 * const text = '[mcp_servers.gh]\nurl = "https://x/mcp"\nbearer_token_env_var = "GH"\n';
 * const [span] = tomlEntries(text, "config.toml", codexCli).spans;
 * assert.match(tomlRefusal(text, span, codexCli)!, /bearer_token_env_var/);
 * ```
 */
export function tomlRefusal(
  text: string,
  span: EntrySpan,
  client: McpClient,
): string | undefined {
  const kvs = keyValues(text, span.start, span.end);
  const keys = new Set(kvs.map((k) => k.key));
  if (span.entry.command !== undefined && !keys.has("command")) {
    return "its command is not a plain key of its table";
  }
  if (span.entry.command === undefined) {
    for (const k of ["bearer_token_env_var", "env_http_headers"]) {
      if (keys.has(k)) {
        return `it takes headers from environment variables (${k}), which Codex does not expand in a command's arguments`;
      }
    }
    const sub = new RegExp(
      `^[ \\t]*\\[${client.serversKey}\\.${span.entry.name}\\.${client.headersKey}\\]`,
      "m",
    );
    if (sub.test(text)) {
      return `its ${client.headersKey} are a table of their own`;
    }
  }
  return undefined;
}

/**
 * `text` with the TOML entry `span` turned into a stdio entry running
 * `line`: its `command` and `args` values replaced (an `args` line added
 * after `command` when missing), or for a remote entry its `url` line
 * replaced by `command` and `args` and its headers line removed. Nothing
 * else in the file changes.
 *
 * @example
 * ```ts
 * import { setTomlCommand, tomlEntries } from "./toml_config.ts";
 * import { codexCli } from "./codex_cli.ts";
 * import assert from "node:assert/strict";
 *
 * const text = '[mcp_servers.docs]\ncommand = "npx" # launcher\nargs = [\n  "-y",\n  "docs",\n]\nenv = { A = "1" }\n';
 * const [span] = tomlEntries(text, "config.toml", codexCli).spans;
 * const out = setTomlCommand(text, span, { command: "/bin/mcp-audit", args: ["proxy", "--", "npx"] }, codexCli);
 * assert.equal(out, '[mcp_servers.docs]\ncommand = "/bin/mcp-audit" # launcher\nargs = ["proxy", "--", "npx"]\nenv = { A = "1" }\n');
 * ```
 */
export function setTomlCommand(
  text: string,
  span: EntrySpan,
  line: { command: string; args: string[] },
  client: McpClient,
): string {
  const kvs = keyValues(text, span.start, span.end);
  const find = (key: string): TomlKeyValue | undefined =>
    kvs.find((k) => k.key === key);
  const command = JSON.stringify(line.command);
  const args = `[${line.args.map((a) => JSON.stringify(a)).join(", ")}]`;
  const edits: { start: number; end: number; text: string }[] = [];
  const cmd = find("command");
  if (cmd) {
    edits.push({ start: cmd.valueStart, end: cmd.valueEnd, text: command });
    const a = find("args");
    if (a) edits.push({ start: a.valueStart, end: a.valueEnd, text: args });
    else {
      edits.push({
        start: cmd.lineEnd,
        end: cmd.lineEnd,
        text: `args = ${args}\n`,
      });
    }
  } else {
    const url = client.urlKeys.map(find).find((k) => k !== undefined)!;
    edits.push({
      start: url.lineStart,
      end: url.valueEnd,
      text: `command = ${command}\nargs = ${args}`,
    });
    const h = find(client.headersKey);
    if (h) edits.push({ start: h.lineStart, end: h.lineEnd, text: "" });
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  }
  return out;
}
