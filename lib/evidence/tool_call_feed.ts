/**
 * The tool calls of a session as they complete, for `mcp-audit tail`: fed
 * the log's events in order, it pairs each `tools/call` request with its
 * answer and hands back one {@linkcode LiveCall} per call, when it is
 * answered, or when the session ends without an answer; and each `finding`
 * event the proxy logged (`liveFindings`) as it comes.
 *
 * @module
 */

/** One tool call, answered or not. */
export interface LiveCall {
  /** The session it belongs to. */
  session: string;
  /** The request's seq. */
  seq: number;
  /** When the request was seen (ISO 8601). */
  ts: string;
  /** The tool's name, as the client sent it. */
  tool: string;
  /** The labels plugins gave the call (request and answer), in order. */
  classes: string[];
  /** The call's arguments, as logged (possibly truncated or redacted). */
  arguments: unknown;
  /** `ok`; `tool_error`: a result with `isError`; `error`: a JSON-RPC error; `cancelled`; `no_answer`: the session ended first. */
  status: "ok" | "tool_error" | "error" | "cancelled" | "no_answer";
  /** The JSON-RPC error's code and message, for `error`. */
  error?: string;
  /** Milliseconds from request to answer. */
  durationMs?: number;
  /** Entities the request and its answer touched: `type`, `value`. */
  entities: { type: string; value: string }[];
}

/** A finding the proxy logged live (a `finding` event). */
export interface LiveFinding {
  /** The session it belongs to. */
  session: string;
  /** The finding event's seq. */
  seq: number;
  /** When it was logged (ISO 8601). */
  ts: string;
  /** The rule's id. */
  rule: string;
  /** `high`, `medium` or `low` (as logged). */
  severity: string;
  /** What happened, in plain words. */
  title: string;
  /** Seqs of the events it rests on. */
  seqs: number[];
}

/** What {@linkcode ToolCallFeed.add} hands back. */
export type FeedItem =
  | { kind: "call"; call: LiveCall }
  | { kind: "finding"; finding: LiveFinding }
  | { kind: "end"; session: string; reason: string };

/**
 * Pairs tool-call requests with their answers, event by event.
 *
 * @example
 * ```ts
 * import { ToolCallFeed } from "./tool_call_feed.ts";
 * import assert from "node:assert/strict";
 *
 * const feed = new ToolCallFeed();
 * assert.deepEqual(feed.add({ session: "s", seq: 3, ts: "t", kind: "request",
 *   method: "tools/call", tool: "pay", params: { name: "pay", arguments: { id: "E1" } },
 *   classes: [{ label: "SENSITIVE", source: "x" }] }), []);
 * const [item] = feed.add({ session: "s", seq: 4, ts: "u", kind: "response",
 *   requestSeq: 3, durationMs: 5, result: {}, isError: true });
 * assert.equal(item.kind === "call" && item.call.status, "tool_error");
 * assert.equal(item.kind === "call" && item.call.classes[0], "SENSITIVE");
 * const [found] = feed.add({ session: "s", seq: 5, ts: "v", kind: "finding", rule: "unseen-identifier",
 *   severity: "medium", title: "pay was called with E1", seqs: [3, 4] });
 * assert.equal(found.kind === "finding" && found.finding.rule, "unseen-identifier");
 * ```
 */
export class ToolCallFeed {
  #pending = new Map<string, LiveCall>();

  /** Takes the next event; returns the calls it completes, and the session's end. */
  add(e: Record<string, unknown>): FeedItem[] {
    const session = typeof e.session === "string" ? e.session : "";
    const seq = typeof e.seq === "number" ? e.seq : -1;
    if (e.kind === "request" && e.method === "tools/call") {
      const params = e.params as Record<string, unknown> | undefined;
      this.#pending.set(`${session}:${seq}`, {
        session,
        seq,
        ts: typeof e.ts === "string" ? e.ts : "",
        tool: typeof e.tool === "string" ? e.tool : String(params?.name ?? "?"),
        classes: labels(e.classes),
        arguments: typeof params === "object" && params !== null &&
            "arguments" in params
          ? params.arguments
          : params,
        status: "no_answer",
        entities: entities(e.entities),
      });
      return [];
    }
    if (e.kind === "response" || e.kind === "error") {
      const key = `${session}:${e.requestSeq}`;
      const call = this.#pending.get(key);
      if (!call) return [];
      this.#pending.delete(key);
      if (typeof e.durationMs === "number") call.durationMs = e.durationMs;
      for (const label of labels(e.classes)) {
        if (!call.classes.includes(label)) call.classes.push(label);
      }
      for (const x of entities(e.entities)) {
        if (
          !call.entities.some((o) => o.type === x.type && o.value === x.value)
        ) call.entities.push(x);
      }
      if (e.cancelled === true) call.status = "cancelled";
      else if (e.kind === "error") {
        call.status = "error";
        const error = e.error as { code?: unknown; message?: unknown };
        call.error = `${String(error?.code ?? "")} ${
          String(error?.message ?? "")
        }`.trim();
      } else call.status = e.isError === true ? "tool_error" : "ok";
      return [{ kind: "call", call }];
    }
    if (e.kind === "finding" && typeof e.rule === "string") {
      return [{
        kind: "finding",
        finding: {
          session,
          seq,
          ts: typeof e.ts === "string" ? e.ts : "",
          rule: e.rule,
          severity: typeof e.severity === "string" ? e.severity : "",
          title: typeof e.title === "string" ? e.title : "",
          seqs: Array.isArray(e.seqs)
            ? e.seqs.filter((x): x is number => typeof x === "number")
            : [],
        },
      }];
    }
    if (e.kind === "session_end") {
      const items: FeedItem[] = [];
      for (const [key, call] of this.#pending) {
        if (call.session !== session) continue;
        this.#pending.delete(key);
        items.push({ kind: "call", call });
      }
      items.push({
        kind: "end",
        session,
        reason: typeof e.reason === "string" ? e.reason : "ended",
      });
      return items;
    }
    return [];
  }
}

function labels(classes: unknown): string[] {
  if (!Array.isArray(classes)) return [];
  const out: string[] = [];
  for (const c of classes) {
    const label = (c as { label?: unknown })?.label;
    if (typeof label === "string" && !out.includes(label)) out.push(label);
  }
  return out;
}

function entities(list: unknown): { type: string; value: string }[] {
  if (!Array.isArray(list)) return [];
  const out: { type: string; value: string }[] = [];
  for (const x of list) {
    const { type, value } = (x ?? {}) as { type?: unknown; value?: unknown };
    if (typeof type !== "string" || typeof value !== "string") continue;
    if (!out.some((o) => o.type === type && o.value === value)) {
      out.push({ type, value });
    }
  }
  return out;
}
