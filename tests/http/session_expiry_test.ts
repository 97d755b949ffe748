/**
 * The stdio bridge after a 404 to a request carrying `Mcp-Session-Id`: the
 * session expired, so (as the 2025-11-25 transport page tells a client to)
 * the bridge starts a new session by replaying the stdio client's own
 * initialize and notifications/initialized, then sends the failed request
 * once more. The upstream is the recording test server with `EXPIRE_ON`,
 * which forgets a session after a call of the named tool.
 *
 * @module
 */
import assert from "node:assert/strict";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { cliArgs, fixtureServer, readEvents, tempDir } from "../_helpers.ts";
import { runCli, samplingClient, spawnUntil } from "./_http_servers.ts";

const NOTE =
  /answered 404 to session hmac:[0-9a-f]{16} \(it expired\); the bridge started session hmac:[0-9a-f]{16} with the client's initialize and sent the request again/;

Deno.test("stdio bridge: a 404 for an expired session starts a new session from the client's initialize, the request is sent again once, the client gets its answer, and the log is one session saying so", async () => {
  await using dir = await tempDir();
  const record = `${dir.path}/record.jsonl`;
  await using upstream = await spawnUntil(
    fixtureServer("recording_http_server.ts", record),
    /listening on (\d+)/,
    { EXPIRE_ON: "drop_table" },
  );
  const url = `http://127.0.0.1:${upstream.match[1]}/mcp`;
  const log = `${dir.path}/bridge.jsonl`;
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: cliArgs(["proxy", "--upstream", url, "--log", log]),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => {
    stderr += new TextDecoder().decode(chunk);
  });
  const client = samplingClient("expiring");
  await client.connect(transport);
  const text = async (name: string): Promise<string> =>
    JSON.stringify(await client.callTool({ name, arguments: { n: name } }));
  assert.match(await text("read_file"), /ran read_file/);
  // The server answers this one, then forgets the session.
  assert.match(await text("drop_table"), /ran drop_table/);
  assert.match(await text("write_file"), /ran write_file/);
  assert.match(await text("query"), /ran query/);
  await client.close();
  assert.match(stderr, NOTE);
  assert.equal(stderr.match(new RegExp(NOTE, "g"))?.length, 1);

  // The upstream saw two sessions; write_file reached it once, in the new one.
  const seen = (await Deno.readTextFile(record)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert.deepEqual(
    seen.map((e) =>
      e.session !== undefined && !e.name
        ? `session ${e.session}`
        : `${e.name}@${e.session}`
    ),
    [
      "session 1",
      "read_file@1",
      "drop_table@1",
      "session 2",
      "write_file@2",
      "query@2",
    ],
  );

  const { events } = await readEvents(log);
  assert.equal(events.filter((e) => e.kind === "session_start").length, 1);
  const calls = events.filter((e) =>
    e.kind === "request" && e.method === "tools/call"
  ) as Extract<AuditEvent, { kind: "request" }>[];
  assert.deepEqual(calls.map((c) => c.tool), [
    "read_file",
    "drop_table",
    "write_file",
    "query",
  ]);
  const retried = calls[2];
  assert.match(retried.http?.fault ?? "", NOTE);
  assert.equal(retried.http?.status, 200);
  assert.equal(calls[3].http?.fault, undefined);
  const answer = events.find((e) =>
    e.kind === "response" && e.requestSeq === retried.seq
  );
  assert.ok(answer, "the retried request's answer, correlated");
  assert.equal(
    events.filter((e) => e.kind === "handshake").length,
    1,
    "the replayed initialize is not a second handshake in the log",
  );
  const end = events.find((e) => e.kind === "session_end") as Extract<
    AuditEvent,
    { kind: "session_end" }
  >;
  assert.deepEqual(end.pending, []);
  assert.equal(end.failure, undefined, "a renewed session is not a failure");
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});
