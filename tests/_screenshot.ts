/**
 * Makes the README screenshots `docs/report-light.png` and
 * `docs/report-dark.png` from a report. By default the report is rendered
 * from the fixture log; pass a JSONL log path to use a real one.
 *
 *     deno run --allow-run --allow-read --allow-write --allow-env tests/_screenshot.ts [LOG]
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { readLogs } from "../lib/log_reader.ts";
import { renderReport } from "../report/render.tsx";
import { generateLog } from "./_log_fixture.ts";
import { Browser } from "./_chromium.ts";

/** Renders `events` and writes a light and a dark screenshot into `outDir`. */
export async function takeScreenshots(
  html: string,
  outDir: string,
): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "mcp-audit-shot-" });
  const browser = await Browser.launch();
  const written: string[] = [];
  try {
    const file = `${dir}/report.html`;
    await Deno.writeTextFile(file, html);
    for (const scheme of ["light", "dark"] as const) {
      const page = await browser.newPage({
        width: 1360,
        height: 1000,
        colorScheme: scheme,
      });
      await page.open(file);
      await page.waitFor("document.documentElement.dataset.ready");
      // Show one call opened, as a reviewer would.
      await page.evaluate(`(() => {
        const heads = [...document.querySelectorAll("#tl-list .row-head")];
        const h = heads.find((x) => x.textContent.includes("get_pay_info"));
        h && h.click();
        document.getElementById("tl-scroll").style.height = "820px";
      })()`);
      const png = await page.screenshot(true);
      const out = `${outDir}/report-${scheme}.png`;
      await Deno.writeFile(out, png);
      written.push(out);
      await page.close();
    }
  } finally {
    await browser.close();
    await Deno.remove(dir, { recursive: true });
  }
  return written;
}

if (import.meta.main) {
  const docs = fileURLToPath(new URL("../docs", import.meta.url));
  await Deno.mkdir(docs, { recursive: true });
  let html: string;
  if (Deno.args.length) {
    const { events, skipped } = await readLogs(Deno.args);
    html = renderReport(events, { skipped, sources: Deno.args });
  } else {
    html = renderReport(generateLog({ seed: 7, calls: 24 }), {
      sources: ["hr-demo.jsonl"],
      title: "MCP audit report",
    });
  }
  for (const out of await takeScreenshots(html, docs)) {
    // deno-lint-ignore no-console
    console.log(`wrote ${out}`);
  }
}
