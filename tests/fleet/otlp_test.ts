/**
 * OTLP export from the proxy (`--otlp URL`), received by a collector of the
 * test's own on 127.0.0.1 that decodes the OTLP/HTTP JSON it is sent: the
 * span, log and metric names and attributes, the agent's trace joined, and
 * no secret in any byte that left the proxy.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startEverything, startReverse } from "../http/_http_servers.ts";
import { decodeOtlp } from "./_otlp_proto.ts";
import type { AuditEvent, SessionEndEvent } from "../../lib/audit/event.ts";
import {
  cliArgs,
  fixtureServer,
  readAll,
  readEvents,
  tempDir,
} from "../_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const SECRET = "hunter2-98765";
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

interface Received {
  path: string;
  /** The bytes as sent. */
  body: Uint8Array;
  /** The request, decoded from protobuf or JSON, in the JSON mapping's shape. */
  // deno-lint-ignore no-explicit-any
  json: any;
}

/**
 * An OTLP/HTTP collector on 127.0.0.1 that decodes what it is sent by its
 * content type: protobuf with the official definitions, or JSON.
 */
function collector(
  protocol: "http/protobuf" | "http/json" = "http/protobuf",
): { port: number; received: Received[] } & AsyncDisposable {
  const received: Received[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen(): void {} },
    async (request) => {
      const body = new Uint8Array(await request.arrayBuffer());
      const path = new URL(request.url).pathname;
      const type = request.headers.get("content-type");
      assert.equal(
        type,
        protocol === "http/json"
          ? "application/json"
          : "application/x-protobuf",
      );
      received.push({
        path,
        body,
        json: type === "application/json"
          ? JSON.parse(decoder.decode(body))
          : decodeOtlp(path, body),
      });
      assert.equal(request.headers.get("x-team"), "platform");
      return new Response("{}", {
        headers: { "content-type": "application/json" },
      });
    },
  );
  return {
    port: server.addr.port,
    received,
    async [Symbol.asyncDispose](): Promise<void> {
      await server.shutdown();
    },
  };
}

type Attr = { key: string; value: Record<string, unknown> };

function attrs(list: Attr[]): Record<string, unknown> {
  return Object.fromEntries(
    list.map((a) => [a.key, Object.values(a.value)[0]]),
  );
}

