/**
 * The rule `write-after-denial` on sessions the real proxy recorded in guard
 * mode: a write after a denied call fires, with the decision and both calls;
 * a write before the denial, a read after it, and a session with no denial
 * stay silent.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { findFindings } from "../../lib/findings/find_findings.ts";
import {
  FINDINGS_CONFIG,
  recordSession,
  type ScriptedTool,
  structured,
} from "./_proxy_session.ts";

const TOOLS: ScriptedTool[] = [
  { name: "get_employee", result: structured({ id: "E001", name: "Ada" }) },
  { name: "delete_employee" },
  { name: "update_employee" },
];

const GUARDED = {
  ...FINDINGS_CONFIG,
  policy: {
    mode: "enforce",
    rules: [{
      id: "no-delete",
      tool: "delete_*",
      action: "deny",
      reason: "Deletes need HR",
    }],
  },
};

const READ = { tool: "get_employee", arguments: { id: "E001" } };
const DELETE = { tool: "delete_employee", arguments: { id: "E001" } };
const UPDATE = {
  tool: "update_employee",
  arguments: { id: "E001", status: "left" },
};

function seqOf(events: AuditEvent[], kind: string, tool: string): number {
  const e = events.find((e) =>
    e.kind === kind && "tool" in e && e.tool === tool
  );
  assert.ok(e, `no ${kind} of ${tool}`);
  return e.seq;
}

Deno.test("write-after-denial: an update after the guard denied a delete is high and cites the denied request, the decision and the update", async () => {
  const events = await recordSession(
    TOOLS,
    [READ, DELETE, UPDATE],
    undefined,
    GUARDED,
  );
  const found = findFindings(events).filter((f) =>
    f.rule === "write-after-denial"
  );
  assert.equal(found.length, 1, JSON.stringify(found));
  const [f] = found;
  assert.equal(f.severity, "high");
  assert.match(
    f.title,
    /update_employee wrote after the guard denied delete_employee/,
  );
  assert.match(f.explanation, /rule "no-delete"/);
  const update = seqOf(events, "request", "update_employee");
  assert.deepEqual(f.seqs.slice(0, 3), [
    seqOf(events, "request", "delete_employee"),
    seqOf(events, "decision", "delete_employee"),
    update,
  ]);
  assert.deepEqual(f.entities, [{ type: "employee", value: "E001" }]);
});

Deno.test("write-after-denial: silent on a write before the denial, a read after it, and the same writes with no policy", async () => {
  const before = await recordSession(
    TOOLS,
    [READ, UPDATE, DELETE, READ],
    undefined,
    GUARDED,
  );
  assert.ok(
    before.some((e) => e.kind === "decision" && e.action === "deny"),
    "the guard denied the delete",
  );
  const unguarded = await recordSession(TOOLS, [READ, DELETE, UPDATE]);
  for (const events of [before, unguarded]) {
    assert.deepEqual(
      findFindings(events).filter((f) => f.rule === "write-after-denial"),
      [],
    );
  }
});
