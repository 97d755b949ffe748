/**
 * The library API: `auditTransport` on either side of an in-process SDK
 * conversation writes the same events as `mcp-audit proxy` in front of the
 * same server; `AuditLogger` writes classified, correlated events for calls
 * recorded by hand; `mod.ts` costs CLI users nothing.
 *
 * @module
 */
import assert from "node:assert/strict";
// The SDK's "./*" export map has no .d.ts for "*.js" under Deno; name the types explicitly.
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type AuditEvent,
  AuditEventSchema,
  AuditLogger,
  auditTransport,
  ConfigError,
  type ConfigInput,
  definePlugin,
  type ErrorResponseEvent,
  type JsonRpcMessageEvent,
  loadConfig,
  type RequestEvent,
  type ResponseEvent,
  type SessionEndEvent,
  type Summary,
} from "../mod.ts";
import { AGENT_NAME, AGENT_VERSION, runAgentScenario } from "../demo/agent.ts";
import { startHrServer } from "../demo/hr_server.ts";
import { readEvents, tempDir } from "./_helpers.ts";
import { loadedModules } from "./_module_graph.ts";
import {
  completeLog,
  scenarioThroughProxy,
  withRedactKey as withKey,
} from "./_hr_scenario.ts";

const DEMO_CONFIG = new URL("../demo/mcp-audit.jsonc", import.meta.url)
  .pathname;
/** One redaction key for both runs, so a value gets the same marker in both logs. */
const REDACT_KEY = "api-test-redaction-key";

function isMessage(event: AuditEvent): event is JsonRpcMessageEvent {
  return event.kind === "request" || event.kind === "notification" ||
    event.kind === "response" || event.kind === "error";
}

/**
 * What must agree between two logs of the same conversation: everything a
 * message event says except its time, duration and position in the log
 * (a reply points at its request by index among the message events).
 */
function messageTrail(events: AuditEvent[]): unknown[] {
  const messages = events.filter(isMessage);
  const index = new Map(messages.map((e, i) => [e.seq, i]));
  return messages.map((e) => {
    const { seq: _seq, ts: _ts, session: _session, hash: _hash, ...rest } = e as
      & JsonRpcMessageEvent
      & { hash?: string };
    const out: Record<string, unknown> = { ...rest };
    delete out.durationMs;
    if ("requestSeq" in out) {
      out.request = index.get(out.requestSeq as number);
      delete out.requestSeq;
    }
    return out;
  });
}

function comparableSummary(
  summary: Summary,
): Omit<Summary, "durationMs"> {
  const { durationMs: _durationMs, ...rest } = summary;
  return rest;
}

/** The log's `session_end`, without the line hash the writer adds. */
function sessionEnd(events: AuditEvent[]): SessionEndEvent {
  const end = events.findLast((e) => e.kind === "session_end");
  assert.ok(end, "the log ends its session");
  const { hash: _hash, ...rest } = end as SessionEndEvent & { hash?: string };
  return rest as SessionEndEvent;
}

const withRedactKey = <T>(run: () => Promise<T>): Promise<T> =>
  withKey(REDACT_KEY, run);

