/**
 * The report's Findings section on sessions the real proxy recorded: it
 * comes first, most severe first, each finding opens, its button filters
 * the timeline to the rows of its events, and its link downloads the
 * inclusion proofs of its events (in headless Chromium).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { renderReport } from "../../report/render.tsx";
import { writeReport } from "../../report/write_report.ts";
import { findingProofSeqs } from "../../lib/evidence/finding_proof.ts";
import { findFindings } from "../../lib/findings/find_findings.ts";
import { readLog } from "../../lib/log/log_reader.ts";
import { Browser, type Page } from "../_chromium.ts";
import { tempDir } from "../_helpers.ts";
import { recordHrDemo, recordSession, structured } from "./_proxy_session.ts";

async function withReport(
  events: AuditEvent[],
  fn: (page: Page, html: string) => Promise<void>,
): Promise<void> {
  await using dir = await tempDir();
  const file = `${dir.path}/report.html`;
  const html = renderReport(events);
  await Deno.writeTextFile(file, html);
  const browser = await Browser.launch();
  try {
    const page = await browser.newPage({ width: 1280, height: 900 });
    await page.open(file);
    await page.waitFor("document.documentElement.dataset.ready === '1'");
    await fn(page, html);
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
}

/** Seqs (`q` and `rq`) of the timeline rows shown. */
function shownSeqs(page: Page): Promise<number[]> {
  return page.evaluate(`(() => {
    const rows = JSON.parse(document.getElementById("report-data").textContent).rows;
    return [...document.querySelectorAll("#tl-list > .row")].flatMap((r) => {
      const row = rows[Number(r.dataset.i)];
      return row.rq === undefined ? [row.q] : [row.q, row.rq];
    });
  })()`);
}

Deno.test("the HR demo's report opens with its findings, and clicking the E999 one shows only the failed lookup", async () => {
  const events = await recordHrDemo();
  const lookup = events.find((e) =>
    e.kind === "request" && JSON.stringify(e.params ?? null).includes("E999")
  )!;
  await withReport(events, async (page, html) => {
    // First section of the page, before the summary.
    assert.ok(html.indexOf('id="findings"') < html.indexOf('id="summary"'));
    const titles = await page.evaluate<string[]>(
      `[...document.querySelectorAll("#findings details.finding")].map((d) => d.dataset.rule + " " + d.dataset.severity)`,
    );
    assert.deepEqual(titles, [
      "scope-crossing high",
      "unseen-identifier medium",
      "scope-crossing low",
      "unconfirmed-write low",
    ]);
    const e999 = '#findings details.finding[data-rule="unseen-identifier"]';
    await page.click(`${e999} > summary`);
    assert.equal(
      await page.evaluate<boolean>(`document.querySelector('${e999}').open`),
      true,
    );
    await page.click(`${e999} button.finding-filter`);
    const seqs = await shownSeqs(page);
    assert.deepEqual(seqs, [lookup.seq, lookup.seq + 1]);
    // Clicking again shows everything.
    await page.click(`${e999} button.finding-filter`);
    assert.ok((await shownSeqs(page)).length > 4);
  });
});

Deno.test("a finding's link in the report downloads the inclusion proofs of its events, under the name its prove command writes", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/hr.jsonl`;
  await recordHrDemo(log);
  const file = `${dir.path}/report.html`;
  await writeReport([log], file);
  const downloads = `${dir.path}/downloads`;
  await Deno.mkdir(downloads);
  const browser = await Browser.launch();
  try {
    await browser.send("Browser.setDownloadBehavior", {
      behavior: "allow",
      downloadPath: downloads,
    });
    const page = await browser.newPage({ width: 1280, height: 900 });
    await page.open(file);
    await page.waitFor("document.documentElement.dataset.ready === '1'");
    const e999 = '#findings details.finding[data-rule="unseen-identifier"]';
    await page.click(`${e999} > summary`);
    const name = await page.evaluate<string>(
      `document.querySelector('${e999} a.proof-download').download`,
    );
    assert.match(name, /^finding-unseen-identifier-\d+\.json$/);
    await page.click(`${e999} a.proof-download`);
    const path = `${downloads}/${name}`;
    for (let i = 0; i < 100; i++) {
      if (await Deno.stat(path).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const bundles = JSON.parse(await Deno.readTextFile(path));
    const finding = findFindings((await readLog(log)).events).find((f) =>
      f.rule === "unseen-identifier"
    )!;
    assert.deepEqual(
      bundles.map((b: { seq: number }) => b.seq),
      findingProofSeqs(finding),
    );
    for (const b of bundles) assert.equal(b.format, "mcp-audit proof v1");
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

Deno.test("a data flow is listed before a loop, and its button filters to the SENSITIVE answer and the WRITE call", async () => {
  const events = await recordSession([
    { name: "get_pay", result: structured({ iban: "DE44500105175407324931" }) },
    { name: "send_email" },
    { name: "search_docs" },
  ], [
    ...[1, 2, 3].map(() => ({ tool: "search_docs", arguments: { q: "x" } })),
    { tool: "get_pay", arguments: {} },
    { tool: "send_email", arguments: { body: "DE44500105175407324931" } },
  ]);
  const answer = events.find((e) =>
    e.kind === "response" && e.tool === "get_pay"
  )!;
  const send = events.find((e) =>
    e.kind === "request" && e.tool === "send_email"
  )!;
  await withReport(events, async (page) => {
    const order = await page.evaluate<string[]>(
      `[...document.querySelectorAll("#findings details.finding")].map((d) => d.dataset.severity)`,
    );
    // The data flow; the loop and the unconfirmed send_email, both low.
    assert.deepEqual(order, ["high", "low", "low"]);
    await page.click("#findings li:first-child summary");
    await page.click("#findings li:first-child button.finding-filter");
    const seqs = await shownSeqs(page);
    assert.ok(seqs.includes(answer.seq) && seqs.includes(send.seq), `${seqs}`);
    assert.equal(
      seqs.length,
      4,
      "two rows: the get_pay call and the send_email call",
    );
  });
});
