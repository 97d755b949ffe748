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
