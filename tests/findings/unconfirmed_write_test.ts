/**
 * The rule `unconfirmed-write` on sessions through the real proxy: a write
 * that a user accepted (a 2026-07-28 elicitation answered in the retry's
 * `inputResponses`, or a guard `ask`) is not a finding; one nobody
 * confirmed is, and so is the HR demo's time-off request (see
 * rules_test.ts and gates_test.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { cliArgs, fixtureServer, readEvents, tempDir } from "../_helpers.ts";
import { findFindings } from "../../lib/findings/find_findings.ts";
import { Mcp2026Client } from "../peers/mcp2026_client.ts";

const SERVER_2026 = [
  Deno.execPath(),
  "run",
  "--quiet",
  new URL("../peers/mcp2026_server.ts", import.meta.url).pathname,
];

Deno.test("unconfirmed-write (2026-07-28): login, whose retry carries the user's accepted elicitation, is confirmed; echo, classed WRITE and never asked, is the finding", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/2026.jsonl`;
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ rules: { write: ["login", "echo"] } }),
  );
  const client = Mcp2026Client.stdio([
    Deno.execPath(),
    ...cliArgs(["proxy", "--quiet", "--log", log, "--config", config, "--"]),
    ...SERVER_2026,
  ], { elicit: () => ({ action: "accept", content: { name: "octocat-7" } }) });
  try {
    await client.discover();
    await client.listTools();
    assert.equal((await client.callTool("login")).ids.length, 2);
    await client.callTool("echo", { text: "hi" });
  } finally {
    await client.close();
  }
  const { events } = await readEvents(log);
  const echo = events.find((e) =>
    e.kind === "request" && "tool" in e && e.tool === "echo"
  )!;
  const found = findFindings(events).filter((f) =>
    f.rule === "unconfirmed-write"
  );
  assert.deepEqual(found.map((f) => [f.severity, f.seqs[0], f.title]), [
    ["low", echo.seq, "echo changed data with no confirmation from a user"],
  ]);
});

Deno.test("unconfirmed-write with the guard: a destructive call the user accepted is confirmed, the one declined (refused) changed nothing, and a write not asked about is the finding", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/guard.jsonl`;
  const policy = `${dir.path}/policy.jsonc`;
  await Deno.writeTextFile(
    policy,
    JSON.stringify({
      policy: {
        mode: "enforce",
        rules: [{ id: "ask-drop", tool: "drop_table", action: "ask" }],
      },
    }),
  );
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ rules: { write: ["admin_*"] } }),
  );
  const record = `${dir.path}/received.jsonl`;
  await Deno.writeTextFile(record, "");
  let accept = true;
  const client = new Client({ name: "confirm-test", version: "1.0.0" }, {
    capabilities: { elicitation: {} },
  });
  client.setRequestHandler(
    ElicitRequestSchema,
    () => (accept
      ? { action: "accept", content: { approve: true } }
      : { action: "decline" }),
  );
  await client.connect(
    new StdioClientTransport({
      command: Deno.execPath(),
      args: cliArgs([
        "proxy",
        "--quiet",
        "--log",
        log,
        "--policy",
        policy,
        "--config",
        config,
        "--",
        ...fixtureServer("recording_server.ts", record),
      ]),
      stderr: "ignore",
    }),
  );
  try {
    await client.listTools(); // drop_table is annotated destructive
    await client.callTool({ name: "drop_table", arguments: { table: "t" } });
    accept = false;
    const no = await client.callTool({
      name: "drop_table",
      arguments: { table: "u" },
    });
    assert.equal(no.isError, true);
    await client.callTool({ name: "admin_reset", arguments: {} });
  } finally {
    await client.close();
  }
  const { events } = await readEvents(log);
  const reset = events.find((e) =>
    e.kind === "request" && "tool" in e && e.tool === "admin_reset"
  )!;
  const found = findFindings(events).filter((f) =>
    f.rule === "unconfirmed-write"
  );
  assert.deepEqual(found.map((f) => [f.severity, f.seqs[0], f.title]), [
    [
      "low",
      reset.seq,
      "admin_reset changed data with no confirmation from a user",
    ],
  ]);
});
