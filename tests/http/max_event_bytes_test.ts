/**
 * `--max-event-bytes`: an SSE event from the upstream over the limit is
 * answered, in both HTTP modes, with a JSON-RPC error that names the flag
 * for the request it would have answered (the reverse proxy then closes
 * the stream), and everything logged before it stays in a log that
 * verifies. The upstream
 * is `server-everything` (`streamableHttp`), whose tools/call answers come
 * as SSE events; an echo of 40,000 characters is over a 16,384-byte limit.
 *
 * @module
 */
import assert from "node:assert/strict";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";
import {
  runCli,
  samplingClient,
  startEverything,
  startReverse,
} from "./_http_servers.ts";

const LIMIT = "16384";
const FLAG_ERROR =
  /an SSE event from the upstream http:\/\/127\.0\.0\.1:\d+\/mcp is larger than 16384 bytes; raise --max-event-bytes if such events are expected/;
const BIG = "x".repeat(40_000);

/** The log's echo answers, and its session_end. */
async function logged(log: string): Promise<
  {
    echoes: string[];
    end: Extract<AuditEvent, { kind: "session_end" }>;
  }
> {
  const { events } = await readEvents(log);
  const echoes = events.flatMap((e) =>
    e.kind === "response" && e.tool === "echo" ? [JSON.stringify(e.result)] : []
  );
  const end = events.find((e) => e.kind === "session_end") as Extract<
    AuditEvent,
    { kind: "session_end" }
  >;
  return { echoes, end };
}

Deno.test("--max-event-bytes in the reverse proxy: the client gets a JSON-RPC error naming the flag in place of the oversized SSE event, then the stream closes; the error is logged for that call, the fault recorded, the log verifies, and the session goes on", async () => {
  await using dir = await tempDir();
  await using upstream = await startEverything("streamableHttp");
  const log = `${dir.path}/reverse.jsonl`;
  const proxy = await startReverse(upstream.url, [
    "--log",
    log,
    "--max-event-bytes",
    LIMIT,
  ]);
  const client = samplingClient("limited");
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
  const before = await client.callTool({
    name: "echo",
    arguments: { message: "small before" },
  });
  assert.match(JSON.stringify(before), /Echo: small before/);
  // Without the answer in its place, the broken stream left the call to
  // the SDK's reconnection and its timeout.
  const error = await client.callTool(
    { name: "echo", arguments: { message: BIG } },
    undefined,
    { timeout: 20_000 },
  ).then(() => undefined, (e: Error) => e);
  assert.ok(error, "the oversized answer is an error");
  assert.match(error.message, FLAG_ERROR);
  assert.doesNotMatch(error.message, /timed out/i);
  // The session is not broken by one stream's fault.
  const after = await client.callTool({
    name: "echo",
    arguments: { message: "small after" },
  });
  assert.match(JSON.stringify(after), /Echo: small after/);
  await client.close();
  await proxy.stop();
  assert.match(proxy.stderr(), FLAG_ERROR);

  const { echoes, end } = await logged(log);
  assert.equal(
    echoes.length,
    2,
    "the answers before and after, not the big one",
  );
  assert.match(echoes[0], /small before/);
  assert.match(echoes[1], /small after/);
  assert.match(end.failure ?? "", FLAG_ERROR);
  const { events } = await readEvents(log);
  const refused = events.filter((e) => e.kind === "error" && e.tool === "echo");
  assert.equal(refused.length, 1, "the proxy's answer, logged once");
  const fault = (refused[0] as { http?: { fault?: string } }).http?.fault;
  assert.match(fault ?? "", FLAG_ERROR);
  assert.match(JSON.stringify(refused[0]), /mcp-audit: an SSE event/);
  assert.deepEqual(
    end.pending,
    [],
    "the request whose answer was refused is answered by the proxy",
  );
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});

Deno.test("--max-event-bytes in the stdio bridge: the client gets a JSON-RPC error naming the flag for the request whose answer was too large; earlier answers stay logged and the log verifies", async () => {
  await using dir = await tempDir();
  await using upstream = await startEverything("streamableHttp");
  const log = `${dir.path}/bridge.jsonl`;
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: cliArgs([
      "proxy",
      "--upstream",
      upstream.url,
      "--log",
      log,
      "--max-event-bytes",
      LIMIT,
    ]),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => {
    stderr += new TextDecoder().decode(chunk);
  });
  const client = samplingClient("bridged-limited");
  await client.connect(transport);
  const before = await client.callTool({
    name: "echo",
    arguments: { message: "small before" },
  });
  assert.match(JSON.stringify(before), /Echo: small before/);
  const error = await client.callTool({
    name: "echo",
    arguments: { message: BIG },
  }).then(() => undefined, (e: Error) => e);
  assert.ok(error, "the oversized answer is an error");
  assert.match(error.message, FLAG_ERROR);
  const after = await client.callTool({
    name: "echo",
    arguments: { message: "small after" },
  });
  assert.match(JSON.stringify(after), /Echo: small after/);
  await client.close();
  assert.match(stderr, FLAG_ERROR);

  const { echoes, end } = await logged(log);
  assert.equal(echoes.length, 2);
  assert.match(echoes[0], /small before/);
  assert.match(end.failure ?? "", FLAG_ERROR);
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});
