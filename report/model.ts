/**
 * The report model: what the HTML report shows, derived from audit events in
 * one pass. Sessions with their summaries, tool calls joined request with
 * reply, tool usage, and the data access map (entity -> tools and calls, and
 * back). Events are read loosely, so any log that parses renders.
 *
 * @module
 */

/** A client or server identity as shown in the report. */
export interface Peer {
  name: string;
  version?: string;
}

/** The headline numbers of a session (or of the whole report). */
export interface SummaryNumbers {
  /** `tools/call` requests. */
  toolCalls: number;
  /** Distinct tools called. */
  toolsUsed: number;
  /** Distinct entities (type and value) touched. */
  uniqueEntities: number;
  /** JSON-RPC error responses plus tool results with `isError`. */
  errors: number;
  /** Session duration; absent when it cannot be known. */
  durationMs?: number;
  /** Events in the log for this session. */
  events: number;
}

/** One session of the report. */
export interface SessionModel {
  /** Position in the report, from 0. */
  index: number;
  /** The session id. */
  id: string;
  /** Short label, `S1`, `S2`, ... */
  label: string;
  client?: Peer;
  server?: Peer;
  protocolVersion?: string;
  /** The server command line. */
  command?: string[];
  /** Time of the first event. */
  start?: string;
  /** Time of the last event. */
  end?: string;
  /** `session_end.reason`, when the session ended cleanly. */
  endReason?: string;
  /** `session_end.failure`. */
  failure?: string;
  /** The numbers shown: from `session_end.summary` when present, else counted. */
  numbers: SummaryNumbers;
  /** The numbers came from `session_end.summary`. */
  fromSummary: boolean;
  /** Where the recorded summary and the events in the log disagree. */
  mismatches: string[];
  /** Events the proxy could not write (from `gap` events). */
  lost: number;
  /** Requests left unanswered at the end. */
  pending: number;
  /** Tool name -> calls. */
  tools: Map<string, number>;
  /** Entity keys touched. */
  entityKeys: Set<string>;
}

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
}

/** A plugin that failed on some events, so their enrichment may be incomplete. */
export interface PluginFailure {
  /** The plugin's name, as in the event's `pluginErrors`. */
  plugin: string;
  /** Events it failed on. */
  events: number;
  /** The first error message. */
  error: string;
}

/** Totals over all sessions, per label. */
export interface LabelTotal {
  label: string;
  calls: number;
  tools: number;
}

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

/** Limits applied to log strings before they reach the page. */
export const LIMITS = {
  /** Longest string kept in an expanded payload. */
  payloadString: 2000,
  /** Most array items or object keys kept per level. */
  payloadItems: 100,
  /** Deepest nesting kept. */
  payloadDepth: 12,
  /** Characters kept per row payload in total. */
  payloadBudget: 40_000,
  /** Longest tool name or method shown. */
  name: 200,
  /** Longest entity value shown. */
  entityValue: 300,
} as const;

/** Labels in the order shown; custom labels follow, alphabetically. */
const KNOWN_LABELS = [
  "READ",
  "SENSITIVE",
  "WRITE",
  "DESTRUCTIVE",
  "OPEN_WORLD",
];

type Rec = Record<string, unknown>;

function rec(value: unknown): Rec | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Rec
    : undefined;
}
function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value)
    ? value
    : undefined;
}
function peer(value: unknown): Peer | undefined {
  const r = rec(value);
  const name = str(r?.name);
  if (name === undefined) return undefined;
  const version = str(r?.version);
  return {
    name: clipString(name, LIMITS.name),
    ...(version ? { version: clipString(version, LIMITS.name) } : {}),
  };
}

/**
 * Cuts a string to `max` characters, saying how long it was.
 *
 * @example
 * ```ts
 * import { clipString } from "./model.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(clipString("abcdef", 3), "abc… [6 chars in total]");
 * ```
 */
export function clipString(value: string, max: number): string {
  return value.length <= max
    ? value
    : `${value.slice(0, max)}… [${
      value.length.toLocaleString("en-US")
    } chars in total]`;
}

