/**
 * The data access map: each entity with the tools, rows and sessions that
 * touched it and where in the messages it was found. Built from the
 * {@linkcode EntityTally}s the timeline keeps and from its rows.
 *
 * @module
 */
import { cmp } from "./_order.ts";
import type { TimelineRow } from "./_timeline_model.ts";

/** One data entity and everything that touched it. */
export interface EntityAccess {
  /** Index in {@linkcode ReportModel.entities}. */
  index: number;
  type: string;
  value: string;
  /** Tool (or method) -> calls that touched the entity. */
  tools: { name: string; calls: number }[];
  /** Timeline rows that touched it. */
  rows: number[];
  /** Session indices. */
  sessions: number[];
  /** Where it was found (`arguments.employee_id`, ...). */
  paths: string[];
  /**
   * The parts of messages it was found in, from the paths' first segment:
   * `arguments` (the agent sent it), `result` (the server returned it),
   * `params`, `error`, ...
   */
  found: string[];
}

/** What the timeline records of one entity as it reads the log. */
export interface EntityTally {
  /** The type as shown (clipped). */
  type: string;
  /** The value as shown (clipped). */
  value: string;
  /** Paths it was found at, first seen first. */
  paths: Set<string>;
  /** Tool (or method) -> the rows, in any numbering, where it touched the entity. */
  tools: Map<string, Set<number>>;
}

/** Paths most listed per entity. */
const MAX_PATHS = 20;

/** Message parts in the order `found` lists them; others follow, alphabetically. */
const FOUND_ORDER = ["arguments", "params", "result", "error"];

/**
 * Lists each entity with what touched it.
 *
 * @param tallies The timeline's tallies, indexed by {@linkcode RowEntity}.
 * @param rows The timeline rows, in the order shown.
 *
 * @example
 * ```ts
 * import { buildAccessMap } from "./_access_map_model.ts";
 * import assert from "node:assert/strict";
 *
 * const [entity] = buildAccessMap(
 *   [{ type: "employee", value: "E1",
 *      paths: new Set(["result.content[0].text", "arguments.id"]),
 *      tools: new Map([["get", new Set([0, 1])]]) }],
 *   [{ s: 0, q: 0, t: "", k: "request", en: [[0, "arguments.id", "x"]] },
 *    { s: 1, q: 0, t: "", k: "request", en: [[0, "arguments.id", "x"]] }],
 * );
 * assert.deepEqual(entity.tools, [{ name: "get", calls: 2 }]);
 * assert.deepEqual(entity.rows, [0, 1]);
 * assert.deepEqual(entity.sessions, [0, 1]);
 * assert.deepEqual(entity.found, ["arguments", "result"]);
 * ```
 */
export function buildAccessMap(
  tallies: readonly EntityTally[],
  rows: readonly TimelineRow[],
): EntityAccess[] {
  const entities: EntityAccess[] = tallies.map((t, index) => ({
    index,
    type: t.type,
    value: t.value,
    tools: [...t.tools].map(([name, set]) => ({ name, calls: set.size }))
      .sort((a, b) => b.calls - a.calls || cmp(a.name, b.name)),
    rows: [],
    sessions: [],
    paths: [...t.paths].slice(0, MAX_PATHS),
    found: [
      ...new Set([...t.paths].map((p) => p.match(/^[^.[]*/)?.[0] || "?")),
    ].sort((a, b) => foundRank(a) - foundRank(b) || cmp(a, b)),
  }));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (const [index] of row.en ?? []) {
      const e = entities[index];
      if (e.rows[e.rows.length - 1] !== r) e.rows.push(r);
      if (!e.sessions.includes(row.s)) e.sessions.push(row.s);
    }
  }
  return entities;
}

function foundRank(root: string): number {
  const i = FOUND_ORDER.indexOf(root);
  return i === -1 ? FOUND_ORDER.length : i;
}
