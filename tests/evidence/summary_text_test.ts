import assert from "node:assert/strict";
import { tempDir } from "../_helpers.ts";
import { cli, lineOf, signedSession, tampered } from "./_session_fixture.ts";

Deno.test("summary: prints tool calls, classes and durations from session_end, or from the events without it", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const text = await cli(["summary", f.log]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /tool calls:\s+3/);
  assert.match(text.stdout, /echo\s+3 call\(s\)/);
  const end = lineOf(f.lines, (e) => e.kind === "session_end");
  const cut = await tampered(f, "cut", f.lines.slice(0, end - 1));
  const json = JSON.parse((await cli(["summary", "--json", cut])).stdout);
  assert.equal(json[0].source, "events");
  assert.equal(json[0].summary.toolCalls, 3);
  assert.equal(json[0].tools[0].name, "echo");
});

Deno.test("summary --json rounds summed durations to microseconds instead of printing float noise", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/durations.jsonl`;
  const lines = [
    {
      v: 1,
      seq: 0,
      ts: "2026-01-01T00:00:00.000Z",
      session: "s",
      kind: "session_start",
      command: ["x"],
      proxyPid: 1,
      cwd: "/",
      proxy: { name: "mcp-audit", version: "0" },
    },
  ];
  // 0.1 + 0.2 + ... in floating point is 10.722999999999999-like noise.
  const ms = [3.141, 2.718, 1.414, 1.732, 1.618, 0.1];
  ms.forEach((d, i) => {
    lines.push(
      {
        v: 1,
        seq: 2 * i + 1,
        ts: "2026-01-01T00:00:00.000Z",
        session: "s",
        kind: "request",
        dir: "c2s",
        bytes: 1,
        id: i,
        method: "tools/call",
        tool: "t",
      } as never,
    );
    lines.push(
      {
        v: 1,
        seq: 2 * i + 2,
        ts: "2026-01-01T00:00:00.000Z",
        session: "s",
        kind: "response",
        dir: "s2c",
        bytes: 1,
        id: i,
        tool: "t",
        durationMs: d,
        result: {},
      } as never,
    );
  });
  await Deno.writeTextFile(
    log,
    lines.map((l) => JSON.stringify(l)).join("\n") + "\n",
  );
  const out = await cli(["summary", "--json", log]);
  assert.equal(out.code, 0, out.stderr);
  const tool = JSON.parse(out.stdout)[0].tools[0];
  assert.equal(tool.totalMs, 10.723);
  assert.doesNotMatch(out.stdout, /\d\.\d{4,}/);
});

Deno.test("a log rolled back to an earlier checkpoint: summary and check say which events no signed checkpoint covers, and check --fail-on unverified fails on them", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const checkpoints = f.lines.flatMap((l, i) =>
    JSON.parse(l).kind === "checkpoint" ? [i] : []
  );
  // Up to the second checkpoint and the two events after it.
  const keep = checkpoints[1] + 3;
  const tail = f.lines.slice(checkpoints[1] + 1, keep).map((l) =>
    JSON.parse(l)
  );
  assert.ok(tail.every((e) => e.kind !== "checkpoint"));
  const [from, to] = [tail[0].seq, tail[1].seq];
  const log = await tampered(f, "rolled-back", f.lines.slice(0, keep));
  assert.equal((await cli(["verify", "--pubkey", f.pub, log])).code, 3);

  const text = await cli(["summary", log]);
  assert.equal(text.code, 0);
  assert.match(
    text.stdout,
    new RegExp(
      `not signed: +seq ${from} to ${to} \\(2 events\\) are not covered by a signed checkpoint`,
    ),
  );
  const json = JSON.parse((await cli(["summary", "--json", log])).stdout);
  assert.deepEqual(
    [
      json[0].uncovered.fromSeq,
      json[0].uncovered.toSeq,
      json[0].uncovered.events,
    ],
    [from, to, 2],
  );

  const gate = await cli([
    "check",
    "--fail-on",
    "unverified",
    "--pubkey",
    f.pub,
    log,
  ]);
  assert.equal(gate.code, 1);
  assert.match(
    gate.stdout,
    new RegExp(
      `:${
        checkpoints[1] + 2
      }: unverified: seq ${from}: not_covered: seq ${from} to ${to} \\(2 events\\)`,
    ),
  );
  const writes = await cli(["check", "--fail-on", "write", log]);
  assert.equal(writes.code, 0);
  assert.match(
    writes.stdout,
    new RegExp(
      `^note: .*seq ${from} to ${to} \\(2 events\\) are not covered`,
      "m",
    ),
  );
  // A finished signed session has nothing uncovered.
  const clean = await cli([
    "check",
    "--fail-on",
    "unverified",
    "--pubkey",
    f.pub,
    f.log,
  ]);
  assert.equal(clean.code, 0, clean.stdout);
  assert.doesNotMatch(clean.stdout, /not covered/);
});
