import assert from "node:assert/strict";
import type { AuditEvent, Entity } from "../../lib/audit/event.ts";
import { renderReport } from "../../report/render.tsx";
import { Browser, type Page, type PageOptions } from "../_chromium.ts";
import { type FixtureCall, generateLog } from "../_log_fixture.ts";

/** Renders `events`, opens the report in headless Chromium and runs `fn`. */
async function withReport(
  events: AuditEvent[] | unknown[],
  fn: (page: Page) => Promise<void>,
  options: PageOptions = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mcp-audit-browser-test-" });
  let browser: Browser | undefined;
  try {
    const file = `${dir}/report.html`;
    await Deno.writeTextFile(file, renderReport(events));
    browser = await Browser.launch();
    const page = await browser.newPage(options);
    await page.open(file);
    await page.waitFor("document.documentElement.dataset.ready === '1'");
    await fn(page);
  } finally {
    await browser?.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function count(page: Page): Promise<{ shown: number; total: number }> {
  return page.evaluate(`(() => {
    const o = document.getElementById("tl-count");
    return { shown: Number(o.dataset.shown), total: Number(o.dataset.total) };
  })()`);
}

/** Indices (into the embedded rows) of the timeline rows in the DOM. */
function renderedRows(page: Page): Promise<number[]> {
  return page.evaluate(
    `[...document.querySelectorAll("#tl-list > .row")].map((r) => Number(r.dataset.i))`,
  );
}

function twoSessions(): AuditEvent[] {
  return [
    ...generateLog({ seed: 21, calls: 14, session: "sess-a" }),
    ...generateLog({
      seed: 22,
      calls: 8,
      session: "sess-b",
      start: "2025-06-02T09:00:02.000Z",
    }),
  ];
}

Deno.test("the report opens with no console errors and no network requests, in light and dark", async () => {
  for (const colorScheme of ["light", "dark"] as const) {
    await withReport(twoSessions(), async (page) => {
      const rows = await renderedRows(page);
      assert.ok(rows.length > 10, "the timeline drew rows");
      const { shown, total } = await count(page);
      assert.equal(shown, total);
      const background = await page.evaluate<string>(
        "getComputedStyle(document.documentElement).backgroundColor",
      );
      assert.equal(
        background,
        colorScheme === "dark" ? "rgb(14, 17, 22)" : "rgb(245, 246, 248)",
        "the theme follows prefers-color-scheme",
      );
      assert.deepEqual(page.problems, []);
      assert.deepEqual(page.requests, []);
      assert.deepEqual(page.dialogs, []);
    }, { colorScheme });
  }
});

Deno.test("expanding an event shows its pretty-printed arguments, result, classes and entities", async () => {
  await withReport(generateLog({ seed: 3, calls: 12 }), async (page) => {
    const selector = await page.evaluate<string>(`(() => {
      const row = [...document.querySelectorAll("#tl-list > .row")]
        .find((r) => r.querySelector(".t-name").textContent === "get_pay_info" &&
          !r.classList.contains("is-error"));
      return '.row[data-i="' + row.dataset.i + '"] > .row-head';
    })()`);
    assert.equal(
      await page.evaluate(
        `document.querySelector(${
          JSON.stringify(selector)
        }).getAttribute("aria-expanded")`,
      ),
      "false",
    );
    await page.click(selector);
    const detail = await page.evaluate<
      { expanded: string; text: string; pres: string[] }
    >(`(() => {
      const head = document.querySelector(${JSON.stringify(selector)});
      const d = head.parentNode.querySelector(".detail");
      return { expanded: head.getAttribute("aria-expanded"), text: d ? d.textContent : "",
        pres: d ? [...d.querySelectorAll("pre")].map((p) => p.textContent) : [] };
    })()`);
    assert.equal(detail.expanded, "true");
    assert.match(detail.pres[0], /^\{\n {2}"employee_id": "E\d+"\n\}$/);
    assert.ok(detail.pres.some((p) => /^Salary for /.test(p)), "result text");
    assert.match(detail.text, /Arguments/);
    assert.match(detail.text, /SENSITIVE from sensitivity:config/);
    assert.match(
      detail.text,
      /employee_idE\d+arguments\.employee_identities:employee_id/,
    );
    assert.match(detail.text, /Duration\d+ ms/);
    await page.click(selector);
    assert.equal(
      await page.evaluate(
        `document.querySelectorAll("#tl-list .detail").length`,
      ),
      0,
      "a second click collapses it",
    );
    assert.deepEqual(page.problems, []);
  });
});

Deno.test("clicking an entity in the access map filters the timeline to the calls that touched it", async () => {
  await withReport(twoSessions(), async (page) => {
    const before = await count(page);
    const entity = await page.evaluate<number>(
      `Number(document.querySelector("#access button.ent").dataset.e)`,
    );
    await page.click("#access button.ent");
    const after = await count(page);
    assert.ok(after.shown > 0 && after.shown < before.total);
    assert.equal(after.total, before.total);
    const check = await page.evaluate<{ ok: boolean; select: string }>(`(() => {
      const data = JSON.parse(document.getElementById("report-data").textContent);
      const shown = [...document.querySelectorAll("#tl-list > .row")].map((r) => Number(r.dataset.i));
      const expected = data.rows.map((r, i) => [r, i])
        .filter(([r]) => (r.en || []).some((e) => e[0] === ${entity})).map(([, i]) => i);
      return { ok: JSON.stringify(shown) === JSON.stringify(expected),
        select: document.getElementById("f-entity").value };
    })()`);
    assert.ok(check.ok, "exactly the rows that touched the entity are shown");
    assert.equal(check.select, String(entity));
    await page.click("#f-clear");
    assert.deepEqual(await count(page), before);
  });
});

Deno.test("filters by tool, class, errors only and free text narrow the timeline", async () => {
  const events = generateLog({ seed: 5, calls: 20 });
  await withReport(events, async (page) => {
    const set = (id: string, value: string | boolean): Promise<unknown> =>
      page.evaluate(`(() => {
        const el = document.getElementById(${JSON.stringify(id)});
        if (typeof ${JSON.stringify(value)} === "boolean") el.checked = ${
        JSON.stringify(value)
      };
        else el.value = ${JSON.stringify(value)};
        el.dispatchEvent(new Event(el.type === "search" ? "input" : "change", { bubbles: true }));
      })()`);
    const calls = events.filter((e) =>
      e.kind === "request" && e.tool === "submit_time_off"
    ).length;
    const toolIndex = await page.evaluate<string>(
      `[...document.querySelectorAll("#f-tool option")].find((o) => o.textContent === "submit_time_off").value`,
    );
    await set("f-tool", toolIndex);
    assert.equal((await count(page)).shown, calls);
    await set("f-tool", "-1");
    await set("f-class", "SENSITIVE");
    const sensitive = events.filter((e) =>
      e.kind === "request" &&
      e.classes?.some((c) => c.label === "SENSITIVE")
    ).length;
    assert.equal((await count(page)).shown, sensitive);
    await set("f-class", "");
    await set("f-errors", true);
    assert.equal((await count(page)).shown, 2);
    await set("f-errors", false);
    await set("f-text", "End date is before");
    await page.waitFor(
      `document.getElementById("tl-count").dataset.shown === "1"`,
    );
    assert.deepEqual(page.problems, []);
  });
});

Deno.test('the "tool calls only" switch, off by default, hides every row but the tool calls and is worked by the keyboard', async () => {
  const events = generateLog({ seed: 4, calls: 8 });
  const calls =
    events.filter((e) => e.kind === "request" && e.method === "tools/call")
      .length;
  await withReport(events, async (page) => {
    const before = await count(page);
    assert.ok(before.total > calls + 4, "the timeline has other rows");
    assert.equal(before.shown, before.total, "off by default");
    const label = await page.evaluate<string>(
      `document.getElementById("f-calls").closest("label").textContent`,
    );
    assert.equal(label, "Tool calls only");
    // From the tool filter, one Tab reaches the switch; Space turns it on.
    await page.evaluate(`document.getElementById("f-entity").focus()`);
    await page.press("Tab");
    assert.equal(await page.evaluate("document.activeElement.id"), "f-calls");
    await page.press(" ");
    assert.equal(await page.evaluate("document.activeElement.checked"), true);
    assert.deepEqual(await count(page), { shown: calls, total: before.total });
    const drawn = await page.evaluate<string[]>(`(() => {
      const data = JSON.parse(document.getElementById("report-data").textContent);
      return [...document.querySelectorAll("#tl-list > .row")]
        .map((r) => data.rows[Number(r.dataset.i)].m);
    })()`);
    assert.equal(drawn.length, calls);
    assert.ok(drawn.every((m) => m === "tools/call"), "only tool calls drawn");
    await page.press(" ");
    assert.deepEqual(await count(page), before);
    await page.press(" ");
    await page.click("#f-clear");
    assert.deepEqual(await count(page), before, "Clear turns it off");
    assert.equal(
      await page.evaluate(`document.getElementById("f-calls").checked`),
      false,
    );
    assert.deepEqual(page.problems, []);
  });
});

Deno.test("timeline rows are reachable and expandable with the keyboard", async () => {
  await withReport(generateLog({ seed: 4, calls: 10 }), async (page) => {
    await page.evaluate(
      `document.querySelector("#tl-list .row-head").focus()`,
    );
    await page.press("ArrowDown");
    await page.press("ArrowDown");
    const focused = await page.evaluate<string>(
      `document.activeElement.parentNode.dataset.i`,
    );
    assert.equal(focused, "2");
    await page.press("Enter");
    assert.equal(
      await page.evaluate(
        `document.activeElement.getAttribute("aria-expanded")`,
      ),
      "true",
    );
    assert.equal(
      await page.evaluate(
        `document.activeElement.parentNode.querySelectorAll(".detail").length`,
      ),
      1,
    );
  });
});

Deno.test("a 20,000-event log draws only the visible rows", async () => {
  const events = generateLog({ seed: 1, calls: 10_000 });
  assert.ok(events.length > 20_000);
  await withReport(events, async (page) => {
    const { total } = await count(page);
    assert.ok(total > 10_000);
    assert.ok((await renderedRows(page)).length < 80, "not one node per row");
    await page.evaluate(
      `document.getElementById("tl-scroll").scrollTop = 1e9`,
    );
    await page.waitFor(
      `[...document.querySelectorAll("#tl-list > .row")].some((r) => Number(r.dataset.i) === ${
        total - 1
      })`,
    );
    assert.ok((await renderedRows(page)).length < 80);
    assert.deepEqual(page.problems, []);
  });
});

const SENTINEL = "window.__pwned = 1";
const CORPUS = [
  `<script>${SENTINEL}</script>`,
  `<img src=x onerror="${SENTINEL}; alert(1)">`,
  `</script><script>${SENTINEL}; alert(2)</script>`,
  `<!--<script>${SENTINEL}</script>-->`,
  `javascript:${SENTINEL}`,
  `"><svg onload=alert(3)>`,
  `' onmouseover='alert(4)`,
  `<a href="javascript:alert(5)">click</a>`,
  `<iframe src="https://example.com/"></iframe>`,
  `<link rel=stylesheet href=https://evil.example/x.css>`,
  `<style>body{display:none}</style>`,
  `<meta http-equiv="refresh" content="0;url=https://evil.example/">`,
  `\u202Etxt.exe\u202C <- right-to-left override`,
  `\u2066isolate\u2069 \u200F\u061C zero\u200Bwidth`,
  `line\u2028separator\u2029paragraph`,
  `{{constructor.constructor('alert(6)')()}}`,
];
const HUGE = "W".repeat(2 * 1024 * 1024);

function hostileLog(): AuditEvent[] {
  const entity = (value: string, i: number): Entity => ({
    type: i % 2 ? "email" : `type<b onclick=alert(7)>${i}`,
    value,
    path: `arguments["${value.slice(0, 40)}"]`,
    tool: CORPUS[i % CORPUS.length],
    source: `<script>${SENTINEL}</script>`,
  });
  const extra: FixtureCall[] = CORPUS.map((s, i) => ({
    tool: s,
    arguments: { [s]: s, nested: { list: [s, s] }, url: "javascript:alert(1)" },
    result: { content: [{ type: "text", text: s }], structuredContent: { s } },
    classes: [{ label: s, source: s }, { label: "SENSITIVE", source: s }],
    entities: [entity(s, i)],
    resultEntities: [entity(`${s}@example.com`, i + 1)],
    isError: i % 3 === 0,
  }));
  extra.push({
    tool: "upload_blob",
    arguments: { blob: HUGE, [HUGE.slice(0, 100_000)]: 1 },
    result: { content: [{ type: "text", text: HUGE }] },
    entities: [entity(HUGE, 0)],
  });
  extra.push({
    tool: HUGE,
    arguments: {},
    rpcError: { code: -32000, message: CORPUS.join(" ") },
  });
  return [
    ...generateLog({
      seed: 13,
      calls: 3,
      session: `<script>${SENTINEL}</script>\u202E`,
      client: { name: CORPUS[1], version: CORPUS[12] },
      server: { name: CORPUS[2], version: HUGE },
      extra,
      stderr: [...CORPUS, HUGE],
    }),
    ...generateLog({ seed: 14, calls: 2, session: "sess-plain" }),
  ];
}

interface PageState {
  pwned: unknown;
  foreign: string[];
  handlers: string[];
  overflow: number;
  widest: number;
  rawOverride: boolean;
  escapedOverride: boolean;
}

function pageState(page: Page): Promise<PageState> {
  return page.evaluate<PageState>(`(() => {
    const all = [...document.querySelectorAll("*")];
    const ours = new Set(["HTML", "HEAD", "META", "LINK", "TITLE", "STYLE", "BODY", "SCRIPT", "HEADER",
      "DIV", "H1", "H2", "H3", "H4", "P", "CODE", "NAV", "A", "MAIN", "SECTION", "SPAN", "TABLE",
      "THEAD", "TBODY", "TR", "TH", "TD", "BUTTON", "svg", "rect", "FORM", "LABEL", "SELECT",
      "OPTION", "INPUT", "OUTPUT", "NOSCRIPT", "UL", "OL", "LI", "STRONG", "DL", "DT", "DD", "PRE",
      "DETAILS", "SUMMARY"]);
    const foreign = all.filter((e) => !ours.has(e.tagName)).map((e) => e.tagName);
    const scripts = document.querySelectorAll("script").length;
    if (scripts !== 2) foreign.push("script count " + scripts);
    const links = [...document.querySelectorAll("a")].map((a) => a.getAttribute("href"))
      .filter((h) => !/^#[a-z]+$/.test(h));
    foreign.push(...links.map((h) => "link " + h));
    const handlers = all.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name))
      .map((a) => e.tagName + "." + a.name));
    const text = document.body.innerText;
    return {
      pwned: window.__pwned,
      foreign,
      handlers,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      widest: Math.max(...[...document.querySelectorAll("section, header, .row, pre")]
        .map((e) => e.getBoundingClientRect().right)),
      rawOverride: /[\\u202a-\\u202e\\u2066-\\u2069]/.test(text),
      escapedOverride: text.includes("\\u27e8U+202E\\u27e9"),
    };
  })()`);
}

Deno.test("hostile strings in a log cannot run script, load anything or break the layout", async () => {
  const events = hostileLog();
  await withReport(events, async (page) => {
    const width = await page.evaluate<number>("window.innerWidth");
    const check = async (when: string): Promise<void> => {
      const state = await pageState(page);
      assert.equal(state.pwned, undefined, `no injected script ran (${when})`);
      assert.deepEqual(state.foreign, [], `no element from the log (${when})`);
      assert.deepEqual(
        state.handlers,
        [],
        `no event handler attribute (${when})`,
      );
      assert.ok(
        state.overflow <= 0,
        `no horizontal overflow (${when}): ${state.overflow}px`,
      );
      assert.ok(state.widest <= width, `nothing wider than the page (${when})`);
      assert.equal(
        state.rawOverride,
        false,
        `no live direction override (${when})`,
      );
      assert.ok(state.escapedOverride, `overrides shown as escapes (${when})`);
      assert.deepEqual(page.dialogs, [], `no dialog (${when})`);
      assert.deepEqual(page.requests, [], `no network request (${when})`);
      assert.deepEqual(page.problems, [], `no console error (${when})`);
    };
    await check("on load");

    // Open every row: the expanded views render the payloads in full. A
    // tall scroller makes the virtual list draw every row at once.
    const total = (await count(page)).total;
    await page.evaluate(`(() => {
      document.getElementById("tl-scroll").style.height = "400000px";
      window.dispatchEvent(new Event("resize"));
    })()`);
    await page.waitFor(
      `document.querySelectorAll("#tl-list > .row").length === ${total}`,
    );
    await page.evaluate(`(() => {
      for (let i = 0; i < ${total}; i++) {
        const head = document.querySelector('.row[data-i="' + i + '"] > .row-head');
        if (head && head.getAttribute("aria-expanded") === "false") head.click();
      }
    })()`);
    const opened = await page.evaluate<number>(
      `document.querySelectorAll("#tl-list .detail").length`,
    );
    assert.equal(opened, total);
    await check("with rows expanded");

    // Hover and click through everything clickable from the log.
    await page.evaluate(`(() => {
      for (const el of document.querySelectorAll("button.ent, button.tool-filter")) {
        el.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
      }
    })()`);
    await page.click("#access button.ent");
    await check("after filtering by a hostile entity");

    // The 2 MB string is clipped with a note of its full size.
    await page.evaluate(`(() => {
      document.getElementById("tl-scroll").style.height = "";
      window.dispatchEvent(new Event("resize"));
    })()`);
    await page.click("#f-clear");
    await page.evaluate(`(() => {
      const t = document.getElementById("f-text");
      t.value = "upload_blob";
      t.dispatchEvent(new Event("input", { bubbles: true }));
    })()`);
    // The call itself, and session_end whose summary names the tool.
    await page.waitFor(
      `document.getElementById("tl-count").dataset.shown === "2"`,
    );
    await page.click("#tl-list > .row:not(.is-error) > .row-head");
    const note = await page.evaluate<string>(
      `document.querySelector("#tl-list .detail").textContent`,
    );
    assert.match(note, /2,097,152 chars in total/);
    await check("with the huge payload open");
  }, { width: 1280, height: 900 });
});
