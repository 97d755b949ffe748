import assert from "node:assert/strict";
import { runFreezeScenario } from "../../demo/freeze.ts";
import { writeReport } from "../../report/write_report.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";
import type { DecisionEvent } from "../../lib/audit/event.ts";

Deno.test("the freeze demo: the agent's DROP TABLE is denied with the freeze's reason, the table survives, the report shows the denial", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/freeze.jsonl`;
  const result = await runFreezeScenario(
    [Deno.execPath(), ...cliArgs(["proxy", "--quiet"])],
    log,
  );
  assert.equal(result.denied, true);
  assert.match(result.denial, /Code freeze until 2027-01-04/);
  assert.match(result.tablesAfter, /customers/);
  const { events } = await readEvents(log);
  const denial = events.find((e): e is DecisionEvent =>
    e.kind === "decision" && e.outcome === "blocked"
  );
  assert.equal(denial?.rule, "freeze");
  assert.equal(denial?.tool, "run_sql");
  const html = `${dir.path}/freeze.html`;
  await writeReport([log], html);
  const page = await Deno.readTextFile(html);
  assert.match(page, /Code freeze until 2027-01-04/);
  assert.match(page, /"k":"decision"/);
});
