/**
 * Stopping the reverse proxy while a session is still being ended. An
 * HTTP+SSE session ends when its client closes the stream; a stop (the
 * CLI's SIGTERM calls `close`) that came while that end was under way,
 * its `session_end` not yet written, found no open session, and the
 * process exited without the `session_end`: the cause of the flaky "older
 * HTTP+SSE transport" test in `reverse_proxy_test.ts`, which stops the
 * proxy right after the client closes (under load, the end's drain of
 * the audit queue outlasted the stop). Here the end is held open on
 * purpose, at its `beforeEnd` step (where `--otlp` and `--anchor` flush),
 * with the proxy in this process between a real SDK client and a real
 * `server-everything` on 127.0.0.1.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { startReverseProxy } from "../../lib/http/reverse_proxy.ts";
import { readEvents, tempDir } from "../_helpers.ts";
import { runCli, samplingClient, startEverything } from "./_http_servers.ts";

Deno.test("reverse proxy: close() while an HTTP+SSE session is being ended (its client gone) waits for that session's session_end", async () => {
  await using dir = await tempDir();
  await using upstream = await startEverything("sse");
  const log = `${dir.path}/sse.jsonl`;
  let began: () => void = () => {};
  const ending = new Promise<void>((r) => began = r);
  let release: () => void = () => {};
  const released = new Promise<void>((r) => release = r);
  const proxy = startReverseProxy({
    port: 0,
    upstream: upstream.url,
    markerKey: "test-key",
    session: {
      logPath: log,
      // The session's end waits here until the test lets it go on.
      beforeEnd: async () => {
        began();
        await released;
        return {};
      },
    },
  });
  const url = `http://127.0.0.1:${proxy.addr.port}/sse`;
  const client = samplingClient("leaving");
  await client.connect(new SSEClientTransport(new URL(url)));
  const echo = await client.callTool({
    name: "echo",
    arguments: { message: "before leaving" },
  });
  assert.match(JSON.stringify(echo), /Echo: before leaving/);
  await client.close();
  await ending; // the closed stream began the session's end
  const closed = proxy.close("signal");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const first = await Promise.race([
    closed.then(() => "closed"),
    new Promise<string>((r) => timer = setTimeout(() => r("waiting"), 1500)),
  ]);
  clearTimeout(timer);
  release();
  await closed;
  assert.equal(first, "waiting", "close() returned before the end under way");
  const { events } = await readEvents(log);
  const ends = events.filter((e) => e.kind === "session_end");
  assert.equal(ends.length, 1, "the session_end is written by close()");
  assert.equal(
    (ends[0] as { reason?: string }).reason,
    "client_closed",
    "ended by the client's leaving, not by the stop",
  );
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});
