/**
 * Policy gates over audit logs for CI (`mcp-audit check --fail-on ...`):
 * lists the events a pipeline forbids (a WRITE tool call, a SENSITIVE one,
 * an error, an entity of some type, a finding) with their line numbers, and
 * whether the log verifies. An MCP call that an agent's hook and the proxy
 * both saw (lib/audit/mcp_link.ts) offends once, at the proxy's event.
 *
 * @module
 */
import { readRecords } from "../log/log_lines.ts";
import { findFindings } from "../findings/find_findings.ts";
import { linkMcpCalls, type McpCallRef } from "../audit/mcp_link.ts";
import { BUILTIN_RULES } from "../findings/builtin_rules.ts";
import {
  atLeast,
  type Finding,
  type FindingRule,
  SEVERITIES,
  type Severity,
} from "../findings/finding.ts";
import { verifyLogs, type VerifyOptions, type VerifyReport } from "./verify.ts";
import {
  CoverageTracker,
  describeUncovered,
  type Uncovered,
} from "./_coverage.ts";

/** One rule of `--fail-on`. */
export type FailRule =
  | { kind: "class"; label: string; name: string }
  | { kind: "error"; name: string }
  | { kind: "unverified"; name: string }
  | { kind: "denied"; name: string }
  | { kind: "tool-changed"; name: string }
  | { kind: "entity"; type: string; name: string }
  | { kind: "finding"; severity?: Severity; rule?: string; name: string };

/** An event (or the log) that a rule forbids. */
export interface Offence {
  /** The rule, as written in `--fail-on`. */
  rule: string;
  path: string;
  line: number;
  session?: string;
  seq?: number;
  /** The event's kind. */
  kind?: string;
  tool?: string;
  /** The class label, entity (`type=value`), error or finding that matched. */
  detail: string;
  /** For a `finding:` rule: the finding. */
  finding?: Finding;
  /**
   * The agent's hook saw this call too (its request and answer): listed
   * once, here, at the proxy's event.
   */
  seenByHook?: McpCallRef;
}

/** What {@linkcode checkLogs} returns. */
export interface CheckReport {
  ok: boolean;
  rules: string[];
  offences: Offence[];
  /**
   * Events no signed checkpoint covers, per session (the rules were
   * applied to them all the same). With `unverified` they are offences when
   * the session has a signed checkpoint or signatures are required.
   */
  uncovered: Uncovered[];
  /** The verification, when `unverified` was among the rules. */
  verify?: VerifyReport;
}

/**
 * Parses a `--fail-on` list: `write`, `sensitive`, `error`, `unverified`,
 * `class:<LABEL>`, `entity:<type>`, `finding:<severity>` (that severity or
 * worse) or `finding:<rule-id>` (one of `ruleIds`: by default the
 * built-in rules'), comma-separated. Throws `RangeError`
 * ({@linkcode UnknownFindingRuleError} for a rule id not in `ruleIds`).
 *
 * @example
 * ```ts
 * import { parseFailOn } from "./check.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseFailOn("write,entity:ssn").map((r) => r.kind), ["class", "entity"]);
 * assert.deepEqual(parseFailOn("finding:high")[0], { kind: "finding", severity: "high", name: "finding:high" });
 * assert.throws(() => parseFailOn("writes"), RangeError);
 * assert.throws(() => parseFailOn("finding:nonsense"), RangeError);
 * ```
 */
export function parseFailOn(
  text: string,
  ruleIds: readonly string[] = BUILTIN_RULES.map((r) => r.id),
): FailRule[] {
  const rules: FailRule[] = [];
  for (const raw of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const lower = raw.toLowerCase();
    if (lower === "write") {
      rules.push({ kind: "class", label: "WRITE", name: raw });
    } else if (lower === "sensitive") {
      rules.push({ kind: "class", label: "SENSITIVE", name: raw });
    } else if (lower === "error") rules.push({ kind: "error", name: raw });
    else if (lower === "unverified") {
      rules.push({ kind: "unverified", name: raw });
    } else if (lower === "denied") {
      rules.push({ kind: "denied", name: raw });
    } else if (lower === "tool-changed") {
      rules.push({ kind: "tool-changed", name: raw });
    } else if (lower.startsWith("entity:") && raw.length > 7) {
      rules.push({ kind: "entity", type: raw.slice(7), name: raw });
    } else if (lower.startsWith("finding:") && raw.length > 8) {
      rules.push(findingRule(raw, ruleIds));
    } else if (lower.startsWith("class:") && raw.length > 6) {
      rules.push({ kind: "class", label: raw.slice(6), name: raw });
    } else {
      throw new RangeError(
        `Unknown --fail-on rule "${raw}": use write, sensitive, error, unverified, denied, tool-changed, entity:<type>, class:<LABEL> or finding:<severity|rule-id>.`,
      );
    }
  }
  if (rules.length === 0) {
    throw new RangeError(
      `--fail-on needs at least one rule: write, sensitive, error, unverified, entity:<type>, class:<LABEL> or finding:<severity|rule-id>.`,
    );
  }
  return rules;
}