Deno.test("auditTransport on an in-process SDK client logs the same events and summary as the proxy in front of the same server", async () => {
  await using dir = await tempDir();
  const inProcessLog = `${dir.path}/in-process.jsonl`;
  const proxyLog = `${dir.path}/proxy.jsonl`;

  const inProcess = await withRedactKey(async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = await startHrServer(serverSide);
    const transport = auditTransport(clientSide, {
      logPath: inProcessLog,
      config: DEMO_CONFIG,
    });
    const client = new Client({ name: AGENT_NAME, version: AGENT_VERSION });
    await client.connect(transport);
    assert.equal(transport.logPath, inProcessLog);
    const result = await runAgentScenario(client);
    await client.close();
    const end = await transport.ended;
    await server.close();
    return { result, end };
  });
  const proxied = await scenarioThroughProxy(proxyLog, DEMO_CONFIG, REDACT_KEY);
  assert.deepEqual(inProcess.result.steps, proxied.steps);

  const ours = (await readEvents(inProcessLog)).events;
  const theirs = await completeLog(proxyLog);
  for (const event of ours) AuditEventSchema.parse(event);

  // The same messages, in the same order, with the same classes, entities and redactions.
  const trail = messageTrail(ours);
  assert.deepEqual(trail, messageTrail(theirs));
  const calls = ours.filter((e): e is RequestEvent =>
    e.kind === "request" && e.method === "tools/call"
  );
  assert.equal(calls.length, 9, "every call of the scenario is in the log");
  const pay = calls.find((c) => c.tool === "get_pay_info")!;
  assert.deepEqual(pay.classes?.map((c) => c.label), ["SENSITIVE", "READ"]);
  assert.ok(pay.entities?.some((e) => e.value === "E003"));

  const handshake = (events: AuditEvent[]): unknown => {
    const { seq: _s, ts: _t, session: _i, ...rest } = events.find((e) =>
      e.kind === "handshake"
    ) as AuditEvent & { hash?: string };
    delete (rest as { hash?: string }).hash;
    return rest;
  };
  assert.deepEqual(handshake(ours), handshake(theirs));

  const end = sessionEnd(ours);
  assert.deepEqual(inProcess.end, end, "ended resolves with the logged event");
  assert.equal(end.reason, "client_closed");
  assert.deepEqual(
    comparableSummary(end.summary),
    comparableSummary(sessionEnd(theirs).summary),
  );
  assert.equal(end.summary.errors, 2);
  assert.deepEqual(end.summary.toolClasses.WRITE, ["submit_time_off"]);
  assert.equal(end.client?.name, AGENT_NAME);
  assert.equal(end.server?.name, "hr-demo");
  assert.deepEqual(end.pending, []);
});

Deno.test("auditTransport on the server side logs the conversation exactly as the client side does, and ends when the client goes away", async () => {
  await using dir = await tempDir();
  const clientLog = `${dir.path}/client-side.jsonl`;
  const serverLog = `${dir.path}/server-side.jsonl`;
  const config = await demoConfigObject();
  const ended = await withRedactKey(async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const serverTransport = auditTransport(serverSide, {
      side: "server",
      logPath: serverLog,
      config,
      command: ["hr-demo"],
    });
    // startHrServer also wraps onmessage and sends the unknown-jurisdiction error itself.
    const server = await startHrServer(serverTransport);
    const clientTransport = auditTransport(clientSide, {
      logPath: clientLog,
      config,
    });
    const client = new Client({ name: AGENT_NAME, version: AGENT_VERSION });
    await client.connect(clientTransport);
    await runAgentScenario(client);
    await client.close();
    // Nobody closed the server's transport: its peer did.
    const ended = await serverTransport.ended;
    await server.close();
    return ended;
  });

  const ofServer = (await readEvents(serverLog)).events;
  const ofClient = (await readEvents(clientLog)).events;
  assert.deepEqual(messageTrail(ofServer), messageTrail(ofClient));
  const requests = ofServer.filter((e): e is RequestEvent =>
    e.kind === "request"
  );
  assert.ok(requests.length > 0);
  assert.ok(
    requests.every((r) => r.dir === "c2s"),
    "requests come from the client",
  );
  const replies = ofServer.filter((
    e,
  ): e is ResponseEvent | ErrorResponseEvent =>
    e.kind === "response" || e.kind === "error"
  );
  assert.ok(replies.every((r) => r.dir === "s2c"), "replies go to the client");
  assert.ok(
    ofServer.some((e) => e.kind === "error" && e.errorType === "-32602"),
    "the error the server sent itself through the transport is logged",
  );
  const serverEnd = sessionEnd(ofServer);
  assert.deepEqual(
    ended,
    serverEnd,
    "ended resolves without close() on this side",
  );
  assert.equal(serverEnd.reason, "client_closed");
  assert.deepEqual(serverEnd.summary.toolClasses.SENSITIVE, ["get_pay_info"]);
  assert.deepEqual(
    comparableSummary(serverEnd.summary),
    comparableSummary(sessionEnd(ofClient).summary),
  );
  const start = ofServer[0];
  assert.equal(start.kind, "session_start");
  assert.deepEqual(start.kind === "session_start" && start.command, [
    "hr-demo",
  ]);
});

