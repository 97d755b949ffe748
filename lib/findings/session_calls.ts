/**
 * A session as the finding rules read it: its tool calls (each request
 * joined with its reply by `requestSeq`), the tools' annotations from
 * `tools/list`, and what every message said, for "was this value seen
 * before?". Events are read loosely: anything that is not an object with a
 * `session` and a numeric `seq` is passed over, so any log that parses works.
 *
 * @module
 */
import type { FindingEntity } from "./finding.ts";

type Rec = Record<string, unknown>;

/** One `tools/call`, request and reply. */
export interface ToolCall {
  /** The tool's name. */
  tool: string;
  /** Seq of the request. */
  requestSeq: number;
  /** Seq of the reply, when one was logged. */
  replySeq?: number;
  /** `params.arguments` of the request. */
  arguments: unknown;
  /** `result` of a response. */
  result?: unknown;
  /** The reply was a JSON-RPC error or a result with `isError`. */
  failed: boolean;
  /** The reply found nothing: no content, empty text, a zero count or only empty lists. */
  empty: boolean;
  /** Class labels of the request and reply, upper case. */
  classes: Set<string>;
  /** Entities found in the arguments. */
  argumentEntities: FindingEntity[];
  /** Entities found in the reply. */
  resultEntities: FindingEntity[];
}

/** What a tool's `tools/list` annotations said. */
export interface ToolHints {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  openWorldHint?: boolean;
}

/** A message event in brief: who sent it and its payload as JSON text. */
export interface SessionMessage {
  seq: number;
  dir: "c2s" | "s2c";
  /** `params`, `result` or `error` as JSON text. */
  text: string;
}

/** One session, ready for the rules. */
export interface SessionCalls {
  session: string;
  /** Tool calls in request order. */
  calls: ToolCall[];
  /** Every message of the session in seq order. */
  messages: SessionMessage[];
  /** Tool name -> its annotations, from `tools/list` answers. */
  hints: Map<string, ToolHints>;
}

/**
 * Splits events into sessions and joins each `tools/call` with its reply.
 *
 * @example
 * ```ts
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const [s] = sessionCalls([
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "get",
 *     params: { name: "get", arguments: { id: "E9" } },
 *     entities: [{ type: "employee", value: "E9", path: "arguments.id" }] },
 *   { seq: 2, session: "s", kind: "response", dir: "s2c", requestSeq: 1,
 *     result: { content: [], isError: true }, isError: true },
 * ]);
 * assert.equal(s.calls[0].failed, true);
 * assert.deepEqual(s.calls[0].argumentEntities, [{ type: "employee", value: "E9" }]);
 * assert.deepEqual(s.messages.map((m) => m.dir), ["c2s", "s2c"]);
 * ```
 */
export function sessionCalls(events: readonly unknown[]): SessionCalls[] {
  const sessions = new Map<string, SessionCalls>();
  const pending = new Map<string, ToolCall>();
  for (const item of events) {
    const e = rec(item);
    if (!e || typeof e.session !== "string" || typeof e.seq !== "number") {
      continue;
    }
    let s = sessions.get(e.session);
    if (!s) {
      s = { session: e.session, calls: [], messages: [], hints: new Map() };
      sessions.set(e.session, s);
    }
    const kind = e.kind;
    if (
      kind !== "request" && kind !== "response" && kind !== "error" &&
      kind !== "notification"
    ) continue;
    const dir = e.dir === "s2c" ? "s2c" : "c2s";
    const payload = kind === "response"
      ? e.result
      : kind === "error"
      ? e.error
      : e.params;
    s.messages.push({ seq: e.seq, dir, text: json(payload) });
    if (kind === "request" && e.method === "tools/call") {
      const params = rec(e.params);
      const call: ToolCall = {
        tool: typeof e.tool === "string"
          ? e.tool
          : String(params?.name ?? "(unnamed)"),
        requestSeq: e.seq,
        arguments: params?.arguments,
        failed: false,
        empty: false,
        classes: labels(e.classes),
        argumentEntities: entities(e.entities, "arguments"),
        resultEntities: [],
      };
      s.calls.push(call);
      pending.set(`${e.session}\u0000${e.seq}`, call);
    } else if (kind === "response" || kind === "error") {
      if (e.method === "tools/list" && kind === "response") {
        readHints(s.hints, e.result);
      }
      const key = `${e.session}\u0000${e.requestSeq}`;
      const call = pending.get(key);
      if (!call) continue;
      pending.delete(key);
      call.replySeq = e.seq;
      for (const label of labels(e.classes)) call.classes.add(label);
      call.resultEntities = entities(e.entities, "");
      if (kind === "error") call.failed = true;
      else {
        call.result = e.result;
        call.failed = e.isError === true || rec(e.result)?.isError === true;
        call.empty = foundNothing(e.result);
      }
    }
  }
  return [...sessions.values()];
}

