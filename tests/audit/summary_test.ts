import assert from "node:assert/strict";
import { SummaryBuilder } from "../../lib/audit/summary.ts";
import type { AuditEvent, Entity } from "../../lib/audit/event.ts";

function call(
  seq: number,
  entities: Pick<Entity, "type" | "value">[],
): AuditEvent {
  return {
    v: 1,
    seq,
    ts: "",
    session: "s",
    kind: "request",
    dir: "c2s",
    bytes: 0,
    id: seq,
    method: "tools/call",
    tool: "t",
    entities: entities.map((e) => ({ ...e, path: "arguments.x", source: "p" })),
  };
}

Deno.test("the summary lists each entity once, in the order first seen across types", () => {
  const s = new SummaryBuilder();
  s.add(
    call(0, [{ type: "employee", value: "E1" }, {
      type: "email",
      value: "a@x",
    }]),
  );
  s.add(
    call(1, [{ type: "employee", value: "E2" }, {
      type: "email",
      value: "a@x",
    }]),
  );
  s.add(
    call(2, [{ type: "employee", value: "E1" }, {
      type: "account",
      value: "E1",
    }]),
  );
  const summary = s.build(0);
  assert.deepEqual(summary.entities, [
    { type: "employee", value: "E1" },
    { type: "email", value: "a@x" },
    { type: "employee", value: "E2" },
    { type: "account", value: "E1" },
  ]);
  assert.equal(summary.uniqueEntities, 4);
});
