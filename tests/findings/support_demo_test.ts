import assert from "node:assert/strict";
import { runSupportScenario } from "../../demo/support.ts";
import {
  INJECTED_TICKET_ID,
  INTEGRATION_TOKENS,
} from "../../demo/support_data.ts";
import { findFindings } from "../../lib/findings/find_findings.ts";
import { writeReport } from "../../report/write_report.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";
import type { AuditEvent } from "../../lib/audit/event.ts";

function seqOf(
  events: AuditEvent[],
  kind: string,
  test: (e: Record<string, unknown>) => boolean,
): number {
  const request = events.find((e) =>
    e.kind === "request" && test(e as unknown as Record<string, unknown>)
  );
  assert.ok(request, "no such request");
  if (kind === "request") return request.seq;
  const reply = events.find((e) =>
    e.kind === kind && (e as { requestSeq?: number }).requestSeq === request.seq
  );
  assert.ok(reply, `no ${kind} to seq ${request.seq}`);
  return reply.seq;
}

Deno.test("the support-desk demo: the injected ticket and the token leak are high findings citing their events, no token reaches the log, verify passes, the report shows both", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/support.jsonl`;
  const result = await runSupportScenario(
    [Deno.execPath(), ...cliArgs(["proxy", "--quiet"])],
    log,
  );
  assert.deepEqual(result.read, ["T-101", "T-102", INJECTED_TICKET_ID]);
  for (const { token } of INTEGRATION_TOKENS) {
    assert.ok(result.leaked.includes(token), "the agent leaked the token");
  }
  // No secret in any byte of the log.
  const bytes = await Deno.readTextFile(log);
  for (const { token } of INTEGRATION_TOKENS) {
    assert.ok(!bytes.includes(token));
    assert.ok(!bytes.includes(token.slice(8)));
  }
  const { events } = await readEvents(log);
  const args = (
    e: Record<string, unknown>,
  ) => ((e.params as { arguments?: Record<string, unknown> })?.arguments ?? {});
  const injectedReply = seqOf(
    events,
    "response",
    (e) => e.tool === "get_ticket" && args(e).ticket_id === INJECTED_TICKET_ID,
  );
  const tokenRead = seqOf(events, "request", (e) => e.tool === "query");
  const tokenReply = seqOf(events, "response", (e) => e.tool === "query");
  const write = seqOf(
    events,
    "request",
    (e) => e.tool === "add_ticket_message",
  );
  const findings = findFindings(events);
  const injections = findings.filter((f) => f.rule === "instructions-in-data");
  // Near-miss: the benign tickets' imperative prose raises nothing.
  assert.equal(injections.length, 1);
  const [injection] = injections;
  assert.equal(injection.severity, "high");
  assert.deepEqual(injection.seqs, [injectedReply, tokenRead, write]);
  assert.match(
    injection.explanation,
    /query \(seq \d+, SENSITIVE\), add_ticket_message \(seq \d+, WRITE\)/,
  );
  const [flow, ...moreFlows] = findings.filter((f) =>
    f.rule === "data-flow-out"
  );
  assert.equal(moreFlows.length, 0);
  assert.equal(flow.severity, "high");
  assert.deepEqual(flow.seqs, [tokenReply, write]);
  assert.match(flow.value ?? "", /^\[REDACTED:github_token:[0-9a-f]{8}\]$/);
  const verify = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["verify", log]),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(verify.code, 0, new TextDecoder().decode(verify.stderr));
  const html = `${dir.path}/support.html`;
  await writeReport([log], html);
  const page = await Deno.readTextFile(html);
  assert.match(page, /instructions-in-data/);
  assert.match(page, /data-flow-out/);
});
