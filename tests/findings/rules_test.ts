/**
 * The built-in finding rules on sessions recorded by the real proxy: each
 * fires on its case and stays silent on the near-misses.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { findFindings } from "../../lib/findings/find_findings.ts";
import type { Finding } from "../../lib/findings/finding.ts";
import {
  recordHrDemo,
  recordSession,
  type ScriptedTool,
  structured,
  toolError,
} from "./_proxy_session.ts";

const IBAN = "DE44500105175407324931";
const AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

const PAY: ScriptedTool = {
  name: "get_pay",
  result: structured({
    employee_id: "E101",
    currency: "EUR",
    iban: IBAN,
  }),
};
const SEND: ScriptedTool = { name: "send_email" };
const SEARCH: ScriptedTool = { name: "search_web" };

function of(findings: Finding[], rule: string): Finding[] {
  return findings.filter((f) => f.rule === rule);
}

function seqOf(events: AuditEvent[], tool: string, kind = "request"): number[] {
  return events.filter((e) => e.kind === kind && "tool" in e && e.tool === tool)
    .map((e) => e.seq);
}

Deno.test("data-flow-out: an IBAN from a SENSITIVE answer sent on by a WRITE tool is high, and names both events", async () => {
  const events = await recordSession([PAY, SEND], [
    { tool: "get_pay", arguments: { employee_id: "E101" } },
    {
      tool: "send_email",
      arguments: { to: "x@example.org", body: `Pay to ${IBAN} please` },
    },
  ]);
  const [f, ...rest] = of(findFindings(events), "data-flow-out");
  assert.equal(rest.length, 0);
  assert.equal(f.severity, "high");
  assert.equal(f.value, IBAN);
  assert.deepEqual(f.seqs, [
    seqOf(events, "get_pay", "response")[0],
    seqOf(events, "send_email")[0],
  ]);
  assert.deepEqual(f.entities, [{ type: "text", value: IBAN }]);
  assert.match(f.explanation, /get_pay .*seq \d+.*send_email .*seq \d+/);
  // E101 flowed too, but the client had sent it first: not counted.
  assert.ok(!f.entities.some((e) => e.value === "E101"));
});

Deno.test("data-flow-out: into a tool that does not write it is medium", async () => {
  const events = await recordSession([PAY, SEARCH], [
    { tool: "get_pay", arguments: { employee_id: "E101" } },
    { tool: "search_web", arguments: { q: IBAN } },
  ]);
  const found = of(findFindings(events), "data-flow-out");
  assert.deepEqual(found.map((f) => f.severity), ["medium"]);
});

Deno.test("data-flow-out: silent for a value the client sent first, a short value, the same tool, or a non-sensitive source", async () => {
  const events = await recordSession([
    PAY,
    SEND,
    {
      name: "get_profile",
      result: structured({ iban: "FR7630006000011234567890189" }),
    },
  ], [
    // The client names the IBAN before the answer holds it.
    { tool: "search_web", arguments: { q: IBAN } },
    { tool: "get_pay", arguments: { employee_id: "E101" } },
    { tool: "send_email", arguments: { body: `Paid ${IBAN} in EUR` } },
    // The same tool again, with the answer's value.
    { tool: "get_pay", arguments: { employee_id: "E101", iban: IBAN } },
    // A READ answer flowing out is not this rule's business.
    { tool: "get_profile", arguments: {} },
    { tool: "send_email", arguments: { body: "FR7630006000011234567890189" } },
  ]);
  assert.deepEqual(of(findFindings(events), "data-flow-out"), []);
});

Deno.test("data-flow-out: a redacted secret flowing is matched by its marker, and the secret is shown nowhere", async () => {
  const events = await recordSession([
    { name: "get_credentials", result: structured({ key: AWS_KEY }) },
    SEND,
  ], [
    { tool: "get_credentials", arguments: {} },
    { tool: "send_email", arguments: { body: `use ${AWS_KEY}` } },
  ]);
  assert.doesNotMatch(JSON.stringify(events), new RegExp(AWS_KEY));
  const [f] = of(findFindings(events), "data-flow-out");
  assert.equal(f.severity, "high");
  assert.match(f.value!, /^\[REDACTED:aws_access_key:[0-9a-f]+\]$/);
  assert.equal(f.entities[0].type, "aws_access_key");
  assert.match(f.explanation, /redacted aws_access_key/);
});

Deno.test("unseen-identifier: the HR demo's lookup of E999 is the one likely hallucinated id", async () => {
  const events = await recordHrDemo();
  const found = of(findFindings(events), "unseen-identifier");
  const failed = events.find((e) =>
    e.kind === "request" && e.tool === "get_employee" &&
    JSON.stringify(e.params).includes("E999")
  )!;
  assert.equal(found.length, 1);
  assert.deepEqual(found[0].entities, [{ type: "employee", value: "E999" }]);
  assert.equal(found[0].seqs[0], failed.seq);
  assert.equal(found[0].seqs.length, 2);
  // The demo reads and writes only what it saw: besides the scope
  // crossings (the pay of a salesperson, a search that met Finance) and
  // its time-off request, which no one confirmed, no other rule fires on
  // it.
  assert.deepEqual(findFindings(events).map((f) => [f.rule, f.severity]), [
    ["scope-crossing", "high"],
    ["unseen-identifier", "medium"],
    ["scope-crossing", "low"],
    ["unconfirmed-write", "low"],
  ]);
  const [pay] = of(findFindings(events), "scope-crossing");
  const payRead = events.find((e) =>
    e.kind === "request" && e.tool === "get_pay_info" &&
    JSON.stringify(e.params).includes("E007")
  )!;
  assert.equal(pay.seqs[1], payRead.seq);
  assert.match(
    pay.explanation,
    /scope, set by the client's _meta\["mcp-audit\/scope"\] \(seq \d+\), is department Engineering/,
  );
});

Deno.test("unseen-identifier: silent when the id was seen before, or when the call found something", async () => {
  const events = await recordSession([
    { name: "search_staff", result: structured({ ids: ["E200"] }) },
    {
      name: "get_employee",
      result: [toolError("No such employee"), structured({ id: "E301" })],
    },
  ], [
    { tool: "search_staff", arguments: {} },
    // Fails, but E200 came from the search.
    { tool: "get_employee", arguments: { employee_id: "E200" } },
    // Never seen, but it was found.
    { tool: "get_employee", arguments: { employee_id: "E301" } },
  ]);
  assert.deepEqual(of(findFindings(events), "unseen-identifier"), []);
});

Deno.test("unseen-identifier: an empty answer on a made-up id fires", async () => {
  const events = await recordSession([
    { name: "search_staff", result: structured({ employees: [], count: 0 }) },
  ], [{ tool: "search_staff", arguments: { manager: "E404" } }]);
  const [f] = of(findFindings(events), "unseen-identifier");
  assert.match(f.explanation, /found nothing/);
});

Deno.test("write-without-read: a WRITE on an entity not read is medium, a destructive one high; a read first silences it", async () => {
  const events = await recordSession([
    { name: "get_employee", result: structured({ id: "E105" }) },
    { name: "update_employee" },
    {
      name: "purge_record",
      annotations: { readOnlyHint: false, destructiveHint: true },
    },
  ], [
    { tool: "update_employee", arguments: { employee_id: "E106", title: "x" } },
    { tool: "get_employee", arguments: { employee_id: "E105" } },
    { tool: "update_employee", arguments: { employee_id: "E105", title: "y" } },
    { tool: "purge_record", arguments: { employee_id: "E107" } },
  ]);
  const found = of(findFindings(events), "write-without-read");
  assert.deepEqual(
    found.map((f) => [f.severity, f.entities[0].value]),
    [["high", "E107"], ["medium", "E106"]],
  );
});

Deno.test("repeated-call: three identical calls fire, two or different arguments do not", async () => {
  const events = await recordSession([{ name: "search_docs" }], [
    ...[1, 2, 3].map(() => ({
      tool: "search_docs",
      arguments: { q: "leave" },
    })),
    { tool: "search_docs", arguments: { q: "pay" } },
    { tool: "search_docs", arguments: { q: "pay" } },
  ]);
  const found = of(findFindings(events), "repeated-call");
  assert.equal(found.length, 1);
  assert.equal(found[0].seqs.length, 3);
  assert.equal(found[0].severity, "low");
});

Deno.test("error-storm: five failures of six calls fire, four do not", async () => {
  const failing: ScriptedTool = {
    name: "lookup_thing",
    result: toolError("down"),
  };
  const calls = (n: number) => [
    { tool: "search_docs", arguments: {} },
    ...Array.from(
      { length: n },
      (_, i) => ({ tool: "lookup_thing", arguments: { i } }),
    ),
  ];
  const storm = await recordSession(
    [failing, { name: "search_docs" }],
    calls(5),
  );
  assert.equal(of(findFindings(storm), "error-storm").length, 1);
  const calm = await recordSession(
    [failing, { name: "search_docs" }],
    calls(4),
  );
  assert.deepEqual(of(findFindings(calm), "error-storm"), []);
});
