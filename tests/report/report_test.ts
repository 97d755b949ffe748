import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { AuditEvent, SessionEndEvent } from "../../lib/audit/event.ts";
import { LogReadError, readLog, readLogs } from "../../lib/log/log_reader.ts";
import { renderReport } from "../../report/render.tsx";
import { buildReportModel, type TimelineRow } from "../../report/model.ts";
import { writeReport } from "../../report/write_report.ts";
import { generateLog, toJsonl, writeLog } from "../_log_fixture.ts";
import { cliArgs } from "../_helpers.ts";

function endOf(events: AuditEvent[]): SessionEndEvent {
  const end = events.find((e) => e.kind === "session_end");
  assert.ok(end && end.kind === "session_end");
  return end;
}

function metric(html: string, name: string): string {
  const m = html.match(
    new RegExp(`data-metric="${name}" data-value="([^"]*)"`),
  );
  assert.ok(m, `metric ${name} is rendered`);
  return m[1];
}

interface EmbeddedData {
  sessions: { l: string; id: string }[];
  tools: string[];
  entities: [string, string][];
  rows: TimelineRow[];
}

function embedded(html: string): EmbeddedData {
  const m = html.match(
    /<script type="application\/json" id="report-data">([^<]*)<\/script>/,
  );
  assert.ok(m, "the timeline data is embedded");
  return JSON.parse(m[1]);
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mcp-audit-report-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("summary cards show the numbers of the log's session summary", () => {
  const events = generateLog({ seed: 3, calls: 30 });
  const summary = endOf(events).summary;
  const html = renderReport(events);
  assert.equal(Number(metric(html, "toolCalls")), summary.toolCalls);
  assert.equal(
    Number(metric(html, "toolsUsed")),
    Object.keys(summary.tools).length,
  );
  assert.equal(
    Number(metric(html, "uniqueEntities")),
    summary.uniqueEntities,
  );
  assert.equal(Number(metric(html, "errors")), summary.errors);
  assert.equal(Number(metric(html, "durationMs")), summary.durationMs);
  assert.equal(
    summary.errors,
    2,
    "the fixture has a tool error and an RPC error",
  );
  assert.match(html, /data-peer="client">hr-agent 1\.4\.0</);
  assert.match(html, /data-peer="server">hr-server 0\.9\.2</);
  for (const id of ["summary", "tools", "access", "timeline"]) {
    assert.match(html, new RegExp(`<section id="${id}"`), `section ${id}`);
  }
});

Deno.test("tool usage lists each tool with the summary's call count and class badges", () => {
  const events = generateLog({ seed: 5, calls: 40 });
  const summary = endOf(events).summary;
  const html = renderReport(events);
  const rows = [
    ...html.matchAll(/<tr\s+data-tool="([^"]+)" data-calls="(\d+)"/g),
  ];
  assert.deepEqual(
    Object.fromEntries(rows.map((m) => [m[1], Number(m[2])])),
    summary.tools,
  );
  const model = buildReportModel(events);
  for (const [label, tools] of Object.entries(summary.toolClasses)) {
    for (const tool of tools) {
      const usage = model.toolUsage.find((u) => u.name === tool);
      assert.ok(
        usage?.labels.some((l) => l.label === label),
        `${tool} ${label}`,
      );
    }
  }
  assert.match(html, /class="badge sensitive"/);
  assert.match(html, /class="badge write"/);
  assert.match(html, /class="badge read"/);
  const pay = model.toolUsage.find((u) => u.name === "get_pay_info");
  assert.deepEqual(pay?.labels.find((l) => l.label === "SENSITIVE")?.sources, [
    "sensitivity:config",
  ]);
});

Deno.test("the access map lists every entity with the tools and calls that touched it, and back", () => {
  const events = generateLog({ seed: 11, calls: 25 });
  const summary = endOf(events).summary;
  const html = renderReport(events);
  const entityRows = [...html.matchAll(/<tr\s+data-entity="\d+"/g)];
  assert.equal(entityRows.length, summary.uniqueEntities);
  const model = buildReportModel(events);
  // Recount from the events: which tools touched each entity.
  const expected = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.kind !== "request" && e.kind !== "response") continue;
    for (const en of e.entities ?? []) {
      const key = `${en.type}:${en.value}`;
      if (!expected.has(key)) expected.set(key, new Set());
      expected.get(key)!.add(en.tool ?? e.tool ?? "");
    }
  }
  assert.equal(model.entities.length, expected.size);
  for (const entity of model.entities) {
    const tools = expected.get(`${entity.type}:${entity.value}`);
    assert.deepEqual(
      new Set(entity.tools.map((t) => t.name)),
      tools,
      `${entity.type}:${entity.value}`,
    );
    for (const r of entity.rows) {
      assert.ok(model.rows[r].en?.some(([i]) => i === entity.index));
    }
  }
  for (const usage of model.toolUsage) {
    for (const i of usage.entities) {
      assert.ok(
        model.entities[i].tools.some((t) => t.name === usage.name),
        "tool -> entity agrees with entity -> tool",
      );
    }
  }
});

