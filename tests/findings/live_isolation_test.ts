/**
 * Live findings run a module plugin's rules in that plugin's worker, where
 * its module was loaded: the module is loaded once per proxy (its `setup`
 * runs once), and a rule that loops stalls neither the conversation nor
 * the other rules; it is stopped, reported on stderr and off for the rest
 * of the session. The plugins here are written into a temporary directory
 * and run by the real proxy in front of the scripted server.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { cliArgs, fixtureServer, readEvents, tempDir } from "../_helpers.ts";
import { FINDINGS_CONFIG, toolError } from "./_proxy_session.ts";

/** A plugin module with one finding rule; `setup` appends a line to `options.file`. */
function pluginSource(rule: string): string {
  return `
export default {
  name: "counted",
  setup(options) {
    Deno.writeTextFileSync(options.file, "setup\\n", { append: true });
  },
  findings: [{
    id: "counted-rule",
    description: "a rule of a module plugin",
    find(session) {
      ${rule}
    },
  }],
};
`;
}

/** One proxied session's outcome. */
interface Run {
  events: AuditEvent[];
  stderr: string;
  /** The answers' ids, in the order they came back. */
  answered: number[];
  /** Whether every answer had come back before stderr reported the stall. */
  answeredBeforeStall: boolean;
}

/**
 * Runs the proxy with `config` in front of the scripted server (the tool
 * `get_employee` fails), sends initialize, tools/list and `calls` lookups
 * without waiting for answers, and waits for every answer before closing.
 */
async function proxied(
  dir: string,
  config: Record<string, unknown>,
  calls: number,
  stall?: RegExp,
): Promise<Run> {
  const configPath = `${dir}/mcp-audit.json`;
  const log = `${dir}/session.jsonl`;
  await Deno.writeTextFile(configPath, JSON.stringify(config));
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--log",
      log,
      "--config",
      configPath,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    env: {
      TOOLS_JSON: JSON.stringify([{ name: "get_employee" }]),
      RESULTS_JSON: JSON.stringify({ get_employee: toolError("no such id") }),
      MCP_AUDIT_REDACT_KEY: "findings-test-key",
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A proxy whose thread is stuck in the rule never answers: stop it, so
  // the test fails (the reads end) instead of hanging.
  const stuck = setTimeout(() => child.kill("SIGKILL"), 60_000);
  let stderr = "";
  const errors = (async () => {
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      stderr += chunk;
    }
  })();
  const writer = child.stdin.getWriter();
  const lines = [
    {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "isolation-test", version: "1" },
      },
    },
    { jsonrpc: "2.0", id: 2, method: "tools/list" },
    ...Array.from({ length: calls }, (_, i) => ({
      jsonrpc: "2.0",
      id: 3 + i,
      method: "tools/call",
      // Ids no result ever held, and the calls fail: unseen-identifier.
      params: { name: "get_employee", arguments: { id: `E${900 + i}` } },
    })),
  ];
  const encoder = new TextEncoder();
  const answered: number[] = [];
  let answeredBeforeStall = true;
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  // One request at a time, as a client waits for each answer.
  for (const line of lines) {
    await writer.write(encoder.encode(JSON.stringify(line) + "\n"));
    while (!answered.includes(line.id)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the proxy closed before answering ${line.id}`);
      out += value;
      let nl;
      while ((nl = out.indexOf("\n")) >= 0) {
        answered.push(JSON.parse(out.slice(0, nl)).id);
        out = out.slice(nl + 1);
      }
    }
    if (stall && stall.test(stderr)) answeredBeforeStall = false;
  }
  await writer.close();
  while (!(await reader.read()).done) { /* drain */ }
  const status = await child.status;
  clearTimeout(stuck);
  await errors;
  assert.equal(status.code, 0, stderr);
  return {
    events: (await readEvents(log)).events,
    stderr,
    answered,
    answeredBeforeStall,
  };
}

function findingRules(events: AuditEvent[]): string[] {
  return events.flatMap((e) => e.kind === "finding" ? [e.rule] : []);
}

Deno.test("live findings: a module plugin with a finding rule is loaded once per proxy (its setup runs once), and its rule is logged live", async () => {
  await using dir = await tempDir();
  const setups = `${dir.path}/setups.txt`;
  await Deno.writeTextFile(
    `${dir.path}/counted.js`,
    pluginSource(`
      const failed = session.calls.filter((c) => c.failed);
      return failed.length === 0 ? [] : [{
        rule: "counted-rule", severity: "low", title: "a failed call",
        explanation: "", session: session.session,
        seqs: [failed[0].requestSeq], entities: [],
      }];`),
  );
  const run = await proxied(dir.path, {
    ...FINDINGS_CONFIG,
    plugins: [
      ...FINDINGS_CONFIG.plugins,
      { use: "./counted.js", options: { file: setups } },
    ],
    liveFindings: true,
  }, 3);
  assert.equal(await Deno.readTextFile(setups), "setup\n");
  const rules = findingRules(run.events);
  assert.ok(rules.includes("counted-rule"), JSON.stringify(rules));
  assert.ok(rules.includes("unseen-identifier"), JSON.stringify(rules));
});

Deno.test("live findings: a plugin's rule that loops does not stop the conversation; it is stopped, reported on stderr and off for the session, and the built-in rules go on", async () => {
  await using dir = await tempDir();
  const setups = `${dir.path}/setups.txt`;
  await Deno.writeTextFile(
    `${dir.path}/counted.js`,
    pluginSource(`while (true) { /* a rule that never returns */ }`),
  );
  const stall = /finding rules of plugin "counted".*did not answer within/;
  const calls = 12;
  const run = await proxied(dir.path, {
    ...FINDINGS_CONFIG,
    plugins: [
      ...FINDINGS_CONFIG.plugins,
      { use: "./counted.js", options: { file: setups } },
    ],
    liveFindings: true,
    // The rules' budget is ten times this: 3 s.
    hookTimeoutMs: 300,
  }, calls);
  // Every call was answered, each one before the stall was reported: the
  // relay never waited for the rule.
  assert.deepEqual(
    run.answered,
    Array.from({ length: calls + 2 }, (_, i) => i + 1),
  );
  assert.equal(run.answeredBeforeStall, true, run.stderr);
  // Reported once, then off: it is not asked again.
  assert.equal(
    run.stderr.match(/off for the rest of this session/g)?.length,
    1,
    run.stderr,
  );
  assert.match(run.stderr, stall);
  // Stopped, not started again: the plugin has no hook to serve.
  assert.equal(await Deno.readTextFile(setups), "setup\n");
  const rules = findingRules(run.events);
  assert.ok(!rules.includes("counted-rule"), JSON.stringify(rules));
  assert.ok(rules.includes("unseen-identifier"), JSON.stringify(rules));
  // Every request answered is logged with its reply.
  const replies = run.events.filter((e) =>
    e.kind === "response" && e.method === "tools/call"
  );
  assert.equal(replies.length, calls);
});
