/**
 * A real signed session recorded through the proxy, and the helpers the
 * evidence tests share: run the CLI, write a changed copy of the log, find
 * a line.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cliArgs, fixtureServer, readAll } from "../_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a CLI run printed and returned. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mcp-audit` with `args`. */
export async function cli(args: string[], cwd?: string): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    stdout: "piped",
    stderr: "piped",
    cwd,
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** Records a real session through the proxy: initialize and three echo calls. */
export async function record(log: string, proxyArgs: string[]): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--checkpoint-every",
      "3",
      ...proxyArgs,
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
        clientInfo: { name: "verify-test", version: "1" },
      },
    },
    ...["alpha", "bravo", "charlie"].map((text, i) => ({
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
    // One answer per message before the next, so the log's order is fixed.
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
  const status = await child.status;
  assert.equal(status.code, 0, "the recorded session ends cleanly");
}

/** A recorded signed session, its keys and its lines. */
export interface Fixture {
  dir: string;
  log: string;
  key: string;
  pub: string;
  otherPub: string;
  lines: string[];
}

/** Records a signed session in `dir`, with a second key pair beside. */
export async function signedSession(dir: string): Promise<Fixture> {
  assert.equal((await cli(["keygen", "--out", `${dir}/k`])).code, 0);
  assert.equal((await cli(["keygen", "--out", `${dir}/other`])).code, 0);
  const log = `${dir}/session.jsonl`;
  await record(log, ["--signing-key", `${dir}/k.key`]);
  const lines = (await Deno.readTextFile(log)).split("\n").slice(0, -1);
  return {
    dir,
    log,
    key: `${dir}/k.key`,
    pub: `${dir}/k.pub`,
    otherPub: `${dir}/other.pub`,
    lines,
  };
}

/** Writes `lines` as log `name` in the fixture's directory; returns its path. */
export async function tampered(
  f: Fixture,
  name: string,
  lines: string[],
  tail = "\n",
): Promise<string> {
  const path = `${f.dir}/${name}.jsonl`;
  await Deno.writeTextFile(path, lines.join("\n") + tail);
  return path;
}

/** 1-based line number of the first line matching `test`. */
export function lineOf(
  lines: string[],
  test: (e: Record<string, unknown>) => boolean,
): number {
  const i = lines.findIndex((l) => test(JSON.parse(l)));
  assert.ok(i >= 0, "the fixture has such a line");
  return i + 1;
}

/** Matches the response that echoes `text`. */
export function isEcho(
  text: string,
): (e: Record<string, unknown>) => boolean {
  return (e) =>
    e.kind === "response" && JSON.stringify(e.result).includes(text);
}