Deno.test("tool calls are joined request with reply by session and requestSeq", () => {
  const events = generateLog({ seed: 2, calls: 20 });
  const summary = endOf(events).summary;
  const { rows } = embedded(renderReport(events));
  const calls = rows.filter((r) => r.m === "tools/call");
  assert.equal(calls.length, summary.toolCalls);
  assert.ok(calls.every((r) => r.rq !== undefined && r.ms !== undefined));
  assert.equal(
    calls.filter((r) => r.st === "error" || r.st === "tool_error").length,
    summary.errors,
  );
  const rpc = calls.find((r) => r.st === "error");
  assert.deepEqual(rpc?.er, {
    code: -32602,
    message: "Invalid params: employee_id is required",
  });
  const toolError = calls.find((r) => r.st === "tool_error");
  assert.equal((toolError?.r as { isError: boolean }).isError, true);
  assert.equal(
    rows.filter((r) => r.k === "response" || r.k === "error").length,
    0,
    "no reply is left on its own row",
  );
});

/**
 * Writes `a.jsonl` (session sess-a, 10 calls) and `b.jsonl` (sess-b, 6
 * calls, another client) into `dir`; returns their events.
 */
async function writeTwoSessions(
  dir: string,
): Promise<[AuditEvent[], AuditEvent[]]> {
  const a = generateLog({ seed: 1, calls: 10, session: "sess-a" });
  const b = generateLog({
    seed: 2,
    calls: 6,
    session: "sess-b",
    start: "2025-06-02T09:00:05.000Z",
    client: { name: "finance-bot", version: "2.0" },
  });
  await writeLog(`${dir}/a.jsonl`, a);
  await writeLog(`${dir}/b.jsonl`, b);
  return [a, b];
}

Deno.test("several logs merge into one report with each session distinguishable", async () => {
  await withTempDir(async (dir) => {
    const [a, b] = await writeTwoSessions(dir);
    const { events, skipped } = await readLogs([
      `${dir}/a.jsonl`,
      `${dir}/b.jsonl`,
    ]);
    assert.deepEqual(skipped, []);
    const html = renderReport(events, { sources: ["a.jsonl", "b.jsonl"] });
    const sa = endOf(a).summary;
    const sb = endOf(b).summary;
    assert.equal(
      Number(metric(html, "toolCalls")),
      sa.toolCalls + sb.toolCalls,
    );
    assert.equal(Number(metric(html, "errors")), sa.errors + sb.errors);
    assert.equal(Number(metric(html, "sessions")), 2);
    assert.match(html, /<tr\s+data-session="0">/);
    assert.match(html, /<tr\s+data-session="1">/);
    assert.match(html, /finance-bot 2\.0/);
    assert.match(html, /id="f-session"/);
    const data = embedded(html);
    assert.deepEqual(data.sessions.map((s) => s.id), ["sess-a", "sess-b"]);
    const times = data.rows.map((r) => Date.parse(r.t));
    assert.deepEqual(times, [...times].sort((x, y) => x - y), "time order");
    assert.ok(new Set(data.rows.map((r) => r.s)).size === 2);
  });
});

Deno.test("a truncated last line is reported as such and the rest of the log renders", async () => {
  await withTempDir(async (dir) => {
    const events = generateLog({ seed: 4, calls: 5 });
    const path = `${dir}/crash.jsonl`;
    const text = toJsonl(events.slice(0, -1));
    const last = JSON.stringify(events[events.length - 1]);
    await Deno.writeTextFile(path, text + last.slice(0, 37));
    const result = await readLog(path);
    assert.equal(result.events.length, events.length - 1);
    assert.deepEqual(result.skipped, [{
      path,
      line: events.length,
      reason: "truncated last line",
    }]);
    const html = renderReport(result.events, { skipped: result.skipped });
    assert.match(html, /id="skipped"[^>]*data-skipped="1"/);
    assert.match(html, /truncated last line/);
    assert.match(html, /no session_end: counted from the events/);
  });
});

