import assert from "node:assert/strict";
// The SDK's "./*" export map has no .d.ts for "*.js" under Deno; name the types explicitly.
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  cliArgs,
  EVERYTHING_SERVER,
  HR_SERVER,
  readEvents,
  tempDir,
} from "../_helpers.ts";
import type {
  AuditEvent,
  ErrorResponseEvent,
  RequestEvent,
  ResponseEvent,
} from "../../lib/audit/event.ts";

async function connect(
  command: string[],
  withSampling = false,
): Promise<Client> {
  const client = new Client(
    { name: "proxy-test-client", version: "1.0.0" },
    { capabilities: withSampling ? { sampling: {} } : {} },
  );
  if (withSampling) {
    client.setRequestHandler(CreateMessageRequestSchema, () => ({
      model: "test-model",
      role: "assistant",
      content: { type: "text", text: "sampled reply" },
    }));
  }
  const [cmd, ...args] = command;
  await client.connect(
    new StdioClientTransport({ command: cmd, args, stderr: "ignore" }),
  );
  return client;
}

function proxied(log: string, server: string[]): string[] {
  return [
    Deno.execPath(),
    ...cliArgs(["proxy", "--quiet", "--log", log, "--", ...server]),
  ];
}

/** Drops fields that differ between any two runs of the same call. */
function stable(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(
      value,
      (k, v) => (k === "requestId" || k === "timestamp" ? undefined : v),
    ),
  );
}

function byKind<K extends AuditEvent["kind"]>(
  events: AuditEvent[],
  kind: K,
): Extract<AuditEvent, { kind: K }>[] {
  return events.filter((e) => e.kind === kind) as Extract<
    AuditEvent,
    { kind: K }
  >[];
}

