/**
 * Makes the README screenshots `docs/report-light.png` and
 * `docs/report-dark.png` from a report. By default the report is written,
 * verified as `mcp-audit report` does, from the demo's log,
 * `demo-output/hr-demo.jsonl` (run `deno task demo` first); pass JSONL log
 * paths to use others, or `--fixture` for the generated fixture log (not
 * sealed, so not verified).
 *
 *     deno task demo
 *     deno run --allow-run --allow-read --allow-write --allow-env --allow-net=127.0.0.1 tests/_screenshot.ts [LOG...]
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { renderReport, writeReport } from "../report/mod.ts";
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
        width: 1280,
        height: 900,
        colorScheme: scheme,
      });
      await page.open(file);
      await page.waitFor("document.documentElement.dataset.ready");
      // Show one call opened, as a reviewer would.
      await page.evaluate(`(() => {
        const heads = [...document.querySelectorAll("#tl-list .row-head")];
        const h = heads.find((x) => x.querySelector(".t-name").textContent === "get_pay_info");
        h && h.click();
        // Let the timeline show all its rows, up to a screenful.
        const scroll = document.getElementById("tl-scroll");
        scroll.style.height = "4000px";
        window.dispatchEvent(new Event("resize"));
      })()`);
      await new Promise((r) => setTimeout(r, 100));
      await page.evaluate(`(() => {
        const scroll = document.getElementById("tl-scroll");
        const h = ["tl-top", "tl-list", "tl-bottom"]
          .reduce((n, id) => n + document.getElementById(id).offsetHeight, 0);
        scroll.style.height = Math.min(h + 2, 2400) + "px";
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
  if (Deno.args[0] === "--fixture") {
    html = renderReport(generateLog({ seed: 7, calls: 24 }), {
      sources: ["fixture.jsonl"],
    });
  } else {
    const logs = Deno.args.length ? Deno.args : ["demo-output/hr-demo.jsonl"];
    const out = await Deno.makeTempFile({ suffix: ".html" });
    await writeReport(logs, out);
    html = await Deno.readTextFile(out);
    await Deno.remove(out);
  }
  for (const out of await takeScreenshots(html, docs)) {
    // deno-lint-ignore no-console
    console.log(`wrote ${out}`);
  }
}
