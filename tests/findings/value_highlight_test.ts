/**
 * The report marks the value a finding is about in the timeline rows the
 * finding names, while its filter is on (in headless Chromium, on a
 * session the real proxy recorded).
 *
 * @module
 */
import assert from "node:assert/strict";
import { renderReport } from "../../report/render.tsx";
import { Browser } from "../_chromium.ts";
import { tempDir } from "../_helpers.ts";
import { recordSession, structured } from "./_proxy_session.ts";

const IBAN = "DE44500105175407324931";

Deno.test("clicking a data-flow finding marks the flowing value in the answer it came from and the call it went to, and clicking again unmarks it", async () => {
  const events = await recordSession([
    { name: "get_pay", result: structured({ iban: IBAN }) },
    { name: "send_email" },
  ], [
    { tool: "get_pay", arguments: {} },
    { tool: "send_email", arguments: { body: `pay to ${IBAN} today` } },
  ]);
  const send = events.find((e) =>
    e.kind === "request" && e.tool === "send_email"
  )!;
  const answer = events.find((e) =>
    e.kind === "response" && e.tool === "get_pay"
  )!;
  await using dir = await tempDir();
  const file = `${dir.path}/report.html`;
  await Deno.writeTextFile(file, renderReport(events));
  const browser = await Browser.launch();
  try {
    const page = await browser.newPage({ width: 1280, height: 900 });
    await page.open(file);
    await page.waitFor("document.documentElement.dataset.ready === '1'");
    const marks = (): Promise<{ text: string; q: number; rq?: number }[]> =>
      page.evaluate(`(() => {
        const rows = JSON.parse(document.getElementById("report-data").textContent).rows;
        return [...document.querySelectorAll("#tl-list mark.finding-value")].map((m) => {
          const row = rows[Number(m.closest(".row").dataset.i)];
          return { text: m.textContent, q: row.q, rq: row.rq };
        });
      })()`);
    assert.deepEqual(await marks(), [], "nothing is marked before a click");
    const flow = '#findings details.finding[data-rule="data-flow-out"]';
    await page.click(`${flow} > summary`);
    await page.click(`${flow} button.finding-filter`);
    // The send_email call's row shows its arguments, the value marked.
    const before = await marks();
    assert.deepEqual(before, [{ text: IBAN, q: send.seq, rq: send.seq + 1 }]);
    // The get_pay answer shows it once the row is opened.
    const i = await page.evaluate<number>(`(() => {
      const rows = JSON.parse(document.getElementById("report-data").textContent).rows;
      return rows.findIndex((r) => r.rq === ${answer.seq});
    })()`);
    await page.click(`#tl-list > .row[data-i="${i}"] .row-head`);
    const on = await marks();
    assert.ok(on.every((m) => m.text === IBAN), JSON.stringify(on));
    assert.ok(on.some((m) => m.rq === answer.seq), JSON.stringify(on));
    await page.click(`${flow} button.finding-filter`);
    assert.deepEqual(await marks(), [], "unmarked once the filter is off");
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

const TOKEN = "ghp_" + "M4rk3rT0kenV4lu3F0rTh3H1ghl1ght000000".slice(0, 36);

Deno.test("a redacted secret that flowed is marked by its redaction marker, in the call it went to; the secret is nowhere in the page", async () => {
  const events = await recordSession([
    { name: "get_credentials", result: structured({ token: TOKEN }) },
    { name: "update_ticket" },
  ], [
    { tool: "get_credentials", arguments: { sql: "SELECT token FROM t" } },
    { tool: "update_ticket", arguments: { note: `use ${TOKEN} here` } },
  ]);
  const update = events.find((e) =>
    e.kind === "request" && e.tool === "update_ticket"
  )!;
  const marker = /\[REDACTED:[a-z_]+:[0-9a-f]{8}\]/.exec(
    JSON.stringify(update),
  )?.[0];
  assert.ok(marker, "the proxy logged the token as a marker");
  await using dir = await tempDir();
  const file = `${dir.path}/report.html`;
  const html = renderReport(events);
  assert.ok(!html.includes(TOKEN), "the token is not in the report");
  await Deno.writeTextFile(file, html);
  const browser = await Browser.launch();
  try {
    const page = await browser.newPage({ width: 1280, height: 900 });
    await page.open(file);
    await page.waitFor("document.documentElement.dataset.ready === '1'");
    const marks = (): Promise<
      { text: string; q: number; marker: boolean }[]
    > =>
      page.evaluate(`(() => {
        const rows = JSON.parse(document.getElementById("report-data").textContent).rows;
        return [...document.querySelectorAll("#tl-list mark.finding-value")].map((m) => {
          const row = rows[Number(m.closest(".row").dataset.i)];
          return { text: m.textContent, q: row.q, marker: m.querySelector("span.redacted") !== null };
        });
      })()`);
    assert.deepEqual(await marks(), [], "nothing is marked before a click");
    const flow = '#findings details.finding[data-rule="data-flow-out"]';
    await page.click(`${flow} > summary`);
    await page.click(`${flow} button.finding-filter`);
    const on = await marks();
    assert.ok(on.length > 0, "the marker is marked");
    assert.ok(
      on.some((m) => m.q === update.seq && m.text === marker && m.marker),
      JSON.stringify({ on, marker }),
    );
    assert.ok(on.every((m) => !m.text.includes(TOKEN)));
    await page.click(`${flow} button.finding-filter`);
    assert.deepEqual(await marks(), [], "unmarked once the filter is off");
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});
