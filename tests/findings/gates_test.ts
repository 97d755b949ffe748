/**
 * Findings where a user meets them on the command line: `check --fail-on
 * finding:...` gates on them and `summary` prints them, text and JSON, on
 * logs the real proxy wrote.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cliArgs, tempDir } from "../_helpers.ts";
import { recordHrDemo, recordSession, structured } from "./_proxy_session.ts";

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

Deno.test("check --fail-on finding:...: the HR demo fails finding:high at the cross-department pay read, and finding:medium and finding:unseen-identifier at the E999 lookup", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/hr.jsonl`;
  const events = await recordHrDemo(log);
  const lookup = events.find((e) =>
    e.kind === "request" && JSON.stringify(e.params ?? null).includes("E999")
  )!;
  const line = events.indexOf(lookup) + 1;

  const high = await cli(["check", log, "--fail-on", "finding:high"]);
  assert.equal(high.code, 1, high.out + high.err);
  assert.match(
    high.out,
    /high scope-crossing: get_pay_info reached department "Sales", outside the session's scope/,
  );
  assert.doesNotMatch(high.out, /unseen-identifier/);

  for (const rule of ["finding:medium", "finding:unseen-identifier"]) {
    const r = await cli(["check", log, "--fail-on", rule]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(
      r.out,
      new RegExp(
        `hr\\.jsonl:${line}: ${rule}: seq ${lookup.seq}, request, tool get_employee: medium unseen-identifier: .*E999`,
      ),
    );
  }
  const other = await cli(["check", log, "--fail-on", "finding:data-flow-out"]);
  assert.equal(other.code, 0, other.out);

  const json = await cli(["check", log, "--json", "--fail-on", "finding:low"]);
  const report = JSON.parse(json.out);
  assert.deepEqual(
    report.offences.map((o: { finding: { rule: string } }) => o.finding.rule),
    [
      "scope-crossing",
      "unseen-identifier",
      "scope-crossing",
      "unconfirmed-write",
    ],
  );
});

Deno.test("check --fail-on finding:high fails on a SENSITIVE value sent on by a WRITE tool; an unknown finding rule is a usage error", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/flow.jsonl`;
  await recordSession([
    { name: "get_pay", result: structured({ iban: "DE44500105175407324931" }) },
    { name: "send_email" },
  ], [
    { tool: "get_pay", arguments: {} },
    { tool: "send_email", arguments: { body: "DE44500105175407324931" } },
  ], log);
  const r = await cli(["check", log, "--fail-on", "finding:high"]);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(
    r.out,
    /high data-flow-out: Data from get_pay went into a call to send_email/,
  );
  const bad = await cli(["check", log, "--fail-on", "finding:leaks"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /Unknown finding .*"finding:leaks".*data-flow-out/);
});

Deno.test("summary prints the findings of each session, as text and in --json", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/hr.jsonl`;
  await recordHrDemo(log);
  const text = await cli(["summary", log]);
  assert.equal(text.code, 0, text.err);
  assert.match(
    text.out,
    /findings: {8}4\n {4}high {3}scope-crossing: get_pay_info reached department "Sales".*\n {11}prove: mcp-audit prove .* --event [\d,]+ -o finding-scope-crossing-\d+\.json\n {4}medium unseen-identifier: get_employee was called with employee "E999"/,
  );
  const json = await cli(["summary", log, "--json"]);
  const [session] = JSON.parse(json.out);
  assert.deepEqual(
    session.findings.map((
      f: { rule: string; entities: unknown },
    ) => [f.rule, f.entities]),
    [
      ["scope-crossing", [{ type: "department", value: "Sales" }]],
      ["unseen-identifier", [{ type: "employee", value: "E999" }]],
      ["scope-crossing", [{ type: "department", value: "Finance" }]],
      // The time-off request: nobody confirmed it.
      ["unconfirmed-write", [
        { type: "employee", value: "E003" },
        { type: "department", value: "Engineering" },
      ]],
    ],
  );
  assert.match(
    text.out,
    /low {4}unconfirmed-write: submit_time_off changed data with no confirmation from a user/,
  );
});

Deno.test("check --config: the findings section switches a rule off, fixes its severity, sets its threshold, and a misnamed rule is a usage error", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/loop.jsonl`;
  const same = { tool: "search_web", arguments: { q: "status" } };
  await recordSession([{ name: "search_web" }], [same, same], log);
  const config = `${dir.path}/mcp-audit.jsonc`;
  const gate = async (findings: unknown, failOn: string) => {
    await Deno.writeTextFile(config, JSON.stringify({ findings }));
    return await cli(["check", log, "--fail-on", failOn, "--config", config]);
  };
  // Two calls alike are below the default threshold of 3.
  assert.equal((await gate({}, "finding:repeated-call")).code, 0);
  const lowered = await gate(
    { "repeated-call": { threshold: 2, severity: "high" } },
    "finding:high",
  );
  assert.equal(lowered.code, 1, lowered.out + lowered.err);
  assert.match(
    lowered.out,
    /high repeated-call: search_web was called 2 times/,
  );
  const off = await gate(
    { "repeated-call": false },
    "finding:repeated-call",
  );
  assert.equal(off.code, 0, off.out);
  const disabled = await gate(
    { "repeated-call": { enabled: false, threshold: 2 } },
    "finding:repeated-call",
  );
  assert.equal(disabled.code, 0, disabled.out);
  const typo = await gate({ "repeated-calls": false }, "finding:low");
  assert.equal(typo.code, 2);
  assert.match(
    typo.err,
    /no rule "repeated-calls"; the rules are .*repeated-call/,
  );
});

Deno.test("summary --config: the findings section switches a rule off and sets another's threshold and severity, as check does", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/loop.jsonl`;
  const same = { tool: "search_web", arguments: { q: "status" } };
  await recordSession([{ name: "search_web" }], [same, same], log);
  const config = `${dir.path}/mcp-audit.jsonc`;
  const summary = async (findings: unknown) => {
    await Deno.writeTextFile(config, JSON.stringify({ findings }));
    const r = await cli(["summary", log, "--json", "--config", config]);
    assert.equal(r.code, 0, r.err);
    const [session] = JSON.parse(r.out);
    return session.findings.map((
      f: { rule: string; severity: string },
    ) => `${f.severity} ${f.rule}`);
  };
  // Two calls alike are below the default threshold of 3.
  assert.deepEqual(await summary({}), []);
  assert.deepEqual(
    await summary({ "repeated-call": { threshold: 2, severity: "high" } }),
    ["high repeated-call"],
  );
  assert.deepEqual(
    await summary({ "repeated-call": { enabled: false, threshold: 2 } }),
    [],
  );
  await Deno.writeTextFile(
    config,
    JSON.stringify({ findings: { "repeated-calls": false } }),
  );
  const bad = await cli(["summary", log, "--config", config]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /no rule "repeated-calls"/);
});

Deno.test("summary --config: the HR demo without scope-crossing keeps the hallucinated id and the unconfirmed time-off request", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/hr.jsonl`;
  await recordHrDemo(log);
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ findings: { "scope-crossing": false } }),
  );
  const r = await cli(["summary", log, "--json", "--config", config]);
  assert.equal(r.code, 0, r.err);
  const [session] = JSON.parse(r.out);
  assert.deepEqual(
    session.findings.map((f: { rule: string }) => f.rule),
    ["unseen-identifier", "unconfirmed-write"],
  );
});

Deno.test("report --config: the page lists the findings under the config's settings (a rule off, a severity changed)", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/hr.jsonl`;
  await recordHrDemo(log);
  const listed = async (args: string[]) => {
    const out = `${dir.path}/report.html`;
    const r = await cli(["report", log, "-o", out, ...args]);
    assert.equal(r.code, 0, r.err);
    const html = await Deno.readTextFile(out);
    return [...html.matchAll(/data-rule="([^"]+)" data-severity="([^"]+)"/g)]
      .map((m) => `${m[2]} ${m[1]}`);
  };
  assert.deepEqual(await listed([]), [
    "high scope-crossing",
    "medium unseen-identifier",
    "low scope-crossing",
    "low unconfirmed-write",
  ]);
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      findings: {
        "scope-crossing": false,
        "unseen-identifier": { severity: "high" },
      },
    }),
  );
  assert.deepEqual(await listed(["--config", config]), [
    "high unseen-identifier",
    "low unconfirmed-write",
  ]);
  await Deno.writeTextFile(
    config,
    JSON.stringify({ findings: { "scope-crossings": false } }),
  );
  const bad = await cli([
    "report",
    log,
    "-o",
    `${dir.path}/x.html`,
    "--config",
    config,
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /no rule "scope-crossings"/);
});
