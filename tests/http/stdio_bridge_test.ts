/**
 * The stdio bridge (`mcp-audit proxy --upstream URL`, no `--listen`) as a
 * real subprocess launched by the SDK's stdio client, to
 * `server-everything` over Streamable HTTP and over the older HTTP+SSE
 * transport (the bridge falls back to it on its own).
 *
 * @module
 */
import assert from "node:assert/strict";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { AuditEventSchema } from "../../lib/audit/event_schema.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";
import { runCli, samplingClient, startEverything } from "./_http_servers.ts";

const TOKEN = "tok_bridge_51e0c9a4b7f2d83e";

function bridge(
  upstream: string,
  log: string,
  extra: string[] = [],
): StdioClientTransport {
  return new StdioClientTransport({
    command: Deno.execPath(),
    args: cliArgs([
      "proxy",
      "--upstream",
      upstream,
      "--log",
      log,
      "--quiet",
      ...extra,
    ]),
    env: { ...Deno.env.toObject(), BRIDGE_TOKEN: TOKEN },
    stderr: "pipe",
  });
}

Deno.test("stdio bridge: an SDK stdio client reaches a Streamable HTTP server through it (tools, progress, sampling, elicitation), one audited session, no token in the log", async () => {
  await using dir = await tempDir();
  await using upstream = await startEverything("streamableHttp");
  const log = `${dir.path}/bridge.jsonl`;
  const client = samplingClient("bridged");
  const transport = bridge(upstream.url, log, [
    "--header",
    "Authorization: Bearer ${BRIDGE_TOKEN}",
  ]);
  await client.connect(transport);
  // What reached the client, in the order its transport read it. (The SDK
  // runs a notification's handler a microtask after a response's, so its
  // onprogress misses a progress notification read in one chunk with the
  // result: the bridge's order is checked here, before the SDK.)
  const received: { what: string; at: number }[] = [];
  const deliver = transport.onmessage!;
  transport.onmessage = (message: JSONRPCMessage) => {
    const what = "method" in message ? message.method : "response";
    received.push({ what, at: performance.now() });
    deliver(message);
  };
  const echo = await client.callTool({
    name: "echo",
    arguments: { message: "via the bridge" },
  });
  assert.deepEqual(echo, {
    content: [{ type: "text", text: "Echo: via the bridge" }],
  });
  let progress = 0;
  const from = received.length;
  await client.callTool(
    {
      name: "trigger-long-running-operation",
      arguments: { duration: 1, steps: 3 },
    },
    undefined,
    { onprogress: () => void progress++ },
  );
  const seen = received.slice(from).filter((r) =>
    r.what === "notifications/progress" || r.what === "response"
  );
  assert.deepEqual(seen.map((r) => r.what), [
    "notifications/progress",
    "notifications/progress",
    "notifications/progress",
    "response",
  ]);
  // Forwarded as they came, not held until the result.
  assert.ok(seen[3].at - seen[0].at > 300);
  assert.ok(progress >= 2);
  const sampled = await client.callTool({
    name: "trigger-sampling-request",
    arguments: { prompt: "hi", maxTokens: 5 },
  });
  assert.match(JSON.stringify(sampled), /sampled for bridged/);
  const elicited = await client.callTool({
    name: "trigger-elicitation-request",
    arguments: {},
  });
  assert.match(JSON.stringify(elicited), /Ada of bridged/);
  await client.close();
  // The client closed stdin; the bridge ends the session and exits.
  for (let i = 0; i < 100; i++) {
    const text = await Deno.readTextFile(log).catch(() => "");
    if (text.includes('"kind":"checkpoint"') && text.includes("session_end")) {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const bytes = await Deno.readTextFile(log);
  assert.ok(!bytes.includes(TOKEN), "the token is in the log");
  const { events } = await readEvents(log);
  for (const event of events) AuditEventSchema.parse(event);
  const start = events[0] as Extract<AuditEvent, { kind: "session_start" }>;
  assert.equal(start.transport, "streamable-http");
  assert.equal(start.upstream, upstream.url);
  assert.match(start.httpSession ?? "", /^hmac:/);
  assert.equal(new Set(events.map((e) => e.session)).size, 1);
  const call = events.find((e) =>
    e.kind === "request" && e.tool === "echo"
  ) as Extract<AuditEvent, { kind: "request" }>;
  assert.match(call.http?.headers?.authorization ?? "", /^\[REDACTED:secret:/);
  assert.ok(
    events.some((e) =>
      e.kind === "request" && e.method === "sampling/createMessage"
    ),
  );
  const end = events.find((e) => e.kind === "session_end") as Extract<
    AuditEvent,
    { kind: "session_end" }
  >;
  assert.equal(end.summary.toolCalls, 4);
  assert.deepEqual(end.pending, []);
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});

Deno.test("stdio bridge: falls back to HTTP+SSE when the server answers a POST as that transport does", async () => {
  await using dir = await tempDir();
  await using upstream = await startEverything("sse");
  const log = `${dir.path}/bridge-sse.jsonl`;
  const client = samplingClient("old-transport");
  await client.connect(bridge(upstream.url, log));
  const echo = await client.callTool({
    name: "echo",
    arguments: { message: "fallback" },
  });
  assert.deepEqual(echo, {
    content: [{ type: "text", text: "Echo: fallback" }],
  });
  const sampled = await client.callTool({
    name: "trigger-sampling-request",
    arguments: { prompt: "hi", maxTokens: 5 },
  });
  assert.match(JSON.stringify(sampled), /sampled for old-transport/);
  await client.close();
  for (let i = 0; i < 100; i++) {
    const text = await Deno.readTextFile(log).catch(() => "");
    if (text.includes("session_end")) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const { events } = await readEvents(log);
  const start = events[0] as Extract<AuditEvent, { kind: "session_start" }>;
  assert.equal(start.transport, "sse");
  const reply = events.find((e) => e.kind === "response" && e.tool === "echo");
  assert.ok(reply && "requestSeq" in reply && reply.requestSeq !== undefined);
});

Deno.test("stdio bridge: an unreachable upstream answers each request with a JSON-RPC error naming it", async () => {
  await using dir = await tempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dead = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/mcp`;
  listener.close();
  const log = `${dir.path}/dead.jsonl`;
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(["proxy", "--upstream", dead, "--log", log]),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(
    new TextEncoder().encode(
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}\n',
    ),
  );
  await writer.close();
  const out = await child.output();
  const reply = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(reply.id, 1);
  assert.ok(reply.error.message.includes(dead), reply.error.message);
  assert.equal(out.code, 1);
  const { events } = await readEvents(log);
  const end = events.find((e) => e.kind === "session_end") as Extract<
    AuditEvent,
    { kind: "session_end" }
  >;
  assert.match(end.failure ?? "", /could not be reached/);
});
