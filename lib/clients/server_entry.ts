/**
 * One server entry of a client's config, as wire-in sees it: a stdio
 * command or a remote URL, and whether it is audited already, or wrapped by
 * another tool. Also the command line a wrapped entry runs, and the way
 * back to the original.
 *
 * @module
 */

/** What an entry starts or reaches. */
export interface ServerEntry {
  /** The entry's name (its key in the client's server map). */
  name: string;
  /** The stdio command, when it has one. */
  command?: string;
  /** The stdio command's arguments. */
  args: string[];
  /** The remote URL, when it has one. */
  url?: string;
  /** The remote entry's HTTP headers, as written (references unresolved). */
  headers: Record<string, string>;
}

/** How `mcp-audit` itself is started: a command and the arguments before `proxy`. */
export interface SelfCommand {
  /** The absolute path of the executable. */
  command: string;
  /** Arguments before the subcommand (for Deno: `run`, the permissions and the script). */
  args: string[];
  /** What it is, for the output: `the compiled binary`, `the installed launcher`, ... */
  how: string;
}

/** Where an entry stands. */
export type EntryState =
  | { kind: "audited" }
  | { kind: "foreign"; tool: string }
  | { kind: "stdio" }
  | { kind: "remote" }
  | { kind: "unknown" };

function base(path: string): string {
  return path.split(/[\\/]/).pop()!.toLowerCase().replace(/\.(exe|cmd)$/, "");
}

/** The index of `proxy` in an entry's args when the entry runs `mcp-audit proxy`, else -1. */
function proxyIndex(command: string, args: readonly string[]): number {
  const at = args.indexOf("proxy");
  if (at < 0) return -1;
  if (base(command) === "mcp-audit") return at;
  const script = args[at - 1] ?? "";
  return /(^|[\\/])(mcp-audit(\.js)?|cli\.ts)$/.test(script) ? at : -1;
}

/** Tools that put themselves in front of a server command, known by their command. */
const FOREIGN: readonly { tool: string; test(words: string[]): boolean }[] = [
  {
    tool: "mcp-scan (Invariant Labs / Snyk)",
    test: (w) => w.some((x) => /^mcp-scan(@.*)?$/.test(x)),
  },
  { tool: "ToolHive (thv)", test: (w) => w.some((x) => x === "thv") },
  {
    tool: "Docker MCP gateway",
    test: (w) => w[0] === "docker" && w[1] === "mcp" && w[2] === "gateway",
  },
  {
    tool: "mcp-context-protector",
    test: (w) => w.some((x) => /^mcp-context-protector/.test(x)),
  },
];

/**
 * Where an entry stands: already audited by mcp-audit, wrapped by another
 * tool (named), a stdio command, or a remote URL.
 *
 * @example
 * ```ts
 * import { entryState } from "./server_entry.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(entryState({ name: "a", command: "npx", args: ["-y", "x"], headers: {} }), { kind: "stdio" });
 * assert.deepEqual(entryState({ name: "a", command: "/usr/bin/mcp-audit", args: ["proxy", "--name", "a", "--", "x"], headers: {} }), { kind: "audited" });
 * assert.deepEqual(entryState({ name: "a", command: "docker", args: ["mcp", "gateway", "run"], headers: {} }), { kind: "foreign", tool: "Docker MCP gateway" });
 * assert.deepEqual(entryState({ name: "a", url: "https://x/mcp", args: [], headers: {} }), { kind: "remote" });
 * ```
 */
export function entryState(entry: ServerEntry): EntryState {
  if (entry.command !== undefined) {
    if (proxyIndex(entry.command, entry.args) >= 0) return { kind: "audited" };
    const words = [entry.command, ...entry.args].map(base);
    const foreign = FOREIGN.find((f) => f.test(words));
    if (foreign) return { kind: "foreign", tool: foreign.tool };
    return { kind: "stdio" };
  }
  return entry.url !== undefined ? { kind: "remote" } : { kind: "unknown" };
}

/**
 * The command line an entry runs once wrapped: `mcp-audit proxy --name NAME
 * -- <command and args>` for stdio, `mcp-audit proxy --name NAME --upstream
 * URL --header "Name: value"...` for a remote entry.
 *
 * @example
 * ```ts
 * import { proxyCommandLine } from "./server_entry.ts";
 * import assert from "node:assert/strict";
 *
 * const self = { command: "/bin/mcp-audit", args: [], how: "binary" };
 * assert.deepEqual(proxyCommandLine(self, { name: "fs", command: "npx", args: ["-y", "fs"], headers: {} }),
 *   { command: "/bin/mcp-audit", args: ["proxy", "--name", "fs", "--", "npx", "-y", "fs"] });
 * assert.deepEqual(proxyCommandLine(self, { name: "gh", url: "https://x/mcp", args: [], headers: { Authorization: "Bearer ${input:tok}" } }).args,
 *   ["proxy", "--name", "gh", "--upstream", "https://x/mcp", "--header", "Authorization: Bearer ${input:tok}"]);
 * ```
 */
export function proxyCommandLine(
  self: SelfCommand,
  entry: ServerEntry,
): { command: string; args: string[] } {
  const head = [...self.args, "proxy", "--name", entry.name];
  if (entry.command !== undefined) {
    return {
      command: self.command,
      args: [...head, "--", entry.command, ...entry.args],
    };
  }
  return {
    command: self.command,
    args: [
      ...head,
      "--upstream",
      entry.url!,
      ...Object.entries(entry.headers).flatMap((
        [k, v],
      ) => ["--header", `${k}: ${v}`]),
    ],
  };
}

/**
 * The original stdio command of an audited entry (what follows `--`), or
 * `undefined` when the entry is not an audited stdio one.
 *
 * @example
 * ```ts
 * import { originalCommandLine } from "./server_entry.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(originalCommandLine("/bin/mcp-audit", ["proxy", "--name", "a", "--", "npx", "-y", "x"]),
 *   { command: "npx", args: ["-y", "x"] });
 * ```
 */
export function originalCommandLine(
  command: string,
  args: readonly string[],
): { command: string; args: string[] } | undefined {
  const at = proxyIndex(command, args);
  if (at < 0) return undefined;
  const dashes = args.indexOf("--", at);
  if (dashes < 0 || dashes + 1 >= args.length) return undefined;
  return { command: args[dashes + 1], args: args.slice(dashes + 2) };
}
