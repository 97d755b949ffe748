import assert from "node:assert/strict";
import { sensitivityPlugin } from "../../plugins/sensitivity.ts";
import type { HookContext, ToolCall } from "../../lib/plugin/plugin.ts";

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
