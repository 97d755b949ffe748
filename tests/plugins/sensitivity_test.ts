import assert from "node:assert/strict";
import { sensitivityPlugin } from "../../plugins/sensitivity.ts";
import type { HookContext, ToolCall } from "../../lib/plugin/plugin.ts";
import { ConfigError, parseConfig } from "../../lib/config/config.ts";

const context: HookContext = { event: {} as never, classes: [], entities: [] };

function classify(
  plugin: ReturnType<typeof sensitivityPlugin>,
  name: string,
  args: unknown,
): unknown {
  const call: ToolCall = { name, arguments: args, phase: "request" };
  return plugin.onToolCall?.(call, context);
}

Deno.test("sensitivity: name rules and argument rules combine, each argument rule naming the first value it matched", () => {
  const plugin = sensitivityPlugin({
    sensitive: ["get_*"],
    read: ["get_*", "list_*"],
    labels: { PAYROLL: ["*pay*"] },
    arguments: [
      { label: "WRITE", key: "query", pattern: "\\b(DROP|DELETE)\\b" },
      { label: "EXPORT", pattern: "^s3://", tools: ["run_*"] },
    ],
  });
  assert.deepEqual(classify(plugin, "get_pay", {}), {
    classes: [
      { label: "SENSITIVE", source: "tool" },
      { label: "READ", source: "tool" },
      { label: "PAYROLL", source: "tool" },
    ],
  });
  const args = {
    steps: [{ query: "select 1" }, { query: "drop table t" }, {
      query: "DELETE x",
    }],
    to: "s3://bucket/x",
  };
  assert.deepEqual(classify(plugin, "run_sql", args), {
    classes: [
      { label: "WRITE", source: "argument:steps[1].query" },
      { label: "EXPORT", source: "argument:to" },
    ],
  });
  // The EXPORT rule is limited to run_* tools; the WRITE rule to `query` keys.
  assert.deepEqual(
    classify(plugin, "list_sql", { ...args, note: "DROP" }),
    {
      classes: [
        { label: "READ", source: "tool" },
        { label: "WRITE", source: "argument:steps[1].query" },
      ],
    },
  );
  // The same tools again, with other arguments: decided afresh each call.
  assert.equal(classify(plugin, "run_sql", { query: "select 2" }), undefined);
  assert.deepEqual(classify(plugin, "list_sql", {}), {
    classes: [{ label: "READ", source: "tool" }],
  });
  // At the response, nothing is added: the request's classes carry over.
  assert.equal(
    plugin.onToolCall?.(
      { name: "get_pay", arguments: {}, phase: "response", result: {} },
      context,
    ),
    undefined,
  );
});

Deno.test("sensitivity: an argument rule with the g flag classifies three identical calls the same (g keeps no place between calls)", () => {
  const plugin = sensitivityPlugin({
    arguments: [{ label: "WRITE", key: "query", pattern: "drop", flags: "gi" }],
  });
  const results = [1, 2, 3].map(() =>
    classify(plugin, "run_sql", { query: "DROP TABLE users" })
  );
  const write = { classes: [{ label: "WRITE", source: "argument:query" }] };
  assert.deepEqual(results, [write, write, write]);
});

Deno.test("sensitivity: the y flag is refused at config load, naming the key and the fix", () => {
  assert.throws(
    () =>
      parseConfig(
        `{\n  "rules": {\n    "arguments": [\n      { "label": "WRITE", "pattern": "drop", "flags": "iy" }\n    ]\n  }\n}`,
        "c.jsonc",
      ),
    (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.message,
        /c\.jsonc:4:\d+: "rules\.arguments\.0\.flags": flag "y" \(sticky\) is not supported.*anchor the pattern with "\^"/,
      );
      return true;
    },
  );
  assert.throws(
    () =>
      sensitivityPlugin({
        arguments: [{ label: "WRITE", pattern: "drop", flags: "y" }],
      }),
    /\(sticky\) is not supported/,
  );
});