async function runProxy(
  log: string,
  config: string,
  flags: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; replies: unknown[]; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--log",
      log,
      "--config",
      config,
      ...flags,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  const stderr = readAll(child.stderr).then((b) => decoder.decode(b));
  const stdout = readAll(child.stdout).then((b) => decoder.decode(b));
  const writer = child.stdin.getWriter();
  for (
    const message of [
      {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "t", version: "1" },
        },
      },
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: {
          name: "echo",
          arguments: { text: `the password is ${SECRET}` },
          _meta: { traceparent: `00-${TRACE_ID}-${PARENT}-01` },
        },
      },
    ]
  ) {
    await writer.write(encoder.encode(JSON.stringify(message) + "\n"));
  }
  // Wait for both answers before closing stdin.
  const status = child.status;
  const deadline = new Promise((r) => setTimeout(r, 100));
  await deadline;
  let text = "";
  for (let i = 0; i < 100; i++) {
    text = await Deno.readTextFile(log).catch(() => "");
    if ((text.match(/"kind":"response"/g) ?? []).length >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await writer.close();
  const { code } = await status;
  const out = await stdout;
  return {
    code,
    replies: out.split("\n").filter(Boolean).map((l) => JSON.parse(l)),
    stderr: await stderr,
  };
}

async function redactingConfig(dir: string): Promise<string> {
  const config = `${dir}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      redact: { patterns: [{ type: "password", pattern: "hunter2-[0-9]+" }] },
    }),
  );
  return config;
}

for (const protocol of ["http/protobuf", "http/json"] as const) {
  Deno.test(`otlp: --otlp exports ${protocol}: a log record per event, a span per call joined to the agent's trace, a duration histogram, and no secret in any byte`, async () => {
    await using dir = await tempDir();
    await using otlp = collector(protocol);
    const log = `${dir.path}/otlp.jsonl`;
    const config = await redactingConfig(dir.path);
    const run = await runProxy(
      log,
      config,
      ["--otlp", `http://127.0.0.1:${otlp.port}`, "--sensitive-tools", "echo"],
      {
        OTEL_EXPORTER_OTLP_HEADERS: "x-team=platform",
        ...(protocol === "http/json"
          ? { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }
          : {}),
      },
    );
    assert.equal(run.code, 0, run.stderr);
    // The relay is unchanged: the client got the secret back in clear.
    assert.equal(run.replies.length, 2);
    assert.match(JSON.stringify(run.replies[1]), new RegExp(SECRET));

    // No byte sent to the collector holds the secret.
    const all = otlp.received.map((r) => decoder.decode(r.body)).join("\n");
    assert.ok(otlp.received.length > 0, "the collector received nothing");
    assert.ok(!all.includes(SECRET), "the secret left the machine");
    assert.ok(!all.includes("98765"), "part of the secret left the machine");

    const { events } = await readEvents(log);
    const session = events[0].session;
    // session_end records the export until then: nothing dropped, and as
    // many records as the collector got, less session_end and the last checkpoint.
    const end = events.find((e) => e.kind === "session_end");
    assert.ok(end?.kind === "session_end");
    const sent = otlp.received.filter((r) => r.path === "/v1/logs").reduce(
      (n, r) => n + r.json.resourceLogs[0].scopeLogs[0].logRecords.length,
      0,
    );
    assert.deepEqual(end.otlp, {
      exported: sent - events.filter((e) => e.seq >= end.seq).length,
      dropped: 0,
    });
    const logged = events.filter((e) =>
      e.kind === "request" || e.kind === "response" || e.kind === "error"
    );

    // Logs: one record per event that went through the plugins, body = stored line.
    const records = otlp.received.filter((r) => r.path === "/v1/logs").flatMap(
      (r) =>
        r.json.resourceLogs.flatMap((
          rl: { scopeLogs: { logRecords: unknown[] }[] },
        ) => rl.scopeLogs.flatMap((s) => s.logRecords)),
    ) as {
      body: { stringValue: string };
      attributes: Attr[];
      traceId?: string;
    }[];
    for (const event of logged) {
      const record = records.find((r) =>
        attrs(r.attributes)["mcp.audit.seq"] === String(event.seq)
      );
      assert.ok(record, `no log record for seq ${event.seq}`);
      const a = attrs(record.attributes);
      assert.equal(a["mcp.session.id"], session);
      assert.equal(a["mcp.audit.kind"], event.kind);
      const body = JSON.parse(record.body.stringValue);
      assert.equal(body.seq, event.seq);
      assert.deepEqual(
        (body as Record<string, unknown>).params ??
          (body as Record<string, unknown>).result,
        (event as unknown as Record<string, unknown>).params ??
          (event as unknown as Record<string, unknown>).result,
      );
    }
    const call = records.find((r) =>
      attrs(r.attributes)["mcp.method.name"] === "tools/call" &&
      attrs(r.attributes)["mcp.audit.kind"] === "request"
    )!;
    const callAttrs = attrs(call.attributes);
    assert.equal(callAttrs["gen_ai.tool.name"], "echo");
    assert.equal(callAttrs["jsonrpc.request.id"], "2");
    assert.match(String(callAttrs["mcp.audit.classes"]), /SENSITIVE/);
    assert.equal(call.traceId, TRACE_ID);
    assert.match(call.body.stringValue, /\[REDACTED:password:[0-9a-f]{8}\]/);

    // Traces: a span per request/response pair; the call's is a child of the agent's span.
    const spans = otlp.received.filter((r) => r.path === "/v1/traces").flatMap(
      (r) =>
        r.json.resourceSpans.flatMap((
          rs: { scopeSpans: { spans: unknown[] }[] },
        ) => rs.scopeSpans.flatMap((s) => s.spans)),
    ) as {
      name: string;
      traceId: string;
      parentSpanId?: string;
      spanId: string;
      attributes: Attr[];
      startTimeUnixNano: string;
      endTimeUnixNano: string;
      status: { code: number };
    }[];
    assert.deepEqual(spans.map((s) => s.name).sort(), [
      "initialize",
      "tools/call echo",
    ]);
    const span = spans.find((s) => s.name === "tools/call echo")!;
    assert.equal(span.traceId, TRACE_ID);
    assert.equal(span.parentSpanId, PARENT);
    assert.match(span.spanId, /^[0-9a-f]{16}$/);
    assert.ok(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano));
    assert.equal(span.status.code, 1);
    const sa = attrs(span.attributes);
    assert.equal(sa["mcp.method.name"], "tools/call");
    assert.equal(sa["gen_ai.tool.name"], "echo");
    assert.equal(sa["mcp.session.id"], session);
    assert.equal(sa["jsonrpc.request.id"], "2");
    const init = spans.find((s) => s.name === "initialize")!;
    assert.notEqual(init.traceId, TRACE_ID);
    assert.equal(init.parentSpanId, undefined);

    // Metrics: the duration histogram, one call of echo, classed SENSITIVE.
    const metrics = otlp.received.filter((r) => r.path === "/v1/metrics");
    assert.equal(metrics.length, 1);
    const metric = metrics[0].json.resourceMetrics[0]
      .scopeMetrics[0].metrics[0];
    assert.equal(metric.name, "mcp.client.operation.duration");
    assert.equal(metric.unit, "s");
    const point = metric.histogram.dataPoints.find((
      p: { attributes: Attr[] },
    ) => attrs(p.attributes)["gen_ai.tool.name"] === "echo");
    assert.equal(point.count, "1");
    assert.match(
      String(attrs(point.attributes)["mcp.audit.classes"]),
      /SENSITIVE/,
    );
    assert.equal(
      point.bucketCounts.reduce((n: number, c: string) => n + Number(c), 0),
      1,
    );
  });
}

