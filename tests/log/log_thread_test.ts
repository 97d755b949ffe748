import assert from "node:assert/strict";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";
import type { AuditEvent } from "../../lib/audit/event.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Runs the proxy in front of `cat` with `args`, writing `input` in uneven
 * writes (as a client sends) while reading what comes back.
 */
async function throughCat(
  args: string[],
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proxy = new Deno.Command(Deno.execPath(), {
    args: cliArgs(["proxy", ...args, "--", "cat"]),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Read while writing: the relayed bytes come back through `cat`.
  const output = proxy.output();
  const writer = proxy.stdin.getWriter();
  const bytes = encoder.encode(input);
  for (let at = 0; at < bytes.length; at += 50_000) {
    await writer.write(bytes.subarray(at, at + 50_000));
  }
  await writer.close();
  const { code, stdout, stderr } = await output;
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

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
  const { code, stdout, stderr } = await throughCat(
    ["--log", log, "--checkpoint-every", "97"],
    input,
  );
  assert.equal(code, 0);
  assert.equal(stdout, input);
  // The worker started (no fallback to the main thread).
  assert.doesNotMatch(stderr, /log.s thread/);

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

Deno.test("with the log sealed in its thread, the plugins still classify every event of a long stream in order, find entities past the truncation point, redact secrets, and the summary counts them", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/plugins.jsonl`;
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      rules: { sensitive: ["get_pay_*"], write: ["set_*"] },
      entities: [{ type: "employee", pattern: "\\bE\\d{3}\\b" }],
    }),
  );
  const secret = "sk-proj-" + "A1b2C3d4".repeat(4);
  const calls = [];
  for (let i = 0; i < 300; i++) {
    const name = i % 3 === 0
      ? "get_pay_info"
      : i % 3 === 1
      ? "set_note"
      : "list";
    calls.push({
      jsonrpc: "2.0",
      id: i,
      method: "tools/call",
      params: {
        name,
        arguments: { who: `E${String(i).padStart(3, "0")}`, key: secret },
      },
    });
  }
  // Over the 64 KiB payload limit: logged truncated, scanned whole.
  calls.push({
    jsonrpc: "2.0",
    id: 999,
    method: "tools/call",
    params: {
      name: "list",
      arguments: { text: "x ".repeat(50_000) + "E999" },
    },
  });
  const input = calls.map((c) => JSON.stringify(c) + "\n").join("");
  const { code, stdout, stderr: errors } = await throughCat(
    ["--config", config, "--log", log],
    input,
  );
  assert.equal(code, 0);
  assert.equal(stdout, input);
  assert.doesNotMatch(errors, /log.s thread/);
  // Each call is seen twice (sent, and echoed back by `cat`).
  assert.match(
    errors,
    / 602 tool call\(s\), 0 error\(s\), 301 unique entities/,
  );

  const bytes = await Deno.readFile(log);
  assert.ok(!decoder.decode(bytes).includes(secret), "the secret was logged");
  const { events } = await readEvents(log);
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i));
  const requests = events.filter((e) =>
    e.kind === "request" && e.dir === "c2s"
  ) as (AuditEvent & { kind: "request" })[];
  assert.equal(requests.length, 301);
  for (const [i, e] of requests.slice(0, 300).entries()) {
    const label = i % 3 === 0 ? "SENSITIVE" : i % 3 === 1 ? "WRITE" : undefined;
    assert.equal(e.classes?.[0]?.label, label, `call ${i}`);
    assert.deepEqual(
      e.entities?.map((x) => x.value),
      [`E${String(i).padStart(3, "0")}`],
    );
  }
  const big = requests[300];
  assert.equal((big.params as { $truncated?: boolean }).$truncated, true);
  assert.deepEqual(big.entities?.map((x) => x.value), ["E999"]);
  const end = events.find((e) => e.kind === "session_end");
  assert.ok(end?.kind === "session_end");
  assert.equal(end.summary.uniqueEntities, 301);
  assert.deepEqual(end.summary.toolClasses, {
    SENSITIVE: ["get_pay_info"],
    WRITE: ["set_note"],
  });
});
