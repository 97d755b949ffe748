/**
 * The timeline rows: each request joined with its reply into one row, every
 * other event a row of its own, in the compact form embedded in the page.
 * While it reads the events it tallies tools and entities by the indices the
 * rows refer to them by; `buildToolUsage` and `buildAccessMap` finish those
 * tallies. An MCP call that an agent's hook saw and the proxy saw too
 * (lib/audit/mcp_link.ts) is the proxy's row, marked with the hook's events
 * (`hk`): the hook's request and answer add no row and no call of their own.
 *
 * @module
 */
import { clipString, clipValue, LIMITS } from "./_clip.ts";
import { type LooseEvent, num, type Rec, rec, str } from "./_loose_event.ts";
import { entityKey } from "./_sessions_model.ts";
import type { EntityTally } from "./_access_map_model.ts";
import type { ToolTally } from "./_tool_usage_model.ts";
import type { McpLinks } from "../lib/audit/mcp_link.ts";

/** A classification as `[label, source]`. */
export type RowClass = [label: string, source: string];
/** An entity on a row as `[entity index, path, source]`. */
export type RowEntity = [entity: number, path: string, source: string];

/**
 * One timeline row, in the compact form embedded in the page: a request with
 * its reply, or a single event. Keys are short because there may be 100,000.
 */
export interface TimelineRow {
  /** Session index. */
  s: number;
  /** Seq of the (first) event. */
  q: number;
  /** Time of the (first) event. */
  t: string;
  /** Event kind of the (first) event. */
  k: string;
  /** Direction, for messages. */
  d?: string;
  /** JSON-RPC method. */
  m?: string;
  /** Tool index, for `tools/call`. */
  n?: number;
  /** Call status: `ok`, `error` (JSON-RPC), `tool_error`, `pending`, `cancelled`. */
  st?: string;
  /** 1 when the row is an error of any kind (error reply, tool error, invalid line, gap, failure). */
  e?: 1;
  /** Duration in ms. */
  ms?: number;
  /** Seq of the reply joined to this request. */
  rq?: number;
  /** Classifications. */
  c?: RowClass[];
  /** Entities. */
  en?: RowEntity[];
  /** Request params, clipped. */
  p?: unknown;
  /** Result, clipped. */
  r?: unknown;
  /** JSON-RPC error, clipped. */
  er?: unknown;
  /** `errorType` of the reply: the JSON-RPC code, or `tool_error`. */
  et?: string;
  /** For other events: their own fields, clipped. */
  x?: unknown;
  /** Plugin failures (`pluginErrors` of the request and reply). */
  pe?: unknown;
  /** What the verifier found wrong on this row's lines (`file:line: kind: message`): tampered. */
  tv?: string[];
  /**
   * The rounds of a logical call of several requests (a 2026-07-28 retry
   * after `input_required`, or a task's `tasks/get` polls), in order: the
   * request's seq, its reply's seq, and the outcome (`input_required`,
   * `task`, a task status, `complete`, or the error's name or code).
   */
  rd?: [request: number, reply?: number, outcome?: string][];
  /**
   * The call was seen by an agent's hook too (`mcp__server__tool`): the
   * hook's session index, its request's seq and its answer's seq. Its
   * classes and entities are on this row.
   */
  hk?: [session: number, request: number, reply?: number];
}

/** Error replies and tool errors counted, and the error replies by kind. */
export interface ErrorKinds {
  /** JSON-RPC error replies. */
  rpc: number;
  /** Tool results with `isError`. */
  tool: number;
  /** JSON-RPC error replies by the name their revision gives the code (`HeaderMismatch`), else the code. */
  byKind?: Record<string, number>;
}

/** What {@linkcode buildTimeline} returns. */
export interface TimelineModel {
  /** Rows in time order. */
  rows: TimelineRow[];
  /** Tools by {@linkcode TimelineRow.n}, in first-seen order. */
  tools: ToolTally[];
  /** Entities by {@linkcode RowEntity} index, in first-seen order. */
  entities: EntityTally[];
  /** JSON-RPC error replies and tool results with `isError`. */
  errorKinds: ErrorKinds;
}

