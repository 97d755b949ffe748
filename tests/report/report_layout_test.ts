/**
 * The report on a phone and on a desktop: at 420 px and 1400 px wide, every
 * table is readable (no cell narrower than its longest word: a word is never
 * broken across lines nor cut off), nothing is wider than the page, and the
 * timeline shows tool names whole. Screenshots are taken at both widths and
 * kept in `$MCP_AUDIT_SCREENSHOTS` when it is set, to be looked at.
 *
 * @module
 */
import assert from "node:assert/strict";
import { renderReport } from "../../report/render.tsx";
import { Browser } from "../_chromium.ts";
import { generateLog } from "../_log_fixture.ts";
import { tempDir } from "../_helpers.ts";

/** What the page says about its own layout. */
interface Layout {
  /** Words in table cells broken across lines or sticking out of their cell. */
  broken: string[];
  /** Cells checked. */
  cells: number;
  /** Tool names in the timeline not shown whole. */
  cutNames: string[];
  /** Timeline rows drawn. */
  names: number;
  /** How far the page is wider than the window. */
  overflow: number;
}

/**
 * Runs in the page: each word of each table cell (text split at spaces and
 * after hyphens and slashes, where a browser may break it) must lie on one
 * line inside its cell. A cell squeezed narrower than its longest word
 * breaks that word over lines or lets it stick out.
 */
const MEASURE = `(() => {
  const broken = [];
  let cells = 0;
  for (const cell of document.querySelectorAll("table td, table th")) {
    if (!cell.getClientRects().length) continue;
    cells++;
    const box = cell.getBoundingClientRect();
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /[^\\s\\-\\/]+[\\-\\/]*/g;
      for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        if (!rects.length) continue;
        const lines = new Set(rects.map((r) => Math.round(r.top))).size;
        const out = rects.some((r) => r.left < box.left - 1 || r.right > box.right + 1);
        if (lines > 1 || out) {
          broken.push(cell.closest("table").className + ": " + JSON.stringify(m[0]) +
            " in a " + Math.round(box.width) + " px cell" + (out ? " (sticks out)" : ""));
        }
      }
    }
  }
  const names = [...document.querySelectorAll("#tl-list .t-name")];
  const cutNames = names.filter((n) => n.scrollWidth > n.clientWidth + 1 ||
      n.scrollHeight > n.clientHeight + 1)
    .map((n) => n.textContent);
  return { broken, cells, cutNames, names: names.length,
    overflow: document.documentElement.scrollWidth - window.innerWidth };
})()`;

const LONG = "get_compliance_rules_for_jurisdiction_and_department";

function events(): unknown[] {
  return [
    ...generateLog({
      seed: 21,
      calls: 14,
      session: "081c7f31-2986-4e24-ae50-c31155889699",
      extra: [{
        tool: LONG,
        arguments: { jurisdiction: "DE", department: "Engineering" },
      }],
    }),
    ...generateLog({
      seed: 22,
      calls: 8,
      session: "sess-b",
      start: "2025-06-02T09:00:02.000Z",
      client: { name: "finance-bot", version: "2.0.0-beta.3" },
    }),
  ];
}

Deno.test("at 420 px and 1400 px every table is readable, nothing is wider than the page, and timeline tool names show whole", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/report.html`;
  await Deno.writeTextFile(
    file,
    renderReport(events(), { sources: ["a.jsonl", "b.jsonl"] }),
  );
  const keep = Deno.env.get("MCP_AUDIT_SCREENSHOTS");
  const browser = await Browser.launch();
  try {
    for (const width of [420, 1400]) {
      const page = await browser.newPage({ width, height: 900 });
      await page.open(file);
      await page.waitFor("document.documentElement.dataset.ready === '1'");
      // One call opened: its entity table is a table too.
      await page.click("#tl-list > .row:nth-child(8) > .row-head");
      const png = await page.screenshot(true);
      assert.ok(png.length > 10_000, "a screenshot was taken");
      if (keep) await Deno.writeFile(`${keep}/report-${width}.png`, png);
      // A tall timeline draws every row, the long tool name's among them.
      await page.evaluate(`(() => {
        document.getElementById("tl-scroll").style.height = "100000px";
        window.dispatchEvent(new Event("resize"));
      })()`);
      await page.waitFor(
        `[...document.querySelectorAll("#tl-list .t-name")].some((n) => n.textContent === ${
          JSON.stringify(LONG)
        })`,
      );
      const layout = await page.evaluate<Layout>(MEASURE);
      assert.ok(layout.cells > 100, `tables were measured (${layout.cells})`);
      assert.deepEqual(layout.broken, [], `no squeezed cell at ${width} px`);
      assert.ok(layout.names > 30, "every timeline row was drawn");
      assert.deepEqual(layout.cutNames, [], `tool names whole at ${width} px`);
      assert.ok(
        layout.overflow <= 0,
        `the page is no wider than the window at ${width} px (${layout.overflow} px more)`,
      );
      assert.deepEqual(page.problems, []);
      await page.close();
    }
  } finally {
    await browser.close();
  }
});