Deno.test("damaged lines are skipped with their line number and unknown kinds are kept", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/damaged.jsonl`;
    const good = (seq: number, kind = "stderr"): string =>
      JSON.stringify({
        v: 1,
        seq,
        ts: "2025-06-02T09:00:00.000Z",
        session: "s",
        kind,
        text: "x",
      });
    const bytes = new TextEncoder().encode(
      [
        good(0),
        "{not json",
        "[1,2]",
        JSON.stringify({ v: 1, seq: 1, kind: "stderr" }),
        good(2, "future_kind"),
        "",
        good(3),
      ].join("\n") + "\n",
    );
    const bad = new Uint8Array([0xff, 0xfe, 0x0a]);
    const all = new Uint8Array(bytes.length + bad.length);
    all.set(bytes);
    all.set(bad, bytes.length);
    await Deno.writeFile(path, all);
    const { events, skipped } = await readLog(path);
    assert.deepEqual(events.map((e) => e.kind), [
      "stderr",
      "future_kind",
      "stderr",
    ]);
    assert.deepEqual(skipped, [
      { path, line: 2, reason: "invalid JSON" },
      { path, line: 3, reason: "not a JSON object" },
      { path, line: 4, reason: 'missing or invalid field "session"' },
      { path, line: 8, reason: "invalid UTF-8" },
    ]);
    const html = renderReport(events, { skipped });
    assert.match(html, /data-skipped="4"/);
    assert.ok(embedded(html).rows.some((r) => r.k === "future_kind"));
  });
});

Deno.test("a log that cannot be opened raises LogReadError naming the path and the fix", async () => {
  try {
    await readLog("/nonexistent/audit.jsonl");
    assert.fail("expected LogReadError");
  } catch (e) {
    assert.ok(e instanceof LogReadError);
    assert.match(e.message, /"\/nonexistent\/audit\.jsonl"/);
    assert.match(e.message, /no such file/);
    assert.ok(e.cause instanceof Deno.errors.NotFound);
  }
  await withTempDir(async (dir) => {
    await assert.rejects(() => readLog(dir), /is a directory/);
  });
});

Deno.test("embedded JSON cannot break out of its script element", () => {
  const nasty = '</script><script>alert(1)</script><!-- \u2028\u2029 & "';
  const events = generateLog({
    seed: 9,
    calls: 1,
    extra: [{
      tool: "evil</script>",
      arguments: { q: nasty, [nasty]: 1 },
      result: { content: [{ type: "text", text: nasty }] },
    }],
  });
  const html = renderReport(events);
  assert.equal(html.match(/<script/g)?.length, 2, "only our two script tags");
  assert.equal(html.match(/<\/script>/g)?.length, 2);
  const data = embedded(html);
  const row = data.rows.find((r) =>
    r.n !== undefined && data.tools[r.n] === "evil</script>"
  );
  assert.ok(row);
  assert.equal((row.p as { arguments: { q: string } }).arguments.q, nasty);
  assert.doesNotMatch(html, /\u2028|\u2029/);
});

Deno.test("the page holds no character past U+00FF, and its data and text are the log's, over several batches of rows", () => {
  // Wide characters (an emoji, CJK, U+2028), Latin-1 ones (é) and a tool
  // named with them: the body has them as character references, the data
  // as \u escapes, so the page is one byte per character in memory.
  const wide = "caf\u00e9 \u{1F600} \u6570\u636e \u2028 end";
  const events = generateLog({
    seed: 11,
    calls: 4_100,
    extra: [{
      tool: "t\u{1F600}ol",
      arguments: { q: wide },
      result: { content: [{ type: "text", text: wide }] },
    }],
  });
  const html = renderReport(events, { title: "R\u00e9sum\u00e9 \u{1F600}" });
  assert.doesNotMatch(html, /[\u0100-\uffff]/);
  assert.match(html, /<title>R\u00e9sum\u00e9 &#x1f600;<\/title>/);
  assert.match(html, /t&#x1f600;ol/, "the tool's name, in the body");
  const data = embedded(html);
  const model = buildReportModel(events);
  assert.ok(model.rows.length > 4_000, "more rows than two batches of 2,000");
  assert.deepEqual(data.rows, JSON.parse(JSON.stringify(model.rows)));
  assert.deepEqual(data.tools, model.tools);
  const row = data.rows.find((r) =>
    r.n !== undefined && data.tools[r.n] === "t\u{1F600}ol"
  );
  assert.ok(row, "the wide tool's call is in the data");
  assert.equal((row.p as { arguments: { q: string } }).arguments.q, wide);
});

Deno.test("the Content-Security-Policy allows exactly the inlined style and script by hash", () => {
  const html = renderReport(generateLog());
  const csp = html.match(
    /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/,
  )?.[1];
  assert.ok(csp);
  const style = html.match(/<style>([\s\S]*?)<\/style>/)?.[1] ?? "";
  const script = html.match(/<script>([\s\S]*?)<\/script>/)?.[1] ?? "";
  const hash = (s: string): string =>
    createHash("sha256").update(s).digest("base64");
  assert.match(csp, /^default-src 'none'; /);
  assert.ok(csp.includes(`style-src 'sha256-${hash(style)}'`));
  assert.ok(csp.includes(`script-src 'sha256-${hash(script)}'`));
  assert.doesNotMatch(csp, /unsafe/);
  assert.doesNotMatch(html, /\sstyle="/, "no inline style attributes");
  assert.doesNotMatch(html, /(src|href)="(https?:|\/\/)/, "nothing remote");
  assert.doesNotMatch(html, /\son[a-z]+="/, "no inline handlers");
});

Deno.test("a session without session_end is counted from its events", () => {
  const ended = generateLog({ seed: 8, calls: 15 });
  const summary = endOf(ended).summary;
  const open = generateLog({ seed: 8, calls: 15, noEnd: true });
  const model = buildReportModel(open);
  const s = model.sessions[0];
  assert.equal(s.fromSummary, false);
  assert.equal(s.numbers.toolCalls, summary.toolCalls);
  assert.equal(s.numbers.errors, summary.errors);
  assert.equal(s.numbers.uniqueEntities, summary.uniqueEntities);
  assert.equal(s.numbers.toolsUsed, Object.keys(summary.tools).length);
  const withEnd = buildReportModel(ended).sessions[0];
  assert.equal(withEnd.fromSummary, true);
  assert.deepEqual(withEnd.mismatches, []);
});

Deno.test("a summary that disagrees with the events is flagged", () => {
  const events = generateLog({ seed: 8, calls: 4 });
  const end = endOf(events);
  end.summary = { ...end.summary, toolCalls: end.summary.toolCalls + 3 };
  const html = renderReport(events);
  assert.match(html, /toolCalls: summary says \d+, the log holds \d+/);
});

Deno.test("truncated payloads keep their size and hash and huge strings are clipped", () => {
  const huge = "A".repeat(2_000_000);
  const events = generateLog({
    seed: 6,
    calls: 1,
    extra: [{
      tool: "upload",
      arguments: { blob: huge },
      result: {
        $truncated: true,
        bytes: 3_145_728,
        sha256: "ab".repeat(32),
        preview: '{"content":[{"type":"text","text":"',
      },
    }],
  });
  const html = renderReport(events);
  assert.ok(html.length < 300_000, `HTML is ${html.length} chars`);
  const data = embedded(html);
  const row = data.rows.find((r) =>
    r.n !== undefined && data.tools[r.n] === "upload"
  );
  assert.ok(row);
  assert.deepEqual(row.r, {
    $truncated: true,
    bytes: 3_145_728,
    sha256: "ab".repeat(32),
    preview: '{"content":[{"type":"text","text":"',
  });
  const blob = (row.p as { arguments: { blob: string } }).arguments.blob;
  assert.ok(blob.length < 2100);
  assert.match(blob, /2,000,000 chars in total/);
});

Deno.test("any schema-valid event kind renders: gaps, invalid lines, notifications, pending requests", () => {
  const base = { v: 1, session: "s", ts: "2025-06-02T09:00:00.000Z" } as const;
  const events: unknown[] = [
    {
      ...base,
      seq: 0,
      kind: "request",
      dir: "c2s",
      bytes: 1,
      id: "a",
      method: "tools/call",
      tool: "slow",
      params: { name: "slow" },
    },
    {
      ...base,
      seq: 1,
      kind: "notification",
      dir: "c2s",
      bytes: 1,
      method: "notifications/cancelled",
      cancelsSeq: 0,
    },
    {
      ...base,
      seq: 2,
      kind: "invalid",
      dir: "s2c",
      bytes: 3,
      reason: "invalid_json",
      excerpt: "{x",
      sha256: "00",
    },
    { ...base, seq: 3, kind: "gap", lost: 4, fromSeq: 4, reason: "disk full" },
    {
      ...base,
      seq: 8,
      kind: "request",
      dir: "s2c",
      bytes: 1,
      id: 7,
      method: "sampling/createMessage",
      params: {},
    },
    {
      ...base,
      seq: 9,
      kind: "response",
      dir: "c2s",
      bytes: 1,
      id: 7,
      result: {},
    },
    {
      ...base,
      seq: 10,
      kind: "response",
      dir: "s2c",
      bytes: 1,
      id: 99,
      result: {},
    },
    "not an object",
    null,
  ];
  const html = renderReport(events);
  const { rows } = embedded(html);
  assert.deepEqual(rows.map((r) => r.k), [
    "request",
    "notification",
    "invalid",
    "gap",
    "request",
    "response",
  ]);
  assert.equal(rows[0].st, "pending");
  assert.equal(
    rows[4].st,
    "ok",
    "a reply matched by id in the other direction",
  );
  assert.equal(rows.filter((r) => r.e).length, 2);
  assert.match(html, /4 events lost \(gap\)/);
});

Deno.test("writeReport writes one HTML file and returns the counts", async () => {
  await withTempDir(async (dir) => {
    const events = generateLog({ seed: 12, calls: 8 });
    await Deno.writeTextFile(`${dir}/log.jsonl`, toJsonl(events) + '{"v":1');
    const result = await writeReport([`${dir}/log.jsonl`], `${dir}/out.html`);
    assert.equal(result.outPath, `${dir}/out.html`);
    assert.equal(result.events, events.length);
    assert.equal(result.skipped.length, 1);
    const html = await Deno.readTextFile(`${dir}/out.html`);
    assert.match(html, /<code>log\.jsonl<\/code>/);
    assert.equal(
      Number(metric(html, "toolCalls")),
      endOf(events).summary.toolCalls,
    );
  });
});

/** Runs `mcp-audit <args>` as a subprocess, as a user does. */
async function cli(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("`mcp-audit report` without a log renders the newest log in MCP_AUDIT_LOG_DIR", async () => {
  await withTempDir(async (dir) => {
    const logs = `${dir}/logs`;
    await Deno.mkdir(logs);
    const older = `${logs}/2026-01-01T09-00-00-000Z_hr-server_aaaaaaaa.jsonl`;
    const newer = `${logs}/2026-02-01T09-00-00-000Z_hr-server_bbbbbbbb.jsonl`;
    // The newer session is written first: the time in the name decides, not mtime.
    await writeLog(
      newer,
      generateLog({ seed: 2, calls: 4, session: "sess-newer" }),
    );
    await writeLog(
      older,
      generateLog({ seed: 1, calls: 9, session: "sess-older" }),
    );
    await Deno.writeTextFile(`${logs}/notes.txt`, "not a log");
    const result = await cli(["report", "-o", "out.html"], {
      cwd: dir,
      env: { MCP_AUDIT_LOG_DIR: logs },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /Report written to out\.html \(\d+ events from 1 log/,
    );
    assert.equal(result.stderr, "");
    assert.equal(
      (await Deno.stat(`${dir}/out.html`)).mode! & 0o777,
      0o600,
      "the report holds what the log holds: as private as the log",
    );
    const html = await Deno.readTextFile(`${dir}/out.html`);
    assert.match(html, /2026-02-01T09-00-00-000Z_hr-server_bbbbbbbb\.jsonl/);
    assert.ok(html.includes("sess-newer"));
    assert.ok(!html.includes("sess-older"), "only the newest log");

    const empty = `${dir}/empty`;
    await Deno.mkdir(empty);
    const none = await cli(["report", "-o", "out.html"], {
      cwd: dir,
      env: { MCP_AUDIT_LOG_DIR: empty },
    });
    assert.equal(
      none.code,
      4,
      "no log found: the exit status of every command that reads logs",
    );
    assert.match(none.stderr, /mcp-audit: .*none found in ".*empty"/);
  });
});

Deno.test("`mcp-audit report a.jsonl b.jsonl -o out.html` merges two sessions into one report", async () => {
  await withTempDir(async (dir) => {
    const [a, b] = await writeTwoSessions(dir);
    const result = await cli(
      ["report", "a.jsonl", "b.jsonl", "-o", "out.html"],
      {
        cwd: dir,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`\\(${a.length + b.length} events from 2 log`),
    );
    const html = await Deno.readTextFile(`${dir}/out.html`);
    assert.equal(Number(metric(html, "sessions")), 2);
    assert.equal(
      Number(metric(html, "toolCalls")),
      endOf(a).summary.toolCalls + endOf(b).summary.toolCalls,
    );
    assert.match(html, /<code>a\.jsonl<\/code>, <code>b\.jsonl<\/code>/);
    assert.deepEqual(embedded(html).sessions.map((s) => s.id), [
      "sess-a",
      "sess-b",
    ]);
  });
});

Deno.test("`mcp-audit report` over several sessions shows each session's server command", async () => {
  await withTempDir(async (dir) => {
    const commands = [
      ["deno", "run", "-A", "hr_server.ts"],
      ["npx", "-y", "finance-mcp", "--read-only"],
    ];
    for (const [i, session] of ["sess-a", "sess-b"].entries()) {
      const events = generateLog({ seed: i + 1, calls: 3, session });
      const start = events.find((e) => e.kind === "session_start");
      assert.ok(start?.kind === "session_start");
      start.command = commands[i];
      await writeLog(`${dir}/${session}.jsonl`, events);
    }
    const result = await cli(
      ["report", "sess-a.jsonl", "sess-b.jsonl", "-o", "out.html"],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    const html = await Deno.readTextFile(`${dir}/out.html`);
    for (const [i, command] of commands.entries()) {
      const row = html.match(
        new RegExp(`<tr\\s+data-session="${i}">([\\s\\S]*?)</tr>`),
      );
      assert.ok(row, `session ${i} has a row`);
      assert.ok(
        row[1].includes(command.join(" ")),
        `session ${i}'s row shows its command`,
      );
    }
  });
});

