import assert from "node:assert/strict";
import { Correlator } from "../../lib/audit/correlator.ts";
import { SummaryBuilder } from "../../lib/audit/summary.ts";
import { parseFrame } from "../../lib/wire/jsonrpc.ts";
import type {
  AuditEvent,
  Direction,
  ErrorResponseEvent,
  NotificationEvent,
  RequestEvent,
  ResponseEvent,
} from "../../lib/audit/event.ts";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {
    elicitation: {},
    extensions: { "io.modelcontextprotocol/tasks": {} },
  },
  "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" },
};

/** One message through the real parser and correlator; the events it gave. */
function feeder(): (dir: Direction, message: unknown) => AuditEvent[] {
  const c = new Correlator({ session: "s" });
  return (dir, message) => {
    const bytes = new TextEncoder().encode(JSON.stringify(message));
    return c.frame(
      dir,
      { bytes, length: bytes.length },
      parseFrame({
        bytes,
        length: bytes.length,
      }),
    );
  };
}

Deno.test("an input_required round trip is one logical call: the retry and both replies name the first request", () => {
  const feed = feeder();
  const params = { name: "login", arguments: { org: "acme" }, _meta: META };
  const [first] = feed("c2s", {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params,
  }) as RequestEvent[];
  assert.equal(first.protocolEra, "2026");
  assert.equal(first.call, undefined);
  const [interim] = feed("s2c", {
    jsonrpc: "2.0",
    id: 1,
    result: {
      resultType: "input_required",
      inputRequests: {
        github_login: {
          method: "elicitation/create",
          params: { mode: "form", message: "name?", requestedSchema: {} },
        },
      },
      requestState: "opaque-1",
    },
  }) as ResponseEvent[];
  assert.equal(interim.resultType, "input_required");
  assert.deepEqual(interim.call, {
    seq: first.seq,
    id: 1,
    via: "input_required",
    round: 1,
  });
  // An unrelated call in between does not take the link.
  const [other] = feed("c2s", {
    jsonrpc: "2.0",
    id: 2,
    method: "tools/call",
    params: { name: "other", arguments: {}, _meta: META },
  }) as RequestEvent[];
  assert.equal(other.call, undefined);
  const [retry] = feed("c2s", {
    jsonrpc: "2.0",
    id: 3,
    method: "tools/call",
    params: {
      ...params,
      inputResponses: {
        github_login: { action: "accept", content: { name: "octocat" } },
      },
      requestState: "opaque-1",
    },
  }) as RequestEvent[];
  assert.deepEqual(retry.call, {
    seq: first.seq,
    id: 1,
    via: "input_required",
    round: 2,
  });
  const [done] = feed("s2c", {
    jsonrpc: "2.0",
    id: 3,
    result: { resultType: "complete", content: [] },
  }) as ResponseEvent[];
  assert.equal(done.resultType, "complete");
  assert.equal(done.requestSeq, retry.seq);
  assert.deepEqual(done.call, retry.call);
  assert.equal(done.protocolEra, "2026");
  // A retry whose requestState matches nothing is not linked.
  const [stray] = feed("c2s", {
    jsonrpc: "2.0",
    id: 4,
    method: "tools/call",
    params: { ...params, requestState: "opaque-1" },
  }) as RequestEvent[];
  assert.equal(stray.call, undefined);
});

Deno.test("summary: a retry counts with its call, error kinds are named by the era", () => {
  const feed = feeder();
  const summary = new SummaryBuilder();
  const add = (events: AuditEvent[]) => events.forEach((e) => summary.add(e));
  const params = { name: "t", arguments: {}, _meta: META };
  add(feed("c2s", { jsonrpc: "2.0", id: 1, method: "tools/call", params }));
  add(feed("s2c", {
    jsonrpc: "2.0",
    id: 1,
    result: { resultType: "input_required", requestState: "x" },
  }));
  add(feed("c2s", {
    jsonrpc: "2.0",
    id: 2,
    method: "tools/call",
    params: { ...params, requestState: "x" },
  }));
  const [mismatch] = feed("s2c", {
    jsonrpc: "2.0",
    id: 2,
    error: { code: -32020, message: "Header mismatch" },
  }) as ErrorResponseEvent[];
  add([mismatch]);
  assert.equal(mismatch.errorName, "HeaderMismatch");
  assert.equal(mismatch.errorType, "-32020");
  add(feed("c2s", {
    jsonrpc: "2.0",
    id: 3,
    method: "resources/read",
    params: { uri: "file:///x", _meta: META },
  }));
  add(feed("s2c", {
    jsonrpc: "2.0",
    id: 3,
    error: { code: -32602, message: "Resource not found" },
  }));
  const built = summary.build(0);
  assert.equal(built.toolCalls, 1);
  assert.deepEqual(built.errorKinds, { HeaderMismatch: 1, InvalidParams: 1 });
});

