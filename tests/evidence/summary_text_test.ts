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
