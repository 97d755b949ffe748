/**
 * The `x-mcp-header` rules of the 2026-07-28 tool definitions
 * (server/tools.mdx, "x-mcp-header"), one schema per rule, kept or broken.
 *
 * @module
 */
import assert from "node:assert/strict";
import { invalidHeaderMarks } from "../../lib/http/tool_header_rules.ts";

const mark = (schema: Record<string, unknown>, name = "H") => ({
  ...schema,
  "x-mcp-header": name,
});
const object = (properties: Record<string, unknown>) => ({
  type: "object",
  properties,
});

Deno.test("x-mcp-header rules: valid marks pass, each broken rule is named", () => {
  const valid = [
    object({}),
    object({ a: mark({ type: "string" }) }),
    object({
      a: mark({ type: "integer" }, "A"),
      b: mark({ type: "boolean" }, "B"),
    }),
    object({ a: mark({ type: ["string", "null"] }) }),
    object({
      o: object({ p: object({ q: mark({ type: "string" }, "Deep") }) }),
    }),
    object({ a: mark({ type: "string" }, "!#$%&'*+.^_`|~09az-") }),
  ];
  for (const schema of valid) {
    assert.equal(invalidHeaderMarks(schema), undefined, JSON.stringify(schema));
  }
  const broken: [unknown, RegExp][] = [
    [mark(object({})), /at the schema's root is not on a property/],
    [object({ a: mark({ type: "number" }) }), /type "number", not integer/],
    [object({ a: mark({ type: "object" }) }), /type "object"/],
    [object({ a: mark({}) }), /type null/],
    [object({ a: mark({ type: ["number", "null"] }) }), /not integer, string/],
    [
      object({ a: mark({ type: "string" }, "") }),
      /"" at "a" is not an HTTP header token/,
    ],
    [
      object({ a: mark({ type: "string" }, "A\r\nB") }),
      /not an HTTP header token/,
    ],
    [
      object({ a: { type: "string", "x-mcp-header": 7 } }),
      /7 at "a" is not an HTTP/,
    ],
    [
      object({
        a: mark({ type: "string" }, "X"),
        b: mark({ type: "string" }, "x"),
      }),
      /"x" at "b" repeats the one at "a"/,
    ],
    [
      object({ l: { type: "array", items: mark({ type: "string" }) } }),
      /"l\.items" is not on a property reached through properties only/,
    ],
    [
      object({ u: { oneOf: [mark({ type: "string" })] } }),
      /"u\.oneOf\.0" is not on a property/,
    ],
    [
      { ...object({}), $defs: { d: mark({ type: "string" }) } },
      /"\$defs\.d" is not on a property/,
    ],
    [
      object({ c: { if: object({ z: mark({ type: "string" }) }) } }),
      /"c\.if\.properties\.z" is not on a property/,
    ],
  ];
  for (const [schema, reason] of broken) {
    assert.match(
      invalidHeaderMarks(schema) ?? "",
      reason,
      JSON.stringify(schema),
    );
  }
});
