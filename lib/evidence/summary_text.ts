/**
 * Session summaries for `mcp-audit summary`: read from each session's
 * `session_end` when it has one, otherwise computed from its events with the
 * same {@linkcode SummaryBuilder} the proxy uses; per-tool calls, classes,
 * errors and durations are always counted from the events, and so are the
 * session's findings. An MCP call that a hook saw and a proxy saw too, in
 * the logs read together, counts once, in the proxy's session
 * (lib/audit/mcp_link.ts). Also renders them as text.
 *
 * @module
 */
import type { AuditEvent, Summary } from "../audit/event.ts";
import { readRecords } from "../log/log_lines.ts";
import { SummaryBuilder } from "../audit/summary.ts";
import {
  linkMcpCalls,
  type McpLink,
  type McpLinks,
} from "../audit/mcp_link.ts";
import { findFindings } from "../findings/find_findings.ts";
import type { FindingRule } from "../findings/finding.ts";
import { type ProvableFinding, proveCommandLine } from "./finding_proof.ts";
import {
  CoverageTracker,
  describeUncovered,
  type Uncovered,
} from "./_coverage.ts";

/** One tool's calls in a session. */
export interface ToolSummary {
  name: string;
  calls: number;
  /** Labels the tool's calls were given (READ, SENSITIVE, WRITE, ...). */
  classes: string[];
  /** Error responses and results with `isError`. */
  errors: number;
  /** Summed and longest `durationMs` of its answers. */
  totalMs: number;
  maxMs: number;
}

/** A session's summary with where it came from. */
export interface SessionSummary {
  session: string;
  /** The log files it was read from. */
  paths: string[];
  /** `session_end`: the proxy's own summary; `events`: computed here (the session did not finish). */
  source: "session_end" | "events";
  /** Why the session ended, from `session_end`. */
  reason?: string;
  /** What went wrong, from `session_end`. */
  failure?: string;
  start?: string;
  end?: string;
  summary: Summary;
  tools: ToolSummary[];
  /** Unique entities per type. */
  entitiesByType: Record<string, number>;
  /** The events no signed checkpoint covers (counted above all the same), when there are any. */
  uncovered?: Uncovered;
  /**
   * What the finding rules found (and the proxy logged live), most severe
   * first, each with the `prove` command line for its events.
   */
  findings: ProvableFinding[];
  /**
   * In a hook's session: its MCP calls that a proxy's session in the same
   * logs saw too. They are counted there, and left out of this session's
   * `summary` (tool calls, tools, errors) and `tools`.
   */
  countedByProxy?: McpLink[];
  /** In a proxy's session: its calls that an agent's hook saw too (counted here, once). */
  seenByHook?: McpLink[];
}

interface Accumulator {
  paths: Set<string>;
  builder: SummaryBuilder;
  tools: Map<string, ToolSummary & { labels: Set<string> }>;
  start?: string;
  end?: string;
  sessionEnd?: Record<string, unknown>;
  /** The session's events, for the finding rules. */
  events: Record<string, unknown>[];
}

/** Options of {@linkcode summarizeLogs}. */
export interface SummarizeOptions {
  /**
   * The finding rules (the config's `findings` settings applied).
   *
   * @default {BUILTIN_RULES}
   */
  findingRules?: readonly FindingRule[];
}

/**
 * Summarises every session in `paths` (streamed; lines that are not events
 * are skipped). Throws `LogReadError`.
 *
 * @example
 * ```ts
 * import { summarizeLogs } from "./summary_text.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, [
 *   '{"v":1,"seq":0,"ts":"2026-01-01T00:00:00.000Z","session":"s","kind":"request","dir":"c2s","bytes":1,"id":1,"method":"tools/call","tool":"t"}',
 *   '{"v":1,"seq":1,"ts":"2026-01-01T00:00:01.000Z","session":"s","kind":"response","dir":"s2c","bytes":1,"id":1,"tool":"t","durationMs":5,"result":{}}',
 * ].join("\n") + "\n");
 * const [s] = await summarizeLogs([path]);
 * assert.equal(s.source, "events");
 * assert.equal(s.summary.toolCalls, 1);
 * assert.equal(s.summary.durationMs, 1000);
 * assert.equal(s.tools[0].maxMs, 5);
 * await Deno.remove(path);
 * ```
 */
