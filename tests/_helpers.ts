/**
 * Shared test helpers: how to start the proxy exactly as a user does (the
 * CLI as a subprocess), and how to read back the log it wrote. Set
 * `MCP_AUDIT_CLI` to a bundled `mcp-audit.js` to run the same tests against
 * the single-file artifact.
 *
 * @module
 */
import type { AuditEvent } from "../lib/audit/event.ts";
import { concat } from "../lib/util/_bytes.ts";

/** The CLI under test: `cli.ts`, or the bundle named by `MCP_AUDIT_CLI`. */
export const CLI: string = Deno.env.get("MCP_AUDIT_CLI") ??
  new URL("../cli.ts", import.meta.url).pathname;

/** Permissions the proxy runs with in the tests, the same the binary is compiled with. */
export const PROXY_PERMISSIONS: string[] = [
  "--allow-run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
];

/**
 * The V8 flags the binary, the installed command and the bundle's shebang
 * run with (see the README's Permissions): allocation-site pretenuring
 * takes the proxy's bursts of short-lived events for long-lived ones, and
 * the linear-time regular-expression engine runs the plugins' patterns on
 * long texts (and takes over from the backtracking one after 1000
 * backtracks at one place).
 */
export const V8_FLAGS =
  "--v8-flags=--no-allocation-site-pretenuring,--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks,--regexp-backtracks-before-fallback=1000";

/** What `mcp-audit` runs with: {@linkcode PROXY_PERMISSIONS} and {@linkcode V8_FLAGS}. */
export const PROXY_FLAGS: string[] = [...PROXY_PERMISSIONS, V8_FLAGS];

/** The argv (after the deno executable) that runs `mcp-audit <args>`. */
export function cliArgs(args: string[]): string[] {
  return ["run", "--quiet", ...PROXY_FLAGS, CLI, ...args];
}

/** The argv that runs a fixture server script with Deno. */
export function fixtureServer(name: string, ...args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    ...PROXY_PERMISSIONS,
    new URL(`./fixtures/${name}`, import.meta.url).pathname,
    ...args,
  ];
}

/** The HR demo server command. */
export const HR_SERVER: string[] = [
  Deno.execPath(),
  "run",
  "--quiet",
  new URL("../demo/hr_server.ts", import.meta.url).pathname,
];

/** `@modelcontextprotocol/server-everything` over stdio, run by Deno from npm. */
export const EVERYTHING_SERVER: string[] = [
  Deno.execPath(),
  "run",
  "--quiet",
  "-A",
  "npm:@modelcontextprotocol/server-everything@2026.8.31",
  "stdio",
];

/** Reads a JSONL log: every complete line parsed; a partial last line returned apart. */
export async function readEvents(
  path: string,
): Promise<{ events: AuditEvent[]; partial: string }> {
  const text = await Deno.readTextFile(path);
  const lines = text.split("\n");
  const partial = lines.pop() ?? "";
  return {
    events: lines.filter((l) => l !== "").map((l) => JSON.parse(l)),
    partial,
  };
}

/** A temporary directory removed by the returned disposer. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "mcp-audit-test-" });
  return {
    path,
    async [Symbol.asyncDispose](): Promise<void> {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Reads a whole stream into one byte array. */
export async function readAll(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return concat(chunks);
}

/** Hex SHA-256 of bytes. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    bytes as Uint8Array<ArrayBuffer>,
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}
