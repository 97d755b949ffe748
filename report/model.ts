/**
 * The report model: what the HTML report shows, derived from audit events.
 * Findings, sessions with their summaries, tool calls joined request with reply, tool
 * usage, and the data access map (entity -> tools and calls, and back). Each
 * part has its builder in a file of its own; this module composes them.
 * Events are read loosely, so any log that parses renders.
 *
 * @module
 */
import { readLooseEvents } from "./_loose_event.ts";
import { linkMcpCalls } from "../lib/audit/mcp_link.ts";
import {
  buildSessions,
  type SessionModel,
  type SummaryNumbers,
} from "./_sessions_model.ts";
import {
  buildTimeline,
  type ErrorKinds,
  type TimelineRow,
} from "./_timeline_model.ts";
import {
  buildToolUsage,
  type LabelTotal,
  type ToolUsage,
} from "./_tool_usage_model.ts";
import { buildAccessMap, type EntityAccess } from "./_access_map_model.ts";
import {
  countPluginFailures,
  type PluginFailure,
} from "./_plugin_failures_model.ts";
import { buildFindings, type ReportFinding } from "./_findings_model.ts";
import type { FindingRule } from "../lib/findings/finding.ts";
import {
  buildIntegrity,
  type IntegrityModel,
  type ReportVerification,
} from "./_integrity_model.ts";

export type { Peer, SessionModel, SummaryNumbers } from "./_sessions_model.ts";
export type {
  ErrorKinds,
  RowClass,
  RowEntity,
  TimelineRow,
} from "./_timeline_model.ts";
export type { LabelTotal, ToolLabel, ToolUsage } from "./_tool_usage_model.ts";
export type { EntityAccess } from "./_access_map_model.ts";
export type { PluginFailure } from "./_plugin_failures_model.ts";
export type { ReportFinding } from "./_findings_model.ts";
export type {
  IntegrityModel,
  IntegrityProblem,
  IntegrityState,
  ReportVerification,
} from "./_integrity_model.ts";

/** Everything the report shows. */
export interface ReportModel {
  sessions: SessionModel[];
  /** Numbers over all sessions (entities and tools counted once). */
  totals: SummaryNumbers;
  /** Tool names (display form), indexed by {@linkcode TimelineRow.n}. */
  tools: string[];
  /** Tool usage, most called first. */
  toolUsage: ToolUsage[];
  /** Per label totals, READ, SENSITIVE, WRITE first. */
  labels: LabelTotal[];
  /** All entities in first-seen order, indexed by {@linkcode RowEntity}. */
  entities: EntityAccess[];
  /** Timeline rows in time order. */
  rows: TimelineRow[];
  /** Events read. */
  eventCount: number;
  /** Errors counted from the events: JSON-RPC error replies and tool results with `isError`. */
  errorKinds: ErrorKinds;
  /** Plugins that threw or timed out, most failures first. */
  pluginFailures: PluginFailure[];
  /** Whether the log can be trusted: the verifier's verdict. */
  integrity: IntegrityModel;
  /** What the built-in finding rules found, most severe first. */
  findings: ReportFinding[];
  /** Tool definitions that differ from their pins (`tool_change` events), shown at the top. */
  toolChanges: ToolChangeModel[];
  /** Guard decisions that blocked a request, or would have in monitor mode. */
  denials: number;
  /**
   * MCP calls seen by both an agent's hook and the proxy
   * (lib/audit/mcp_link.ts): each is one row and one call, the proxy's,
   * marked with the hook's events.
   */
  seenByBoth: number;
}

/** One `tool_change` event, for the report's top. */
export interface ToolChangeModel {
  /** Session index. */
  session: number;
  /** The event's seq. */
  seq: number;
  /** The server identity. */
  server: string;
  /** Tools added, removed, and changed (with their diffs). */
  added: string[];
  removed: string[];
  changed: { tool: string; diff: string }[];
  /** Whether the changed tools were hidden and denied. */
  enforced: boolean;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/** The `tool_change` events and the count of denials, for the top of the report. */
function guardModel(
  read: readonly {
    kind: string;
    seq: number;
    session: string;
    fields: Record<string, unknown>;
  }[],
  indexOf: ReadonlyMap<string, number>,
): { toolChanges: ToolChangeModel[]; denials: number } {
  const toolChanges: ToolChangeModel[] = [];
  let denials = 0;
  for (const e of read) {
    const f = e.fields;
    if (e.kind === "decision") {
      if (
        f.outcome === "blocked" ||
        (f.mode === "monitor" && (f.action === "deny" || f.action === "hide"))
      ) denials++;
    } else if (e.kind === "tool_change") {
      toolChanges.push({
        session: indexOf.get(e.session) ?? 0,
        seq: e.seq,
        server: String(f.server ?? ""),
        added: strings(f.added),
        removed: strings(f.removed),
        changed: (Array.isArray(f.changed) ? f.changed : []).map((c) => ({
          tool: String(c?.tool ?? ""),
          diff: String(c?.diff ?? ""),
        })),
        enforced: f.enforced === true,
      });
    }
  }
  return { toolChanges, denials };
}

/**
 * Derives the report model from events (schema-valid or not: anything that
 * is not an object with a `kind` and `session` is ignored) and, when given,
 * what the verifier said about the log they were read from.
 *
 * @example
 * ```ts
 * import { buildReportModel } from "./model.ts";
 * import assert from "node:assert/strict";
 *
 * const model = buildReportModel([
 *   { v: 1, seq: 0, ts: "2025-01-01T00:00:00Z", session: "s", kind: "request", dir: "c2s",
 *     bytes: 10, id: 1, method: "tools/call", tool: "get", params: { name: "get" },
 *     entities: [{ type: "email", value: "a@b.c", path: "arguments.to", source: "x" }] },
 *   { v: 1, seq: 1, ts: "2025-01-01T00:00:01Z", session: "s", kind: "response", dir: "s2c",
 *     bytes: 10, id: 1, tool: "get", requestSeq: 0, durationMs: 1000, result: {} },
 * ]);
 * assert.equal(model.rows.length, 1);
 * assert.equal(model.totals.toolCalls, 1);
 * assert.deepEqual(model.entities[0].tools, [{ name: "get", calls: 1 }]);
 * assert.equal(model.integrity.state, "not_verified");
 * ```
 */
export function buildReportModel(
  events: readonly unknown[],
  verification?: ReportVerification,
  findingRules?: readonly FindingRule[],
): ReportModel {
  const { integrity, flagged } = buildIntegrity(verification);
  // The flags are by event index; the builders see the events they keep.
  const flags = new Map<unknown, string[]>();
  for (const [i, problems] of flagged) flags.set(events[i], problems);
  const read = readLooseEvents(events);
  const links = linkMcpCalls(events);
  const { sessions, totals, indexOf } = buildSessions(read, links);
  // Before the timeline: what the rules build is garbage by then, and its
  // room is the timeline's (after it, the two would be in memory at once).
  const findings = buildFindings(events, indexOf, findingRules, links);
  const timeline = buildTimeline(read, indexOf, flags, links);
  const { toolUsage, labels } = buildToolUsage(timeline.tools, timeline.rows);
  return {
    sessions,
    totals,
    tools: timeline.tools.map((t) => t.name),
    toolUsage,
    labels,
    entities: buildAccessMap(timeline.entities, timeline.rows),
    rows: timeline.rows,
    eventCount: read.length,
    errorKinds: timeline.errorKinds,
    pluginFailures: countPluginFailures(read),
    integrity,
    findings,
    ...guardModel(read, indexOf),
    seenByBoth: links.size,
  };
}