/**
 * A `finding:<rule-id>` that names no rule known so far: the log may still
 * name it, in a `finding` event the proxy logged live (see
 * {@linkcode loggedFindingRules}).
 *
 * @example
 * ```ts
 * import { parseFailOn, UnknownFindingRuleError } from "./check.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseFailOn("finding:outside-host"), UnknownFindingRuleError);
 * assert.equal(parseFailOn("finding:outside-host", ["outside-host"])[0].name, "finding:outside-host");
 * ```
 */
export class UnknownFindingRuleError extends RangeError {
  /** The rule id as given. */
  readonly rule: string;
  /** Names the rule and the ids there are. */
  constructor(raw: string, ruleIds: readonly string[]) {
    super(
      `Unknown finding in --fail-on rule "${raw}": use finding:high, finding:medium, finding:low or a rule id (${
        ruleIds.join(", ")
      }; a plugin's rules count when --config names the plugin, or when the log holds a finding of theirs that the proxy logged live).`,
    );
    this.name = "UnknownFindingRuleError";
    this.rule = raw.slice(8);
  }
}

/**
 * The rule ids of the `finding` events in the logs at `paths` (those the
 * proxy logged live, `liveFindings`), in order of first appearance: a
 * `--fail-on finding:<rule-id>` of a plugin that is not loaded gates on
 * them. Throws `LogReadError`.
 *
 * @example
 * ```ts
 * import { loggedFindingRules } from "./check.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path,
 *   '{"v":1,"seq":4,"session":"s","kind":"finding","rule":"outside-host","severity":"high","seqs":[2]}\n');
 * assert.deepEqual(await loggedFindingRules([path]), ["outside-host"]);
 * await Deno.remove(path);
 * ```
 */
export async function loggedFindingRules(paths: string[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const path of paths) {
    await readRecords(path, (e) => {
      if (e.kind === "finding" && typeof e.rule === "string") ids.add(e.rule);
    });
  }
  return [...ids];
}

function findingRule(raw: string, ruleIds: readonly string[]): FailRule {
  const what = raw.slice(8).toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(what)) {
    return { kind: "finding", severity: what as Severity, name: raw };
  }
  const id = ruleIds.find((r) => r.toLowerCase() === what);
  if (id !== undefined) return { kind: "finding", rule: id, name: raw };
  throw new UnknownFindingRuleError(raw, ruleIds);
}

/**
 * Reads `paths` (streamed) and lists every event a rule forbids. A tool
 * call with a forbidden class is listed once, at its request (its response
 * carries the same class). `finding:` rules run `findingRules` (the
 * built-in rules when absent, `configureRules` for a config's settings).
 * Throws `LogReadError`.
 *
 * @example
 * ```ts
 * import { checkLogs, parseFailOn } from "./check.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path,
 *   '{"v":1,"seq":0,"session":"s","kind":"request","method":"tools/call","tool":"rm","classes":[{"label":"WRITE","source":"x"}]}\n');
 * const report = await checkLogs([path], parseFailOn("write"));
 * assert.equal(report.ok, false);
 * assert.deepEqual(report.offences.map((o) => [o.line, o.tool, o.detail]), [[1, "rm", "WRITE"]]);
 * assert.equal((await checkLogs([path], parseFailOn("entity:ssn"))).ok, true);
 * await Deno.remove(path);
 * ```
 */