Deno.test("an SDK client talks to server-everything through the proxy exactly as directly, and the log pairs every call", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/everything.jsonl`;
  const direct = await connect(EVERYTHING_SERVER, true);
  const viaProxy = await connect(proxied(log, EVERYTHING_SERVER), true);
  try {
    assert.deepEqual(viaProxy.getServerVersion(), direct.getServerVersion());
    const [toolsDirect, toolsProxy] = [
      await direct.listTools(),
      await viaProxy.listTools(),
    ];
    assert.deepEqual(toolsProxy, toolsDirect);
    const echo = {
      name: "echo",
      arguments: { message: "hello through the proxy" },
    };
    assert.deepEqual(
      await viaProxy.callTool(echo),
      await direct.callTool(echo),
    );
    const sum = { name: "get-sum", arguments: { a: 2, b: 40 } };
    assert.deepEqual(await viaProxy.callTool(sum), await direct.callTool(sum));
    // A failing call: arguments that violate the tool's schema.
    const bad = { name: "get-sum", arguments: { a: "not a number" } };
    const [badDirect, badProxy] = await Promise.all([
      direct.callTool(bad).catch((e: Error) => ({ thrown: e.message })),
      viaProxy.callTool(bad).catch((e: Error) => ({ thrown: e.message })),
    ]);
    assert.deepEqual(badProxy, badDirect);
    // A server-to-client request: the server asks the client to sample.
    const sampling = {
      name: "trigger-sampling-request",
      arguments: { prompt: "hi", maxTokens: 10 },
    };
    assert.deepEqual(
      stable(await viaProxy.callTool(sampling)),
      stable(await direct.callTool(sampling)),
    );
  } finally {
    await viaProxy.close();
    await direct.close();
  }

  const { events, partial } = await readEvents(log);
  assert.equal(partial, "", "the log ends with a complete line");
  assert.equal(events[0].kind, "session_start");
  assert.equal(events.at(-2)?.kind, "session_end");
  assert.equal(
    events.at(-1)?.kind,
    "checkpoint",
    "a final checkpoint covers the session",
  );
  events.forEach((e, i) =>
    assert.equal(e.seq, i, "sequence numbers have no gaps")
  );
  assert.equal(new Set(events.map((e) => e.session)).size, 1);

  const handshake = byKind(events, "handshake")[0];
  assert.equal(handshake.via, "initialize");
  assert.equal(handshake.client?.name, "proxy-test-client");
  assert.equal(handshake.server?.name, "mcp-servers/everything");
  assert.ok(handshake.protocolVersion);

  const requests = byKind(events, "request");
  const replies = events.filter((e) =>
    e.kind === "response" || e.kind === "error"
  ) as (ResponseEvent | ErrorResponseEvent)[];
  const calls = requests.filter((r) => r.method === "tools/call");
  assert.deepEqual(calls.map((c) => c.tool), [
    "echo",
    "get-sum",
    "get-sum",
    "trigger-sampling-request",
  ]);
  for (const call of calls) {
    const reply = replies.find((r) => r.requestSeq === call.seq);
    assert.ok(
      reply,
      `the call to ${call.tool} (seq ${call.seq}) has its response`,
    );
    assert.equal(reply.tool, call.tool);
    assert.equal(reply.dir, "s2c");
    assert.equal(typeof reply.durationMs, "number");
  }
  const echoReply = replies.find((r) => r.requestSeq === calls[0].seq)!;
  assert.deepEqual((echoReply as ResponseEvent).result, {
    content: [{ type: "text", text: "Echo: hello through the proxy" }],
  });
  assert.deepEqual((calls[0].params as { arguments: unknown }).arguments, {
    message: "hello through the proxy",
  });
  const badReply = replies.find((r) => r.requestSeq === calls[2].seq)!;
  assert.ok(
    badReply.kind === "error" || badReply.isError === true,
    "the failing call is logged as an error",
  );
  assert.ok(badReply.errorType, "the failure has an error.type");

  // The sampling request went server -> client and its answer client -> server.
  const samplingRequest = requests.find((r: RequestEvent) =>
    r.method === "sampling/createMessage"
  );
  assert.ok(samplingRequest, "the server-to-client request is logged");
  assert.equal(samplingRequest.dir, "s2c");
  const samplingReply = replies.find((r) =>
    r.requestSeq === samplingRequest.seq
  );
  assert.equal(samplingReply?.dir, "c2s");
  assert.equal(samplingReply?.kind, "response");
  assert.equal(
    ((samplingReply as ResponseEvent).result as { model: string }).model,
    "test-model",
  );

  const end = byKind(events, "session_end")[0];
  assert.equal(end.reason, "client_closed");
  assert.equal(end.summary.toolCalls, 4);
  assert.deepEqual(end.summary.tools, {
    echo: 1,
    "get-sum": 2,
    "trigger-sampling-request": 1,
  });
  assert.equal(end.summary.errors, 1);
  assert.deepEqual(end.pending, []);
  assert.equal(end.server?.name, "mcp-servers/everything");
});

Deno.test("the HR demo scenario through the proxy gives the same results as directly and a complete log", async () => {
  const { runAgentScenario } = await import("../../demo/agent.ts");
  await using dir = await tempDir();
  const log = `${dir.path}/hr.jsonl`;
  const direct = await connect(HR_SERVER);
  const viaProxy = await connect(proxied(log, HR_SERVER));
  let directSteps, proxySteps;
  try {
    directSteps = (await runAgentScenario(direct)).steps;
    proxySteps = (await runAgentScenario(viaProxy)).steps;
  } finally {
    await viaProxy.close();
    await direct.close();
  }
  // The HR server numbers time-off requests per process, so both runs see the same ids.
  assert.deepEqual(proxySteps, directSteps);
  const { events } = await readEvents(log);
  const end = byKind(events, "session_end")[0];
  const calls = byKind(events, "request").filter((r) =>
    r.method === "tools/call"
  );
  assert.equal(end.summary.toolCalls, calls.length);
  assert.equal(
    end.summary.toolCalls,
    directSteps.filter((s) => s.tool !== "tools/list").length,
  );
  assert.equal(end.summary.tools.get_pay_info, 2);
  // One tool error (unknown employee) and one JSON-RPC error (unknown jurisdiction).
  assert.equal(end.summary.errors, 2);
  const errors = events.filter((e) =>
    e.kind === "error" || (e.kind === "response" && e.isError)
  );
  assert.deepEqual(
    errors.map((e) => (e as ResponseEvent | ErrorResponseEvent).errorType)
      .sort(),
    ["-32602", "tool_error"],
  );
  assert.equal(end.client?.name, "proxy-test-client");
  assert.equal(end.server?.name, "hr-demo");
});