/** The state of one read of the events. */
interface Tables {
  rows: TimelineRow[];
  /** Time of each row's first event, by row index. */
  rowMs: number[];
  toolIndex: Map<string, number>;
  tools: ToolTally[];
  entityIndex: Map<string, number>;
  entities: EntityTally[];
  /** Session and seq of an unanswered request -> its row. */
  bySeq: Map<string, number>;
  /** Session, direction and id of a request -> its row. */
  byId: Map<string, number>;
  /** Session and seq of the first request of a logical call of several rounds -> its row. */
  byCall: Map<string, number>;
  /** Session and seq of a tools/call request -> its row, for a hook's events of the same call. */
  byRequest: Map<string, number>;
  errorKinds: ErrorKinds;
}

/**
 * Reads the events into timeline rows.
 *
 * @param events The events, in log order.
 * @param sessionIndex Session id -> session index, for every event's session.
 * @param flags Event object -> what the verifier found wrong on its line.
 * @param links The hook-seen MCP calls linked to the proxy's, among `events`.
 *
 * @example
 * ```ts
 * import { readLooseEvents } from "./_loose_event.ts";
 * import { buildTimeline } from "./_timeline_model.ts";
 * import assert from "node:assert/strict";
 *
 * const { rows, tools } = buildTimeline(readLooseEvents([
 *   { seq: 0, ts: "2025-01-01T00:00:00Z", session: "s", kind: "request", dir: "c2s",
 *     id: 1, method: "tools/call", tool: "get", params: { name: "get" } },
 *   { seq: 1, ts: "2025-01-01T00:00:01Z", session: "s", kind: "response", dir: "s2c",
 *     id: 1, requestSeq: 0, durationMs: 1000, result: {} },
 * ]), new Map([["s", 0]]));
 * assert.equal(rows.length, 1);
 * assert.equal(rows[0].st, "ok");
 * assert.equal(rows[0].rq, 1);
 * assert.deepEqual(tools.map((t) => [t.name, t.calls, t.totalMs]), [["get", 1, 1000]]);
 * ```
 */
export function buildTimeline(
  events: readonly LooseEvent[],
  sessionIndex: ReadonlyMap<string, number>,
  flags: ReadonlyMap<unknown, readonly string[]> = new Map(),
  links?: McpLinks,
): TimelineModel {
  const t: Tables = {
    rows: [],
    rowMs: [],
    toolIndex: new Map(),
    tools: [],
    entityIndex: new Map(),
    entities: [],
    bySeq: new Map(),
    byId: new Map(),
    byCall: new Map(),
    byRequest: new Map(),
    errorKinds: { rpc: 0, tool: 0, byKind: {} },
  };
  const hookSide: LooseEvent[] = [];
  for (const event of events) {
    if (links?.isHookSide(event.fields)) {
      hookSide.push(event);
      continue;
    }
    addEvent(t, event, sessionIndex, flags);
  }
  for (const event of hookSide) {
    const link = links?.ofHook(event.session, event.seq);
    const rowIndex = link &&
      t.byRequest.get(`${link.proxy.session}\u0000${link.proxy.seq}`);
    if (link === undefined || rowIndex === undefined) {
      addEvent(t, event, sessionIndex, flags);
      continue;
    }
    const row = t.rows[rowIndex];
    row.hk = [
      sessionIndex.get(link.hook.session) ?? 0,
      link.hook.seq,
      ...(link.hook.replySeq !== undefined ? [link.hook.replySeq] : []),
    ] as TimelineRow["hk"];
    annotate(t, rowIndex, event, flags);
  }
  return {
    rows: inTimeOrder(t.rows, t.rowMs, sessionIndex.size > 1),
    tools: t.tools,
    entities: t.entities,
    errorKinds: t.errorKinds,
  };
}