Deno.test("a task handle links tasks/get and notifications/tasks to the call that created it", () => {
  const feed = feeder();
  const [call] = feed("c2s", {
    jsonrpc: "2.0",
    id: "a",
    method: "tools/call",
    params: { name: "build", arguments: {}, _meta: META },
  }) as RequestEvent[];
  const [created] = feed("s2c", {
    jsonrpc: "2.0",
    id: "a",
    result: {
      resultType: "task",
      taskId: "t-1",
      status: "working",
      ttlMs: 60000,
      pollIntervalMs: 10,
    },
  }) as ResponseEvent[];
  assert.equal(created.taskStatus, "working");
  assert.deepEqual(created.call, {
    seq: call.seq,
    id: "a",
    via: "task",
    round: 1,
    taskId: "t-1",
  });
  const [poll] = feed("c2s", {
    jsonrpc: "2.0",
    id: "b",
    method: "tasks/get",
    params: { taskId: "t-1", _meta: META },
  }) as RequestEvent[];
  assert.equal(poll.call?.seq, call.seq);
  assert.equal(poll.call?.round, 2);
  const [result] = feed("s2c", {
    jsonrpc: "2.0",
    id: "b",
    result: {
      resultType: "complete",
      taskId: "t-1",
      status: "completed",
      ttlMs: 60000,
      result: { content: [{ type: "text", text: "ok" }] },
    },
  }) as ResponseEvent[];
  assert.equal(result.taskStatus, "completed");
  assert.equal(result.call?.taskId, "t-1");
  assert.equal(result.call?.round, 2);
  const [note] = feed("s2c", {
    jsonrpc: "2.0",
    method: "notifications/tasks",
    params: { taskId: "t-1", status: "completed" },
  }) as NotificationEvent[];
  assert.equal(note.call?.seq, call.seq);
  const [unknown] = feed("c2s", {
    jsonrpc: "2.0",
    id: "c",
    method: "tasks/get",
    params: { taskId: "t-unknown", _meta: META },
  }) as RequestEvent[];
  assert.equal(unknown.call, undefined);
});

Deno.test("subscriptions/listen: notifications name their stream, an open stream is pending as a subscription", () => {
  const c = new Correlator({ session: "s" });
  const feed = (dir: Direction, message: unknown) => {
    const bytes = new TextEncoder().encode(JSON.stringify(message));
    const frame = { bytes, length: bytes.length };
    return c.frame(dir, frame, parseFrame(frame));
  };
  const [listen] = feed("c2s", {
    jsonrpc: "2.0",
    id: 7,
    method: "subscriptions/listen",
    params: { _meta: META, notifications: { toolsListChanged: true } },
  });
  const [ack] = feed("s2c", {
    jsonrpc: "2.0",
    method: "notifications/subscriptions/acknowledged",
    params: {
      _meta: { "io.modelcontextprotocol/subscriptionId": 7 },
      notifications: { toolsListChanged: true },
    },
  }) as NotificationEvent[];
  assert.equal(ack.subscriptionSeq, listen.seq);
  assert.equal(ack.protocolEra, "2026");
  const [unrelated] = feed("s2c", {
    jsonrpc: "2.0",
    method: "notifications/tools/list_changed",
    params: { _meta: { "io.modelcontextprotocol/subscriptionId": 8 } },
  }) as NotificationEvent[];
  assert.equal(unrelated.subscriptionSeq, undefined);
  assert.deepEqual(c.pending().map((p) => [p.method, p.subscription]), [
    ["subscriptions/listen", true],
  ]);
});

Deno.test("a 2025-era session: initialize sets the era, -32002 on resources/read is ResourceNotFound", () => {
  const feed = feeder();
  const [init] = feed("c2s", {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "old", version: "1" },
    },
  }) as RequestEvent[];
  assert.equal(init.protocolEra, "2025");
  feed("c2s", {
    jsonrpc: "2.0",
    id: 1,
    method: "resources/read",
    params: { uri: "file:///gone" },
  });
  const [gone] = feed("s2c", {
    jsonrpc: "2.0",
    id: 1,
    error: { code: -32002, message: "Resource not found" },
  }) as ErrorResponseEvent[];
  assert.equal(gone.protocolEra, "2025");
  assert.equal(gone.errorName, "ResourceNotFound");
});

Deno.test("a dual-era client's server/discover probe refused by a 2025 server, then initialize: the probe is 2026, the session 2025", () => {
  const feed = feeder();
  const [probe] = feed("c2s", {
    jsonrpc: "2.0",
    id: 1,
    method: "server/discover",
    params: { _meta: META },
  }) as RequestEvent[];
  assert.equal(probe.protocolEra, "2026");
  const [refused] = feed("s2c", {
    jsonrpc: "2.0",
    id: 1,
    error: { code: -32601, message: "Method not found" },
  }) as ErrorResponseEvent[];
  assert.equal(refused.errorName, "MethodNotFound");
  feed("c2s", {
    jsonrpc: "2.0",
    id: 2,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {} },
  });
  feed("s2c", {
    jsonrpc: "2.0",
    id: 2,
    result: { protocolVersion: "2025-11-25", capabilities: {} },
  });
  const [note] = feed("c2s", {
    jsonrpc: "2.0",
    method: "notifications/initialized",
  }) as NotificationEvent[];
  const [list] = feed("c2s", {
    jsonrpc: "2.0",
    id: 3,
    method: "tools/list",
  }) as RequestEvent[];
  assert.equal(note.protocolEra, "2025");
  assert.equal(list.protocolEra, "2025");
});
