/**
 * The HR demo end to end: the real server as a child process, driven by the
 * scripted agent over stdio, with the outcomes checked against the seeded data.
 */

import assert from "node:assert/strict";
import {
  connectAgent,
  runAgentScenario,
  type ScenarioStep,
} from "../demo/agent.ts";

const SERVER = new URL("../demo/hr_server.ts", import.meta.url).pathname;
// The server reads nothing but its own modules and needs no permissions.
const SERVER_ARGS = ["run", "--quiet", SERVER];

/** The SDK passes only HOME, PATH and a few more; keep a custom Deno cache reachable. */
function serverEnv(): Record<string, string> {
  const dir = Deno.env.get("DENO_DIR");
  return dir === undefined ? {} : { DENO_DIR: dir };
}

function stepsFor(
  steps: readonly ScenarioStep[],
  tool: string,
): ScenarioStep[] {
  return steps.filter((step) => step.tool === tool);
}

Deno.test("the scripted agent sees the HR server's tools, data and both kinds of failure", async (t) => {
  const { client, transport } = await connectAgent(
    Deno.execPath(),
    SERVER_ARGS,
    {
      stderr: "pipe",
      env: serverEnv(),
    },
  );
  const stderrChunks: string[] = [];
  transport.stderr?.on(
    "data",
    (chunk: Uint8Array) => stderrChunks.push(String(chunk)),
  );
  try {
    const lines: string[] = [];
    const { tools, steps } = await runAgentScenario(
      client,
      (line) => lines.push(line),
    );

    await t.step("identifies itself as hr-demo 1.0.0", () => {
      assert.deepEqual(client.getServerVersion(), {
        name: "hr-demo",
        version: "1.0.0",
      });
    });

    await t.step(
      "lists five tools whose annotations tell reads from writes",
      () => {
        const annotations = Object.fromEntries(
          tools.map((tool) => [tool.name, tool.annotations]),
        );
        const read = {
          readOnlyHint: true,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: false,
        };
        assert.deepEqual(annotations, {
          search_employees: read,
          get_employee: read,
          get_pay_info: read,
          submit_time_off: {
            readOnlyHint: false,
            destructiveHint: false,
            idempotentHint: false,
            openWorldHint: false,
          },
          get_compliance_rules: read,
        });
        const timeOff = tools.find((tool) => tool.name === "submit_time_off");
        assert.deepEqual(timeOff?.inputSchema.required, [
          "employee_id",
          "start_date",
          "end_date",
        ]);
      },
    );

    await t.step(
      "finds the four engineers by department and Hannah Weber by name",
      () => {
        const [byDepartment, byName] = stepsFor(steps, "search_employees");
        const ids = (step: ScenarioStep | undefined): unknown =>
          (step?.structuredContent?.employees as { id: string }[] | undefined)
            ?.map((e) => e.id);
        assert.deepEqual(ids(byDepartment), ["E001", "E002", "E003", "E004"]);
        assert.deepEqual(byName?.structuredContent?.employees, [{
          id: "E008",
          name: "Hannah Weber",
          department: "Finance",
          title: "Finance Director",
          email: "hannah.weber@example.com",
        }]);
      },
    );

    await t.step(
      "reads the seeded pay of an engineer and a salesperson, account masked",
      () => {
        assert.deepEqual(
          stepsFor(steps, "get_pay_info").map((step) => step.structuredContent),
          [
            {
              employee_id: "E003",
              name: "Chloe Schmidt",
              base_salary: 82000,
              currency: "EUR",
              bank_account: "****7710",
            },
            {
              employee_id: "E007",
              name: "Grace Kim",
              base_salary: 168000,
              currency: "USD",
              bank_account: "****9017",
            },
          ],
        );
      },
    );

    await t.step("returns the German compliance rules", () => {
      const [germany] = stepsFor(steps, "get_compliance_rules");
      assert.equal(germany?.ok, true);
      assert.equal(germany?.structuredContent?.max_weekly_hours, 48);
      assert.equal(germany?.structuredContent?.min_annual_leave_days, 20);
    });

    await t.step(
      "files time off as a new pending request numbered after the seeded ones",
      async () => {
        const [submitted] = stepsFor(steps, "submit_time_off");
        assert.match(String(submitted?.structuredContent?.id), /^TO-1\d{3}$/);
        assert.deepEqual(submitted?.structuredContent, {
          id: "TO-1004",
          employee_id: "E003",
          start_date: "2025-12-22",
          end_date: "2026-01-02",
          reason: "Year-end holiday",
          status: "pending",
        });
        // Not idempotent, as annotated: the same request again is a second request.
        const again = await client.callTool({
          name: "submit_time_off",
          arguments: submitted?.arguments,
        });
        assert.equal((again.structuredContent as { id: string }).id, "TO-1005");
      },
    );

    await t.step(
      "answers an unknown employee with a tool result flagged isError",
      () => {
        const unknown = steps.find((step) =>
          step.arguments.employee_id === "E999"
        );
        assert.deepEqual(
          {
            outcome: unknown?.outcome,
            isError: unknown?.isError,
            error: unknown?.error,
          },
          {
            outcome: "tool_error",
            isError: true,
            error: 'No employee with id "E999"',
          },
        );
      },
    );

    await t.step(
      "answers an unknown jurisdiction with a JSON-RPC InvalidParams error",
      () => {
        const [, unknown] = stepsFor(steps, "get_compliance_rules");
        assert.deepEqual(
          {
            outcome: unknown?.outcome,
            isError: unknown?.isError,
            code: unknown?.errorCode,
            error: unknown?.error,
          },
          {
            outcome: "protocol_error",
            isError: false,
            code: -32602,
            error: 'Unknown jurisdiction "XX"; use one of BR, DE, UK, US-CA',
          },
        );
      },
    );

    await t.step("reports one line per call after the tool list", () => {
      assert.equal(lines.length, 1 + steps.length);
      assert.match(
        lines[0] ?? "",
        /^tools\/list -> 5 tools: search_employees, /,
      );
      assert.equal(steps.filter((step) => step.ok).length, steps.length - 2);
    });
  } finally {
    await client.close();
  }
  assert.equal(stderrChunks.join(""), "hr-demo: ready (12 employees)\n");
});

Deno.test("the HR server writes nothing to stdout and exits 0 when stdin closes", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: SERVER_ARGS,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdin.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0);
  assert.equal(stdout.length, 0);
  assert.equal(
    new TextDecoder().decode(stderr),
    "hr-demo: ready (12 employees)\n",
  );
});