/** Puts one event on its row, or on a row of its own. */
function addEvent(
  t: Tables,
  event: LooseEvent,
  sessionIndex: ReadonlyMap<string, number>,
  flags: ReadonlyMap<unknown, readonly string[]>,
): void {
  const session = sessionIndex.get(event.session) ?? 0;
  const rowIndex = event.kind === "response" || event.kind === "error"
    ? joinReply(t, event, session)
    : joinRound(t, event) ?? addEventRow(t, event, session);
  annotate(t, rowIndex, event, flags);
}

/** Adds an event's classes, entities, plugin failures and tamper flags to a row. */
function annotate(
  t: Tables,
  rowIndex: number,
  event: LooseEvent,
  flags: ReadonlyMap<unknown, readonly string[]>,
): void {
  const row = t.rows[rowIndex];
  addClasses(row, event.fields.classes);
  addEntities(
    t,
    rowIndex,
    event.fields.entities,
    row.n !== undefined ? t.tools[row.n].name : row.m,
  );
  addPluginErrors(row, event.fields.pluginErrors);
  const problems = flags.get(event.fields);
  if (problems) (row.tv ??= []).push(...problems);
}

/** Puts a reply on its request's row (or a row of its own); returns the row's index. */
function joinReply(t: Tables, event: LooseEvent, session: number): number {
  const e = event.fields;
  const requestSeq = num(e.requestSeq);
  let target: number | undefined;
  let targetKey: string | undefined;
  if (requestSeq !== undefined) {
    targetKey = `${event.session}\u0000${requestSeq}`;
    target = t.bySeq.get(targetKey);
  }
  if (target === undefined && "id" in e) {
    // The request went the other way.
    const dir = event.dir === "s2c" ? "c2s" : "s2c";
    target = t.byId.get(
      `${event.session}\u0000${dir}\u0000${JSON.stringify(e.id)}`,
    );
  }
  const isError = event.kind === "error";
  const isToolError = event.kind === "response" && e.isError === true;
  let rowIndex: number;
  let row: TimelineRow;
  if (target === undefined) {
    rowIndex = pushRow(t, event, session);
    row = t.rows[rowIndex];
  } else {
    rowIndex = target;
    row = t.rows[target];
    t.bySeq.delete(targetKey ?? `${event.session}\u0000${row.q}`);
  }
  const interim = roundOf(t, event, rowIndex);
  row.rq = event.seq;
  const duration = num(e.durationMs);
  if (duration !== undefined) row.ms = duration;
  row.st = isError
    ? "error"
    : isToolError
    ? "tool_error"
    : e.cancelled === true
    ? "cancelled"
    : interim
    ? "pending"
    : "ok";
  if (row.rd !== undefined && !interim && Number.isFinite(event.ms)) {
    // The logical call lasted from its first request to its last reply.
    row.ms = event.ms - t.rowMs[rowIndex];
  }
  if (isError || isToolError) row.e = 1;
  if (isError) {
    t.errorKinds.rpc++;
    const kind = str(e.errorName) ?? str(e.errorType) ??
      String(num(rec(e.error)?.code) ?? "?");
    const byKind = t.errorKinds.byKind ??= {};
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  } else if (isToolError) t.errorKinds.tool++;
  const errorType = str(e.errorType);
  if (errorType !== undefined) row.et = clipString(errorType, 80);
  else if (isToolError) row.et = "tool_error";
  else if (isError) {
    const code = num(rec(e.error)?.code);
    if (code !== undefined) row.et = String(code);
  }
  if (isError) row.er = clipValue(e.error);
  else row.r = clipValue(e.result);
  if (row.n === undefined && event.tool !== undefined) {
    row.n = toolFor(t, event.tool);
  }
  if (row.n !== undefined) {
    const tally = t.tools[row.n];
    if (isError || isToolError) tally.errors++;
    if (row.ms !== undefined && !interim) {
      tally.totalMs += row.ms;
      tally.timed++;
    }
  }
  return rowIndex;
}

