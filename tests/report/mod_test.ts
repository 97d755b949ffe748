import assert from "node:assert/strict";
import * as report from "../../report/mod.ts";
import { renderReport } from "../../report/render.tsx";
import { writeReport } from "../../report/write_report.ts";
import { NoAuditEventsError } from "../../lib/log/log_reader.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("the report has its own export path, ./report, apart from the main module", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  assert.equal(config.exports["./report"], "./report/mod.ts");
  assert.notEqual(config.exports["."], config.exports["./report"]);
});

Deno.test("report/mod.ts exports renderReport, writeReport and NoAuditEventsError and nothing else at run time", () => {
  assert.deepEqual(Object.keys(report).sort(), [
    "NoAuditEventsError",
    "renderReport",
    "writeReport",
  ]);
  assert.equal(report.renderReport, renderReport);
  assert.equal(report.writeReport, writeReport);
  assert.equal(report.NoAuditEventsError, NoAuditEventsError);
});