/**
 * Whether `value` occurs in a message of the session before `seq`, from
 * either side or only from `dir`.
 *
 * @example
 * ```ts
 * import { seenBefore } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const s = { session: "s", calls: [], hints: new Map(),
 *   messages: [{ seq: 1, dir: "s2c" as const, text: '{"id":"E1"}' }] };
 * assert.equal(seenBefore(s, "E1", 2), true);
 * assert.equal(seenBefore(s, "E1", 1), false);
 * assert.equal(seenBefore(s, "E1", 2, "c2s"), false);
 * ```
 */
export function seenBefore(
  session: SessionCalls,
  value: string,
  seq: number,
  dir?: "c2s" | "s2c",
): boolean {
  // JSON text escapes quotes and backslashes; look for the value as it is written there.
  const written = json(value).slice(1, -1);
  for (const m of session.messages) {
    if (m.seq >= seq) break;
    if (dir !== undefined && m.dir !== dir) continue;
    if (m.text.includes(written)) return true;
  }
  return false;
}

/**
 * The string leaves of a value with their paths, strings inside text
 * content parsed as JSON when they are JSON.
 *
 * @example
 * ```ts
 * import { stringLeaves } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(stringLeaves({ a: ["x", { b: "y" }], n: 1 }), [["a[0]", "x"], ["a[1].b", "y"]]);
 * ```
 */
export function stringLeaves(value: unknown, path = ""): [string, string][] {
  const out: [string, string][] = [];
  walk(value, path, out, 0);
  return out;
}

function walk(
  value: unknown,
  path: string,
  out: [string, string][],
  depth: number,
): void {
  if (depth > 32) return;
  if (typeof value === "string") out.push([path, value]);
  else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, out, depth + 1));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      walk(v, path ? `${path}.${k}` : k, out, depth + 1);
    }
  }
}

/**
 * Whether a call writes or reaches outside the session's systems: classed
 * WRITE, DESTRUCTIVE or OPEN_WORLD, or annotated `openWorldHint: true` or
 * `readOnlyHint: false` by its server.
 *
 * @example
 * ```ts
 * import { isOutward, type ToolCall } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const call = { classes: new Set(["READ"]) } as ToolCall;
 * assert.equal(isOutward(call, undefined), false);
 * assert.equal(isOutward(call, { openWorldHint: true }), true);
 * ```
 */
export function isOutward(
  call: ToolCall,
  hints: ToolHints | undefined,
): boolean {
  return call.classes.has("WRITE") || call.classes.has("DESTRUCTIVE") ||
    call.classes.has("OPEN_WORLD") || hints?.openWorldHint === true ||
    hints?.readOnlyHint === false;
}

function readHints(hints: Map<string, ToolHints>, result: unknown): void {
  const tools = rec(result)?.tools;
  if (!Array.isArray(tools)) return;
  for (const t of tools) {
    const name = rec(t)?.name;
    const a = rec(rec(t)?.annotations);
    if (typeof name !== "string" || !a) continue;
    const h: ToolHints = {};
    for (
      const k of ["readOnlyHint", "destructiveHint", "openWorldHint"] as const
    ) {
      if (typeof a[k] === "boolean") h[k] = a[k] as boolean;
    }
    hints.set(name, h);
  }
}

function foundNothing(result: unknown): boolean {
  const r = rec(result);
  if (!r) return result === undefined || result === null;
  const structured = rec(r.structuredContent);
  if (structured) {
    if (structured.count === 0 || structured.total === 0) return true;
    const lists = Object.values(structured).filter(Array.isArray);
    if (
      lists.length > 0 && lists.length === Object.keys(structured).length &&
      lists.every((l) => l.length === 0)
    ) return true;
    return false;
  }
  if (!Array.isArray(r.content)) return false;
  return r.content.every((c) => {
    const text = rec(c)?.text;
    return rec(c)?.type === "text" && typeof text === "string" &&
      text.trim() === "";
  });
}

function labels(classes: unknown): Set<string> {
  const out = new Set<string>();
  if (!Array.isArray(classes)) return out;
  for (const c of classes) {
    const label = rec(c)?.label;
    if (typeof label === "string") out.add(label.toUpperCase());
  }
  return out;
}

function entities(list: unknown, under: string): FindingEntity[] {
  const out: FindingEntity[] = [];
  if (!Array.isArray(list)) return out;
  for (const x of list) {
    const r = rec(x);
    if (typeof r?.type !== "string" || typeof r.value !== "string") continue;
    const path = typeof r.path === "string" ? r.path : "";
    if (under && !path.startsWith(under)) continue;
    if (out.some((o) => o.type === r.type && o.value === r.value)) continue;
    out.push({ type: r.type, value: r.value });
  }
  return out;
}

function rec(value: unknown): Rec | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Rec
    : undefined;
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}