/**
 * Puts a request that continues a logical call (its `call` names the first
 * request) on that call's row, as a new round; returns the row's index, or
 * `undefined` when the event is not such a request or the row is unknown.
 */
function joinRound(t: Tables, event: LooseEvent): number | undefined {
  if (event.kind !== "request") return undefined;
  const first = num(rec(event.fields.call)?.seq);
  if (first === undefined) return undefined;
  const rowIndex = t.byCall.get(`${event.session}\u0000${first}`);
  if (rowIndex === undefined) return undefined;
  const row = t.rows[rowIndex];
  (row.rd ??= [[row.q, row.rq]]).push([event.seq]);
  row.st = "pending";
  t.bySeq.set(`${event.session}\u0000${event.seq}`, rowIndex);
  t.byId.set(
    `${event.session}\u0000${event.dir}\u0000${
      JSON.stringify(event.fields.id)
    }`,
    rowIndex,
  );
  return rowIndex;
}

/**
 * Records a reply's round on a logical call's row; whether the reply is an
 * interim one (`input_required`, a new task, a task still working), after
 * which the call goes on.
 */
function roundOf(t: Tables, event: LooseEvent, rowIndex: number): boolean {
  const e = event.fields;
  const row = t.rows[rowIndex];
  const first = num(rec(e.call)?.seq);
  if (first === undefined) return false;
  if (first === row.q) t.byCall.set(`${event.session}\u0000${first}`, rowIndex);
  const outcome = event.kind === "error"
    ? str(e.errorName) ?? str(e.errorType)
    : str(e.taskStatus) ?? str(e.resultType) ?? "complete";
  const last = row.rd?.at(-1);
  if (last !== undefined) {
    last[1] = event.seq;
    if (outcome !== undefined) last[2] = clipString(outcome, 40);
  } else if (outcome !== undefined) {
    row.rd = [[row.q, event.seq, clipString(outcome, 40)]];
  }
  return event.kind === "response" &&
    (e.resultType === "input_required" || e.resultType === "task" ||
      e.taskStatus === "working" || e.taskStatus === "input_required");
}

/** Adds the row of an event that is not a reply; returns its index. */
function addEventRow(t: Tables, event: LooseEvent, session: number): number {
  const e = event.fields;
  const index = pushRow(t, event, session);
  const row = t.rows[index];
  switch (event.kind) {
    case "request": {
      row.st = "pending";
      row.p = clipValue(e.params);
      if (event.method === "tools/call") {
        const name = event.tool ?? str(rec(e.params)?.name) ?? "(unnamed)";
        row.n = toolFor(t, name);
        const tally = t.tools[row.n];
        tally.calls++;
        if (!tally.sessions.includes(session)) tally.sessions.push(session);
        t.byRequest.set(`${event.session}\u0000${event.seq}`, index);
      }
      t.bySeq.set(`${event.session}\u0000${event.seq}`, index);
      t.byId.set(
        `${event.session}\u0000${event.dir}\u0000${JSON.stringify(e.id)}`,
        index,
      );
      break;
    }
    case "notification":
      row.p = clipValue(e.params);
      break;
    case "session_end":
      if (str(e.failure) || e.reason === "proxy_error") row.e = 1;
      row.x = clipValue(rest(e));
      break;
    case "gap":
    case "invalid":
      row.e = 1;
      row.x = clipValue(rest(e));
      break;
    default:
      row.x = clipValue(rest(e));
  }
  return index;
}

function pushRow(t: Tables, event: LooseEvent, session: number): number {
  t.rows.push(newRow(session, event));
  t.rowMs.push(event.ms);
  return t.rows.length - 1;
}

/**
 * A row with every field present (undefined ones are left out of the JSON),
 * so all rows share one shape: faster to build and to serialise.
 */
