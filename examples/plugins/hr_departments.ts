/**
 * An example plugin for the HR demo: it tags every call that returns pay
 * data as PAYROLL, and records the departments a call touched as entities,
 * wherever they appear in the result. Load it from a config:
 *
 * ```jsonc
 * { "plugins": ["sensitivity", "entities", "./examples/plugins/hr_departments.ts", "redact"] }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { definePlugin, type PluginFindings } from "../../lib/plugin/kit/mod.ts";

const Options = z.object({
  /** The department names to look for. */
  departments: z.array(z.string()).default([
    "Engineering",
    "Sales",
    "Finance",
    "People",
  ]),
});

let pattern = /(?!)/g;

export default definePlugin<z.infer<typeof Options>>({
  name: "hr-departments",
  options: Options,
  setup(options): void {
    pattern = new RegExp(
      `\\b(${
        options.departments.map((d) => d.replace(/\W/g, "\\$&")).join("|")
      })\\b`,
      "g",
    );
  },
  onToolCall(call): PluginFindings | undefined {
    if (call.phase !== "response" || call.result === undefined) return;
    const text = JSON.stringify(call.result);
    const departments = new Set(text.match(pattern) ?? []);
    return {
      classes: /"(base_salary|salary|bank_account)"/.test(text)
        ? ["PAYROLL"]
        : [],
      entities: [...departments].map((value) => ({
        type: "department",
        value,
        path: "result",
      })),
    };
  },
});
