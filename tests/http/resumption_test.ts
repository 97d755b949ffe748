/**
 * `Last-Event-ID` resumption through the reverse proxy, against
 * `server-everything` in its `streamableHttp` mode (which keeps an event
 * store): a client drops the SSE stream of a running tools/call, then
 * reconnects with a GET carrying the id of the last event it handled. It
 * gets the events it missed and the result; the log holds each event once,
 * even the one the server sent on both streams, and the result correlated
 * with its request.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import type { SseEvent } from "../../lib/http/sse_parser.ts";
import { readEvents, tempDir } from "../_helpers.ts";
import { runCli, startEverything, startReverse } from "./_http_servers.ts";
import { RawSession, SseReader } from "./_sse_client.ts";

type Message = {
  id?: number;
  method?: string;
  params?: { progress?: number; progressToken?: string };
  result?: unknown;
};

/** The next event, or undefined when none comes within `ms` (a stalled stream). */
function nextWithin(
  reader: SseReader,
  ms: number,
): Promise<SseEvent | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    reader.nextMessage(),
    new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), ms)),
  ]).finally(() => clearTimeout(timer));
}

Deno.test("Last-Event-ID through the reverse proxy: after a dropped stream the client gets the missed progress and the result; the log holds each event once, correlated, and verifies", async () => {
  await using dir = await tempDir();
  await using upstream = await startEverything("streamableHttp");
  const log = `${dir.path}/resume.jsonl`;
  await using proxy = await startReverse(upstream.url, ["--log", log]);

  const session = new RawSession(proxy.url);
  await session.initialize();
  const callId = session.id();
  const posted = await session.post({
    id: callId,
    method: "tools/call",
    params: {
      name: "trigger-long-running-operation",
      arguments: { duration: 1.5, steps: 3 },
      _meta: { progressToken: "resume-1" },
    },
  });
  assert.equal(posted.status, 200);
  assert.match(posted.headers.get("content-type") ?? "", /text\/event-stream/);
  const stream = new SseReader(posted);
  // Events before the drop: the primer (no data, so never dispatched) and
  // progress 1 and 2. The client handled progress 1 only, then lost the
  // connection; progress 2 had already passed the proxy.
  const first = await stream.nextMessage();
  const second = await stream.nextMessage();
  const message = (e?: SseEvent): Message => JSON.parse(e?.data ?? "null");
  assert.equal(message(first).params?.progress, 1);
  assert.equal(message(second).params?.progress, 2);
  assert.ok(first?.id, "the server gives event ids");
  await stream.drop();

  // Reconnect from the last handled event until the result arrives. The
  // server replays what it stored after that id; a replay that ends before
  // the result is resumed again from its last event.
  const received: SseEvent[] = [];
  let last = first!.id!;
  for (let attempt = 0; attempt < 20; attempt++) {
    const res = await session.get(last);
    assert.equal(res.status, 200);
    const replay = new SseReader(res);
    for (;;) {
      const event = await nextWithin(replay, 700);
      if (!event) break;
      received.push(event);
      if (event.id) last = event.id;
      if (message(event).id === callId) break;
    }
    await replay.drop();
    if (received.some((e) => message(e).id === callId)) break;
  }
  const progress = received.map(message).flatMap((m) =>
    m.method === "notifications/progress" ? [m.params?.progress] : []
  );
  assert.deepEqual(progress, [2, 3], "the missed progress, in order");
  const result = received.map(message).find((m) => m.id === callId);
  assert.match(JSON.stringify(result?.result), /completed/);
  assert.equal(received[0].id, second!.id, "progress 2 again, same id");

  assert.equal(await session.delete(), 200);
  await proxy.stop();

  const { events } = await readEvents(log);
  const logged = events.filter((e) =>
    e.kind === "notification" && e.method === "notifications/progress"
  ) as Extract<AuditEvent, { kind: "notification" }>[];
  assert.deepEqual(
    logged.map((e) => (e.params as { progress: number }).progress),
    [1, 2, 3],
    "each progress event logged once",
  );
  assert.ok(logged.every((e) => e.http?.eventId), "with its SSE event id");
  assert.deepEqual(logged.map((e) => e.http?.method), ["POST", "POST", "GET"]);
  const request = events.find((e) =>
    e.kind === "request" && e.method === "tools/call"
  );
  const responses = events.filter((e) =>
    e.kind === "response" && e.id === callId
  ) as Extract<AuditEvent, { kind: "response" }>[];
  assert.equal(responses.length, 1, "the result logged once");
  assert.equal(responses[0].requestSeq, request?.seq);
  assert.equal(responses[0].tool, "trigger-long-running-operation");
  assert.equal(responses[0].http?.method, "GET");
  const end = events.find((e) => e.kind === "session_end") as Extract<
    AuditEvent,
    { kind: "session_end" }
  >;
  assert.deepEqual(end.pending, [], "nothing left unanswered");
  assert.equal(
    events.filter((e) => e.kind === "session_start").length,
    1,
    "one session: the GET joined the POST's session",
  );
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});
