/**
 * The report of a real session: `demo/run.ts` drives the scripted HR agent
 * through `mcp-audit proxy` to the HR server, exactly as `deno task demo`
 * does, and the report it writes is checked against the log's own
 * `session_end` summary, statically and in headless Chromium.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SessionEndEvent } from "../../lib/audit/event.ts";
import { Browser, type Page } from "../_chromium.ts";
import { readEvents, tempDir } from "../_helpers.ts";

const DEMO = new URL("../../demo/run.ts", import.meta.url).pathname;

interface Demo {
  events: Record<string, unknown>[];
  end: SessionEndEvent;
  html: string;
  reportPath: string;
}

/** Runs the demo with `dir` as its working directory, as a user would. */
async function runDemo(dir: string): Promise<Demo> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-run",
      "--allow-read",
      "--allow-write=demo-output",
      "--allow-env",
      DEMO,
    ],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `the demo ran:\n${stdout}\n${stderr}`);
  assert.match(stdout, /Report: {4}demo-output\/report\.html/);
  const { events, partial } = await readEvents(
    `${dir}/demo-output/hr-demo.jsonl`,
  );
  assert.equal(partial, "", "the log ends with a complete line");
  const end = events.find((e) => e.kind === "session_end");
  assert.ok(end?.kind === "session_end", "the log has session_end");
  const reportPath = `${dir}/demo-output/report.html`;
  return {
    events: events as unknown as Record<string, unknown>[],
    end,
    html: await Deno.readTextFile(reportPath),
    reportPath,
  };
}

function metric(html: string, name: string): number {
  const m = html.match(
    new RegExp(`data-metric="${name}" data-value="([^"]*)"`),
  );
  assert.ok(m, `metric ${name} is rendered`);
  return Number(m[1]);
}

/** The HTML of the tool usage row of `tool`. */
function toolRow(html: string, tool: string): string {
  const m = html.match(
    new RegExp(`<tr\\s+data-tool="${tool}"[^>]*>([\\s\\S]*?)</tr>`),
  );
  assert.ok(m, `tool usage has a row for ${tool}`);
  return m[0];
}

/** Labels of the badges in a piece of HTML. */
function badges(html: string): string[] {
  return [...html.matchAll(/<span class="badge [a-z]+"[^>]*>([^<]+)/g)]
    .map((m) => m[1]).sort();
}

/** Seqs of the tool calls (requests) whose request or reply touched an entity. */
function callsTouching(
  events: Record<string, unknown>[],
  type: string,
  value: string,
): number[] {
  const seqs = new Set<number>();
  for (const e of events) {
    const entities = (e.entities ?? []) as { type: string; value: string }[];
    if (!entities.some((x) => x.type === type && x.value === value)) continue;
    seqs.add(e.kind === "request" ? e.seq as number : e.requestSeq as number);
  }
  return [...seqs].sort((a, b) => a - b);
}

async function openReport(
  browser: Browser,
  path: string,
  colorScheme: "light" | "dark",
): Promise<Page> {
  const page = await browser.newPage({ width: 1280, height: 900, colorScheme });
  await page.open(path);
  await page.waitFor("document.documentElement.dataset.ready === '1'");
  return page;
}

