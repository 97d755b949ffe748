/**
 * A real signed session recorded through the proxy, and the helpers the
 * evidence tests share: run the CLI, write a changed copy of the log, find
 * a line.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cli, recordSession } from "../_recorded_session.ts";

export { cli, type Run } from "../_recorded_session.ts";

/** Records a real session through the proxy: initialize and three echo calls. */
export async function record(log: string, proxyArgs: string[]): Promise<void> {
  await recordSession(log, {
    texts: ["alpha", "bravo", "charlie"],
    proxyArgs,
    client: "verify-test",
  });
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