Deno.test("`mcp-audit report` renders a log with a truncated last line, notes it and names the line on stderr", async () => {
  await withTempDir(async (dir) => {
    const events = generateLog({ seed: 4, calls: 5 });
    const last = JSON.stringify(events[events.length - 1]);
    await Deno.writeTextFile(
      `${dir}/crash.jsonl`,
      toJsonl(events.slice(0, -1)) + last.slice(0, 40),
    );
    const result = await cli(["report", "crash.jsonl", "-o", "out.html"], {
      cwd: dir,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stderr.trim(),
      `mcp-audit: skipped crash.jsonl:${events.length}: truncated last line`,
    );
    const html = await Deno.readTextFile(`${dir}/out.html`);
    assert.match(html, /id="skipped"[^>]*data-skipped="1"/);
    assert.match(html, new RegExp(`crash\\.jsonl:${events.length}</code>`));
    assert.match(html, /truncated last line/);
    assert.equal(embedded(html).rows.length > 0, true);
  });
});

Deno.test("plugin failures are listed apart from errors and redaction markers are marked as ours", () => {
  const events = generateLog({
    seed: 3,
    calls: 2,
    extra: [{
      tool: "delete_employee",
      arguments: { employee_id: "E1001", notify: "[REDACTED:email:1a2b3c4d]" },
      classes: [
        { label: "WRITE", source: "annotations:readOnlyHint" },
        { label: "DESTRUCTIVE", source: "annotations:destructiveHint" },
      ],
      entities: [{
        type: "email",
        value: "[REDACTED:email:1a2b3c4d]",
        path: "arguments.notify",
        tool: "delete_employee",
        source: "entities",
      }],
    }],
  });
  const request = events.findLast((e) => e.kind === "request");
  assert.ok(request?.kind === "request");
  request.pluginErrors = [{
    plugin: "redact",
    error: "Timed out after 1000 ms",
  }];
  const html = renderReport(events);
  const model = buildReportModel(events);
  assert.deepEqual(model.pluginFailures, [{
    plugin: "redact",
    events: 1,
    error: "Timed out after 1000 ms",
  }]);
  assert.match(html, /id="plugin-failures"/);
  assert.match(html, /<li data-plugin="redact" data-events="1">/);
  const summary = endOf(events).summary;
  assert.equal(Number(metric(html, "errors")), summary.errors);
  const row = embedded(html).rows.find((r) => r.pe !== undefined);
  assert.ok(row);
  assert.equal(row.e, undefined, "a plugin failure is not a call error");
  assert.match(
    html,
    /<span\s+class="redacted" title="redacted by mcp-audit">\[REDACTED:email:1a2b3c4d\]<\/span>/,
  );
  assert.match(html, /class="badge destructive"/);
  const entity = model.entities.find((e) => e.value.startsWith("[REDACTED:"));
  assert.deepEqual(entity?.found, ["arguments"]);
});
