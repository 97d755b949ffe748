/**
 * An example plugin for the HR demo: it tags every call that returns pay
 * data as PAYROLL, and records the departments a call touched as entities,
 * wherever they appear in the result, and, from its `directory` option
 * (employee id -> department), the department of every employee a call
 * names: an entity's attribute, which the `scope-crossing` finding
 * compares with the session's declared scope. Load it from a config:
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
  /** Employee id -> department, the org chart the plugin knows. */
  directory: z.record(z.string(), z.string()).default({}),
});

let pattern = /(?!)/g;
let directory: Record<string, string> = {};

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
    directory = options.directory;
  },
  onToolCall(call, context): PluginFindings | undefined {
    // The departments of the employees the call names (the entities plugin ran first).
    // Each department once, at the path of the first employee that gave it.
    const known = new Map<string, string>();
    for (const e of context.entities) {
      const department = e.type === "employee" ? directory[e.value] : undefined;
      if (department !== undefined && !known.has(department)) {
        known.set(department, e.path);
      }
    }
    const employees = [...known].map(([value, path]) => ({
      type: "department",
      value,
      path,
    }));
    if (call.phase !== "response" || call.result === undefined) {
      return employees.length > 0 ? { entities: employees } : undefined;
    }
    const text = JSON.stringify(call.result);
    const departments = new Set(text.match(pattern) ?? []);
    for (const d of known.keys()) departments.delete(d);
    return {
      classes: /"(base_salary|salary|bank_account)"/.test(text)
        ? ["PAYROLL"]
        : [],
      entities: [
        ...employees,
        ...[...departments].map((value) => ({
          type: "department",
          value,
          path: "result",
        })),
      ],
    };
  },
});
