/**
 * The 2026-07-28 era over Streamable HTTP: the spec-exact peers of
 * tests/peers/ through the reverse proxy (`mcp-audit proxy --listen`).
 * The server checks `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` against the
 * body, so every call that succeeds proves they passed unchanged; the log
 * records them as `mcpHeaders`, redacted like the arguments they mirror.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent, RequestEvent } from "../../lib/audit/event.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";
import { Mcp2026Client } from "../peers/mcp2026_client.ts";
import { runCli, startReverse } from "./_http_servers.ts";

/** A region value the config redacts; it travels in the body and in Mcp-Param-Region. */
const SECRET_REGION = "vault-region-77123";

/** Starts the 2026 peer server over HTTP; it prints its URL on stdout. */
async function startPeer(...flags: string[]): Promise<
  AsyncDisposable & { url: string }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      new URL("../peers/mcp2026_server.ts", import.meta.url).pathname,
      "--http",
      ...flags,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the 2026 peer server did not start");
    text += value;
  }
  reader.releaseLock();
  return {
    url: text.trim(),
    async [Symbol.asyncDispose](): Promise<void> {
      child.kill("SIGTERM");
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}

Deno.test("2026-07-28 over HTTP through the reverse proxy: headers pass and are logged, Mcp-Param-* redacted, input_required linked, listen acknowledged, one session per connection, the log verifies", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/2026-http.jsonl`;
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      redact: { patterns: [{ type: "vault", pattern: "vault-region-[0-9]+" }] },
    }),
  );
  await using upstream = await startPeer();
  await using proxy = await startReverse(upstream.url, [
    "--log",
    log,
    "--config",
    config,
  ]);
  const client = Mcp2026Client.http(proxy.url, {
    elicit: () => ({ action: "accept", content: { name: "octo" } }),
  });
  let login: { result: Record<string, unknown>; ids: (string | number)[] };
  try {
    const discovered = await client.discover();
    assert.deepEqual(discovered.supportedVersions, ["2026-07-28"]);
    await client.listTools();
    const query = await client.callTool("query", {
      region: SECRET_REGION,
      query: "select 1",
    });
    assert.equal(query.ids.length, 1);
    login = await client.callTool("login");
    assert.equal(login.ids.length, 2);
    const sub = await client.listen({ toolsListChanged: true });
    assert.deepEqual(sub.ack.params?.notifications, { toolsListChanged: true });
  } finally {
    await client.close();
  }
  await proxy.stop();

  const bytes = await Deno.readTextFile(log);
  assert.doesNotMatch(bytes, new RegExp(SECRET_REGION));
  const { events } = await readEvents(log);
  // No Mcp-Session-Id in this era: one audited session (the connection).
  const starts = events.filter((e) => e.kind === "session_start");
  assert.equal(starts.length, 1, JSON.stringify(starts));
  const requests = events.filter((e): e is RequestEvent =>
    e.kind === "request"
  );
  assert.deepEqual(
    requests.map((r) => [r.method, r.mcpHeaders?.method, r.protocolEra]),
    requests.map((r) => [r.method, r.method, "2026"]),
  );
  const call = requests.find((r) =>
    r.method === "tools/call" &&
    (r.params as { name?: string }).name === "query"
  )!;
  assert.equal(call.mcpHeaders?.name, "query");
  assert.equal(call.mcpHeaders?.protocolVersion, "2026-07-28");
  assert.match(
    call.mcpHeaders?.params?.region ?? "",
    /^\[REDACTED:vault:[0-9a-f]{8}\]$/,
  );
  // input_required over HTTP: the retry is linked to the first request.
  const [first, retry] = login!.ids.map((id) =>
    requests.find((r) => r.id === id)!
  );
  assert.equal(first.call, undefined);
  assert.deepEqual(retry.call, {
    seq: first.seq,
    id: first.id,
    via: "input_required",
    round: 2,
  });
  // subscriptions/listen: the ack names the listen request.
  const listen = requests.find((r) => r.method === "subscriptions/listen")!;
  const ack = events.find((e: AuditEvent) =>
    e.kind === "notification" &&
    e.method === "notifications/subscriptions/acknowledged"
  );
  assert.equal(
    ack?.kind === "notification" ? ack.subscriptionSeq : undefined,
    listen.seq,
  );
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});

Deno.test("2026-07-28 through the stdio bridge: it adds MCP-Protocol-Version, Mcp-Method, Mcp-Name and the Mcp-Param-* headers the tool schema marks, so the validating server answers; the param values are logged redacted; input_required linked; the log verifies", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/2026-bridge.jsonl`;
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      redact: { patterns: [{ type: "vault", pattern: "vault-region-[0-9]+" }] },
    }),
  );
  await using upstream = await startPeer();
  const client = Mcp2026Client.stdio([
    Deno.execPath(),
    ...cliArgs([
      "proxy",
      "--upstream",
      upstream.url,
      "--log",
      log,
      "--config",
      config,
      "--quiet",
    ]),
  ], { elicit: () => ({ action: "accept", content: { name: "octo" } }) });
  // Non-ASCII: it travels as =?base64?…?= in Mcp-Param-Region.
  const region = `Zürich ${SECRET_REGION}`;
  let login: { result: Record<string, unknown>; ids: (string | number)[] };
  let query: { result: Record<string, unknown>; ids: (string | number)[] };
  try {
    const discovered = await client.discover();
    assert.deepEqual(discovered.supportedVersions, ["2026-07-28"]);
    await client.listTools();
    const echo = await client.callTool("echo", { text: "hi" });
    assert.equal(echo.ids.length, 1);
    login = await client.callTool("login");
    assert.equal(login.ids.length, 2);
    // The server refuses this with -32020 unless Mcp-Param-Region,
    // Mcp-Param-Limit and Mcp-Param-Dry-Run match the arguments.
    query = await client.callTool("query", {
      region,
      query: "SELECT 1",
      options: { limit: 5, dryRun: true },
    });
  } finally {
    await client.close();
  }
  assert.match(
    JSON.stringify(query!.result),
    /ran in Zürich vault-region-77123: SELECT 1 with \{\\"limit\\":5,\\"dryRun\\":true\}/,
  );
  const bytes = await Deno.readTextFile(log);
  assert.doesNotMatch(bytes, new RegExp(SECRET_REGION));
  const encoded = btoa(
    String.fromCharCode(...new TextEncoder().encode(region)),
  );
  assert.ok(!bytes.includes(encoded), "nor its base64 header value");
  const { events } = await readEvents(log);
  const call = events.find((e): e is RequestEvent =>
    e.kind === "request" && e.tool === "query"
  )!;
  assert.equal(call.mcpHeaders?.name, "query");
  assert.match(
    call.mcpHeaders?.params?.region ?? "",
    /^Zürich \[REDACTED:vault:[0-9a-f]{8}\]$/,
  );
  assert.equal(call.mcpHeaders?.params?.limit, "5");
  assert.equal(call.mcpHeaders?.params?.["dry-run"], "true");
  const requests = events.filter((e): e is RequestEvent =>
    e.kind === "request"
  );
  const [first, retry] = login!.ids.map((id) =>
    requests.find((r) => r.id === id)!
  );
  assert.equal(retry.call?.seq, first.seq);
  assert.equal(retry.call?.via, "input_required");
  assert.equal(
    events.filter((e) => e.kind === "error").length,
    0,
    "no request was refused",
  );
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});

