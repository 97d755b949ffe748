import assert from "node:assert/strict";
import { entitiesPlugin } from "../../plugins/entities.ts";

Deno.test("the entities plugin reports each type and value once per call, in the order first found, past the count where it switches to keys", () => {
  const plugin = entitiesPlugin({
    extractors: [
      { type: "employee", pattern: "\\bE\\d{3}\\b" },
      { type: "ticket", pattern: "\\bE\\d{3}\\b", tools: ["t"] },
    ],
    idArguments: false,
  });
  const ids = Array.from({ length: 40 }, (_, i) => `E${100 + i}`);
  // Every id three times, in three strings, and under two types.
  const text = ids.join(" ");
  const found = plugin.onToolCall?.({
    name: "t",
    phase: "request",
    arguments: { a: text, b: text, c: [text] },
  }, { event: {} as never, classes: [], entities: [] });
  const entities = (found && "entities" in found ? found.entities : []) ?? [];
  assert.deepEqual(
    entities.map((e) => `${e.type}=${e.value}`),
    [
      ...ids.map((id) => `employee=${id}`),
      ...ids.map((id) => `ticket=${id}`),
    ],
  );
  assert.ok(entities.every((e) => e.path === "arguments.a"));
});