export async function checkLogs(
  paths: string[],
  rules: FailRule[],
  verifyOptions: VerifyOptions = {},
  findingRules?: readonly FindingRule[],
): Promise<CheckReport> {
  const offences: Offence[] = [];
  const eventRules = rules.filter((r) =>
    r.kind !== "unverified" && r.kind !== "finding"
  );
  const failOnFindings = rules.filter((r) => r.kind === "finding");
  // Findings rest on whole sessions: their events are kept, with where each line is.
  const kept: Record<string, unknown>[] = [];
  const lineOf = new Map<
    string,
    { path: string; line: number; e: Record<string, unknown> }
  >();
  // Requests already listed per rule, so their responses are not listed again.
  const listed = new Set<string>();
  const coverage = new CoverageTracker();
  // What linking a hook's MCP calls to the proxy's needs, and no more.
  const linkable: Record<string, unknown>[] = [];
  for (const path of paths) {
    await readRecords(path, (e, line) => {
      coverage.add(e, path, line);
      if (eventRules.length > 0) {
        const kind = e.kind;
        if (
          (kind === "session_start" && e.serverName !== undefined) ||
          (kind === "request" && e.method === "tools/call") ||
          ((kind === "response" || kind === "error") &&
            e.requestSeq !== undefined)
        ) {
          const { result: _r, error: _e, ...rest } = e;
          linkable.push(rest);
        }
      }
      if (failOnFindings.length > 0) {
        kept.push(e);
        lineOf.set(`${e.session}\u0000${e.seq}`, { path, line, e });
      }
      if (eventRules.length === 0) return;
      const at = {
        path,
        line,
        session: typeof e.session === "string" ? e.session : undefined,
        seq: typeof e.seq === "number" ? e.seq : undefined,
        kind: typeof e.kind === "string" ? e.kind : undefined,
        tool: typeof e.tool === "string" ? e.tool : undefined,
      };
      for (const rule of eventRules) {
        for (const detail of matches(rule, e)) {
          if (rule.kind === "class") {
            const request = e.kind === "request" ? e.seq : e.requestSeq;
            const key = `${rule.name}\u0000${e.session}\u0000${request}`;
            if (request !== undefined && listed.has(key)) continue;
            if (request !== undefined) listed.add(key);
          }
          offences.push({ rule: rule.name, ...at, detail });
        }
      }
    });
  }
  dedupeLinked(offences, linkable);
  if (failOnFindings.length > 0) {
    for (
      const finding of findFindings(kept, { rules: findingRules })
    ) {
      for (const rule of failOnFindings) {
        if (rule.kind !== "finding") continue;
        if (rule.rule !== undefined && rule.rule !== finding.rule) continue;
        if (rule.severity && !atLeast(finding.severity, rule.severity)) {
          continue;
        }
        const at = lineOf.get(`${finding.session}\u0000${finding.seqs[0]}`);
        offences.push({
          rule: rule.name,
          path: at?.path ?? paths[0] ?? "",
          line: at?.line ?? 0,
          session: finding.session,
          seq: finding.seqs[0],
          kind: typeof at?.e.kind === "string" ? at.e.kind : undefined,
          tool: typeof at?.e.tool === "string" ? at.e.tool : undefined,
          detail: `${finding.severity} ${finding.rule}: ${finding.title} (seq ${
            finding.seqs.join(", ")
          })`,
          finding,
        });
      }
    }
  }
  const uncovered = coverage.uncovered();
  let verify: VerifyReport | undefined;
  const unverified = rules.find((r) => r.kind === "unverified");
  if (unverified) {
    verify = await verifyLogs(paths, verifyOptions);
    if (verify.status !== "verified") {
      const problems = verify.findings.filter((f) => f.severity !== "note");
      if (problems.length === 0) {
        offences.push({
          rule: unverified.name,
          path: paths[0] ?? "",
          line: 0,
          detail: `the log does not verify (${verify.status})`,
        });
      }
      for (const f of problems) {
        offences.push({
          rule: unverified.name,
          path: f.path,
          line: f.line,
          session: f.session,
          seq: f.seq,
          detail: `${f.kind}: ${f.message}`,
        });
      }
    }
    const required = verifyOptions.publicKey !== undefined ||
      verifyOptions.requireSignature === true;
    for (const u of uncovered) {
      if (!u.signed && !required) continue;
      offences.push({
        rule: unverified.name,
        path: u.path,
        line: u.line,
        session: u.session,
        seq: u.fromSeq,
        detail: `not_covered: ${describeUncovered(u)}`,
      });
    }
  }
  return {
    ok: offences.length === 0,
    rules: rules.map((r) => r.name),
    offences,
    uncovered,
    verify,
  };
}

/**
 * Drops the offence of a hook's event when the proxy's event of the same
 * call offends under the same rule, and says on the proxy's that the hook
 * saw it too.
 */
