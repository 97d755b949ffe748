/**
 * Upstream faults through the reverse proxy, against small upstreams in
 * the test on 127.0.0.1: one that never answers (`--timeout-ms`) and one
 * that resets an SSE response mid-stream (its "Error: upstream reset" on
 * stderr is Deno.serve reporting the planted fault).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { readEvents, tempDir } from "../_helpers.ts";
import { startReverse } from "./_http_servers.ts";

Deno.test("--timeout-ms: an upstream that never answers gets the client a 502 with a JSON-RPC error naming the upstream and the limit; the log records the fault on the request and at session end", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/timeout.jsonl`;
  const hung: Promise<void>[] = [];
  const release: (() => void)[] = [];
  await using upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => {
      const p = new Promise<void>((ok) => release.push(ok));
      hung.push(p);
      return p.then(() => new Response(null, { status: 503 }));
    },
  );
  const url = `http://127.0.0.1:${upstream.addr.port}/mcp`;
  await using proxy = await startReverse(url, [
    "--log",
    log,
    "--timeout-ms",
    "300",
  ]);
  const res = await fetch(proxy.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "slow", arguments: {} },
    }),
  });
  assert.equal(res.status, 502);
  const body = await res.json();
  assert.equal(body.id, 7);
  assert.match(body.error.message, /did not answer within 300 ms/);
  assert.match(body.error.message, /127\.0\.0\.1/);
  for (const ok of release) ok();
  await Promise.all(hung);
  await proxy.stop();
  const { events } = await readEvents(log);
  const request = events.find((e: AuditEvent) => e.kind === "request");
  assert.equal(
    request?.kind === "request" ? request.http?.status : undefined,
    502,
  );
  assert.match(
    request?.kind === "request" ? request.http?.fault ?? "" : "",
    /did not answer within 300 ms/,
  );
  const end = events.find((e: AuditEvent) => e.kind === "session_end");
  assert.ok(end && end.kind === "session_end", JSON.stringify(events));
  assert.match(end.failure ?? "", /did not answer within 300 ms/);
});

Deno.test("a mid-stream upstream reset: the client gets the event sent before it and then a broken stream, as directly; the log holds that event, the unanswered request and the fault", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/reset.jsonl`;
  const encoder = new TextEncoder();
  await using upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => {
      let step = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller): Promise<void> {
          if (step++ === 0) {
            controller.enqueue(encoder.encode(
              `data: ${
                JSON.stringify({
                  jsonrpc: "2.0",
                  method: "notifications/progress",
                  params: { progressToken: 1, progress: 1 },
                })
              }\n\n`,
            ));
            return;
          }
          await new Promise((ok) => setTimeout(ok, 50));
          controller.error(new Error("upstream reset"));
        },
      });
      return new Response(body, {
        headers: { "content-type": "text/event-stream" },
      });
    },
  );
  const url = `http://127.0.0.1:${upstream.addr.port}/mcp`;
  await using proxy = await startReverse(url, ["--log", log]);
  const res = await fetch(proxy.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "long", arguments: {}, _meta: { progressToken: 1 } },
    }),
  });
  assert.equal(res.status, 200);
  let text = "";
  let broke = false;
  try {
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
      text += chunk;
    }
  } catch {
    broke = true;
  }
  assert.ok(broke, `the stream ended cleanly: ${text}`);
  assert.match(text, /notifications\/progress/);
  await proxy.stop();
  const { events } = await readEvents(log);
  assert.ok(
    events.some((e: AuditEvent) =>
      e.kind === "notification" && e.method === "notifications/progress"
    ),
  );
  const end = events.find((e: AuditEvent) => e.kind === "session_end");
  assert.ok(end && end.kind === "session_end", JSON.stringify(events));
  assert.match(end.failure ?? "", /broke off an SSE stream/);
  assert.deepEqual(end.pending.map((p) => p.method), ["tools/call"]);
});
