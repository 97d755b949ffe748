/**
 * The reverse proxy (`mcp-audit proxy --listen`) as a real subprocess
 * between SDK clients and `server-everything` on 127.0.0.1: results equal
 * a direct connection's, progress streams through as it happens,
 * server-to-client requests pass, sessions are logged apart and verify,
 * credentials never reach the log, and the listener refuses rebinding.
 *
 * @module
 */
import assert from "node:assert/strict";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { AuditEventSchema } from "../../lib/audit/event_schema.ts";
import { readEvents, tempDir } from "../_helpers.ts";
import {
  runCli,
  samplingClient,
  startEverything,
  startReverse,
} from "./_http_servers.ts";

const TOKEN = "tok_reverse_3f9a1c77e2b54d08a6";
const COOKIE = "sid=cookie_secret_91d2e0";

type Session = { start: AuditEvent; events: AuditEvent[] };

function bySession(events: AuditEvent[]): Map<string, Session> {
  const sessions = new Map<string, Session>();
  for (const event of events) {
    if (event.kind === "session_start") {
      sessions.set(event.session, { start: event, events: [] });
    }
    sessions.get(event.session)?.events.push(event);
  }
  return sessions;
}

async function exercise(
  url: string,
  name: string,
  headers: Record<string, string> = {},
): Promise<
  {
    echo: unknown;
    progressLead: number;
    sampled: unknown;
    elicited: unknown;
    sessionId?: string;
  }
> {
  const client = samplingClient(name);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers },
  });
  await client.connect(transport);
  const echo = await client.callTool({
    name: "echo",
    arguments: { message: `hello from ${name}` },
  });
  let firstProgress = 0;
  const call = await client.callTool(
    {
      name: "trigger-long-running-operation",
      arguments: { duration: 1, steps: 3 },
    },
    undefined,
    { onprogress: () => firstProgress ||= performance.now() },
  );
  const progressLead = performance.now() - firstProgress;
  assert.match(JSON.stringify(call), /completed/);
  const sampled = await client.callTool({
    name: "trigger-sampling-request",
    arguments: { prompt: "say hi", maxTokens: 10 },
  });
  const elicited = await client.callTool({
    name: "trigger-elicitation-request",
    arguments: {},
  });
  const sessionId = transport.sessionId;
  await transport.terminateSession();
  await client.close();
  return { echo, progressLead, sampled, elicited, sessionId };
}

