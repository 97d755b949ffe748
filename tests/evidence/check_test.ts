import assert from "node:assert/strict";
import { cliArgs, PROXY_PERMISSIONS, tempDir } from "../_helpers.ts";

const decoder = new TextDecoder();
const DEMO = new URL("../../demo/run.ts", import.meta.url).pathname;

async function cli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** Runs the HR demo (agent -> proxy -> HR server) in `dir`; returns its log. */
async function demoLog(dir: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...PROXY_PERMISSIONS,
      DEMO,
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, decoder.decode(out.stderr));
  return `${dir}/demo-output/hr-demo.jsonl`;
}

Deno.test("check: the demo session fails --fail-on write at the time-off request, and passes --fail-on entity:ssn", async () => {
  await using dir = await tempDir();
  const log = await demoLog(dir.path);
  const lines = (await Deno.readTextFile(log)).split("\n");
  const writeLine =
    lines.findIndex((l) =>
      l.includes('"kind":"request"') && l.includes('"label":"WRITE"')
    ) + 1;
  assert.ok(writeLine > 0, "the demo makes a WRITE call");
  const seq = JSON.parse(lines[writeLine - 1]).seq;

  const write = await cli(["check", log, "--fail-on", "write"]);
  assert.equal(write.code, 1);
  const offending = write.stdout.split("\n").filter((l) =>
    l.includes(": write: ")
  );
  assert.deepEqual(offending, [
    `${log}:${writeLine}: write: seq ${seq}, request, tool submit_time_off: WRITE`,
  ], "one line per offending call, with line, seq, tool and class");
  assert.match(
    write.stdout,
    /FAILED: 1 event\(s\) forbidden by --fail-on write/,
  );

  const json = JSON.parse(
    (await cli(["check", "--json", log, "--fail-on", "write,sensitive"]))
      .stdout,
  );
  assert.equal(json.ok, false);
  assert.deepEqual(
    [...new Set(json.offences.map((o: { tool: string }) => o.tool))].sort(),
    ["get_pay_info", "submit_time_off"],
  );

  const ssn = await cli(["check", log, "--fail-on", "entity:ssn,unverified"]);
  assert.equal(ssn.code, 0, ssn.stdout);
  assert.match(ssn.stdout, /^OK/);
  // No config says ssn is extracted: a pass by construction is said aloud.
  assert.match(
    ssn.stderr,
    /warning: entity:ssn: no extractor in the config yields entities of type "ssn"/,
  );

  const demoConfig = new URL("../../demo/mcp-audit.jsonc", import.meta.url)
    .pathname;
  const employee = await cli([
    "check",
    log,
    "--fail-on",
    "entity:employee",
    "--config",
    demoConfig,
  ]);
  assert.doesNotMatch(
    employee.stderr,
    /warning/,
    "the demo config extracts employees",
  );
  assert.equal(employee.code, 1);
  assert.match(employee.stdout, /entity:employee: seq \d+, .*employee=E\d+/);
});

Deno.test("check: unverified fails a tampered log and lists the problems; an unknown rule is a usage error", async () => {
  await using dir = await tempDir();
  const log = await demoLog(dir.path);
  const lines = (await Deno.readTextFile(log)).split("\n");
  const at = lines.findIndex((l) => l.includes("Year-end holiday")) + 1;
  lines[at - 1] = lines[at - 1].replace("Year-end holiday", "Year-end holidaz");
  const tampered = `${dir.path}/tampered.jsonl`;
  await Deno.writeTextFile(tampered, lines.join("\n"));

  const run = await cli(["check", tampered, "--fail-on", "unverified"]);
  assert.equal(run.code, 1);
  assert.match(
    run.stdout,
    new RegExp(`tampered.jsonl:${at}: unverified: .*edited`),
  );

  const bad = await cli(["check", log, "--fail-on", "writes"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown --fail-on rule "writes"/);
  const missing = await cli(["check", "/no/such.jsonl", "--fail-on", "write"]);
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /no such file/);
});

Deno.test("check: class names are matched without regard to case, so class:destructive finds DESTRUCTIVE", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/destructive.jsonl`;
  await Deno.writeTextFile(
    log,
    JSON.stringify({
      v: 1,
      seq: 0,
      ts: "2026-01-01T00:00:00.000Z",
      session: "s",
      kind: "request",
      dir: "c2s",
      bytes: 1,
      id: 1,
      method: "tools/call",
      tool: "drop_db",
      classes: [{
        label: "DESTRUCTIVE",
        source: "annotations:destructiveHint",
      }],
    }) + "\n",
  );
  for (
    const rule of [
      "class:destructive",
      "class:Destructive",
      "class:DESTRUCTIVE",
    ]
  ) {
    const out = await cli([
      "check",
      log,
      "--fail-on",
      rule,
    ]);
    assert.equal(out.code, 1, `${rule} fails the log`);
    assert.match(out.stdout, /drop_db/);
    assert.match(out.stdout, /DESTRUCTIVE/);
  }
});

Deno.test("check without LOG: an old clean log copied to a later name does not stand in for the latest session; stderr names the session and file checked", async () => {
  await using dir = await tempDir();
  const { signedSession, record } = await import("./_session_fixture.ts");
  const f = await signedSession(dir.path);
  const logDir = `${dir.path}/logs`;
  await Deno.mkdir(logDir);
  // The latest session was recorded without the key: with --pubkey it fails.
  const latest = `${logDir}/2026-06-01T00-00-00-000Z_scripted_2.jsonl`;
  await record(latest, []);
  const latestId = JSON.parse((await Deno.readTextFile(latest)).split("\n")[0])
    .session;
  // An old, clean, signed log copied to a name dated 2099.
  const decoy = `${logDir}/2099-01-01T00-00-00-000Z_scripted_1.jsonl`;
  await Deno.copyFile(f.log, decoy);
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "check",
      "--fail-on",
      "write,unverified",
      "--pubkey",
      f.pub,
    ]),
    env: { MCP_AUDIT_LOG_DIR: logDir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = decoder.decode(out.stderr);
  assert.equal(out.code, 1, decoder.decode(out.stdout) + stderr);
  assert.match(decoder.decode(out.stdout), /unsigned_checkpoint/);
  assert.ok(stderr.includes(`session ${latestId}, started `), stderr);
  assert.ok(stderr.includes(`"${latest}"`), stderr);
  assert.ok(!stderr.includes("2099"), stderr);
});