/**
 * Bounds a JSON value for display: long strings, long arrays and objects,
 * deep nesting and the total size are clipped, each with a note of what was
 * left out. Truncated payload markers are kept as they are.
 *
 * @example
 * ```ts
 * import { clipValue } from "./model.ts";
 * import assert from "node:assert/strict";
 *
 * const clipped = clipValue({ s: "x".repeat(5000) }) as { s: string };
 * assert.ok(clipped.s.length < 2100);
 * assert.match(clipped.s, /5,000 chars in total/);
 * ```
 */
export function clipValue(value: unknown): unknown {
  const budget = { left: LIMITS.payloadBudget };
  return clip(value, 0, budget);
}

/** Returns `value` itself when nothing needed clipping, so payloads are not copied. */
function clip(
  value: unknown,
  depth: number,
  budget: { left: number },
): unknown {
  if (typeof value === "string") {
    const max = Math.max(40, Math.min(LIMITS.payloadString, budget.left));
    const out = value.length <= max ? value : clipString(value, max);
    budget.left -= out.length;
    return out;
  }
  if (typeof value !== "object" || value === null) return value;
  if (depth >= LIMITS.payloadDepth) return "… [nested too deep]";
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      if (i >= LIMITS.payloadItems || budget.left <= 0) {
        out ??= value.slice(0, i);
        out.push(`… [${value.length - i} more items]`);
        break;
      }
      const item = clip(value[i], depth + 1, budget);
      if (out) out.push(item);
      else if (item !== value[i]) {
        out = value.slice(0, i);
        out.push(item);
      }
    }
    return out ?? value;
  }
  const source = value as Rec;
  let out: Rec | undefined;
  const keys = Object.keys(source);
  const copyUpTo = (end: number): Rec => {
    const o: Rec = {};
    for (let k = 0; k < end; k++) o[keys[k]] = source[keys[k]];
    return o;
  };
  for (let i = 0; i < keys.length; i++) {
    if (i >= LIMITS.payloadItems || budget.left <= 0) {
      out ??= copyUpTo(i);
      out["…"] = `${keys.length - i} more keys`;
      break;
    }
    const key = keys[i].length > 200 ? clipString(keys[i], 200) : keys[i];
    budget.left -= key.length;
    const item = clip(source[keys[i]], depth + 1, budget);
    if (out) out[key] = item;
    else if (item !== source[keys[i]] || key !== keys[i]) {
      out = copyUpTo(i);
      out[key] = item;
    }
  }
  return out ?? value;
}

const BASE_FIELDS = new Set(["v", "seq", "ts", "session", "kind"]);

function rest(event: Rec, omit: string[] = []): Rec {
  const out: Rec = {};
  for (const key of Object.keys(event)) {
    if (!BASE_FIELDS.has(key) && !omit.includes(key)) out[key] = event[key];
  }
  return out;
}

interface Building {
  session: SessionModel;
  firstMs?: number;
  lastMs?: number;
  toolCalls: number;
  errors: number;
  summary?: Rec;
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
  const building = new Map<string, Building>();
  const sessions: SessionModel[] = [];
  const toolIndex = new Map<string, number>();
  const tools: string[] = [];
  const usage: ToolUsage[] = [];
  const usageLabels: Map<string, { sources: Set<string>; calls: number }>[] =
    [];
  const usageEntities: Set<number>[] = [];
  const entityIndex = new Map<string, number>();
  const entities: EntityAccess[] = [];
  const entityTools: Map<string, Set<number>>[] = [];
  const entityPaths: Set<string>[] = [];
  const rows: TimelineRow[] = [];
  const rowMs: number[] = [];
  const bySeq = new Map<string, number>();
  const byId = new Map<string, number>();
  const errorKinds = { rpc: 0, tool: 0 };
  const failures = new Map<string, PluginFailure>();
  let eventCount = 0;

