/**
 * The sessions of the report and their headline numbers: who talked to whom,
 * when, how it ended, and the numbers of the proxy's own `session_end`
 * summary checked against what the log holds. An MCP call that an agent's
 * hook saw and the proxy saw too (lib/audit/mcp_link.ts) counts once, in
 * the proxy's session: the hook's session's numbers leave it out.
 *
 * @module
 */
import { clipString, LIMITS } from "./_clip.ts";
import { type LooseEvent, num, type Rec, rec, str } from "./_loose_event.ts";
import type { McpLinks } from "../lib/audit/mcp_link.ts";

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
  /** In a hook's session: its MCP calls a proxy's session saw too and counts (left out of `numbers`). */
  countedByProxy: number;
  /** In a proxy's session: its calls an agent's hook saw too. */
  seenByHook: number;
}

/** What {@linkcode buildSessions} returns. */
export interface SessionsModel {
  /** Sessions in first-seen order. */
  sessions: SessionModel[];
  /** Numbers over all sessions (entities and tools counted once). */
  totals: SummaryNumbers;
  /** Session id -> index in `sessions`. */
  indexOf: Map<string, number>;
}

/** A session while its events are read. */
interface Building {
  session: SessionModel;
  firstMs?: number;
  lastMs?: number;
  toolCalls: number;
  errors: number;
  summary?: Rec;
  /** Errors of calls the proxy's session counts (a hook's answers). */
  linkedErrors: number;
  /** Tool -> calls the proxy's session counts. */
  linkedTools: Map<string, number>;
}

/**
 * The key an entity is counted by: its type and value.
 *
 * @example
 * ```ts
 * import { entityKey } from "./_sessions_model.ts";
 * import assert from "node:assert/strict";
 *
 * assert.notEqual(entityKey("a", "b:c"), entityKey("a:b", "c"));
 * ```
 */
export function entityKey(type: string, value: string): string {
  return `${type}\u0000${value}`;
}

/**
 * Derives the sessions from events: their peers, times and ends, and their
 * numbers, taken from `session_end.summary` when the proxy wrote one (with
 * each disagreement with the log noted) and counted from the events when not.
 *
 * @example
 * ```ts
 * import { readLooseEvents } from "./_loose_event.ts";
 * import { buildSessions } from "./_sessions_model.ts";
 * import assert from "node:assert/strict";
 *
 * const { sessions, totals } = buildSessions(readLooseEvents([
 *   { seq: 0, ts: "2025-01-01T00:00:00Z", session: "a", kind: "request",
 *     method: "tools/call", tool: "get" },
 *   { seq: 1, ts: "2025-01-01T00:00:02Z", session: "a", kind: "error", error: {} },
 *   { seq: 0, ts: "2025-01-01T00:00:01Z", session: "b", kind: "gap", lost: 4 },
 * ]));
 * assert.deepEqual(sessions.map((s) => s.label), ["S1", "S2"]);
 * assert.equal(sessions[0].numbers.errors, 1);
 * assert.equal(sessions[0].numbers.durationMs, 2000);
 * assert.equal(sessions[1].lost, 4);
 * assert.equal(totals.toolCalls, 1);
 * assert.equal(totals.events, 3);
 * ```
 */
export function buildSessions(
  events: readonly LooseEvent[],
  links?: McpLinks,
): SessionsModel {
  const building = new Map<string, Building>();
  const sessions: SessionModel[] = [];
  const indexOf = new Map<string, number>();
  for (const event of events) {
    let b = building.get(event.session);
    if (!b) {
      b = newSession(sessions.length, event.session);
      building.set(event.session, b);
      indexOf.set(event.session, sessions.length);
      sessions.push(b.session);
    }
    readInto(b, event, links);
  }
  for (const link of links?.links ?? []) {
    const hook = building.get(link.hook.session);
    const proxy = building.get(link.proxy.session);
    if (hook) hook.session.countedByProxy++;
    if (proxy) proxy.session.seenByHook++;
  }
  return { sessions, totals: sessionNumbers(building, events.length), indexOf };
}

function newSession(index: number, id: string): Building {
  return {
    session: {
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
      countedByProxy: 0,
      seenByHook: 0,
    },
    toolCalls: 0,
    errors: 0,
    linkedErrors: 0,
    linkedTools: new Map(),
  };
}

