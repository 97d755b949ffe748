import assert from "node:assert/strict";
import { cliArgs, readEvents, tempDir } from "./_helpers.ts";
import type { AuditEvent } from "../lib/event.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("a sealed session is sealed in the log's worker thread: every event in order, checkpoints in place, the log verifies", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/thread.jsonl`;
  const count = 6000;
  let input = "";
  for (let i = 0; i < count; i++) {
    input += JSON.stringify({
      jsonrpc: "2.0",
      id: i,
      method: "tools/call",
      params: {
        name: "note",
        arguments: { text: `n${i} ${"x".repeat(i % 700)}` },
      },
    }) + "\n";
  }
  const proxy = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--log",
      log,
      "--checkpoint-every",
      "97",
      "--",
      "cat",
    ]),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Read while writing: the relayed bytes come back through `cat`.
  const output = proxy.output();
  const writer = proxy.stdin.getWriter();
  const bytes = encoder.encode(input);
  // In uneven writes, as a client sends.
  for (let at = 0; at < bytes.length; at += 50_000) {
    await writer.write(bytes.subarray(at, at + 50_000));
  }
  await writer.close();
  const { code, stdout, stderr } = await output;
  assert.equal(code, 0);
  assert.equal(decoder.decode(stdout), input);
  // The worker started (no fallback to the main thread).
  assert.doesNotMatch(decoder.decode(stderr), /log.s thread/);

  const { events, partial } = await readEvents(log);
  assert.equal(partial, "");
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i));
  const calls = events.filter((e): e is AuditEvent & { kind: "request" } =>
    e.kind === "request" && e.dir === "c2s"
  );
  assert.equal(calls.length, count);
  assert.deepEqual(
    calls.map((e) => e.id),
    Array.from({ length: count }, (_, i) => i),
  );
  const checkpoints = events.filter((e) => e.kind === "checkpoint");
  assert.ok(checkpoints.length >= (2 * count) / 97);
  assert.equal(events.at(-2)?.kind, "session_end");
  assert.equal(events.at(-1)?.kind, "checkpoint");

  const verify = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["verify", log]),
    stdout: "piped",
  }).output();
  assert.equal(verify.code, 0, decoder.decode(verify.stdout));
});