Deno.test("AuditLogger turns calls recorded by hand into classified request/response pairs with entities, errors and pending calls", async () => {
  await using dir = await tempDir();
  const logPath = `${dir.path}/by-hand.jsonl`;
  const warnings: string[] = [];
  const log = await AuditLogger.open({
    logPath,
    onWarning: (message) => warnings.push(message),
    sensitiveTools: ["get_pay_info"],
    writeTools: ["submit_*"],
    entities: [
      { type: "employee", pattern: "\\bE\\d{3}\\b" },
      { type: "time_off_request", pattern: "\\bTO-\\d{4}\\b", in: ["result"] },
    ],
  });
  assert.equal(log.logPath, logPath);
  log.toolCall("get_pay_info", { employee_id: "E003" }).result({
    content: [{ type: "text", text: "E003: 91000 EUR" }],
  });
  const submit = log.toolCall("submit_time_off", { employee_id: "E003" });
  const unknown = log.toolCall("get_employee", { employee_id: "E999" });
  const rules = log.toolCall("get_compliance_rules", { jurisdiction: "XX" });
  const forgotten = log.toolCall("search_employees", { query: "weber" });
  // Answers may come in any order; the ids pair them.
  unknown.error(new Error("No employee with id E999"));
  submit.result({ request_id: "TO-0042", status: "pending" });
  rules.error({ code: -32602, message: "Unknown jurisdiction XX" });
  submit.result("answered twice");
  const end = await log.close();

  const { events } = await readEvents(logPath);
  for (const event of events) AuditEventSchema.parse(event);
  assert.equal(events[0].kind, "session_start");
  assert.deepEqual(sessionEnd(events), end);
  const requests = events.filter((e): e is RequestEvent =>
    e.kind === "request"
  );
  assert.deepEqual(requests.map((r) => [r.id, r.tool, r.dir]), [
    [1, "get_pay_info", "c2s"],
    [2, "submit_time_off", "c2s"],
    [3, "get_employee", "c2s"],
    [4, "get_compliance_rules", "c2s"],
    [5, "search_employees", "c2s"],
  ]);
  const replies = events.filter((e): e is ResponseEvent | ErrorResponseEvent =>
    e.kind === "response" || e.kind === "error"
  );
  assert.equal(replies.length, 4, "the second answer to a call is not logged");
  assert.deepEqual(warnings, [
    'the call to "submit_time_off" (id 2) was answered twice; the second answer is not logged',
  ]);
  const replyTo = (tool: string): ResponseEvent | ErrorResponseEvent => {
    const request = requests.find((r) => r.tool === tool)!;
    const reply = replies.find((r) => r.requestSeq === request.seq);
    assert.ok(reply, `the call to ${tool} has its reply`);
    assert.equal(reply.tool, tool);
    assert.equal(reply.dir, "s2c");
    return reply;
  };
  const pay = replyTo("get_pay_info");
  assert.deepEqual(pay.classes?.map((c) => c.label), ["SENSITIVE"]);
  assert.deepEqual(
    requests[0].entities?.map((e) => [e.type, e.value, e.path]),
    [["employee", "E003", "arguments.employee_id"]],
  );
  const submitted = replyTo("submit_time_off") as ResponseEvent;
  assert.deepEqual(submitted.classes?.map((c) => c.label), ["WRITE"]);
  assert.deepEqual(
    (submitted.result as { structuredContent: unknown }).structuredContent,
    { request_id: "TO-0042", status: "pending" },
  );
  assert.ok(submitted.entities?.some((e) => e.value === "TO-0042"));
  const toolError = replyTo("get_employee");
  assert.equal(toolError.kind, "response");
  assert.equal(toolError.errorType, "tool_error");
  const rpcError = replyTo("get_compliance_rules");
  assert.equal(rpcError.kind, "error");
  assert.equal(rpcError.errorType, "-32602");

  assert.equal(end.summary.toolCalls, 5);
  assert.equal(end.summary.errors, 2);
  assert.deepEqual(end.summary.toolClasses, {
    SENSITIVE: ["get_pay_info"],
    WRITE: ["submit_time_off"],
  });
  assert.deepEqual(
    end.summary.entities.map((e) => e.value).sort(),
    ["E003", "E999", "TO-0042"],
  );
  assert.deepEqual(end.pending.map((p) => [p.id, p.tool]), [
    [forgotten.id, "search_employees"],
  ]);
});

