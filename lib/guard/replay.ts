/**
 * `policy test`'s engine: a policy run over the calls of past sessions, as
 * their logs recorded them (tool, classes, entities, arguments, time, the
 * server's name and the annotations of its last `tools/list`), with what
 * each rule would have done and to which calls (by seq). Arguments are
 * those the log holds: redacted values are tested as redacted.
 *
 * @module
 */
import type { Policy } from "./policy.ts";
import { Guard } from "./guard.ts";
import type { Decision, ToolAnnotations } from "./decide.ts";

/** One call a replayed policy decided. */
export interface ReplayedCall {
  /** The session. */
  session: string;
  /** Seq of the request. */
  seq: number;
  /** The tool. */
  tool: string;
  /** The decision. */
  decision: Decision;
}

/** What {@linkcode replayPolicy} found, per rule (`""` for the default). */
export interface ReplayReport {
  /** Rule id -> calls it decided, in log order; `""` holds those no rule matched. */
  byRule: Map<string, ReplayedCall[]>;
  /** Every call decided. */
  calls: ReplayedCall[];
}

/**
 * Replays `policy` over log records (any order of sessions; each session's
 * records in log order), one guard per session.
 *
 * @example
 * ```ts
 * import { replayPolicy } from "./replay.ts";
 * import assert from "node:assert/strict";
 *
 * const records = [
 *   { session: "s", seq: 1, ts: "2026-12-01T10:00:00Z", kind: "request", method: "tools/call", tool: "write_file", params: { name: "write_file", arguments: {} } },
 *   { session: "s", seq: 3, ts: "2026-12-01T10:00:01Z", kind: "request", method: "tools/call", tool: "read_file", params: { name: "read_file" } },
 * ];
 * const report = replayPolicy({ mode: "enforce", rules: [{ id: "freeze", tool: "write_*", action: "deny" }] }, records);
 * assert.deepEqual(report.byRule.get("freeze")?.map((c) => c.seq), [1]);
 * assert.deepEqual(report.byRule.get("")?.map((c) => c.seq), [3]);
 * ```
 */
export function replayPolicy(
  policy: Policy,
  records: Iterable<Record<string, unknown>>,
  options: { name?: string } = {},
): ReplayReport {
  const sessions = new Map<string, {
    guard: Guard;
    server: string[];
    annotations: Map<string, ToolAnnotations>;
    lists: Set<string>;
  }>();
  const report: ReplayReport = { byRule: new Map(), calls: [] };
  for (const e of records) {
    const id = String(e.session ?? "");
    let s = sessions.get(id);
    if (!s) {
      s = {
        guard: new Guard(policy),
        server: options.name ? [options.name] : [],
        annotations: new Map(),
        lists: new Set(),
      };
      sessions.set(id, s);
    }
    if (e.kind === "handshake") {
      const name = (e.server as { name?: unknown } | undefined)?.name;
      if (typeof name === "string" && !s.server.includes(name)) {
        s.server.push(name);
      }
    }
    if (e.kind === "response" && e.method === "tools/list") {
      const tools = (e.result as { tools?: unknown } | undefined)?.tools;
      if (Array.isArray(tools)) {
        for (const t of tools) {
          if (typeof t?.name === "string") {
            s.annotations.set(t.name, t.annotations ?? {});
          }
        }
      }
    }
    if (
      e.kind !== "request" || e.dir === "s2c" || typeof e.method !== "string"
    ) continue;
    const method = e.method;
    const isCall = method === "tools/call";
    const hasMethodRule = policy.rules.some((r) => r.method !== undefined);
    if (!isCall && !hasMethodRule) continue;
    const tool = isCall ? String(e.tool ?? "") : undefined;
    const params = e.params as { arguments?: unknown } | undefined;
    const decision = s.guard.check({
      method,
      tool,
      server: s.server,
      classes: Array.isArray(e.classes)
        ? e.classes.map((c) => String(c?.label))
        : [],
      annotations: tool === undefined ? undefined : s.annotations.get(tool),
      arguments: params?.arguments,
      entities: Array.isArray(e.entities)
        ? e.entities.map((x) => ({
          type: String(x?.type),
          value: String(x?.value),
        }))
        : [],
      time: typeof e.ts === "string" ? new Date(e.ts) : new Date(),
    });
    if (!isCall && decision.rule === undefined) continue;
    const call: ReplayedCall = {
      session: id,
      seq: Number(e.seq),
      tool: tool ?? method,
      decision,
    };
    report.calls.push(call);
    const key = decision.rule ?? "";
    const list = report.byRule.get(key);
    if (list) list.push(call);
    else report.byRule.set(key, [call]);
  }
  return report;
}

/**
 * `policy test`'s text: per rule, its action and the calls (seq, tool)
 * it would have decided; then the calls no rule matched.
 *
 * @example
 * ```ts
 * import { formatReplay, replayPolicy } from "./replay.ts";
 * import assert from "node:assert/strict";
 *
 * const policy = { mode: "enforce" as const, rules: [{ id: "freeze", tool: "write_*", action: "deny" as const }] };
 * const text = formatReplay(policy, replayPolicy(policy, []));
 * assert.match(text, /rule "freeze" \(deny\): no calls/);
 * ```
 */
export function formatReplay(policy: Policy, report: ReplayReport): string {
  const lines: string[] = [];
  const show = (calls: ReplayedCall[]): string =>
    calls.map((c) => `seq ${c.seq} ${c.tool}`).join(", ");
  for (const rule of policy.rules) {
    const calls = report.byRule.get(rule.id) ?? [];
    if (calls.length === 0) {
      lines.push(`rule "${rule.id}" (${rule.action}): no calls`);
      continue;
    }
    const byAction = new Map<string, ReplayedCall[]>();
    for (const c of calls) {
      const list = byAction.get(c.decision.action) ?? [];
      list.push(c);
      byAction.set(c.decision.action, list);
    }
    for (const [action, list] of byAction) {
      const verb = action === "allow"
        ? "would allow"
        : action === "ask"
        ? "would ask for"
        : action === "hide"
        ? "would hide and deny"
        : "would deny";
      lines.push(
        `rule "${rule.id}" (${rule.action}): ${verb} ${list.length} call(s): ${
          show(list)
        }`,
      );
    }
  }
  const rest = report.byRule.get("") ?? [];
  const fallback = policy.default ?? "allow";
  lines.push(
    rest.length === 0
      ? `no rule (default ${fallback}): no calls`
      : `no rule (default ${fallback}): ${rest.length} call(s): ${show(rest)}`,
  );
  const blocked =
    report.calls.filter((c) =>
      c.decision.action === "deny" || c.decision.action === "hide"
    ).length;
  const asked = report.calls.filter((c) => c.decision.action === "ask").length;
  lines.push(
    `${report.calls.length} call(s) replayed: ${blocked} would be denied, ${asked} asked, ${
      report.calls.length - blocked - asked
    } allowed`,
  );
  return lines.join("\n");
}
