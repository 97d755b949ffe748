/**
 * The stdio bridge's SSE streams in the 2025 era (2025-11-25 transports):
 * a POST's response stream that the server closes before the answer is
 * resumed with a GET and `Last-Event-ID` until the answer comes, and so
 * is one whose connection is cut mid-event; an event the server sends
 * twice passes once; a stream that cannot be resumed (no event ids, or
 * the GET answered 405) gets the client a JSON-RPC error for its request;
 * and after a session expired, the new session's GET stream replaces the
 * old one's, which is closed. The upstream is the recording test server
 * (`DROP_STREAM_ON`, `BREAK_STREAM`, `NO_EVENT_IDS`, `NO_RESUME`,
 * `REPLAY_LAST`, `EXPIRE_ON`, `NOTE_GETS`), an SDK server.
 *
 * @module
 */
import assert from "node:assert/strict";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { cliArgs, fixtureServer, readEvents, tempDir } from "../_helpers.ts";
import { runCli, samplingClient, spawnUntil } from "./_http_servers.ts";

type Note = {
  get?: "open" | "closed";
  session?: number;
  resumed?: boolean;
  name?: string;
};

async function notes(record: string): Promise<Note[]> {
  const text = await Deno.readTextFile(record).catch(() => "");
  return text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

function bridge(url: string, log: string): {
  transport: StdioClientTransport;
  stderr: () => string;
} {
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: cliArgs(["proxy", "--upstream", url, "--log", log]),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => {
    stderr += new TextDecoder().decode(chunk);
  });
  return { transport, stderr: () => stderr };
}

/** A client connected through the bridge to the recording server. */
interface BridgeSession extends AsyncDisposable {
  /** Where the server notes its GET streams (`NOTE_GETS`). */
  record: string;
  /** The bridge's audit log. */
  log: string;
  transport: StdioClientTransport;
  /** What the bridge wrote on stderr so far. */
  stderr: () => string;
  /** The SDK client, connected; the test closes it. */
  client: Client;
}

/**
 * Starts the recording server with `env`, `mcp-audit proxy --upstream` in
 * front of it and a sampling client named `name` connected through it; its
 * disposal stops the server and removes the temporary directory.
 */