export async function summarizeLogs(
  paths: string[],
  options: SummarizeOptions = {},
): Promise<SessionSummary[]> {
  const sessions = new Map<string, Accumulator>();
  const coverage = new CoverageTracker();
  for (const path of paths) {
    await readRecords(path, (e, line) => {
      if (typeof e.session !== "string") return;
      coverage.add(e, path, line);
      let acc = sessions.get(e.session);
      if (!acc) {
        acc = {
          paths: new Set(),
          builder: new SummaryBuilder(),
          tools: new Map(),
          events: [],
        };
        sessions.set(e.session, acc);
      }
      acc.paths.add(path);
      if (typeof e.ts === "string") {
        acc.start ??= e.ts;
        acc.end = e.ts;
      }
      if (e.kind === "session_end") acc.sessionEnd = e;
      acc.builder.add(e as unknown as AuditEvent);
      acc.events.push(e);
    });
  }
  const uncovered = new Map(coverage.uncovered().map((u) => [u.session, u]));
  const all = [...sessions.values()].flatMap((a) => a.events);
  const links = linkMcpCalls(all);
  // Over all the events at once, so that a call a hook and the proxy both saw makes one finding.
  const findings = findFindings(all, { rules: options.findingRules, links });
  return [...sessions].map(([session, acc]) => {
    for (const e of acc.events) if (!links.isHookSide(e)) countTool(acc, e);
    const end = acc.sessionEnd;
    const elapsed = acc.start && acc.end
      ? Date.parse(acc.end) - Date.parse(acc.start)
      : 0;
    const summary = withoutLinked(
      end && typeof end.summary === "object" && end.summary
        ? end.summary as Summary
        : acc.builder.build(Number.isFinite(elapsed) ? elapsed : 0),
      acc.events,
      links,
    );
    const countedByProxy = links.links.filter((l) =>
      l.hook.session === session
    );
    const seenByHook = links.links.filter((l) => l.proxy.session === session);
    const entitiesByType: Record<string, number> = {};
    for (const e of summary.entities ?? []) {
      entitiesByType[e.type] = (entitiesByType[e.type] ?? 0) + 1;
    }
    return {
      session,
      paths: [...acc.paths],
      source: end ? "session_end" : "events",
      reason: typeof end?.reason === "string" ? end.reason : undefined,
      failure: typeof end?.failure === "string" ? end.failure : undefined,
      start: acc.start,
      end: acc.end,
      summary,
      tools: [...acc.tools.values()].map(({ labels, ...t }) => ({
        ...t,
        classes: [...labels].sort(),
      })).sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name)),
      entitiesByType,
      ...(uncovered.has(session) ? { uncovered: uncovered.get(session) } : {}),
      findings: findings.filter((f) => f.session === session).map((f) => ({
        ...f,
        prove: proveCommandLine(f, [...acc.paths]),
      })),
      ...(countedByProxy.length > 0 && { countedByProxy }),
      ...(seenByHook.length > 0 && { seenByHook }),
    };
  });
}

/**
 * A hook session's summary less its MCP calls that a proxy's session
 * counts (a copy; the logged summary is left as it is).
 */
function withoutLinked(
  summary: Summary,
  events: readonly Record<string, unknown>[],
  links: McpLinks,
): Summary {
  if (links.size === 0) return summary;
  let calls = 0;
  let errors = 0;
  const tools = { ...summary.tools };
  for (const e of events) {
    if (!links.isHookSide(e)) continue;
    if (e.kind === "request") {
      calls++;
      const tool = String(e.tool);
      if (tools[tool] !== undefined) {
        if (--tools[tool] <= 0) delete tools[tool];
      }
    } else if (e.kind === "error" || e.isError === true) errors++;
  }
  if (calls === 0 && errors === 0) return summary;
  return {
    ...summary,
    toolCalls: Math.max(0, summary.toolCalls - calls),
    tools,
    errors: Math.max(0, summary.errors - errors),
  };
}

function countTool(acc: Accumulator, e: Record<string, unknown>): void {
  const name = e.tool;
  if (typeof name !== "string") return;
  let t = acc.tools.get(name);
  if (!t) {
    t = {
      name,
      calls: 0,
      classes: [],
      labels: new Set(),
      errors: 0,
      totalMs: 0,
      maxMs: 0,
    };
    acc.tools.set(name, t);
  }
  if (e.kind === "request" && e.method === "tools/call") t.calls++;
  if (e.kind === "error" || (e.kind === "response" && e.isError === true)) {
    t.errors++;
  }
  if (typeof e.durationMs === "number") {
    // Sums of fractional milliseconds gather float noise (10.722999999999999): keep microseconds.
    t.totalMs = Math.round((t.totalMs + e.durationMs) * 1000) / 1000;
    t.maxMs = Math.max(t.maxMs, e.durationMs);
  }
  for (const c of (e.classes ?? []) as { label?: unknown }[]) {
    if (typeof c?.label === "string") t.labels.add(c.label);
  }
}

