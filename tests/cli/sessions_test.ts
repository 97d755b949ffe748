/**
 * `mcp-audit sessions` over a log directory the real proxy writes: a
 * finished session and one still running, their counts, state and quick
 * check, filters, and a log edited after the fact.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tempDir } from "../_helpers.ts";
import { firstLogs, LIVE_CONFIG, liveProxy, runCli } from "./_live_proxy.ts";

interface Row {
  session: string;
  paths: string[];
  client?: string;
  server?: string;
  transport: string;
  calls: number;
  writes: number;
  sensitive: number;
  errors: number;
  state: string;
  check: { status: string; lines: number; from: string; problem?: string };
}

Deno.test("sessions lists a running and a finished session newest first, with calls, writes, sensitive calls, errors and a quick check that catches an edited session_end", async () => {
  await using dir = await tempDir();
  const logs = `${dir.path}/logs`;
  const config = `${dir.path}/mcp-audit.json`;
  await Deno.writeTextFile(config, JSON.stringify(LIVE_CONFIG));
  const done = await liveProxy(logs, config, ["--checkpoint-every", "3"]);
  await done.call("get_employee", { id: "E001" });
  await done.call("send_mail", { to: "E002" });
  await done.call("get_pay", { id: "E002" });
  await done.call("no_such_tool", {});
  await done.close();
  await using open = await liveProxy(logs, config);
  await open.call("get_pay", { id: "E003" });

  const listed = await runCli(["sessions", "--dir", logs, "--json"]);
  assert.equal(listed.code, 0, listed.stderr);
  const rows: Row[] = JSON.parse(listed.stdout);
  assert.equal(rows.length, 2);
  const [running, ended] = rows;
  assert.equal(running.state, "running", "the newer session is first");
  assert.equal(running.calls, 1);
  assert.equal(running.sensitive, 1);
  assert.equal(ended.state, "ended");
  assert.deepEqual(
    [ended.calls, ended.writes, ended.sensitive, ended.errors],
    [4, 1, 1, 1],
  );
  assert.equal(ended.client, "live-test");
  assert.equal(ended.server, "scripted");
  assert.equal(ended.transport, "stdio");
  assert.deepEqual(ended.check.status, "ok");
  assert.equal(ended.check.from, "checkpoint");
  assert.equal(ended.check.lines, 2, "session_end and the final checkpoint");
  assert.equal(running.check.status, "ok");

  const table = await runCli(["sessions", "--dir", logs]);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^STARTED +DURATION +CLIENT -> SERVER +TRANSPORT/);
  assert.match(
    lines[1],
    new RegExp(
      `live-test -> scripted +stdio +1 +0 +1 +0 +running +ok +${
        running.session.slice(0, 8)
      }$`,
    ),
  );
  assert.match(lines[2], / +4 +1 +1 +1 +ended +ok +/);

  const filtered = await runCli([
    "sessions",
    "--dir",
    logs,
    "--json",
    "--server",
    "other",
  ]);
  assert.deepEqual(JSON.parse(filtered.stdout), []);
  const future = await runCli([
    "sessions",
    "--dir",
    logs,
    "--since",
    "2100-01-01",
  ]);
  assert.equal(future.code, 0);
  assert.match(future.stderr, /no session in .* matches/);
  const recent = await runCli(["sessions", "--dir", logs, "--since", "1h"]);
  assert.equal(recent.stdout.trimEnd().split("\n").length, 3);

  // An edit of the session_end, after the fact, breaks the chain there.
  const [path] = ended.paths;
  const text = await Deno.readTextFile(path);
  await Deno.writeTextFile(
    path,
    text.replace('"reason":"client_closed"', '"reason":"server_exited"'),
  );
  const edited: Row[] = JSON.parse(
    (await runCli(["sessions", "--dir", logs, "--json"])).stdout,
  );
  assert.equal(edited[1].check.status, "failed");
  assert.match(edited[1].check.problem!, /does not chain/);
  const shown = await runCli(["sessions", "--dir", logs]);
  assert.match(shown.stdout, /ended +FAILED/);
  assert.equal((await firstLogs(logs)).length, 2);
});

Deno.test("sessions says which directory it could not read, exit 4", async () => {
  await using dir = await tempDir();
  const result = await runCli(["sessions", "--dir", `${dir.path}/none`]);
  assert.equal(result.code, 4);
  assert.match(result.stderr, /cannot read the log directory ".*none"/);
});
