/**
 * The JSON (and JSONC) side of wire-in: finds the server entries of a
 * client's file and rewrites one in place with `jsonc-parser`'s `modify`,
 * so comments, order and formatting everywhere else stay byte for byte.
 *
 * @module
 */
import {
  applyEdits,
  type FormattingOptions,
  modify,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import type { McpClient } from "./client.ts";
import { ClientConfigError, lineColumn } from "./config_error.ts";
import type { ServerEntry } from "./server_entry.ts";

/** One entry's place in a file: the path of its value and its text. */
export interface EntrySpan {
  /** The JSON path of the entry (`["mcpServers", "fs"]`), or the TOML table's keys. */
  path: string[];
  /** The entry as wire-in reads it. */
  entry: ServerEntry;
  /** Start and end offsets of the entry's value in the file. */
  start: number;
  /** End offset (exclusive). */
  end: number;
}

function findNode(root: Node | undefined, path: string[]): Node | undefined {
  let node = root;
  for (const key of path) {
    if (!node || node.type !== "object") return undefined;
    const prop = node.children?.find((p) => p.children?.[0]?.value === key);
    node = prop?.children?.[1];
  }
  return node;
}

/** Parses `text`, or throws {@linkcode ClientConfigError} naming file, line and column. */
function parseOrThrow(text: string, file: string): Node | undefined {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, {
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
  if (root && root.type !== "object") {
    throw new ClientConfigError(
      `${file}:1:1: the file holds no JSON object. Nothing was written.`,
    );
  }
  return root;
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((v): v is string => typeof v === "string")
    : [];
}

/**
 * The server entries of a JSON config, in file order, with their spans.
 * Throws {@linkcode ClientConfigError} when the file does not parse.
 *
 * @example
 * ```ts
 * import { jsonEntries } from "./json_config.ts";
 * import { cursor } from "./cursor.ts";
 * import assert from "node:assert/strict";
 *
 * const text = '{ // mine\n "mcpServers": { "fs": { "command": "npx", "args": ["-y", "fs"] } } }';
 * const [fs] = jsonEntries(text, "mcp.json", cursor);
 * assert.deepEqual(fs.path, ["mcpServers", "fs"]);
 * assert.equal(text.slice(fs.start, fs.end), '{ "command": "npx", "args": ["-y", "fs"] }');
 * ```
 */
export function jsonEntries(
  text: string,
  file: string,
  client: McpClient,
): EntrySpan[] {
  const root = parseOrThrow(text, file);
  if (!root) return [];
  const value = JSON.parse(JSON.stringify(nodeValue(root)));
  const maps = [[client.serversKey], ...(client.moreServerMaps?.(value) ?? [])];
  const spans: EntrySpan[] = [];
  for (const map of maps) {
    const node = findNode(root, map);
    if (!node || node.type !== "object") continue;
    for (const prop of node.children ?? []) {
      const [key, val] = prop.children ?? [];
      if (!key || !val || val.type !== "object") continue;
      const raw = nodeValue(val) as Record<string, unknown>;
      const urlKey = client.urlKeys.find((k) => typeof raw[k] === "string");
      const headers = raw[client.headersKey];
      spans.push({
        path: [...map, key.value as string],
        start: val.offset,
        end: val.offset + val.length,
        entry: {
          name: key.value as string,
          command: typeof raw.command === "string" ? raw.command : undefined,
          args: strings(raw.args),
          url: urlKey ? raw[urlKey] as string : undefined,
          headers: headers && typeof headers === "object"
            ? Object.fromEntries(
              Object.entries(headers).filter(([, v]) => typeof v === "string"),
            ) as Record<string, string>
            : {},
        },
      });
    }
  }
  return spans;
}

function nodeValue(node: Node): unknown {
  switch (node.type) {
    case "object":
      return Object.fromEntries(
        (node.children ?? []).flatMap((p) =>
          p.children?.length === 2
            ? [[p.children[0].value, nodeValue(p.children[1])]]
            : []
        ),
      );
    case "array":
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

/** The file's indentation and line ends, so inserted keys look like the rest. */
function formatting(text: string): FormattingOptions {
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? "  ";
  return {
    insertSpaces: !indent.startsWith("\t"),
    tabSize: indent.startsWith("\t") ? 1 : indent.length,
    eol: text.includes("\r\n") ? "\r\n" : "\n",
  };
}

/**
 * `text` with the entry at `path` turned into a stdio entry that runs
 * `command args`: `command` and `args` set, and for a remote entry its URL
 * and headers keys removed and a non-stdio `type` set to `"stdio"`. Every
 * other key (env, cwd, envFile, type, unknown ones) stays as written.
 *
 * @example
 * ```ts
 * import { setJsonCommand } from "./json_config.ts";
 * import { cursor } from "./cursor.ts";
 * import assert from "node:assert/strict";
 *
 * const text = '{\n  // servers\n  "mcpServers": { "fs": { "command": "npx", "env": { "A": "1" } } }\n}\n';
 * const out = setJsonCommand(text, ["mcpServers", "fs"], { command: "/bin/mcp-audit", args: ["proxy"] }, cursor);
 * assert.ok(out.startsWith('{\n  // servers\n'));
 * assert.deepEqual(JSON.parse(out.replace("// servers", "")).mcpServers.fs,
 *   { command: "/bin/mcp-audit", env: { A: "1" }, args: ["proxy"] });
 * ```
 */
export function setJsonCommand(
  text: string,
  path: string[],
  line: { command: string; args: string[] },
  client: McpClient,
): string {
  const formattingOptions = formatting(text);
  const edit = (t: string, key: string, value: unknown): string =>
    applyEdits(t, modify(t, [...path, key], value, { formattingOptions }));
  const root = parseTree(text, [], { allowTrailingComma: true });
  const raw = nodeValue(findNode(root, path)!) as Record<string, unknown>;
  let out = text;
  if (raw.command === undefined) {
    for (const key of [...client.urlKeys, client.headersKey]) {
      if (raw[key] !== undefined) out = edit(out, key, undefined);
    }
    if (typeof raw.type === "string" && raw.type !== "stdio") {
      out = edit(out, "type", "stdio");
    }
  }
  out = edit(out, "command", line.command);
  out = edit(out, "args", line.args);
  return out;
}
