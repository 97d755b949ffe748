/**
 * The HTTP modes forward each answer first and audit it in the next task.
 * These tests hold the log to the wire: many pipelined requests through
 * the stdio bridge, and many calls through the reverse proxy, each ended
 * right after its last answer arrived. The log's responses come in the
 * order the client got them, every request before its response, the
 * sequence numbers run without a gap, nothing is missing before
 * `session_end`, and `mcp-audit verify` passes.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { cliArgs, fixtureServer, readEvents, tempDir } from "../_helpers.ts";
import { runCli, spawnUntil, startReverse } from "./_http_servers.ts";

const CALLS = 60;
const encoder = new TextEncoder();

function line(message: unknown): string {
  return JSON.stringify(message) + "\n";
}

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "order", version: "1.0.0" },
  },
};
const INITIALIZED = { jsonrpc: "2.0", method: "notifications/initialized" };

function call(id: number): unknown {
  return {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "read_file", arguments: { path: `/call/${id}` } },
  };
}

/** The recording fixture over Streamable HTTP; `json`: POSTs answered with JSON bodies, else SSE. */
async function upstream(
  dir: string,
  json: boolean,
): Promise<{ url: string } & AsyncDisposable> {
  const running = await spawnUntil(
    fixtureServer("recording_http_server.ts", `${dir}/received.jsonl`),
    /listening on (\d+)/,
    { JSON_RESPONSE: json ? "1" : "0" },
  );
  return {
    url: `http://127.0.0.1:${running.match[1]}/mcp`,
    [Symbol.asyncDispose]: () => running[Symbol.asyncDispose](),
  };
}

/** Checks what holds for any log of one session; returns its events. */
function checkSession(events: AuditEvent[]): AuditEvent[] {
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i),
    "the sequence numbers run 0, 1, 2, ... in file order",
  );
  assert.equal(events[0].kind, "session_start");
  const end = events.findIndex((e) => e.kind === "session_end");
  assert.ok(end > 0, "the session ended");
  assert.ok(
    events.slice(end + 1).every((e) => e.kind === "checkpoint"),
    "only the final checkpoint follows session_end",
  );
  const requestAt = new Map<string, number>();
  events.forEach((e, i) => {
    if (e.kind === "request") requestAt.set(JSON.stringify(e.id), i);
  });
  events.forEach((e, i) => {
    if (e.kind !== "response") return;
    const at = requestAt.get(JSON.stringify(e.id));
    assert.ok(at !== undefined && at < i, `request ${e.id} before its answer`);
  });
  return events.slice(0, end + 1);
}

function callIds(events: AuditEvent[], kind: "request" | "response"): number[] {
  return events
    .filter((e) => e.kind === kind && typeof e.id === "number" && e.id > 0)
    .map((e) => (e as { id: number }).id);
}

for (const json of [true, false]) {
  const answers = json ? "JSON answers" : "SSE answers";
  Deno.test(`audit order: pipelined requests through the stdio bridge (${answers}) are logged in the order the client got the answers, all before session_end, and verify`, async () => {
    await using dir = await tempDir();
    await using server = await upstream(dir.path, json);
    const log = `${dir.path}/bridge.jsonl`;
    const child = new Deno.Command(Deno.execPath(), {
      args: cliArgs(["proxy", "--upstream", server.url, "--log", log]),
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const writer = child.stdin.getWriter();
    const lines = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let buffered = "";
    const next = async (): Promise<{ id?: number }> => {
      for (;;) {
        const cut = buffered.indexOf("\n");
        if (cut >= 0) {
          const text = buffered.slice(0, cut);
          buffered = buffered.slice(cut + 1);
          return JSON.parse(text);
        }
        const { done, value } = await lines.read();
        if (done) {
          throw new Error(`the bridge closed stdout; held: ${buffered}`);
        }
        buffered += value;
      }
    };
    await writer.write(encoder.encode(line(INITIALIZE)));
    assert.equal((await next()).id, 0);
    // Every call in one write: the bridge has them all in flight at once.
    let burst = line(INITIALIZED);
    for (let id = 1; id <= CALLS; id++) burst += line(call(id));
    await writer.write(encoder.encode(burst));
    const wire: number[] = [];
    while (wire.length < CALLS) {
      const message = await next();
      if (typeof message.id === "number") wire.push(message.id);
    }
    // The client goes as soon as its last answer arrived.
    await writer.close();
    await lines.cancel();
    assert.equal((await child.status).code, 0);

    const events = checkSession((await readEvents(log)).events);
    assert.deepEqual(
      callIds(events, "response"),
      wire,
      "the log's answers come in the order written to the client",
    );
    assert.deepEqual(
      callIds(events, "request").sort((a, b) => a - b),
      Array.from({ length: CALLS }, (_, i) => i + 1),
    );
    const verified = await runCli(["verify", log]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  Deno.test(`audit order: calls through the reverse proxy (${answers}) are logged in wire order, the last one before session_end at a SIGTERM right after it, and verify`, async () => {
    await using dir = await tempDir();
    await using server = await upstream(dir.path, json);
    const log = `${dir.path}/reverse.jsonl`;
    const proxy = await startReverse(server.url, ["--log", log]);
    const post = async (
      message: unknown,
      sid?: string,
    ): Promise<Response> =>
      await fetch(proxy.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(sid && { "mcp-session-id": sid }),
          "mcp-protocol-version": "2025-11-25",
        },
        body: JSON.stringify(message),
      });
    const init = await post(INITIALIZE);
    const sid = init.headers.get("mcp-session-id") ?? undefined;
    assert.ok(sid, "the upstream gave a session id");
    await init.body?.cancel();
    await (await post(INITIALIZED, sid)).body?.cancel();
    // Half one after another, half at once.
    const half = CALLS / 2;
    for (let id = 1; id <= half; id++) {
      const res = await post(call(id), sid);
      assert.match(await res.text(), new RegExp(`"id":${id}\\b`));
    }
    await Promise.all(
      Array.from({ length: half }, async (_, i) => {
        const id = half + 1 + i;
        const res = await post(call(id), sid);
        assert.match(await res.text(), new RegExp(`"id":${id}\\b`));
      }),
    );
    // Stopped right after the last answer: its audit must not be lost.
    assert.equal((await proxy.stop()).code, 0, proxy.stderr());

    const events = checkSession((await readEvents(log)).events);
    const answered = callIds(events, "response");
    assert.deepEqual(
      answered.slice(0, half),
      Array.from({ length: half }, (_, i) => i + 1),
      "the calls made one after another are logged in their order",
    );
    assert.deepEqual(
      [...answered].sort((a, b) => a - b),
      Array.from({ length: CALLS }, (_, i) => i + 1),
      "every answer is in the log",
    );
    const verified = await runCli(["verify", log]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });
}
