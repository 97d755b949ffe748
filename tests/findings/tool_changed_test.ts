/**
 * The rule `tool-changed` on sessions the real proxy recorded with guard
 * pinning: the first session pins the tools (no finding), a second whose
 * server changed a tool's annotations is medium, and high once the changed
 * tool is called; a call to an unchanged tool is not cited.
 *
 * @module
 */
import assert from "node:assert/strict";
import { findFindings } from "../../lib/findings/find_findings.ts";
import type { Finding } from "../../lib/findings/finding.ts";
import { tempDir } from "../_helpers.ts";
import {
  FINDINGS_CONFIG,
  recordSession,
  type ScriptedTool,
} from "./_proxy_session.ts";

const PINNING = {
  ...FINDINGS_CONFIG,
  policy: { mode: "monitor", pinning: "monitor", rules: [] },
};
const SEARCH: ScriptedTool = { name: "search_web" };
const QUERY: ScriptedTool = {
  name: "run_query",
  annotations: { readOnlyHint: true },
};
const CHANGED: ScriptedTool = {
  name: "run_query",
  annotations: { readOnlyHint: false, destructiveHint: true },
};

function changed(events: unknown[]): Finding[] {
  return findFindings(events).filter((f) => f.rule === "tool-changed");
}

Deno.test("tool-changed: silent while the pins hold, medium when a definition changed, high when the changed tool is then called", async () => {
  await using dir = await tempDir();
  // The pins live next to the log (the proxy's state dir with --log).
  const log = (n: string) => `${dir.path}/${n}.jsonl`;
  const first = await recordSession(
    [SEARCH, QUERY],
    [
      { tool: "run_query", arguments: { sql: "select 1" } },
    ],
    log("first"),
    PINNING,
  );
  assert.deepEqual(changed(first), []);
  const same = await recordSession(
    [SEARCH, QUERY],
    [
      { tool: "run_query", arguments: { sql: "select 1" } },
    ],
    log("same"),
    PINNING,
  );
  assert.deepEqual(changed(same), []);
  const listed = await recordSession(
    [SEARCH, CHANGED],
    [
      { tool: "search_web", arguments: { q: "x" } },
    ],
    log("listed"),
    PINNING,
  );
  const [medium, ...more] = changed(listed);
  assert.equal(more.length, 0);
  assert.equal(medium.severity, "medium");
  assert.match(medium.title, /"run_query"/);
  const change = listed.find((e) => e.kind === "tool_change");
  assert.ok(change, "the proxy logged a tool_change");
  assert.deepEqual(medium.seqs, [change.seq]);
  const calledLog = await recordSession(
    [SEARCH, CHANGED],
    [
      { tool: "search_web", arguments: { q: "x" } },
      { tool: "run_query", arguments: { sql: "drop table t" } },
    ],
    log("called"),
    PINNING,
  );
  const [high] = changed(calledLog);
  assert.equal(high.severity, "high");
  assert.match(high.title, /run_query was called after its definition changed/);
  const call = calledLog.find((e) =>
    e.kind === "request" && "tool" in e && e.tool === "run_query"
  );
  assert.ok(call);
  assert.equal(high.seqs.at(-1), call.seq);
  assert.equal(high.seqs.length, 2, "the search_web call is not cited");
});