  const sessionFor = (id: string): Building => {
    let b = building.get(id);
    if (!b) {
      const index = sessions.length;
      const session: SessionModel = {
        index,
        id,
        label: `S${index + 1}`,
        numbers: {
          toolCalls: 0,
          toolsUsed: 0,
          uniqueEntities: 0,
          errors: 0,
          events: 0,
        },
        fromSummary: false,
        mismatches: [],
        lost: 0,
        pending: 0,
        tools: new Map(),
        entityKeys: new Set(),
      };
      sessions.push(session);
      b = { session, toolCalls: 0, errors: 0 };
      building.set(id, b);
    }
    return b;
  };
  const toolFor = (name: string): number => {
    let i = toolIndex.get(name);
    if (i === undefined) {
      i = tools.length;
      toolIndex.set(name, i);
      tools.push(clipString(name, LIMITS.name));
      usage.push({
        index: i,
        name: tools[i],
        calls: 0,
        errors: 0,
        totalMs: 0,
        timed: 0,
        labels: [],
        entities: [],
        sessions: [],
      });
      usageLabels.push(new Map());
      usageEntities.push(new Set());
    }
    return i;
  };
  const addClasses = (row: TimelineRow, value: unknown): void => {
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
  };
  const addEntities = (
    row: TimelineRow,
    rowIndex: number,
    b: Building,
    value: unknown,
    fallbackTool: string | undefined,
  ): void => {
    if (!Array.isArray(value)) return;
    for (const item of value) {
      const e = rec(item);
      const type = str(e?.type);
      const val = str(e?.value);
      if (e === undefined || type === undefined || val === undefined) continue;
      const key = `${type}\u0000${val}`;
      let index = entityIndex.get(key);
      if (index === undefined) {
        index = entities.length;
        entityIndex.set(key, index);
        entities.push({
          index,
          type: clipString(type, LIMITS.name),
          value: clipString(val, LIMITS.entityValue),
          tools: [],
          rows: [],
          sessions: [],
          paths: [],
          found: [],
        });
        entityTools.push(new Map());
        entityPaths.push(new Set());
      }
      b.session.entityKeys.add(key);
      const path = clipString(str(e.path) ?? "", LIMITS.name);
      const source = clipString(str(e.source) ?? "", LIMITS.name);
      entityPaths[index].add(path);
      const tool = str(e.tool) ?? fallbackTool;
      if (tool !== undefined) {
        const shown = clipString(tool, LIMITS.name);
        let set = entityTools[index].get(shown);
        if (!set) entityTools[index].set(shown, set = new Set());
        set.add(rowIndex);
      }
      row.en ??= [];
      if (!row.en.some(([i, p]) => i === index && p === path)) {
        row.en.push([index, path, source]);
      }
    }
  };

  const addPluginErrors = (row: TimelineRow, value: unknown): void => {
    if (value === undefined) return;
    const list = Array.isArray(value) ? value : [value];
    const seen = new Set<string>();
    for (const item of list) {
      const plugin = clipString(str(rec(item)?.plugin) ?? "?", LIMITS.name);
      if (seen.has(plugin)) continue;
      seen.add(plugin);
      const f = failures.get(plugin) ??
        {
          plugin,
          events: 0,
          error: clipString(str(rec(item)?.error) ?? "", 500),
        };
      f.events++;
      failures.set(plugin, f);
    }
    // A request's and its reply's failures are shown together.
    const shown = clipValue(value);
    row.pe = row.pe === undefined ? shown : [
      ...(Array.isArray(row.pe) ? row.pe : [row.pe]),
      ...(Array.isArray(shown) ? shown : [shown]),
    ];
  };

