/**
 * `--timeout-ms` in the stdio bridge, whose POSTs share one deadline timer
 * (`lib/http/deadlines.ts`): a request the upstream never answers gets a
 * JSON-RPC error naming the limit once its own deadline passes (not when
 * the timer set for an earlier request fires), and the bridge goes on.
 * The bridge runs as a real process with raw lines on its stdin and
 * stdout, against a small upstream in the test on 127.0.0.1.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";

Deno.test("stdio bridge --timeout-ms: an unanswered request gets its error at its own deadline, not an earlier request's; later requests are answered; the log records the fault", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/bridge-timeout.jsonl`;
  const release: (() => void)[] = [];
  await using upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      if (req.method !== "POST") return new Response(null, { status: 405 });
      const message = await req.json();
      if (message.id === undefined) return new Response(null, { status: 202 });
      if (message.params?.name === "slow") {
        await new Promise<void>((ok) => release.push(ok));
        return new Response(null, { status: 503 });
      }
      const result = message.method === "initialize"
        ? {
          protocolVersion: "2025-11-25",
          capabilities: {},
          serverInfo: { name: "t", version: "1" },
        }
        : { content: [{ type: "text", text: "fast" }] };
      return Response.json({ jsonrpc: "2.0", id: message.id, result }, {
        headers: { "mcp-session-id": "s-1" },
      });
    },
  );
  const url = `http://127.0.0.1:${upstream.addr.port}/mcp`;
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--upstream",
      url,
      "--log",
      log,
      "--quiet",
      "--timeout-ms",
      "400",
    ]),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const input = child.stdin.getWriter();
  const send = (message: unknown) =>
    input.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const next = async (): Promise<{ id?: number; [k: string]: unknown }> => {
    for (;;) {
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        return JSON.parse(line);
      }
      const { done, value } = await lines.read();
      if (done) throw new Error("the bridge closed its stdout");
      buffered += value;
    }
  };
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const warnings = (async () => {
    let text = "";
    for (let r = await stderr.read(); !r.done; r = await stderr.read()) {
      text += r.value;
    }
    return text;
  })();

  try {
    await send({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "c", version: "1" },
      },
    });
    assert.equal((await next()).id, 0);
    // The timer was set for the initialize's POST, just before this.
    const t0 = performance.now();
    await send({ jsonrpc: "2.0", method: "notifications/initialized" });
    // Started well after the initialize, so the timer set for that one
    // fires while this request still has time left.
    await new Promise((r) => setTimeout(r, 250 - (performance.now() - t0)));
    const sent = performance.now();
    await send({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "slow", arguments: {} },
    });
    const timedOut = await next();
    const waited = performance.now() - sent;
    assert.equal(timedOut.id, 1);
    assert.match(
      JSON.stringify(timedOut.error),
      /did not answer within 400 ms/,
    );
    // Never before its own deadline (a few ms of timer rounding allowed).
    assert.ok(waited >= 390, `answered after ${waited} ms`);
    await send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "fast", arguments: {} },
    });
    const fast = await next();
    assert.equal(fast.id, 2);
    assert.deepEqual(fast.result, {
      content: [{ type: "text", text: "fast" }],
    });
    await input.close();
    assert.equal((await child.status).code, 0);
    assert.match(await warnings, /did not answer within 400 ms/);
  } finally {
    // Never left hanging on a failure: the upstream lets go, the bridge ends.
    for (const ok of release) ok();
    try {
      child.kill();
    } catch {
      // Already exited.
    }
    await child.status;
  }
  const { events } = await readEvents(log);
  const slow = events.find((e: AuditEvent) =>
    e.kind === "request" && e.tool === "slow"
  );
  assert.ok(slow && slow.kind === "request", JSON.stringify(events));
  assert.equal(slow.http?.status, 502);
  const error = events.find((e: AuditEvent) => e.kind === "error");
  assert.ok(error && error.kind === "error", JSON.stringify(events));
  assert.equal(error.id, 1);
  assert.match(error.http?.fault ?? "", /did not answer within 400 ms/);
  const end = events.find((e: AuditEvent) => e.kind === "session_end");
  assert.ok(end && end.kind === "session_end");
  assert.match(end.failure ?? "", /did not answer within 400 ms/);
});
