import assert from "node:assert/strict";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";
import { buildReportModel } from "../../report/model.ts";
import { renderReport } from "../../report/mod.ts";
import { Mcp2026Client } from "../peers/mcp2026_client.ts";

const SERVER = [
  Deno.execPath(),
  "run",
  "--quiet",
  new URL("../peers/mcp2026_server.ts", import.meta.url).pathname,
];

Deno.test("the report shows a 2026-07-28 logical call as one row with its rounds, and counts it once", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/2026.jsonl`;
  const client = Mcp2026Client.stdio(
    [
      Deno.execPath(),
      ...cliArgs(["proxy", "--quiet", "--log", log, "--", ...SERVER]),
    ],
    { elicit: () => ({ action: "accept", content: { name: "octocat" } }) },
  );
  try {
    await client.discover();
    await client.callTool("echo", { text: "hi" });
    await client.callTool("login");
    await client.callTool("build", { target: "docs" });
    // Two refusals the 2026-07-28 revision names.
    const version = await client.send("tools/list", {}, undefined, {
      "io.modelcontextprotocol/protocolVersion": "2099-01-01",
    });
    assert.equal(version.error?.code, -32022);
    const capability = await client.send(
      "tools/call",
      { name: "login", arguments: {} },
      undefined,
      { "io.modelcontextprotocol/clientCapabilities": {} },
    );
    assert.equal(capability.error?.code, -32021);
  } finally {
    await client.close();
  }
  const { events } = await readEvents(log);
  const model = buildReportModel(events);
  const rowOf = (tool: string) =>
    model.rows.filter((r) => r.n !== undefined && model.tools[r.n] === tool);
  // Each call is one row, whatever the number of requests it took.
  assert.equal(rowOf("echo").length, 1);
  assert.equal(rowOf("echo")[0].rd, undefined);
  const [login] = rowOf("login");
  // The logical call, and the call refused for want of a capability.
  assert.deepEqual(rowOf("login").map((r) => r.st), ["ok", "error"]);
  assert.equal(login.st, "ok");
  assert.deepEqual(login.rd?.map((r) => r[2]), ["input_required", "complete"]);
  const [build] = rowOf("build");
  assert.equal(rowOf("build").length, 1);
  assert.equal(build.st, "ok");
  assert.deepEqual(build.rd?.map((r) => r[2]), [
    "working",
    "working",
    "completed",
  ]);
  // The last round's reply is the row's reply: the task's real result.
  assert.equal(build.rq, build.rd?.at(-1)?.[1]);
  assert.match(JSON.stringify(build.r), /built docs/);
  // No request of these calls is left as a row of its own.
  assert.equal(model.rows.filter((r) => r.m === "tasks/get").length, 0);
  assert.equal(model.totals.toolCalls, 4);
  assert.deepEqual(model.errorKinds.byKind, {
    MissingRequiredClientCapability: 1,
    UnsupportedProtocolVersion: 1,
  });
  const end = events.find((e) => e.kind === "session_end");
  assert.deepEqual(end?.kind === "session_end" && end.summary.errorKinds, {
    UnsupportedProtocolVersion: 1,
    MissingRequiredClientCapability: 1,
  });
  const html = renderReport(events);
  assert.match(
    html,
    /2 JSON-RPC \(MissingRequiredClientCapability 1, UnsupportedProtocolVersion 1\) · 0 tool/,
  );
  assert.deepEqual(
    model.toolUsage.map((t) => [t.name, t.calls]).sort(),
    [["build", 1], ["echo", 1], ["login", 2]],
  );
});