  for (const raw of events) {
    const event = rec(raw);
    const kind = str(event?.kind);
    const sessionId = str(event?.session);
    if (event === undefined || kind === undefined || sessionId === undefined) {
      continue;
    }
    eventCount++;
    const b = sessionFor(sessionId);
    const session = b.session;
    session.numbers.events++;
    const seq = num(event.seq) ?? -1;
    const ts = str(event.ts) ?? "";
    const ms = Date.parse(ts);
    if (!Number.isNaN(ms)) {
      if (b.firstMs === undefined || ms < b.firstMs) {
        b.firstMs = ms;
        session.start = ts;
      }
      if (b.lastMs === undefined || ms >= b.lastMs) {
        b.lastMs = ms;
        session.end = ts;
      }
    }
    const dir = str(event.dir);
    const method = str(event.method);
    const tool = str(event.tool);

    if (kind === "response" || kind === "error") {
      const requestSeq = num(event.requestSeq);
      let target: number | undefined;
      if (requestSeq !== undefined) {
        target = bySeq.get(`${sessionId}\u0000${requestSeq}`);
      }
      if (target === undefined && "id" in event) {
        target = byId.get(
          `${sessionId}\u0000${dir === "s2c" ? "c2s" : "s2c"}\u0000${
            JSON.stringify(event.id)
          }`,
        );
      }
      const isToolError = kind === "response" && event.isError === true;
      if (kind === "error" || isToolError) b.errors++;
      const rowIndex = target ?? rows.length;
      const row = target !== undefined
        ? rows[target]
        : newRow(session.index, seq, ts, kind, dir, method);
      if (target === undefined) {
        rows.push(row);
        rowMs.push(ms);
      } else {
        bySeq.delete(`${sessionId}\u0000${row.q}`);
      }
      row.rq = seq;
      const duration = num(event.durationMs);
      if (duration !== undefined) row.ms = duration;
      row.st = kind === "error"
        ? "error"
        : isToolError
        ? "tool_error"
        : event.cancelled === true
        ? "cancelled"
        : "ok";
      if (kind === "error" || isToolError) row.e = 1;
      if (kind === "error") errorKinds.rpc++;
      else if (isToolError) errorKinds.tool++;
      const errorType = str(event.errorType);
      if (errorType !== undefined) row.et = clipString(errorType, 80);
      else if (isToolError) row.et = "tool_error";
      else if (kind === "error") {
        const code = num(rec(event.error)?.code);
        if (code !== undefined) row.et = String(code);
      }
      if (kind === "error") row.er = clipValue(event.error);
      else row.r = clipValue(event.result);
      if (row.n === undefined && tool !== undefined) row.n = toolFor(tool);
      if (row.n !== undefined) {
        const u = usage[row.n];
        if (kind === "error" || isToolError) u.errors++;
        if (duration !== undefined) {
          u.totalMs += duration;
          u.timed++;
        }
      }
      addClasses(row, event.classes);
      addEntities(
        row,
        rowIndex,
        b,
        event.entities,
        row.n !== undefined ? tools[row.n] : row.m,
      );
      addPluginErrors(row, event.pluginErrors);
      continue;
    }

    const row = newRow(session.index, seq, ts, kind, dir, method);
    const index = rows.length;
    rows.push(row);
    rowMs.push(ms);
    switch (kind) {
      case "request": {
        row.st = "pending";
        row.p = clipValue(event.params);
        if (method === "tools/call") {
          const name = tool ?? str(rec(event.params)?.name) ?? "(unnamed)";
          row.n = toolFor(name);
          b.toolCalls++;
          session.tools.set(name, (session.tools.get(name) ?? 0) + 1);
          const u = usage[row.n];
          u.calls++;
          if (!u.sessions.includes(session.index)) {
            u.sessions.push(session.index);
          }
        }
        bySeq.set(`${sessionId}\u0000${seq}`, index);
        byId.set(
          `${sessionId}\u0000${dir}\u0000${JSON.stringify(event.id)}`,
          index,
        );
        break;
      }
      case "notification":
        row.p = clipValue(event.params);
        break;
      case "handshake":
        session.client = peer(event.client) ?? session.client;
        session.server = peer(event.server) ?? session.server;
        session.protocolVersion = str(event.protocolVersion) ??
          session.protocolVersion;
        row.x = clipValue(rest(event));
        break;
      case "session_start":
        if (Array.isArray(event.command)) {
          session.command = event.command.map((c) =>
            clipString(String(c), LIMITS.name)
          );
        }
        row.x = clipValue(rest(event));
        break;
      case "session_end": {
        session.endReason = str(event.reason);
        const failure = str(event.failure);
        if (failure) session.failure = clipString(failure, 2000);
        session.client ??= peer(event.client);
        session.server ??= peer(event.server);
        session.protocolVersion ??= str(event.protocolVersion);
        if (Array.isArray(event.pending)) {
          session.pending = event.pending.length;
        }
        b.summary = rec(event.summary);
        if (failure || event.reason === "proxy_error") row.e = 1;
        row.x = clipValue(rest(event));
        break;
      }
      case "gap":
        session.lost += num(event.lost) ?? 0;
        row.e = 1;
        row.x = clipValue(rest(event));
        break;
      case "invalid":
        row.e = 1;
        row.x = clipValue(rest(event));
        break;
      default:
        row.x = clipValue(rest(event));
    }
    addClasses(row, event.classes);
    addEntities(
      row,
      index,
      b,
      event.entities,
      row.n !== undefined ? tools[row.n] : row.m,
    );
    addPluginErrors(row, event.pluginErrors);
  }

