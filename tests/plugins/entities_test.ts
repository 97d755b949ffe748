import assert from "node:assert/strict";
import { entitiesPlugin } from "../../plugins/entities.ts";
import { parseConfig } from "../../lib/config/config.ts";

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

Deno.test("the entities plugin: a g flag changes nothing, and y is refused at config load naming the key", () => {
  const call = {
    name: "t",
    phase: "request" as const,
    arguments: { a: "e001 and E002" },
  };
  const context = { event: {} as never, classes: [], entities: [] };
  const found = (flags: string) =>
    [1, 2].map(() =>
      entitiesPlugin({
        extractors: [{ type: "employee", pattern: "\\bE\\d{3}\\b", flags }],
        idArguments: false,
      }).onToolCall?.(call, context)
    );
  assert.deepEqual(found("gi"), found("i"));
  assert.equal(
    (found("gi")[0] as { entities: unknown[] }).entities.length,
    2,
  );
  assert.throws(
    () =>
      parseConfig(
        `{ "entities": [{ "type": "e", "pattern": "E", "flags": "y" }] }`,
        "c.jsonc",
      ),
    /c\.jsonc:1:\d+: "entities\.0\.flags": flag "y" \(sticky\) is not supported/,
  );
  assert.throws(
    () =>
      parseConfig(
        `{ "entities": [{ "type": "e", "pattern": "E", "flags": "ix" }] }`,
        "c.jsonc",
      ),
    /"entities\.0\.flags": "ix" are not valid regular-expression flags/,
  );
});
