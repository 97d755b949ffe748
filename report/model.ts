/**
 * The report model: what the HTML report shows, derived from audit events.
 * Sessions with their summaries, tool calls joined request with reply, tool
 * usage, and the data access map (entity -> tools and calls, and back). Each
 * part has its builder in a file of its own; this module composes them.
 * Events are read loosely, so any log that parses renders.
 *
 * @module
 */
import { readLooseEvents } from "./_loose_event.ts";
import {
  buildSessions,
  type SessionModel,
  type SummaryNumbers,
} from "./_sessions_model.ts";
import { buildTimeline, type TimelineRow } from "./_timeline_model.ts";
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

export type { Peer, SessionModel, SummaryNumbers } from "./_sessions_model.ts";
export type { RowClass, RowEntity, TimelineRow } from "./_timeline_model.ts";
export type { LabelTotal, ToolLabel, ToolUsage } from "./_tool_usage_model.ts";
export type { EntityAccess } from "./_access_map_model.ts";
export type { PluginFailure } from "./_plugin_failures_model.ts";

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
  errorKinds: { rpc: number; tool: number };
  /** Plugins that threw or timed out, most failures first. */
  pluginFailures: PluginFailure[];
}

/**
 * Derives the report model from events (schema-valid or not: anything that
 * is not an object with a `kind` and `session` is ignored).
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
 * ```
 */
export function buildReportModel(events: readonly unknown[]): ReportModel {
  const read = readLooseEvents(events);
  const { sessions, totals, indexOf } = buildSessions(read);
  const timeline = buildTimeline(read, indexOf);
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
  };
}
