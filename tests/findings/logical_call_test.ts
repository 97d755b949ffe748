import assert from "node:assert/strict";
import { sessionCalls } from "../../lib/findings/session_calls.ts";
import { errorStorm } from "../../lib/findings/error_storm.ts";

const call = { seq: 0, id: 1, via: "input_required", round: 2 };

Deno.test("the finding rules see a 2026-07-28 logical call as one call with its final outcome", () => {
  const [s] = sessionCalls([
    {
      seq: 0,
      session: "s",
      kind: "request",
      dir: "c2s",
      id: 1,
      method: "tools/call",
      tool: "login",
      params: { name: "login", arguments: {} },
    },
    {
      seq: 1,
      session: "s",
      kind: "response",
      dir: "s2c",
      id: 1,
      requestSeq: 0,
      resultType: "input_required",
      call: { ...call, round: 1 },
      result: { resultType: "input_required", requestState: "x" },
    },
    {
      seq: 2,
      session: "s",
      kind: "request",
      dir: "c2s",
      id: 2,
      method: "tools/call",
      tool: "login",
      call,
      params: { name: "login", arguments: {}, requestState: "x" },
    },
    {
      seq: 3,
      session: "s",
      kind: "error",
      dir: "s2c",
      id: 2,
      requestSeq: 2,
      call,
      error: { code: -32020, message: "Header mismatch" },
    },
    {
      seq: 4,
      session: "s",
      kind: "request",
      dir: "c2s",
      id: 3,
      method: "tools/call",
      tool: "build",
      params: { name: "build", arguments: {} },
    },
    {
      seq: 5,
      session: "s",
      kind: "response",
      dir: "s2c",
      id: 3,
      requestSeq: 4,
      resultType: "task",
      taskStatus: "working",
      call: { seq: 4, id: 3, via: "task", round: 1, taskId: "t" },
      result: { resultType: "task", taskId: "t", status: "working" },
    },
    {
      seq: 6,
      session: "s",
      kind: "request",
      dir: "c2s",
      id: 4,
      method: "tasks/get",
      call: { seq: 4, id: 3, via: "task", round: 2, taskId: "t" },
      params: { taskId: "t" },
    },
    {
      seq: 7,
      session: "s",
      kind: "response",
      dir: "s2c",
      id: 4,
      requestSeq: 6,
      taskStatus: "completed",
      call: { seq: 4, id: 3, via: "task", round: 2, taskId: "t" },
      result: {
        resultType: "complete",
        taskId: "t",
        status: "completed",
        result: { content: [{ type: "text", text: "built" }], isError: true },
      },
    },
  ]);
  assert.deepEqual(
    s.calls.map((c) => [c.tool, c.requestSeq, c.replySeq, c.failed]),
    [["login", 0, 3, true], ["build", 4, 7, true]],
  );
  assert.deepEqual(s.calls[1].result, {
    content: [{ type: "text", text: "built" }],
    isError: true,
  });
});

Deno.test("error-storm counts logical calls: five calls that each failed on their retry are 5 of 5, not 5 of 10", () => {
  const events: unknown[] = [];
  for (let i = 0; i < 5; i++) {
    const q = i * 4;
    const link = { seq: q, id: q, via: "input_required", round: 2 };
    events.push(
      {
        seq: q,
        session: "s",
        kind: "request",
        dir: "c2s",
        id: q,
        method: "tools/call",
        tool: "login",
        params: { name: "login" },
      },
      {
        seq: q + 1,
        session: "s",
        kind: "response",
        dir: "s2c",
        id: q,
        requestSeq: q,
        call: { ...link, round: 1 },
        result: { resultType: "input_required", requestState: "x" },
      },
      {
        seq: q + 2,
        session: "s",
        kind: "request",
        dir: "c2s",
        id: q + 2,
        method: "tools/call",
        tool: "login",
        call: link,
        params: { name: "login", requestState: "x" },
      },
      {
        seq: q + 3,
        session: "s",
        kind: "error",
        dir: "s2c",
        id: q + 2,
        requestSeq: q + 2,
        call: link,
        error: { code: -32020, message: "Header mismatch" },
      },
    );
  }
  const [s] = sessionCalls(events);
  const [storm] = errorStorm.find(s);
  assert.equal(storm?.title, "5 of 5 tool calls failed");
});