/** The bridge in front of `url`, logging to `log`, with a 2026 client. */
function bridged(url: string, log: string): Mcp2026Client {
  return Mcp2026Client.stdio([
    Deno.execPath(),
    ...cliArgs(["proxy", "--upstream", url, "--log", log, "--quiet"]),
  ]);
}

Deno.test("2026-07-28 through the stdio bridge: tools whose x-mcp-header marks break the rules are left out of the tools/list the client gets, with the reason in the log, which keeps the server's answer", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/2026-screen.jsonl`;
  await using upstream = await startPeer("--bad-tools");
  const client = bridged(upstream.url, log);
  let tools: { name: string }[];
  let echo: { result: Record<string, unknown> };
  try {
    await client.discover();
    tools = await client.listTools();
    echo = await client.callTool("echo", { text: "still here" });
  } finally {
    await client.close();
  }
  assert.deepEqual(
    tools!.map((t) => t.name),
    ["echo", "login", "build", "query"],
    "the valid tools, in order; none of the bad ones",
  );
  assert.match(JSON.stringify(echo!.result), /still here/);
  const { events } = await readEvents(log);
  const listed = events.find((e) =>
    e.kind === "response" && e.method === "tools/list"
  ) as Extract<AuditEvent, { kind: "response" }>;
  const logged = (listed.result as { tools: { name: string }[] }).tools;
  assert.equal(logged.length, 8, "the log keeps the server's whole answer");
  const fault = listed.http?.fault ?? "";
  assert.match(fault, /took out of this tools\/list answer/);
  assert.match(
    fault,
    /"bad_number": .*type "number", not integer, string or boolean/,
  );
  assert.match(
    fault,
    /"bad_items": .*"ids\.items" is not on a property reached through properties only/,
  );
  assert.match(fault, /"bad_duplicate": .*"Zone"|"bad_duplicate": .*"zone"/);
  assert.match(fault, /"bad_token": .*"Bad Name" .* not an HTTP header token/);
  assert.doesNotMatch(fault, /"(echo|login|build|query)"/);
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});

for (const discoverFirst of [true, false]) {
  Deno.test(
    `2026-07-28 through the stdio bridge: a tools/call refused with -32020 (a tool the bridge had not seen listed${
      discoverFirst
        ? ""
        : "; the session's first request, so the refusal is not taken for an HTTP+SSE server"
    }) makes it list the tools and send the call once more, with the Mcp-Param-* headers; the client gets the result and the log one request saying so`,
    async () => {
      await using dir = await tempDir();
      const log = `${dir.path}/2026-retry.jsonl`;
      await using upstream = await startPeer();
      const client = bridged(upstream.url, log);
      let query: { result: Record<string, unknown>; ids: (string | number)[] };
      try {
        if (discoverFirst) await client.discover();
        // No tools/list first: the bridge knows no schema, sends no
        // Mcp-Param-Region, and the server refuses the call (-32020). Without
        // the refresh the client got that error (and as the first request,
        // the bridge tried HTTP+SSE instead and failed).
        query = await client.callTool("query", {
          region: "eu-west1",
          query: "SELECT 2",
        });
      } finally {
        await client.close();
      }
      assert.match(JSON.stringify(query!.result), /ran in eu-west1: SELECT 2/);
      const { events } = await readEvents(log);
      const start = events.find((e) => e.kind === "session_start") as Extract<
        AuditEvent,
        { kind: "session_start" }
      >;
      assert.equal(start.transport, "streamable-http");
      const calls = events.filter((e): e is RequestEvent =>
        e.kind === "request" && e.tool === "query"
      );
      assert.equal(calls.length, 1, "the call is logged once");
      assert.match(
        calls[0].http?.fault ?? "",
        /answered -32020 \(HeaderMismatch\) to this tools\/call; the bridge listed its tools again and sent the call once more/,
      );
      assert.equal(calls[0].http?.status, 200);
      assert.equal(calls[0].mcpHeaders?.params?.region, "eu-west1");
      assert.equal(
        events.filter((e) => e.kind === "error").length,
        0,
        "the refusal never reached the client",
      );
      assert.equal(
        events.filter((e) => e.kind === "request" && e.method === "tools/list")
          .length,
        0,
        "the bridge's own tools/list is not the client's",
      );
      const answer = events.find((e) =>
        e.kind === "response" && e.requestSeq === calls[0].seq
      );
      assert.ok(answer, "the result, correlated with the call");
      const verified = await runCli(["verify", log]);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    },
  );
}

Deno.test("--max-body-bytes: a client body over the limit gets 413 with a JSON-RPC error naming the flag, a warning, and the body stays out of the log; smaller requests on the same proxy still pass", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/limit.jsonl`;
  await using upstream = await startPeer();
  await using proxy = await startReverse(upstream.url, [
    "--log",
    log,
    "--max-body-bytes",
    "600",
  ]);
  const client = Mcp2026Client.http(proxy.url);
  try {
    const discovered = await client.discover();
    assert.deepEqual(discovered.supportedVersions, ["2026-07-28"]);
    const big = await fetch(proxy.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 99,
        method: "tools/call",
        params: { name: "echo", arguments: { text: "x".repeat(2000) } },
      }),
    });
    assert.equal(big.status, 413);
    const body = await big.json();
    assert.match(body.error.message, /--max-body-bytes/);
    const again = await client.discover();
    assert.deepEqual(again.supportedVersions, ["2026-07-28"]);
  } finally {
    await client.close();
  }
  await proxy.stop();
  assert.match(proxy.stderr(), /larger than 600 bytes/);
  const bytes = await Deno.readTextFile(log);
  assert.doesNotMatch(bytes, /x{2000}/);
});

Deno.test("--idle-seconds: a connection's session that goes quiet is ended in the log while the proxy runs, and the next request opens a new session", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/idle.jsonl`;
  await using upstream = await startPeer();
  await using proxy = await startReverse(upstream.url, [
    "--log",
    log,
    "--idle-seconds",
    "1",
  ]);
  const client = Mcp2026Client.http(proxy.url);
  try {
    await client.discover();
    // Wait (polling the log, not the clock) until the idle session ends.
    let ended = false;
    for (let i = 0; i < 200 && !ended; i++) {
      await new Promise((ok) => setTimeout(ok, 50));
      const text = await Deno.readTextFile(log).catch(() => "");
      ended = text.includes('"kind":"session_end"');
    }
    assert.ok(ended, "no session_end while the proxy ran");
    await client.discover();
  } finally {
    await client.close();
  }
  await proxy.stop();
  const { events } = await readEvents(log);
  const starts = events.filter((e) => e.kind === "session_start");
  const ends = events.filter((e) => e.kind === "session_end");
  assert.equal(starts.length, 2);
  assert.equal(ends.length, 2);
  assert.notEqual(starts[0].session, starts[1].session);
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});
