/**
 * Real sessions recorded through `mcp-audit proxy` in front of the
 * scripted fixture server, and the CLI run as a user runs it: shared by
 * the tests of the evidence commands and of the report.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cliArgs, fixtureServer, readAll } from "./_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a CLI run printed and how it exited. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mcp-audit <args>` (in `cwd`) as a subprocess, with no stdin. */
export async function cli(args: string[], cwd?: string): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** Options for {@linkcode recordSession}. */
export interface RecordOptions {
  /** One `echo` call per text, in order. */
  texts: string[];
  /** Proxy flags besides `--quiet --checkpoint-every 3 --log LOG`. @default {[]} */
  proxyArgs?: string[];
  /** The client's name in `initialize`. @default {"test-client"} */
  client?: string;
}

/**
 * Records a session through the proxy into `log`: initialize and one `echo`
 * call per text, each answered before the next is sent, so the log's order
 * is fixed; asserts that the session ends cleanly.
 */
export async function recordSession(
  log: string,
  options: RecordOptions,
): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--checkpoint-every",
      "3",
      ...(options.proxyArgs ?? []),
      "--log",
      log,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const messages = [
    {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: options.client ?? "test-client", version: "1" },
      },
    },
    ...options.texts.map((text, i) => ({
      jsonrpc: "2.0",
      id: i + 1,
      method: "tools/call",
      params: { name: "echo", arguments: { text } },
    })),
  ];
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  let seen = 0;
  for (const m of messages) {
    await writer.write(encoder.encode(JSON.stringify(m) + "\n"));
    while (seen <= m.id) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value.filter((b) => b === 10).length;
    }
  }
  await writer.close();
  reader.releaseLock();
  await child.stdout.cancel();
  await readAll(child.stderr);
  assert.equal((await child.status).code, 0, "the session ends cleanly");
}