function dedupeLinked(
  offences: Offence[],
  linkable: readonly Record<string, unknown>[],
): void {
  if (offences.length === 0 || linkable.length === 0) return;
  const links = linkMcpCalls(linkable);
  if (links.size === 0) return;
  const proxyRules = new Set<string>();
  for (const o of offences) {
    if (o.session === undefined || o.seq === undefined) continue;
    const link = links.ofProxy(o.session, o.seq);
    if (!link) continue;
    o.seenByHook = link.hook;
    proxyRules.add(
      `${o.rule}\u0000${link.proxy.session}\u0000${link.proxy.seq}`,
    );
  }
  for (let i = offences.length - 1; i >= 0; i--) {
    const o = offences[i];
    if (o.session === undefined || o.seq === undefined) continue;
    const link = links.ofHook(o.session, o.seq);
    if (
      link &&
      proxyRules.has(
        `${o.rule}\u0000${link.proxy.session}\u0000${link.proxy.seq}`,
      )
    ) offences.splice(i, 1);
  }
}

function matches(rule: FailRule, e: Record<string, unknown>): string[] {
  switch (rule.kind) {
    case "class": {
      const classes = Array.isArray(e.classes) ? e.classes : [];
      // Labels are matched without regard to case: class:destructive finds DESTRUCTIVE.
      const wanted = rule.label.toUpperCase();
      const hit = classes.find((c) =>
        typeof c?.label === "string" && c.label.toUpperCase() === wanted
      );
      return hit ? [hit.label as string] : [];
    }
    case "error":
      if (e.kind === "error") {
        const err = e.error as { code?: unknown; message?: unknown };
        return [
          `JSON-RPC error ${err?.code ?? ""} ${err?.message ?? ""}`.trim(),
        ];
      }
      return e.kind === "response" && e.isError === true
        ? ["tool result with isError"]
        : [];
    case "entity": {
      const entities = Array.isArray(e.entities) ? e.entities : [];
      const values = new Set<string>();
      for (const x of entities) {
        if (x?.type === rule.type) values.add(`${x.type}=${x.value}`);
      }
      return [...values];
    }
    case "denied": {
      // Blocked by an enforced policy, or would have been in monitor mode.
      if (e.kind !== "decision") return [];
      const blocked = e.outcome === "blocked" ||
        (e.mode === "monitor" && (e.action === "deny" || e.action === "hide"));
      if (!blocked) return [];
      const rule = typeof e.rule === "string" ? ` "${e.rule}"` : "";
      return [`${e.mode} ${e.action}${rule}: ${e.reason}`];
    }
    case "tool-changed": {
      if (e.kind !== "tool_change") return [];
      const list = (v: unknown): string[] =>
        Array.isArray(v) ? v.map((x) => String(x?.tool ?? x)) : [];
      const parts = [
        ...list(e.changed).map((t) => `changed ${t}`),
        ...list(e.added).map((t) => `added ${t}`),
        ...list(e.removed).map((t) => `removed ${t}`),
      ];
      return [`tool definitions differ from the pins: ${parts.join(", ")}`];
    }
    default:
      return [];
  }
}

/**
 * The report as text: one line per offence (`file:line: seq N, tool: rule
 * (detail)`), then the verdict.
 *
 * @example
 * ```ts
 * import { formatCheckReport } from "./check.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(formatCheckReport({ ok: true, rules: ["write"], offences: [], uncovered: [] }), /^OK/);
 * ```
 */
export function formatCheckReport(report: CheckReport): string {
  // The tail of a signed session is said whether or not it offends: the
  // rules were applied to events that no signature vouches for.
  const notes = report.uncovered.filter((u) =>
    u.signed &&
    !report.offences.some((o) =>
      o.session === u.session && o.detail.startsWith("not_covered:")
    )
  ).map((u) =>
    `note: ${u.path}:${u.line}: session ${u.session}: ${describeUncovered(u)}`
  );
  if (report.ok) {
    return [
      ...notes,
      `OK: nothing forbidden by --fail-on ${report.rules.join(",")}`,
    ].join("\n");
  }
  const lines = report.offences.map((o) => {
    const at = o.line > 0 ? `${o.path}:${o.line}` : o.path;
    const what = [
      o.seq !== undefined ? `seq ${o.seq}` : undefined,
      o.kind,
      o.tool ? `tool ${o.tool}` : undefined,
    ].filter(Boolean).join(", ");
    const hook = o.seenByHook
      ? ` (seen by the agent's hook too: session ${o.seenByHook.session} seq ${o.seenByHook.seq})`
      : "";
    return `${at}: ${o.rule}: ${what ? `${what}: ` : ""}${o.detail}${hook}`;
  });
  lines.push(...notes);
  lines.push(
    `FAILED: ${report.offences.length} event(s) forbidden by --fail-on ${
      report.rules.join(",")
    }`,
  );
  return lines.join("\n");
}