async function bridgeSession(
  name: string,
  env: Record<string, string>,
): Promise<BridgeSession> {
  await using stack = new AsyncDisposableStack();
  const dir = stack.use(await tempDir());
  const record = `${dir.path}/record.jsonl`;
  const upstream = stack.use(
    await spawnUntil(
      fixtureServer("recording_http_server.ts", record),
      /listening on (\d+)/,
      env,
    ),
  );
  const url = `http://127.0.0.1:${upstream.match[1]}/mcp`;
  const log = `${dir.path}/bridge.jsonl`;
  const { transport, stderr } = bridge(url, log);
  const client = samplingClient(name);
  await client.connect(transport);
  const owned = stack.move();
  return {
    record,
    log,
    transport,
    stderr,
    client,
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}

/**
 * What reached the client, in the order its transport read it: progress
 * values and the ids of responses (the SDK runs a notification's handler
 * a microtask after a response's, so its onprogress misses a progress read
 * in one chunk with the result).
 */
function watch(transport: StdioClientTransport): {
  progress: number[];
  answered: unknown[];
} {
  const progress: number[] = [];
  const answered: unknown[] = [];
  const deliver = transport.onmessage!;
  transport.onmessage = (message: JSONRPCMessage) => {
    if ("method" in message && message.method === "notifications/progress") {
      progress.push((message.params as { progress: number }).progress);
    } else if (!("method" in message)) answered.push(message.id);
    deliver(message);
  };
  return { progress, answered };
}

/** The events of the `query` call: its request and what answered it. */
function queryCall(events: AuditEvent[]): {
  request?: AuditEvent;
  answers: Extract<AuditEvent, { kind: "response" | "error" }>[];
} {
  return {
    request: events.find((e) => e.kind === "request" && e.tool === "query"),
    answers: events.filter((e) =>
      (e.kind === "response" || e.kind === "error") && e.tool === "query"
    ) as Extract<AuditEvent, { kind: "response" | "error" }>[],
  };
}

/**
 * Calls `query` asking for progress (so the server streams its answer), with
 * 20 s to answer.
 */
function callQuery(
  client: Client,
  args: Record<string, unknown>,
): ReturnType<Client["callTool"]> {
  return client.callTool(
    { name: "query", arguments: args },
    undefined,
    { onprogress: () => {}, timeout: 20_000 },
  );
}

/** The server noted a GET carrying Last-Event-ID: the bridge resumed. */
async function assertResumed(record: string): Promise<void> {
  const seen = await notes(record);
  assert.ok(
    seen.some((n) => n.get === "open" && n.resumed),
    `the bridge resumed with a GET carrying Last-Event-ID: ${
      JSON.stringify(seen)
    }`,
  );
}

/** The logged progress notifications. */
function loggedProgress(
  events: AuditEvent[],
): Extract<AuditEvent, { kind: "notification" }>[] {
  return events.filter((e) =>
    e.kind === "notification" && e.method === "notifications/progress"
  ) as Extract<AuditEvent, { kind: "notification" }>[];
}

/** The log's session_end event. */
function sessionEnd(
  events: AuditEvent[],
): Extract<AuditEvent, { kind: "session_end" }> {
  const end = events.find((e) => e.kind === "session_end");
  assert.ok(end, "the log has a session_end");
  return end as Extract<AuditEvent, { kind: "session_end" }>;
}

/** `mcp-audit verify LOG` exits 0. */
async function assertVerifies(log: string): Promise<void> {
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
}

Deno.test("stdio bridge: a response stream whose connection is cut mid-event after an event with an id is resumed with Last-Event-ID; the client gets progress in order and the result once, and the log holds the call once with its response and verifies", async () => {
  await using session = await bridgeSession("cut", {
    DROP_STREAM_ON: "query",
    BREAK_STREAM: "1",
    NOTE_GETS: "1",
  });
  const { record, log, transport, stderr, client } = session;
  const { progress, answered } = watch(transport);
  const result = await callQuery(client, { sql: "select 1" });
  assert.match(JSON.stringify(result), /ran query after a drop/, stderr());
  const after = await client.callTool({ name: "read_file", arguments: {} });
  assert.match(JSON.stringify(after), /ran read_file/);
  await client.close();
  assert.deepEqual(progress, [1, 2], "progress 1, then 2 (resumed), once each");
  assert.equal(answered.length, 2, `one answer per call: ${answered}`);
  assert.equal(new Set(answered).size, 2, `no answer twice: ${answered}`);
  // The connection broke (not a clean end): the bridge said so, resumed.
  assert.match(
    stderr(),
    /broke off \(.+\) a response stream before its answer; resuming it/,
  );
  await assertResumed(record);

  const { events } = await readEvents(log);
  const logged = loggedProgress(events);
  assert.deepEqual(
    logged.map((e) => (e.params as { progress: number }).progress),
    [1, 2],
  );
  assert.deepEqual(logged.map((e) => e.http?.method), ["POST", "GET"]);
  const { request, answers } = queryCall(events);
  assert.equal(
    events.filter((e) => e.kind === "request" && e.tool === "query").length,
    1,
    "the call once",
  );
  assert.equal(answers.length, 1, "its answer once");
  assert.equal(answers[0].kind, "response");
  assert.equal(answers[0].requestSeq, request?.seq);
  assert.equal(answers[0].http?.method, "GET");
  assert.ok(
    logged[0].seq < logged[1].seq && logged[1].seq < answers[0].seq,
    "logged in the order they passed",
  );
  const end = sessionEnd(events);
  assert.deepEqual(end.pending, []);
  assert.equal(end.failure, undefined, end.failure);
  await assertVerifies(log);
});

for (
  const [how, env, ended] of [
    ["closed", {}, /closed a response stream/],
    [
      "cut mid-event",
      { BREAK_STREAM: "1" },
      /broke off \(.+\) a response stream/,
    ],
  ] as const
) {
  Deno.test(`stdio bridge: a response stream ${how} before its answer by a server that gives no event ids gets the client a JSON-RPC error for that request saying it cannot be resumed, and the log holds it as the call's answer`, async () => {
    await using session = await bridgeSession("idless", {
      DROP_STREAM_ON: "query",
      NO_EVENT_IDS: "1",
      ...env,
    });
    const { log, transport, stderr, client } = session;
    const { progress, answered } = watch(transport);
    // Without the error, the call waited for its timeout.
    const error = await callQuery(client, {}).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(error, "the call fails");
    assert.match(error.message, ended, stderr());
    assert.match(
      error.message,
      /before its answer, and it could not be resumed: the stream gave no SSE event ids to resume it from/,
    );
    assert.deepEqual(progress, [1]);
    const after = await client.callTool({ name: "read_file", arguments: {} });
    assert.match(JSON.stringify(after), /ran read_file/);
    await client.close();
    assert.equal(answered.length, 2, `one answer per call: ${answered}`);
    const { events } = await readEvents(log);
    const { request, answers } = queryCall(events);
    assert.equal(answers.length, 1, "one answer: the bridge's error");
    assert.equal(answers[0].kind, "error");
    assert.equal(answers[0].requestSeq, request?.seq);
    assert.match(answers[0].http?.fault ?? "", /could not be resumed/);
    const end = sessionEnd(events);
    assert.deepEqual(end.pending, [], "the call is answered, by the bridge");
    assert.match(end.failure ?? "", /gave no SSE event ids/);
    await assertVerifies(log);
  });
}

Deno.test("stdio bridge: a response stream closed before its answer is resumed with Last-Event-ID; the client gets the missed progress and the result, an event sent twice once, and the log holds each once, correlated", async () => {
  await using session = await bridgeSession("resuming", {
    DROP_STREAM_ON: "query",
    REPLAY_LAST: "1",
    NOTE_GETS: "1",
  });
  const { record, log, transport, stderr, client } = session;
  const { progress } = watch(transport);
  // Without resumption the answer never came: the call timed out.
  const result = await callQuery(client, { sql: "select 1" });
  assert.match(JSON.stringify(result), /ran query after a drop/, stderr());
  assert.deepEqual(progress, [1, 2], "progress 1 (sent twice) once, then 2");
  const after = await client.callTool({ name: "read_file", arguments: {} });
  assert.match(JSON.stringify(after), /ran read_file/);
  await client.close();

  await assertResumed(record);
  const { events } = await readEvents(log);
  const logged = loggedProgress(events);
  assert.deepEqual(
    logged.map((e) => (e.params as { progress: number }).progress),
    [1, 2],
    "each progress event logged once",
  );
  assert.deepEqual(logged.map((e) => e.http?.method), ["POST", "GET"]);
  const { request, answers } = queryCall(events);
  assert.equal(answers.length, 1, "the result, once");
  assert.equal(answers[0].kind, "response");
  assert.equal(answers[0].requestSeq, request?.seq);
  assert.equal(answers[0].http?.method, "GET");
  assert.ok(answers[0].http?.eventId, "with its SSE event id");
  const end = sessionEnd(events);
  assert.deepEqual(end.pending, []);
  assert.equal(end.failure, undefined, end.failure);
  await assertVerifies(log);
});

Deno.test("stdio bridge: a response stream closed before its answer that cannot be resumed (the GET answered 405) gets the client a JSON-RPC error saying so, not a call left waiting", async () => {
  await using session = await bridgeSession("stranded", {
    DROP_STREAM_ON: "query",
    NO_RESUME: "1",
  });
  const { log, client } = session;
  const error = await callQuery(client, {}).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(error, "the call fails");
  assert.match(
    error.message,
    /closed a response stream before its answer, and it could not be resumed: the GET with Last-Event-ID to resume it was answered 405/,
  );
  const after = await client.callTool({ name: "read_file", arguments: {} });
  assert.match(JSON.stringify(after), /ran read_file/);
  await client.close();
  const { events } = await readEvents(log);
  const end = sessionEnd(events);
  assert.deepEqual(end.pending, [], "the call is answered, by the bridge");
  assert.match(end.failure ?? "", /could not be resumed/);
  await assertVerifies(log);
});

Deno.test("stdio bridge: after a 404 renews the session, the new session's GET stream opens and the expired session's is closed, while the client is still connected", async () => {
  await using session = await bridgeSession("renewing", {
    EXPIRE_ON: "drop_table",
    NOTE_GETS: "1",
  });
  const { record, log, stderr, client } = session;
  const call = async (name: string): Promise<string> =>
    JSON.stringify(await client.callTool({ name, arguments: {} }));
  assert.match(await call("read_file"), /ran read_file/);
  assert.match(await call("drop_table"), /ran drop_table/); // then expired
  assert.match(await call("write_file"), /ran write_file/); // after a 404
  // The server notes a GET stream's end when its client closes it: wait
  // (30 s at most) for session 1's, with the client still connected.
  const gets = async (): Promise<string[]> =>
    (await notes(record)).flatMap((n) =>
      n.get && !n.resumed ? [`${n.get}@${n.session}`] : []
    );
  const until = Date.now() + 30_000;
  while (
    !(await gets()).includes("closed@1") ||
    !(await gets()).includes("open@2")
  ) {
    if (Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seen = await gets();
  assert.ok(seen.includes("open@1"), JSON.stringify(seen));
  assert.ok(
    seen.includes("open@2"),
    `a GET stream for the new session: ${seen}`,
  );
  assert.ok(
    seen.includes("closed@1"),
    `the expired session's GET stream closed: ${seen}\n${stderr()}`,
  );
  assert.ok(!seen.includes("closed@2"), "the new session's stream stays open");
  assert.match(await call("query"), /ran query/);
  await client.close();
  await assertVerifies(log);
});
