import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  cliArgs,
  HR_SERVER,
  PROXY_PERMISSIONS,
  readEvents,
  tempDir,
} from "../_helpers.ts";
import type {
  AuditEvent,
  JsonRpcMessageEvent,
  NotificationEvent,
  RequestEvent,
  ResponseEvent,
  SessionEndEvent,
} from "../../lib/audit/event.ts";
import { Mcp2026Client } from "../peers/mcp2026_client.ts";

const SERVER = [
  Deno.execPath(),
  "run",
  "--quiet",
  new URL("../peers/mcp2026_server.ts", import.meta.url).pathname,
];

/** The elicited login: what the user typed, which the config redacts. */
const LOGIN = "octocat-4242";

function proxied(log: string, config: string, server: string[]): string[] {
  return [
    Deno.execPath(),
    ...cliArgs([
      "proxy",
      "--quiet",
      "--log",
      log,
      "--config",
      config,
      "--",
      ...server,
    ]),
  ];
}

function messages(events: AuditEvent[]): JsonRpcMessageEvent[] {
  return events.filter((e) =>
    e.kind === "request" || e.kind === "response" ||
    e.kind === "notification" || e.kind === "error"
  ) as JsonRpcMessageEvent[];
}

async function verify(log: string): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["verify", log]),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(r.stdout) +
    new TextDecoder().decode(r.stderr);
  return { code: r.code, out: text };
}

Deno.test("a 2026-07-28 client and server through the stdio proxy: era, one logical call per input_required round trip and per task, redacted input, a verified log", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/2026.jsonl`;
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      redact: { patterns: [{ type: "login", pattern: "octocat-[0-9]+" }] },
    }),
  );
  const client = Mcp2026Client.stdio(proxied(log, config, SERVER), {
    elicit: () => ({ action: "accept", content: { name: LOGIN } }),
  });
  let login: { result: Record<string, unknown>; ids: (string | number)[] };
  let build: typeof login;
  try {
    const discovered = await client.discover();
    assert.deepEqual(discovered.supportedVersions, ["2026-07-28"]);
    await client.listTools();
    const echo = await client.callTool("echo", { text: "hi" });
    assert.equal(echo.ids.length, 1);
    login = await client.callTool("login");
    assert.deepEqual(login.result.content, [{
      type: "text",
      text: `Hello, ${LOGIN}`,
    }]);
    assert.equal(login.ids.length, 2);
    build = await client.callTool("build", { target: "docs" });
    assert.deepEqual(build.result.content, [{
      type: "text",
      text: "built docs",
    }]);
    assert.equal(build.ids.length, 3); // the call and two polls
    const sub = await client.listen({ toolsListChanged: true });
    assert.deepEqual(sub.ack.params?.notifications, { toolsListChanged: true });
  } finally {
    await client.close();
  }

  const bytes = await Deno.readTextFile(log);
  assert.doesNotMatch(bytes, new RegExp(LOGIN));
  const { events } = await readEvents(log);
  const msgs = messages(events);
  // Every message is of the 2026 era; the handshake came from _meta and discovery.
  assert.deepEqual(
    msgs.filter((e) => e.protocolEra !== "2026").map((e) => e.method),
    [],
  );
  const handshakes = events.filter((e) => e.kind === "handshake");
  assert.deepEqual(handshakes.map((h) => [h.via, h.protocolEra]), [
    ["_meta", "2026"],
    ["server/discover", "2026"],
  ]);
  assert.equal(
    handshakes[1].kind === "handshake" && handshakes[1].server?.name,
    "mcp2026-test-server",
  );

  const requests = msgs.filter((e) => e.kind === "request") as RequestEvent[];
  const byId = (id: string | number) => requests.find((r) => r.id === id)!;
  // input_required: the retry names the first request, under its new id.
  const [firstLogin, retry] = login!.ids.map(byId);
  assert.notEqual(firstLogin.id, retry.id);
  assert.equal(firstLogin.call, undefined);
  assert.deepEqual(retry.call, {
    seq: firstLogin.seq,
    id: firstLogin.id,
    via: "input_required",
    round: 2,
  });
  const replies = msgs.filter((e) => e.kind === "response") as ResponseEvent[];
  const replyTo = (r: RequestEvent) =>
    replies.find((e) => e.requestSeq === r.seq)!;
  assert.equal(replyTo(firstLogin).resultType, "input_required");
  assert.equal(replyTo(firstLogin).call?.seq, firstLogin.seq);
  assert.equal(replyTo(retry).resultType, "complete");
  assert.equal(replyTo(retry).call?.seq, firstLogin.seq);
  // The elicited input is logged, redacted per the config's pattern.
  const responses = (retry.params as Record<string, unknown>)
    .inputResponses as Record<string, { content: { name: string } }>;
  assert.match(
    responses.github_login.content.name,
    /^\[REDACTED:login:[0-9a-f]{8}\]$/,
  );
  // The task: the call and both polls are one logical call.
  const [buildCall, ...polls] = build!.ids.map(byId);
  assert.equal(replyTo(buildCall).resultType, "task");
  assert.deepEqual(
    polls.map((p) => [p.method, p.call?.seq, p.call?.round]),
    [["tasks/get", buildCall.seq, 2], ["tasks/get", buildCall.seq, 3]],
  );
  assert.deepEqual(polls.map((p) => replyTo(p).taskStatus), [
    "working",
    "completed",
  ]);
  // The listen stream: the ack names it; left open, it is a subscription.
  const listen = requests.find((r) => r.method === "subscriptions/listen")!;
  const ack = msgs.find((e) =>
    e.method === "notifications/subscriptions/acknowledged"
  ) as NotificationEvent;
  assert.equal(ack.subscriptionSeq, listen.seq);
  const end = events.at(-2)?.kind === "session_end"
    ? events.at(-2) as SessionEndEvent
    : events.find((e) => e.kind === "session_end") as SessionEndEvent;
  assert.equal(end.protocolEra, "2026");
  assert.deepEqual(
    end.pending.map((p) => [p.method, p.subscription]),
    [["subscriptions/listen", true]],
  );
  // echo, login (one call over two requests) and build.
  assert.equal(end.summary.toolCalls, 3);

  const verified = await verify(log);
  assert.equal(verified.code, 0, verified.out);
});

Deno.test("a 2025-era session (SDK client and server) logs as before, with protocolEra 2025 and no 2026 fields", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/2025.jsonl`;
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(config, "{}");
  const [cmd, ...args] = proxied(log, config, HR_SERVER);
  const client = new Client({ name: "sdk-client", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({ command: cmd, args, stderr: "ignore" }),
  );
  try {
    const { tools } = await client.listTools();
    assert.ok(tools.length > 0);
    await client.callTool({
      name: tools[0].name,
      arguments: { employee_id: "E001" },
    }).catch(() => {});
  } finally {
    await client.close();
  }
  const { events } = await readEvents(log);
  const msgs = messages(events);
  assert.ok(msgs.length >= 5);
  assert.deepEqual(
    msgs.filter((e) => e.protocolEra !== "2025").map((e) => e.method),
    [],
  );
  const NEW_2026 = ["call", "resultType", "taskStatus", "subscriptionSeq"];
  for (const e of msgs) {
    for (const key of NEW_2026) assert.equal(key in e, false, `${key} logged`);
  }
  const handshake = events.find((e) => e.kind === "handshake");
  assert.equal(handshake?.kind === "handshake" && handshake.via, "initialize");
  assert.equal(
    handshake?.kind === "handshake" && handshake.protocolEra,
    "2025",
  );
  const end = events.find((e) => e.kind === "session_end") as SessionEndEvent;
  assert.equal(end.protocolEra, "2025");
  const verified = await verify(log);
  assert.equal(verified.code, 0, verified.out);
});

