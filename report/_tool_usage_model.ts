/**
 * Tool usage: per tool its calls, errors, time, labels and the entities it
 * touched, and per label the calls and tools that carried it. Counted from
 * the {@linkcode ToolTally}s the timeline keeps and from its rows.
 *
 * @module
 */
import { cmp, labelOrder } from "./_order.ts";
import type { TimelineRow } from "./_timeline_model.ts";

/** One label (READ, SENSITIVE, ...) on a tool and the plugins that gave it. */
export interface ToolLabel {
  label: string;
  /** Plugins (and rules) that gave the label. */
  sources: string[];
  /** Calls of the tool that carried the label. */
  calls: number;
}

/** How one tool was used. */
export interface ToolUsage {
  /** Index in {@linkcode ReportModel.tools}. */
  index: number;
  name: string;
  calls: number;
  errors: number;
  /** Sum of the durations of answered calls. */
  totalMs: number;
  /** Answered calls with a duration. */
  timed: number;
  labels: ToolLabel[];
  /** Indices of the entities the tool touched. */
  entities: number[];
  /** Session indices. */
  sessions: number[];
}

/** Totals over all sessions, per label. */
export interface LabelTotal {
  label: string;
  calls: number;
  tools: number;
}

/** What the timeline counts of one tool, event by event, as it reads the log. */
export interface ToolTally {
  /** The name as shown (clipped). */
  name: string;
  /** `tools/call` requests. */
  calls: number;
  /** Error replies and tool results with `isError`. */
  errors: number;
  /** Sum of the replies' durations. */
  totalMs: number;
  /** Replies with a duration. */
  timed: number;
  /** Sessions that called it, in first-call order. */
  sessions: number[];
}

/** What {@linkcode buildToolUsage} returns. */
export interface ToolUsageModel {
  /** Tool usage, most called first. */
  toolUsage: ToolUsage[];
  /** Per label totals, READ, SENSITIVE, WRITE first. */
  labels: LabelTotal[];
}

/**
 * Completes each tool's tally with the labels and entities of its rows.
 *
 * @param tallies The timeline's tallies, indexed by {@linkcode TimelineRow.n}.
 * @param rows The timeline rows, in the order shown.
 *
 * @example
 * ```ts
 * import { buildToolUsage } from "./_tool_usage_model.ts";
 * import assert from "node:assert/strict";
 *
 * const { toolUsage, labels } = buildToolUsage(
 *   [{ name: "get", calls: 1, errors: 0, totalMs: 5, timed: 1, sessions: [0] }],
 *   [{ s: 0, q: 0, t: "", k: "request", m: "tools/call", n: 0,
 *      c: [["READ", "a"], ["READ", "b"]], en: [[0, "arguments.id", "x"]] }],
 * );
 * assert.deepEqual(toolUsage[0].labels, [{ label: "READ", sources: ["a", "b"], calls: 1 }]);
 * assert.deepEqual(toolUsage[0].entities, [0]);
 * assert.deepEqual(labels, [{ label: "READ", calls: 1, tools: 1 }]);
 * ```
 */
export function buildToolUsage(
  tallies: readonly ToolTally[],
  rows: readonly TimelineRow[],
): ToolUsageModel {
  const labelsOf = tallies.map(() =>
    new Map<string, { sources: Set<string>; calls: number }>()
  );
  const entitiesOf = tallies.map(() => new Set<number>());
  for (const row of rows) {
    if (row.n === undefined) continue;
    if (row.m === "tools/call") {
      const map = labelsOf[row.n];
      for (const [label, source] of row.c ?? []) {
        let l = map.get(label);
        if (!l) map.set(label, l = { sources: new Set(), calls: 0 });
        l.sources.add(source);
      }
      for (const label of new Set((row.c ?? []).map(([l]) => l))) {
        map.get(label)!.calls++;
      }
    }
    for (const [index] of row.en ?? []) entitiesOf[row.n].add(index);
  }
  const usage: ToolUsage[] = tallies.map((t, index) => ({
    index,
    name: t.name,
    calls: t.calls,
    errors: t.errors,
    totalMs: t.totalMs,
    timed: t.timed,
    labels: [...labelsOf[index]].map(([label, l]) => ({
      label,
      sources: [...l.sources].sort(),
      calls: l.calls,
    })).sort((a, b) => labelOrder(a.label, b.label)),
    entities: [...entitiesOf[index]],
    sessions: t.sessions,
  }));
  return {
    toolUsage: [...usage].sort((a, b) =>
      b.calls - a.calls || cmp(a.name, b.name)
    ),
    labels: labelTotals(usage),
  };
}

function labelTotals(usage: readonly ToolUsage[]): LabelTotal[] {
  const totals = new Map<string, LabelTotal>();
  for (const u of usage) {
    for (const l of u.labels) {
      const t = totals.get(l.label) ?? { label: l.label, calls: 0, tools: 0 };
      t.calls += l.calls;
      t.tools++;
      totals.set(l.label, t);
    }
  }
  return [...totals.values()].sort((a, b) => labelOrder(a.label, b.label));
}