function newRow(s: number, event: LooseEvent): TimelineRow {
  return {
    s,
    q: event.seq,
    t: event.ts,
    k: event.kind,
    d: event.dir,
    m: event.method === undefined
      ? undefined
      : clipString(event.method, LIMITS.name),
    n: undefined,
    st: undefined,
    e: undefined,
    ms: undefined,
    rq: undefined,
    c: undefined,
    en: undefined,
    p: undefined,
    r: undefined,
    er: undefined,
    et: undefined,
    x: undefined,
    pe: undefined,
    tv: undefined,
    rd: undefined,
    hk: undefined,
  };
}

const BASE_FIELDS = new Set(["v", "seq", "ts", "session", "kind"]);

/** An event's own fields, without those every event has. */
function rest(event: Rec): Rec {
  const out: Rec = {};
  for (const key of Object.keys(event)) {
    if (!BASE_FIELDS.has(key)) out[key] = event[key];
  }
  return out;
}

function toolFor(t: Tables, name: string): number {
  let i = t.toolIndex.get(name);
  if (i === undefined) {
    i = t.tools.length;
    t.toolIndex.set(name, i);
    t.tools.push({
      name: clipString(name, LIMITS.name),
      calls: 0,
      errors: 0,
      totalMs: 0,
      timed: 0,
      sessions: [],
    });
  }
  return i;
}

function addClasses(row: TimelineRow, value: unknown): void {
  if (!Array.isArray(value)) return;
  for (const c of value) {
    const label = str(rec(c)?.label);
    if (label === undefined) continue;
    const source = clipString(str(rec(c)?.source) ?? "", LIMITS.name);
    const shown = clipString(label, LIMITS.name);
    row.c ??= [];
    if (!row.c.some(([l, s]) => l === shown && s === source)) {
      row.c.push([shown, source]);
    }
  }
}

function addEntities(
  t: Tables,
  rowIndex: number,
  value: unknown,
  fallbackTool: string | undefined,
): void {
  if (!Array.isArray(value)) return;
  const row = t.rows[rowIndex];
  for (const item of value) {
    const e = rec(item);
    const type = str(e?.type);
    const val = str(e?.value);
    if (e === undefined || type === undefined || val === undefined) continue;
    const key = entityKey(type, val);
    let index = t.entityIndex.get(key);
    if (index === undefined) {
      index = t.entities.length;
      t.entityIndex.set(key, index);
      t.entities.push({
        type: clipString(type, LIMITS.name),
        value: clipString(val, LIMITS.entityValue),
        paths: new Set(),
        tools: new Map(),
      });
    }
    const entity = t.entities[index];
    const path = clipString(str(e.path) ?? "", LIMITS.name);
    const source = clipString(str(e.source) ?? "", LIMITS.name);
    entity.paths.add(path);
    const tool = str(e.tool) ?? fallbackTool;
    if (tool !== undefined) {
      const shown = clipString(tool, LIMITS.name);
      let rows = entity.tools.get(shown);
      if (!rows) entity.tools.set(shown, rows = new Set());
      rows.add(rowIndex);
    }
    row.en ??= [];
    if (!row.en.some(([i, p]) => i === index && p === path)) {
      row.en.push([index, path, source]);
    }
  }
}

/** A request's and its reply's plugin failures are shown together. */
function addPluginErrors(row: TimelineRow, value: unknown): void {
  if (value === undefined) return;
  const shown = clipValue(value);
  row.pe = row.pe === undefined ? shown : [
    ...(Array.isArray(row.pe) ? row.pe : [row.pe]),
    ...(Array.isArray(shown) ? shown : [shown]),
  ];
}

/** Several sessions interleave by time; within one, the log order stands. */
function inTimeOrder(
  rows: TimelineRow[],
  rowMs: readonly number[],
  interleave: boolean,
): TimelineRow[] {
  if (!interleave) return rows;
  // A row without a time sorts with the row before it.
  const keys: number[] = [];
  let last = -Infinity;
  for (const ms of rowMs) {
    if (!Number.isNaN(ms)) last = ms;
    keys.push(last);
  }
  return rows.map((_, i) => i)
    .sort((a, b) => keys[a] - keys[b] || a - b)
    .map((i) => rows[i]);
}