Deno.test("the 2026-07-28 test server over Streamable HTTP: the client's Mcp-Method, Mcp-Name and Mcp-Param-* headers are checked", async () => {
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...PROXY_PERMISSIONS,
      new URL("../peers/mcp2026_server.ts", import.meta.url).pathname,
      "--http",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = server.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let first = "";
  while (!first.includes("\n")) first += (await reader.read()).value ?? "";
  const url = first.trim();
  const client = Mcp2026Client.http(url, {
    elicit: () => ({ action: "accept", content: { name: "octocat" } }),
  });
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    await client.discover();
    await client.listTools();
    const q = await client.callTool("query", {
      region: "eu-west 1 ",
      query: "SELECT 1",
    });
    assert.equal(q.result.resultType, "complete");
    assert.equal((await client.callTool("login")).ids.length, 2);
    assert.equal((await client.callTool("build")).ids.length, 3);
    const sub = await client.listen({ toolsListChanged: true });
    assert.equal(sub.ack.method, "notifications/subscriptions/acknowledged");
    // Without the headers the client must send, the server refuses.
    const body = {
      jsonrpc: "2.0",
      id: 99,
      method: "tools/call",
      params: {
        name: "query",
        arguments: { region: "x", query: "y" },
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    };
    const headers = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "query",
    };
    const missing = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    assert.equal(missing.status, 400);
    assert.equal((await missing.json()).error.code, -32020);
    const wrongName = await fetch(url, {
      method: "POST",
      headers: { ...headers, "mcp-name": "echo", "mcp-param-region": "x" },
      body: JSON.stringify(body),
    });
    assert.equal(wrongName.status, 400);
    assert.match((await wrongName.json()).error.message, /Mcp-Name/);
    const get = await fetch(url);
    assert.equal(get.status, 405);
    await get.body?.cancel();
  } finally {
    await client.close();
    await reader.cancel();
    server.kill();
    await server.status;
  }
});