  // Several sessions interleave by time; within one, the log order stands.
  const order = rows.map((_, i) => i);
  if (sessions.length > 1) {
    const keys: number[] = [];
    let last = -Infinity;
    for (const ms of rowMs) {
      if (!Number.isNaN(ms)) last = ms;
      keys.push(last);
    }
    order.sort((a, b) => keys[a] - keys[b] || a - b);
  }
  const sorted = order.map((i) => rows[i]);

  // Per tool labels, entities; per entity tools and rows.
  for (let r = 0; r < sorted.length; r++) {
    const row = sorted[r];
    if (row.n !== undefined && row.m === "tools/call") {
      for (const [label, source] of row.c ?? []) {
        const map = usageLabels[row.n];
        let l = map.get(label);
        if (!l) map.set(label, l = { sources: new Set(), calls: 0 });
        l.sources.add(source);
      }
      for (const label of new Set((row.c ?? []).map(([l]) => l))) {
        usageLabels[row.n].get(label)!.calls++;
      }
    }
    for (const [index] of row.en ?? []) {
      const e = entities[index];
      if (e.rows[e.rows.length - 1] !== r) e.rows.push(r);
      if (!e.sessions.includes(row.s)) e.sessions.push(row.s);
      if (row.n !== undefined) usageEntities[row.n].add(index);
    }
  }
  for (const e of entities) {
    e.tools = [...entityTools[e.index]].map(([name, set]) => ({
      name,
      calls: set.size,
    })).sort((a, b) => b.calls - a.calls || cmp(a.name, b.name));
    e.paths = [...entityPaths[e.index]].slice(0, 20);
    e.found = [
      ...new Set(
        [...entityPaths[e.index]].map((p) => p.match(/^[^.[]*/)?.[0] || "?"),
      ),
    ].sort((a, b) => foundRank(a) - foundRank(b) || cmp(a, b));
  }
  for (const u of usage) {
    u.labels = [...usageLabels[u.index]].map(([label, l]) => ({
      label,
      sources: [...l.sources].sort(),
      calls: l.calls,
    })).sort((a, b) =>
      labelRank(a.label) - labelRank(b.label) || cmp(a.label, b.label)
    );
    u.entities = [...usageEntities[u.index]];
  }

  const labelTotals = new Map<string, LabelTotal>();
  for (const u of usage) {
    for (const l of u.labels) {
      const t = labelTotals.get(l.label) ??
        { label: l.label, calls: 0, tools: 0 };
      t.calls += l.calls;
      t.tools++;
      labelTotals.set(l.label, t);
    }
  }

  // Session numbers: the proxy's summary when written, else counted here.
  const allTools = new Set<string>();
  const allEntities = new Set<string>();
  let totalMs = 0;
  let anyDuration = false;
  for (const b of building.values()) {
    const s = b.session;
    const counted: SummaryNumbers = {
      toolCalls: b.toolCalls,
      toolsUsed: s.tools.size,
      uniqueEntities: s.entityKeys.size,
      errors: b.errors,
      events: s.numbers.events,
      ...(b.firstMs !== undefined && b.lastMs !== undefined
        ? { durationMs: b.lastMs - b.firstMs }
        : {}),
    };
    s.numbers = counted;
    const summary = b.summary;
    const recordedTools = rec(summary?.tools);
    if (summary && num(summary.toolCalls) !== undefined) {
      s.fromSummary = true;
      const recorded: SummaryNumbers = {
        toolCalls: num(summary.toolCalls) ?? 0,
        toolsUsed: recordedTools
          ? Object.keys(recordedTools).length
          : counted.toolsUsed,
        uniqueEntities: num(summary.uniqueEntities) ?? counted.uniqueEntities,
        errors: num(summary.errors) ?? counted.errors,
        events: counted.events,
        ...(num(summary.durationMs) !== undefined
          ? { durationMs: num(summary.durationMs) }
          : counted.durationMs !== undefined
          ? { durationMs: counted.durationMs }
          : {}),
      };
      for (
        const field of ["toolCalls", "errors", "uniqueEntities"] as const
      ) {
        if (recorded[field] !== counted[field]) {
          s.mismatches.push(
            `${field}: summary says ${recorded[field]}, the log holds ${
              counted[field]
            }`,
          );
        }
      }
      s.numbers = recorded;
      if (recordedTools) {
        for (const name of Object.keys(recordedTools)) allTools.add(name);
      }
      const recordedEntities = Array.isArray(summary.entities)
        ? summary.entities
        : undefined;
      if (recordedEntities) {
        for (const item of recordedEntities) {
          const e = rec(item);
          allEntities.add(`${str(e?.type)}\u0000${str(e?.value)}`);
        }
      }
      if (!recordedEntities) {
        for (const key of s.entityKeys) allEntities.add(key);
      }
    } else {
      for (const key of s.entityKeys) allEntities.add(key);
    }
    for (const name of s.tools.keys()) allTools.add(name);
    if (s.numbers.durationMs !== undefined) {
      totalMs += s.numbers.durationMs;
      anyDuration = true;
    }
  }
  const totals: SummaryNumbers = {
    toolCalls: sessions.reduce((n, s) => n + s.numbers.toolCalls, 0),
    toolsUsed: allTools.size,
    uniqueEntities: allEntities.size,
    errors: sessions.reduce((n, s) => n + s.numbers.errors, 0),
    events: eventCount,
    ...(anyDuration ? { durationMs: totalMs } : {}),
  };

  return {
    sessions,
    totals,
    tools,
    toolUsage: [...usage].sort((a, b) =>
      b.calls - a.calls || cmp(a.name, b.name)
    ),
    labels: [...labelTotals.values()].sort((a, b) =>
      labelRank(a.label) - labelRank(b.label) || cmp(a.label, b.label)
    ),
    entities,
    rows: sorted,
    eventCount,
    errorKinds,
    pluginFailures: [...failures.values()].sort((a, b) =>
      b.events - a.events || cmp(a.plugin, b.plugin)
    ),
  };
}

/**
 * A row with every field present (undefined ones are left out of the JSON),
 * so all rows share one shape: faster to build and to serialise.
 */
function newRow(
  s: number,
  q: number,
  t: string,
  k: string,
  d: string | undefined,
  m: string | undefined,
): TimelineRow {
  return {
    s,
    q,
    t,
    k,
    d,
    m: m === undefined ? undefined : clipString(m, LIMITS.name),
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
  };
}

function labelRank(label: string): number {
  const i = KNOWN_LABELS.indexOf(label);
  return i === -1 ? KNOWN_LABELS.length : i;
}

const FOUND_ORDER = ["arguments", "params", "result", "error"];

function foundRank(root: string): number {
  const i = FOUND_ORDER.indexOf(root);
  return i === -1 ? FOUND_ORDER.length : i;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