Deno.test("the demo's report shows what the proxy logged for a real HR session", async (t) => {
  await using dir = await tempDir();
  const demo = await runDemo(dir.path);
  const { html, end, events } = demo;
  const summary = end.summary;

  await t.step(
    "every section is there and the numbers are the log's session summary",
    () => {
      for (const id of ["summary", "tools", "access", "timeline"]) {
        assert.match(html, new RegExp(`<section id="${id}"`), `section ${id}`);
      }
      assert.equal(metric(html, "toolCalls"), summary.toolCalls);
      assert.equal(
        metric(html, "toolsUsed"),
        Object.keys(summary.tools).length,
      );
      assert.equal(metric(html, "uniqueEntities"), summary.uniqueEntities);
      assert.equal(metric(html, "errors"), summary.errors);
      assert.equal(metric(html, "durationMs"), summary.durationMs);
      assert.equal(metric(html, "sessions"), 1);
      // The scenario: 9 calls of 5 tools, one JSON-RPC error and one tool error.
      assert.equal(summary.toolCalls, 9);
      assert.equal(summary.errors, 2);
      assert.match(html, /1 JSON-RPC · 1 tool/);
      const rows = [
        ...html.matchAll(/<tr\s+data-tool="([^"]+)" data-calls="(\d+)"/g),
      ];
      assert.deepEqual(
        Object.fromEntries(rows.map((m) => [m[1], Number(m[2])])),
        summary.tools,
        "tools used, with their call counts",
      );
      // 10 from the demo's config, 5 emails (redacted) from the built-in
      // extractors, and Sales from the example plugin's directory.
      assert.deepEqual(html.match(/<tr\s+data-entity="/g)?.length, 16);
    },
  );

  await t.step(
    "each tool's badges are the labels summary.toolClasses gives it",
    () => {
      for (const tool of Object.keys(summary.tools)) {
        const expected = Object.entries(summary.toolClasses)
          .filter(([, tools]) => tools.includes(tool)).map(([label]) => label)
          .sort();
        assert.deepEqual(badges(toolRow(html, tool)), expected, tool);
      }
      assert.match(
        toolRow(html, "get_pay_info"),
        /<span class="badge sensitive" title="SENSITIVE &#x2014; from sensitivity:tool">SENSITIVE/,
      );
      assert.match(
        toolRow(html, "submit_time_off"),
        /<span class="badge write" title="WRITE &#x2014; from sensitivity:tool">WRITE/,
      );
      assert.ok(summary.toolClasses.PAYROLL?.includes("get_pay_info"));
      assert.match(
        toolRow(html, "get_pay_info"),
        /class="badge custom" title="PAYROLL &#x2014; from hr-departments"/,
        "a custom label from a user plugin, with its source",
      );
    },
  );

  await t.step(
    "the access map lists employee E003 with get_pay_info and get_employee",
    () => {
      const row = html.match(
        /<tr\s+data-entity="\d+"[^>]*>(?:(?!<\/tr>)[\s\S])*?<span class="ent-type">employee<\/span><span class="ent-value">E003<\/span>[\s\S]*?<\/tr>/,
      )?.[0];
      assert.ok(row, "a row for employee E003");
      const tools = [...row.matchAll(/<span class="chip">([^<]+)</g)].map((m) =>
        m[1]
      );
      assert.ok(tools.includes("get_pay_info"), tools.join());
      assert.ok(tools.includes("get_employee"), tools.join());
      assert.match(row, /class="found found-in">arguments</);
      assert.match(row, /class="found found-out">result</);
    },
  );

  await t.step("the handshake and the server command are shown", () => {
    const handshake = events.find((e) => e.kind === "handshake") as {
      client: { name: string; version: string };
      server: { name: string; version: string };
    };
    assert.ok(handshake, "the proxy logged the handshake");
    assert.match(
      html,
      new RegExp(
        `data-peer="client">${handshake.client.name} ${handshake.client.version}<`,
      ),
    );
    assert.match(
      html,
      new RegExp(
        `data-peer="server">${handshake.server.name} ${handshake.server.version}<`,
      ),
    );
    assert.match(html, /<code class="command">[^<]*hr_server\.ts<\/code>/);
  });

  await t.step(
    "in Chromium: no console errors or requests; an entity narrows the timeline; a call opens",
    async () => {
      const browser = await Browser.launch();
      try {
        const dark = await openReport(browser, demo.reportPath, "dark");
        assert.deepEqual(dark.problems, []);
        assert.deepEqual(dark.requests, []);
        await dark.close();

        const page = await openReport(browser, demo.reportPath, "light");
        const total = await page.evaluate<number>(
          `Number(document.getElementById("tl-count").dataset.total)`,
        );
        const entity = await page.evaluate<string>(`(() => {
        const b = [...document.querySelectorAll("#access table.entities button.ent")]
          .find((b) => b.querySelector(".ent-type").textContent === "employee" &&
            b.querySelector(".ent-value").textContent === "E003");
        return b.dataset.e;
      })()`);
        await page.click(
          `#access table.entities button.ent[data-e="${entity}"]`,
        );
        const shown = await page.evaluate<{ seqs: number[]; tools: string[] }>(
          `(() => {
          const data = JSON.parse(document.getElementById("report-data").textContent);
          const rows = [...document.querySelectorAll("#tl-list > .row")]
            .map((r) => data.rows[Number(r.dataset.i)]);
          return { seqs: rows.map((r) => r.q), tools: rows.map((r) => data.tools[r.n]) };
        })()`,
        );
        const expected = callsTouching(events, "employee", "E003");
        assert.deepEqual(
          shown.seqs,
          expected,
          "exactly the calls touching E003",
        );
        assert.ok(expected.length < total);
        assert.deepEqual([...new Set(shown.tools)].sort(), [
          "get_employee",
          "get_pay_info",
          "search_employees",
          "submit_time_off",
        ]);
        assert.equal(
          await page.evaluate(`document.getElementById("f-entity").value`),
          entity,
        );

        // Open the get_pay_info call for E003.
        const head = await page.evaluate<string>(`(() => {
        const row = [...document.querySelectorAll("#tl-list > .row")]
          .find((r) => r.querySelector(".t-name").textContent === "get_pay_info");
        return '.row[data-i="' + row.dataset.i + '"] > .row-head';
      })()`);
        await page.click(head);
        const detail = await page.evaluate<{ args: string; text: string }>(
          `(() => {
          const d = document.querySelector(${
            JSON.stringify(head)
          }).parentNode.querySelector(".detail");
          const h = [...d.querySelectorAll("h4")].find((h) => h.textContent === "Arguments");
          return { args: h.nextSibling.textContent, text: d.textContent };
        })()`,
        );
        assert.deepEqual(JSON.parse(detail.args), { employee_id: "E003" });
        assert.equal(detail.args, '{\n  "employee_id": "E003"\n}');
        assert.match(detail.text, /SENSITIVE from sensitivity:tool/);
        assert.match(detail.text, /PAYROLL from hr-departments/);
        assert.match(detail.text, /employeeE003arguments\.employee_identities/);

        // Both kinds of error are red, and say which kind they are.
        await page.click("#f-clear");
        const errors = await page.evaluate<
          { name: string; badge: string; tip: string; msg: string }[]
        >(`[...document.querySelectorAll("#tl-list > .row.is-error")].map((r) => ({
        name: r.querySelector(".t-name").textContent,
        badge: r.querySelector(".badge.error").textContent,
        tip: r.querySelector(".badge.error").title,
        msg: r.querySelector(".t-err") ? r.querySelector(".t-err").textContent : "",
      }))`);
        assert.deepEqual(errors, [{
          name: "get_employee",
          badge: "TOOL ERROR",
          tip: "tool error (result has isError: true)",
          msg: '⇒ No employee with id "E999"',
        }, {
          name: "get_compliance_rules",
          badge: "RPC ERROR",
          tip: "JSON-RPC error -32602 (invalid params)",
          msg:
            '⇒ -32602 Unknown jurisdiction "XX"; use one of BR, DE, UK, US-CA',
        }]);

        // Redacted emails in search results are marked as ours.
        const redacted = await page.evaluate<{ text: string; title: string }[]>(
          `(() => {
          const row = [...document.querySelectorAll("#tl-list > .row")]
            .find((r) => r.querySelector(".t-name").textContent === "search_employees");
          row.querySelector(".row-head").click();
          const d = document.querySelector('.row[data-i="' + row.dataset.i + '"] .detail');
          return [...d.querySelectorAll(".redacted")].map((s) => ({ text: s.textContent, title: s.title }));
        })()`,
        );
        assert.ok(redacted.length >= 4, `${redacted.length} markers`);
        for (const r of redacted) {
          assert.match(r.text, /^\[REDACTED:email:[0-9a-f]{8}\]$/);
          assert.equal(r.title, "redacted by mcp-audit");
        }

        assert.deepEqual(page.problems, []);
        assert.deepEqual(page.requests, []);
        assert.deepEqual(page.dialogs, []);
      } finally {
        await browser.close();
      }
    },
  );
});