Deno.test("otlp: a collector that is down changes nothing for the client; the drops are counted on stderr", async () => {
  await using dir = await tempDir();
  // A port that was free a moment ago: nothing listens there.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const log = `${dir.path}/down.jsonl`;
  const config = await redactingConfig(dir.path);
  const run = await runProxy(log, config, [], {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.replies.length, 2);
  const { events } = await readEvents(log);
  const end = events.find((e) => e.kind === "session_end");
  assert.ok(end?.kind === "session_end");
  const m =
    /OTLP export: 0 event\(s\) exported, (\d+) dropped \(http:\/\/127\.0\.0\.1:\d+\/v1\/\w+: /
      .exec(run.stderr);
  assert.ok(m, run.stderr);
  assert.ok(Number(m[1]) >= 4, run.stderr);
  // The log itself records the drops until session_end; stderr counts
  // session_end and the checkpoint after it too.
  assert.equal(end.otlp?.exported, 0);
  assert.ok(end.otlp!.dropped >= 4);
  assert.equal(
    end.otlp?.dropped,
    Number(m[1]) - events.filter((e) => e.seq >= end.seq).length,
  );
  assert.match(String(end.otlp?.error), /127\.0\.0\.1:\d+\/v1\//);
});

Deno.test("otlp: --otlp with something other than an http(s) URL is a usage error", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["proxy", "--otlp", "ftp://x", "--", "true"]),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(r.code, 2);
  assert.match(
    decoder.decode(r.stderr),
    /--otlp takes the collector's http\(s\) URL/,
  );
});

/** The spans a collector received, by name, with their attributes. */
function spansOf(
  received: Received[],
): { name: string; a: Record<string, unknown> }[] {
  return received.filter((r) => r.path === "/v1/traces").flatMap((r) =>
    r.json.resourceSpans.flatMap((
      rs: { scopeSpans: { spans: { name: string; attributes: Attr[] }[] }[] },
    ) => rs.scopeSpans.flatMap((s) => s.spans))
  ).map((s: { name: string; attributes: Attr[] }) => ({
    name: s.name,
    a: attrs(s.attributes),
  }));
}

Deno.test("otlp: --otlp with --upstream (the stdio bridge) and --listen (the reverse proxy) exports the calls, and no secret", async () => {
  await using dir = await tempDir();
  await using upstream = await startEverything("streamableHttp");
  const config = await redactingConfig(dir.path);
  const env = {
    ...Deno.env.toObject(),
    OTEL_EXPORTER_OTLP_HEADERS: "x-team=platform",
  };
  // The stdio bridge.
  {
    await using otlp = collector();
    const log = `${dir.path}/bridge.jsonl`;
    const client = new Client({ name: "otlp-bridge", version: "1" });
    await client.connect(
      new StdioClientTransport({
        command: Deno.execPath(),
        args: cliArgs([
          "proxy",
          "--quiet",
          "--upstream",
          upstream.url,
          "--log",
          log,
          "--config",
          config,
          "--otlp",
          `http://127.0.0.1:${otlp.port}`,
        ]),
        env,
        stderr: "pipe",
      }),
    );
    const echo = await client.callTool({
      name: "echo",
      arguments: { message: `the password is ${SECRET}` },
    });
    assert.match(JSON.stringify(echo), new RegExp(SECRET), "relayed as is");
    await client.close();
    for (let i = 0; i < 100 && spansOf(otlp.received).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const { events } = await readEvents(log);
    const spans = spansOf(otlp.received);
    const call = spans.find((s) => s.name === "tools/call echo");
    assert.ok(call, JSON.stringify(spans.map((s) => s.name)));
    assert.equal(call.a["mcp.session.id"], events[0].session);
    assert.equal(call.a["gen_ai.tool.name"], "echo");
    assert.equal(call.a["mcp.method.name"], "tools/call");
    const all = otlp.received.map((r) => decoder.decode(r.body)).join("\n");
    assert.ok(!all.includes("98765"), "the secret left the machine");
    assert.match(all, /REDACTED:password:[0-9a-f]{8}/, "the call was exported");
    // The log records the counts in session_end, as the stdio proxy's does.
    let end: AuditEvent | undefined;
    for (let i = 0; i < 100 && !end; i++) {
      end = (await readEvents(log)).events.find((e) =>
        e.kind === "session_end"
      );
      if (!end) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(end?.kind === "session_end", "the bridge's session ended");
    assert.equal(end.otlp?.dropped, 0, JSON.stringify(end.otlp));
    // Every event before session_end was exported by then.
    assert.equal(end.otlp?.exported, end.seq, JSON.stringify(end.otlp));
  }
  // The reverse proxy: two sessions, one exporter, flushed at the stop.
  {
    await using otlp = collector();
    const logDir = `${dir.path}/reverse`;
    await Deno.mkdir(logDir);
    const reverse = await startReverse(upstream.url, [
      "--quiet",
      "--config",
      config,
      "--otlp",
      `http://127.0.0.1:${otlp.port}`,
    ], {
      MCP_AUDIT_LOG_DIR: logDir,
      OTEL_EXPORTER_OTLP_HEADERS: "x-team=platform",
    });
    for (const name of ["first", "second"]) {
      const client = new Client({ name, version: "1" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(reverse.url)),
      );
      await client.callTool({
        name: "echo",
        arguments: { message: `${name}: ${SECRET}` },
      });
      await client.close();
    }
    const status = await reverse.stop();
    assert.equal(status.code, 0, reverse.stderr());
    const calls = spansOf(otlp.received).filter((s) =>
      s.name === "tools/call echo"
    );
    assert.equal(calls.length, 2, JSON.stringify(spansOf(otlp.received)));
    assert.notEqual(calls[0].a["mcp.session.id"], calls[1].a["mcp.session.id"]);
    const all = otlp.received.map((r) => decoder.decode(r.body)).join("\n");
    assert.ok(!all.includes("98765"), "the secret left the machine");
    assert.match(all, /REDACTED:password:[0-9a-f]{8}/, "the call was exported");
    // Each session's session_end records the exporter's counts until then
    // (one exporter serves both: the proxy's counts, its own events in them).
    const ends: SessionEndEvent[] = [];
    for await (const entry of Deno.readDir(logDir)) {
      if (!entry.name.endsWith(".jsonl")) continue;
      const { events } = await readEvents(`${logDir}/${entry.name}`);
      const end = events.find((e) => e.kind === "session_end");
      assert.ok(end?.kind === "session_end", entry.name);
      ends.push(end);
    }
    assert.equal(ends.length, 2);
    for (const end of ends) {
      assert.equal(end.otlp?.dropped, 0, JSON.stringify(end.otlp));
      assert.equal(end.otlp?.error, undefined);
      assert.ok(end.otlp!.exported >= end.seq, JSON.stringify(end.otlp));
    }
  }
});