/** What one event tells about its session. */
function readInto(b: Building, event: LooseEvent, links?: McpLinks): void {
  const session = b.session;
  const e = event.fields;
  if (links?.isHookSide(e)) {
    if (event.kind === "request") {
      const name = event.tool ?? "(unnamed)";
      b.linkedTools.set(name, (b.linkedTools.get(name) ?? 0) + 1);
    } else if (event.kind === "error" || e.isError === true) {
      b.linkedErrors++;
    }
    event = { ...event, kind: "linked" };
  }
  session.numbers.events++;
  const { ms, ts } = event;
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
  switch (event.kind) {
    case "response":
    case "error":
      if (event.kind === "error" || e.isError === true) b.errors++;
      break;
    case "request":
      // A retry after input_required is the same logical call (`call`).
      if (event.method === "tools/call" && e.call === undefined) {
        const name = event.tool ?? str(rec(e.params)?.name) ?? "(unnamed)";
        b.toolCalls++;
        session.tools.set(name, (session.tools.get(name) ?? 0) + 1);
      }
      break;
    case "handshake":
      session.client = peer(e.client) ?? session.client;
      session.server = peer(e.server) ?? session.server;
      session.protocolVersion = str(e.protocolVersion) ??
        session.protocolVersion;
      break;
    case "session_start":
      if (Array.isArray(e.command)) {
        session.command = e.command.map((c) =>
          clipString(String(c), LIMITS.name)
        );
      }
      break;
    case "session_end": {
      session.endReason = str(e.reason);
      const failure = str(e.failure);
      if (failure) session.failure = clipString(failure, 2000);
      session.client ??= peer(e.client);
      session.server ??= peer(e.server);
      session.protocolVersion ??= str(e.protocolVersion);
      if (Array.isArray(e.pending)) session.pending = e.pending.length;
      b.summary = rec(e.summary);
      break;
    }
    case "gap":
      session.lost += num(e.lost) ?? 0;
      break;
  }
  if (Array.isArray(e.entities)) {
    for (const item of e.entities) {
      const type = str(rec(item)?.type);
      const value = str(rec(item)?.value);
      if (type !== undefined && value !== undefined) {
        session.entityKeys.add(entityKey(type, value));
      }
    }
  }
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
 * Sets each session's numbers, the proxy's summary when written, else
 * counted here, and returns the totals over all of them.
 */
function sessionNumbers(
  building: Map<string, Building>,
  eventCount: number,
): SummaryNumbers {
  const allTools = new Set<string>();
  const allEntities = new Set<string>();
  let totalMs = 0;
  let anyDuration = false;
  let toolCalls = 0;
  let errors = 0;
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
    if (summary && num(summary.toolCalls) !== undefined) {
      s.fromSummary = true;
      s.numbers = recordedNumbers(s, summary, counted, b);
      const recordedTools = withoutLinked(rec(summary.tools), b.linkedTools);
      if (recordedTools) {
        for (const name of Object.keys(recordedTools)) allTools.add(name);
      }
      if (Array.isArray(summary.entities)) {
        for (const item of summary.entities) {
          const e = rec(item);
          allEntities.add(`${str(e?.type)}\u0000${str(e?.value)}`);
        }
      } else {
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
    toolCalls += s.numbers.toolCalls;
    errors += s.numbers.errors;
  }
  return {
    toolCalls,
    toolsUsed: allTools.size,
    uniqueEntities: allEntities.size,
    errors,
    events: eventCount,
    ...(anyDuration ? { durationMs: totalMs } : {}),
  };
}

/** The summary's numbers; where they differ from the log's, `s.mismatches` says so. */
/** A summary's tools less the calls another session counts. */
function withoutLinked(
  tools: Rec | undefined,
  linked: ReadonlyMap<string, number>,
): Rec | undefined {
  if (tools === undefined || linked.size === 0) return tools;
  const out: Rec = { ...tools };
  for (const [name, calls] of linked) {
    const left = (num(out[name]) ?? 0) - calls;
    if (left > 0) out[name] = left;
    else delete out[name];
  }
  return out;
}

function recordedNumbers(
  s: SessionModel,
  summary: Rec,
  counted: SummaryNumbers,
  b: Building,
): SummaryNumbers {
  const recordedTools = withoutLinked(rec(summary.tools), b.linkedTools);
  const durationMs = num(summary.durationMs) ?? counted.durationMs;
  const linkedCalls = [...b.linkedTools.values()].reduce((a, n) => a + n, 0);
  const recorded: SummaryNumbers = {
    toolCalls: Math.max(0, (num(summary.toolCalls) ?? 0) - linkedCalls),
    toolsUsed: recordedTools
      ? Object.keys(recordedTools).length
      : counted.toolsUsed,
    uniqueEntities: num(summary.uniqueEntities) ?? counted.uniqueEntities,
    errors: Math.max(
      0,
      (num(summary.errors) ?? counted.errors) - b.linkedErrors,
    ),
    events: counted.events,
    ...(durationMs !== undefined ? { durationMs } : {}),
  };
  for (const field of ["toolCalls", "errors", "uniqueEntities"] as const) {
    if (recorded[field] !== counted[field]) {
      s.mismatches.push(
        `${field}: summary says ${recorded[field]}, the log holds ${
          counted[field]
        }`,
      );
    }
  }
  return recorded;
}