Deno.test("a failing plugin becomes a warning and the audited conversation goes on", async () => {
  await using dir = await tempDir();
  const logPath = `${dir.path}/failing.jsonl`;
  const warnings: string[] = [];
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = await startHrServer(serverSide);
  const transport = auditTransport(clientSide, {
    logPath,
    plugins: [
      definePlugin({
        name: "broken",
        onToolCall(): never {
          throw new Error("broken on purpose");
        },
      }),
    ],
    onWarning: (message) => warnings.push(message),
  });
  const client = new Client({ name: AGENT_NAME, version: AGENT_VERSION });
  await client.connect(transport);
  const result = await client.callTool({
    name: "get_employee",
    arguments: { employee_id: "E003" },
  });
  assert.equal(result.isError, undefined);
  await client.close();
  const end = await transport.ended;
  await server.close();
  assert.equal(end?.summary.toolCalls, 1);
  assert.ok(warnings.some((w) => w.includes("broken on purpose")));
  const { events } = await readEvents(logPath);
  const call = events.find((e) => e.kind === "request" && e.tool);
  assert.deepEqual((call as RequestEvent).pluginErrors?.[0]?.plugin, "broken");
});

Deno.test("an invalid config rejects connect before the wrapped transport starts, so nothing is said unaudited", async () => {
  let started = 0;
  const inner: Transport = {
    start(): Promise<void> {
      started++;
      return Promise.resolve();
    },
    send(): Promise<void> {
      return Promise.resolve();
    },
    close(): Promise<void> {
      return Promise.resolve();
    },
  };
  const transport = auditTransport(inner, {
    logPath: "/nonexistent-dir/never-written.jsonl",
    config: { rules: { sensitiv: ["typo"] } } as never,
  });
  const client = new Client({ name: AGENT_NAME, version: AGENT_VERSION });
  await assert.rejects(() => client.connect(transport), ConfigError);
  assert.equal(started, 0);
});

Deno.test("importing mod.ts loads no SDK code and no Preact, and cli.ts never imports mod.ts", async () => {
  const graph = (entry: string): Promise<Set<string>> =>
    loadedModules(new URL(entry, import.meta.url).pathname);
  const lib = await graph("../mod.ts");
  assert.ok(
    [...lib].some((s) => s.endsWith("/lib/session/audit_transport.ts")),
  );
  assert.deepEqual(
    [...lib].filter((s) => s.includes("modelcontextprotocol")),
    [],
  );
  // The report has its own export path: the API loads no Preact.
  assert.deepEqual([...lib].filter((s) => s.includes("preact")), []);
  const cli = await graph("../cli.ts");
  assert.ok(!cli.has(new URL("../mod.ts", import.meta.url).href));
  assert.ok(![...cli].some((s) => s.includes("modelcontextprotocol")));
});

async function demoConfigObject(): Promise<ConfigInput> {
  const { config } = await loadConfig(DEMO_CONFIG);
  // Plugin paths in the file are relative to it; as an object they resolve from the working directory.
  return {
    ...config,
    plugins: config.plugins?.map((entry) =>
      typeof entry === "object" && entry.use.startsWith("../")
        ? {
          ...entry,
          use: new URL(entry.use, new URL(".", `file://${DEMO_CONFIG}`)).href,
        }
        : entry
    ),
  };
}