Deno.test("reverse proxy: SDK Streamable HTTP clients through it get what they get directly; two concurrent sessions are logged apart, verify, and hold no credential in clear", async (t) => {
  await using dir = await tempDir();
  await using upstream = await startEverything("streamableHttp");
  const log = `${dir.path}/http.jsonl`;
  await using proxy = await startReverse(upstream.url, [
    "--log",
    log,
    "--secret-header",
    "x-api-key",
  ], { MCP_AUDIT_REDACT_KEY: "test-key" });
  assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);

  const direct = await exercise(upstream.url, "direct");
  const headers = {
    authorization: `Bearer ${TOKEN}`,
    cookie: COOKIE,
    "x-api-key": "key_9d8c7b6a",
  };
  const [a, b] = await Promise.all([
    exercise(proxy.url, "alpha", headers),
    exercise(proxy.url, "beta", headers),
  ]);

  await t.step("results equal the direct connection's", () => {
    assert.deepEqual(a.echo, {
      content: [{ type: "text", text: "Echo: hello from alpha" }],
    });
    assert.deepEqual(
      JSON.stringify(a.sampled).replaceAll("alpha", "direct"),
      JSON.stringify(direct.sampled),
    );
    assert.deepEqual(
      JSON.stringify(b.elicited).replaceAll("beta", "direct"),
      JSON.stringify(direct.elicited),
    );
  });

  await t.step(
    "progress reaches the client before the result, as directly (not buffered to the stream's end)",
    () => {
      // Three steps over one second: the first progress comes ~2/3 s early.
      assert.ok(direct.progressLead > 300, `direct: ${direct.progressLead}`);
      assert.ok(a.progressLead > 300, `proxied: ${a.progressLead}`);
    },
  );

  await t.step(
    "a deleted session, then used, gets what the upstream answers directly (server-everything: 400)",
    async () => {
      const res = await fetch(proxy.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-session-id": a.sessionId!,
        },
        body: '{"jsonrpc":"2.0","id":9,"method":"tools/list"}',
      });
      const direct404 = await fetch(upstream.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-session-id": a.sessionId!,
        },
        body: '{"jsonrpc":"2.0","id":9,"method":"tools/list"}',
      });
      assert.ok(res.status >= 400, `${res.status}`);
      assert.equal(res.status, direct404.status);
      assert.equal(await res.text(), await direct404.text());
    },
  );

  await t.step("DNS rebinding: a foreign Origin or Host gets 403", async () => {
    const res = await fetch(proxy.url, {
      method: "POST",
      headers: {
        origin: "https://evil.example",
        "content-type": "application/json",
      },
      body: "{}",
    });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /Origin .*evil\.example.*DNS rebinding/);
    const port = Number(new URL(proxy.url).port);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(
      new TextEncoder().encode(
        "GET /mcp HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
      ),
    );
    let reply = "";
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      reply += new TextDecoder().decode(buf.subarray(0, n));
    }
    conn.close();
    assert.match(reply, /^HTTP\/1\.1 403/);
  });

  await proxy.stop();
  const bytes = await Deno.readTextFile(log);

  await t.step("no credential reaches the log in clear; markers do", () => {
    for (const secret of [TOKEN, "cookie_secret_91d2e0", "key_9d8c7b6a"]) {
      assert.ok(!bytes.includes(secret), `${secret} is in the log`);
    }
    assert.match(bytes, /"authorization":"\[REDACTED:secret:[0-9a-f]{8}\]"/);
    assert.match(bytes, /"x-api-key":"\[REDACTED:secret:[0-9a-f]{8}\]"/);
    // The session id acts as a bearer credential: only its keyed hash.
    assert.ok(!bytes.includes(a.sessionId!) && !bytes.includes(b.sessionId!));
  });

  await t.step(
    "two concurrent sessions, two logged sessions whose events never mix",
    () => {
      const { events } = {
        events: bytes.trim().split("\n").map((l) =>
          JSON.parse(l)
        ) as AuditEvent[],
      };
      for (const event of events) AuditEventSchema.parse(event);
      const all = [...bySession(events).values()];
      // Two client sessions, and the request sent with the deleted session's id.
      assert.equal(all.length, 3);
      const sessions = all.filter((s) =>
        JSON.stringify(s.events).includes("hello from")
      );
      assert.equal(sessions.length, 2);
      const names = sessions.map((s) => {
        const text = JSON.stringify(s.events);
        const own = text.includes("hello from alpha") ? "alpha" : "beta";
        const other = own === "alpha" ? "beta" : "alpha";
        assert.ok(!text.includes(`hello from ${other}`));
        assert.ok(!text.includes(`sampled for ${other}`));
        return own;
      }).sort();
      assert.deepEqual(names, ["alpha", "beta"]);
      for (const s of sessions) {
        const start = s.start as Extract<AuditEvent, { kind: "session_start" }>;
        assert.equal(start.transport, "streamable-http");
        assert.equal(start.upstream, upstream.url);
        assert.match(start.httpSession ?? "", /^hmac:[0-9a-f]{16}$/);
        const kinds = s.events.map((e) => e.kind);
        assert.equal(kinds.at(-2), "session_end");
        const methods = s.events.flatMap((e) =>
          "method" in e && e.kind === "request" ? [e.method] : []
        );
        // Server-to-client requests, correlated with their answers.
        assert.ok(methods.includes("sampling/createMessage"));
        assert.ok(methods.includes("elicitation/create"));
        const replies = s.events.filter((e) =>
          e.kind === "response" && e.dir === "c2s" && e.requestSeq !== undefined
        );
        assert.equal(replies.length, 2);
        const progress = s.events.filter((e) =>
          e.kind === "notification" && e.method === "notifications/progress"
        );
        assert.equal(progress.length, 3);
        const end = s.events.at(-2) as Extract<
          AuditEvent,
          { kind: "session_end" }
        >;
        assert.equal(end.reason, "client_closed");
        assert.deepEqual(end.pending, []);
        assert.ok(
          s.events.every((e) =>
            !("dir" in e) || e.kind === "invalid" ||
            (e as { http?: { status?: number } }).http?.status !== undefined
          ),
        );
      }
    },
  );

  await t.step("the log verifies", async () => {
    const verified = await runCli(["verify", log]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });
});

Deno.test("reverse proxy: the older HTTP+SSE transport passes, logged as transport sse", async () => {
  await using dir = await tempDir();
  await using upstream = await startEverything("sse");
  const log = `${dir.path}/sse.jsonl`;
  await using proxy = await startReverse(upstream.url, ["--log", log]);
  const client = samplingClient("sse-client");
  await client.connect(new SSEClientTransport(new URL(proxy.url)));
  const echo = await client.callTool({
    name: "echo",
    arguments: { message: "over sse" },
  });
  assert.deepEqual(echo, {
    content: [{ type: "text", text: "Echo: over sse" }],
  });
  const sampled = await client.callTool({
    name: "trigger-sampling-request",
    arguments: { prompt: "hi", maxTokens: 5 },
  });
  assert.match(JSON.stringify(sampled), /sampled for sse-client/);
  await client.close();
  await proxy.stop();
  const { events } = await readEvents(log);
  const start = events[0] as Extract<AuditEvent, { kind: "session_start" }>;
  assert.equal(start.transport, "sse");
  assert.match(start.httpSession ?? "", /^hmac:/);
  const echoReply = events.find((e) =>
    e.kind === "response" && e.tool === "echo"
  );
  assert.ok(echoReply && "requestSeq" in echoReply && echoReply.requestSeq);
  assert.ok(events.some((e) => e.kind === "session_end"));
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});

Deno.test("reverse proxy: an unreachable upstream gives a 502 with a JSON-RPC error naming it, and the log records the failure", async () => {
  await using dir = await tempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dead = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/mcp`;
  listener.close();
  const log = `${dir.path}/dead.jsonl`;
  await using proxy = await startReverse(dead, ["--log", log]);
  const res = await fetch(proxy.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body:
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}',
  });
  assert.equal(res.status, 502);
  const body = await res.json();
  assert.equal(body.id, 1);
  assert.ok(body.error.message.includes(dead), body.error.message);
  await proxy.stop();
  const { events } = await readEvents(log);
  const end = events.find((e) => e.kind === "session_end") as Extract<
    AuditEvent,
    { kind: "session_end" }
  >;
  assert.ok(end.failure?.includes("could not be reached"), end.failure);
  const reply = events.find((e) => e.kind === "error");
  assert.equal(
    (reply as { http?: { status?: number } } | undefined)?.http?.status,
    502,
  );
});
