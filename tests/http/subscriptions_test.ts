/**
 * Resource subscriptions through the reverse proxy, against
 * `server-everything` in its `streamableHttp` mode: an SDK client
 * subscribes to a resource, the server's `notifications/resources/updated`
 * arrives on the GET stream through the proxy, and the log holds the
 * subscribe request, its correlated answer and the update.
 *
 * @module
 */
import assert from "node:assert/strict";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { readEvents, tempDir } from "../_helpers.ts";
import {
  runCli,
  samplingClient,
  startEverything,
  startReverse,
} from "./_http_servers.ts";

Deno.test("resource subscriptions through the reverse proxy: resources/subscribe and the notifications/resources/updated that follows pass and are logged, correlated; the log verifies", async () => {
  await using dir = await tempDir();
  await using upstream = await startEverything("streamableHttp");
  const log = `${dir.path}/subscribe.jsonl`;
  await using proxy = await startReverse(upstream.url, ["--log", log]);

  const client = samplingClient("subscriber");
  let updated: (uri: string) => void = () => {};
  const update = new Promise<string>((resolve) => updated = resolve);
  client.setNotificationHandler(
    ResourceUpdatedNotificationSchema,
    (n: { params: { uri: string } }) => updated(n.params.uri),
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
  const { resources } = await client.listResources();
  const uri = resources[0].uri;
  assert.deepEqual(await client.subscribeResource({ uri }), {});
  // The server sends an update now, then every 5 s, to subscribed sessions.
  await client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const got = await Promise.race([
    update,
    new Promise<undefined>((r) =>
      timer = setTimeout(() => r(undefined), 20_000)
    ),
  ]).finally(() => clearTimeout(timer));
  assert.equal(got, uri, "the update reached the client through the proxy");
  await client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
  assert.deepEqual(await client.unsubscribeResource({ uri }), {});
  await client.close();
  await proxy.stop();

  const { events } = await readEvents(log);
  const subscribe = events.find((e) =>
    e.kind === "request" && e.method === "resources/subscribe"
  ) as Extract<AuditEvent, { kind: "request" }>;
  assert.deepEqual(subscribe.params, { uri });
  assert.equal(subscribe.dir, "c2s");
  const answer = events.find((e) =>
    e.kind === "response" && e.requestSeq === subscribe.seq
  ) as Extract<AuditEvent, { kind: "response" }>;
  assert.ok(answer, "the subscribe answer, correlated");
  assert.equal(answer.method, "resources/subscribe");
  const updates = events.filter((e) =>
    e.kind === "notification" && e.method === "notifications/resources/updated"
  ) as Extract<AuditEvent, { kind: "notification" }>[];
  assert.ok(updates.length >= 1);
  assert.deepEqual(updates[0].params, { uri });
  assert.equal(updates[0].dir, "s2c");
  assert.equal(updates[0].http?.method, "GET", "on the GET stream");
  assert.ok(updates[0].seq > answer.seq);
  assert.ok(
    events.some((e) =>
      e.kind === "request" && e.method === "resources/unsubscribe"
    ),
  );
  assert.equal(
    events.filter((e) => e.kind === "session_start").length,
    1,
    "the GET stream is part of the POSTs' session",
  );
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});