/**
 * Renders summaries as text, one block per session.
 *
 * @example
 * ```ts
 * import { formatSummaries } from "./summary_text.ts";
 * import assert from "node:assert/strict";
 *
 * const text = formatSummaries([{
 *   session: "s", paths: ["a.jsonl"], source: "events",
 *   summary: { toolCalls: 0, tools: {}, toolClasses: {}, entities: [], uniqueEntities: 0,
 *     errors: 0, messages: { c2s: 0, s2c: 0 }, invalid: 0, durationMs: 0 },
 *   tools: [], entitiesByType: {}, findings: [{ rule: "repeated-call", severity: "low",
 *     title: "ls was called 3 times with the same arguments", explanation: "",
 *     session: "s", seqs: [1, 3, 5], entities: [],
 *     prove: "mcp-audit prove a.jsonl --session s --event 1,3,5 -o finding-repeated-call-1.json" }],
 * }]);
 * assert.match(text, /not finished/);
 * assert.match(text, /low {4}repeated-call: ls was called 3 times .*\(seq 1, 3, 5\)/);
 * assert.match(text, /\n {11}prove: mcp-audit prove a\.jsonl --session s --event 1,3,5/);
 * ```
 */
export function formatSummaries(sessions: SessionSummary[]): string {
  const blocks = sessions.map((s) => {
    const m = s.summary;
    const lines = [
      `Session ${s.session} (${s.paths.join(", ")})`,
      `  ${
        s.source === "session_end"
          ? `ended: ${s.reason ?? "?"}`
          : "not finished: no session_end, summary computed from the events"
      }${s.failure ? `; ${s.failure}` : ""}`,
      `  started:         ${s.start ?? "?"}`,
      `  duration:        ${m.durationMs} ms`,
      `  tool calls:      ${m.toolCalls}${
        s.countedByProxy?.length
          ? ` (and ${s.countedByProxy.length} MCP call(s) the proxy saw too, counted in its session${
            s.countedByProxy.length === 1 ? "" : "s"
          } ${
            [...new Set(s.countedByProxy.map((l) => l.proxy.session))].join(
              ", ",
            )
          })`
          : ""
      }${
        s.seenByHook?.length
          ? ` (${s.seenByHook.length} seen by an agent's hook too)`
          : ""
      }`,
      `  errors:          ${m.errors}`,
      `  messages:        ${m.messages.c2s} client->server, ${m.messages.s2c} server->client${
        m.invalid ? `, ${m.invalid} invalid` : ""
      }`,
      `  unique entities: ${m.uniqueEntities}${
        Object.keys(s.entitiesByType).length
          ? ` (${
            Object.entries(s.entitiesByType).map(([t, n]) => `${t} ${n}`).join(
              ", ",
            )
          })`
          : ""
      }`,
    ];
    if (s.uncovered) {
      lines.push(`  not signed:      ${describeUncovered(s.uncovered)}`);
    }
    if (s.tools.length > 0) {
      lines.push("  tools:");
      const width = Math.max(...s.tools.map((t) => t.name.length));
      for (const t of s.tools) {
        lines.push(
          `    ${t.name.padEnd(width)}  ${t.calls} call(s)${
            t.errors ? `, ${t.errors} error(s)` : ""
          }${
            t.calls
              ? `, ${Math.round(t.totalMs / t.calls)} ms avg, ${t.maxMs} ms max`
              : ""
          }${t.classes.length ? `  [${t.classes.join(", ")}]` : ""}`,
        );
      }
    }
    for (const [label, tools] of Object.entries(m.toolClasses)) {
      lines.push(`  ${label}: ${tools.join(", ")}`);
    }
    const findings = s.findings ?? [];
    lines.push(`  findings:        ${findings.length || "none"}`);
    for (const f of findings) {
      lines.push(
        `    ${f.severity.padEnd(6)} ${f.rule}: ${f.title} (seq ${
          f.seqs.join(", ")
        }${f.loggedOnly ? `; as logged live at seq ${f.loggedSeq}` : ""})`,
      );
      if (f.prove) lines.push(`           prove: ${f.prove}`);
    }
    return lines.join("\n");
  });
  return blocks.length ? blocks.join("\n\n") : "No sessions found.";
}
