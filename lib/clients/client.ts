/**
 * What wire-in knows of one MCP client: where its config files are on
 * Linux, macOS and Windows, their format, and the keys its server entries
 * use. One small typed record per client, one file each (this folder), so
 * that other kinds of installation (an agent's hooks) can be added to a
 * client's record without touching the others.
 *
 * @module
 */

/** The environment config paths depend on. */
export interface ClientEnv {
  /** The operating system, as `Deno.build.os` names it. */
  os: typeof Deno.build.os;
  /** An environment variable's value, or `undefined` when it is not set. */
  get(name: string): string | undefined;
}

/** How a client's config file is written. */
export type ConfigFormat = "json" | "toml";

/** One MCP client that `mcp-audit wrap` can wire in. */
export interface McpClient {
  /** The name on the command line: `claude-desktop`, `vscode`, ... */
  id: string;
  /** The name users know it by. */
  title: string;
  /** JSON (comments allowed where the client allows them) or TOML. */
  format: ConfigFormat;
  /** The key of the object (JSON) or table (TOML) whose members are the server entries. */
  serversKey: string;
  /** The keys a remote (HTTP or SSE) entry gives its URL in. */
  urlKeys: readonly string[];
  /** The key of a remote entry's HTTP headers. */
  headersKey: string;
  /** The user-scope config file on this platform (`undefined`: none there). */
  userFile(env: ClientEnv): string | undefined;
  /** The project-scope config file of the project in `dir`, where the client has one. */
  projectFile?(dir: string): string;
  /**
   * Further paths of server maps in a parsed user file besides
   * `[serversKey]` (Claude Code keeps per-project servers in `~/.claude.json`).
   */
  moreServerMaps?(root: unknown): string[][];
  /** The documentation the paths and keys were taken from. */
  docs: readonly string[];
  // Agent hooks (`wrap <agent> --hooks`) plug in here as another optional
  // field of the record, next to the MCP config it already describes.
}

/**
 * The user's home directory, on every platform (`%USERPROFILE%` on Windows).
 *
 * @example
 * ```ts
 * import { home } from "./client.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(home({ os: "windows", get: (k) => k === "USERPROFILE" ? "C:\\Users\\ada" : undefined }), "C:\\Users\\ada");
 * ```
 */
export function home(env: ClientEnv): string {
  return (env.os === "windows"
    ? env.get("USERPROFILE") ?? env.get("HOME")
    : env.get("HOME")) ?? ".";
}

/**
 * A path under the home directory, with the platform's separator.
 *
 * @example
 * ```ts
 * import { inHome } from "./client.ts";
 * import assert from "node:assert/strict";
 *
 * const env = { os: "linux" as const, get: (k: string) => k === "HOME" ? "/home/ada" : undefined };
 * assert.equal(inHome(env, ".cursor", "mcp.json"), "/home/ada/.cursor/mcp.json");
 * ```
 */
export function inHome(env: ClientEnv, ...parts: string[]): string {
  return join(env, home(env), ...parts);
}

/**
 * `parts` joined with the platform's separator.
 *
 * @example
 * ```ts
 * import { join } from "./client.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(join({ os: "windows", get: () => undefined }, "C:", "a"), "C:\\a");
 * ```
 */
export function join(env: ClientEnv, ...parts: string[]): string {
  return parts.join(env.os === "windows" ? "\\" : "/");
}

/**
 * The per-user application-data directory: `%APPDATA%` on Windows,
 * `~/Library/Application Support` on macOS, `$XDG_CONFIG_HOME` (else
 * `~/.config`) on Linux.
 *
 * @example
 * ```ts
 * import { appData } from "./client.ts";
 * import assert from "node:assert/strict";
 *
 * const env = { os: "darwin" as const, get: (k: string) => k === "HOME" ? "/Users/ada" : undefined };
 * assert.equal(appData(env), "/Users/ada/Library/Application Support");
 * ```
 */
export function appData(env: ClientEnv): string {
  if (env.os === "windows") {
    return env.get("APPDATA") ?? `${home(env)}\\AppData\\Roaming`;
  }
  if (env.os === "darwin") return `${home(env)}/Library/Application Support`;
  const xdg = env.get("XDG_CONFIG_HOME");
  return xdg && xdg.startsWith("/") ? xdg : `${home(env)}/.config`;
}
