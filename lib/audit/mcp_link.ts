/**
 * Links an MCP tool call seen through a coding agent's hook (a `tools/call`
 * request with `hook.mcp`, tool `mcp__server__tool`) to the proxy's
 * `tools/call` request for the same call, when the hook's log and the
 * proxy's are read together, so that the call is counted once: the
 * proxy's event is the call, the hook's a second witness of it. `summary`,
 * `report`, `check` and the finding rules all read the links from here.
 *
 * A hook request H and a proxy request P are the same call when all of
 * these hold:
 *
 * - **Tool.** H's tool is `mcp__<server>__<tool>` with `<tool>` P's tool;
 *   when P's session names its server (`session_start.serverName`, from
 *   `proxy --name`, which `wrap` writes), `<server>` is that name. Both are
 *   compared as Claude Code writes them: every character outside
 *   `A-Z a-z 0-9 _ -` becomes `_`. A proxy session without a name matches
 *   any server.
 * - **Arguments.** H's and P's `params.arguments` are equal as JSON, with
 *   object keys in any order (as logged: after redaction, which marks the
 *   same secret the same way under the same key). A call whose arguments
 *   were too large to log ({@linkcode Truncated}) is not linked.
 * - **Time.** P was seen from {@linkcode LINK_SKEW_MS} before H (two
 *   processes' clocks) until H's answer (its PostToolUse or failure event)
 *   plus that skew; while H has no answer, until
 *   {@linkcode LINK_WINDOW_MS} after H. For a hook call recorded only at
 *   its post-event (request and answer at one time), P lies in the
 *   {@linkcode LINK_WINDOW_MS} before it.
 *
 * Hook requests are taken in time order; each is linked to the nearest
 * proxy request in time that matches and is not yet linked, so each side
 * is linked at most once. Retries of a logical call (`call`) are not
 * candidates: they count with the call they retry.
 *
 * @module
 */
import type { Truncated } from "./event.ts";

/** How far before the hook's pre-event the proxy may have seen the same call (ms): two processes' clocks. */
export const LINK_SKEW_MS = 1_000;

/** How long after the hook's pre-event the proxy may see the same call when the hook has no answer yet (ms). */
export const LINK_WINDOW_MS = 30_000;

/** One side of a link: a request and, when seen, its answer. */
export interface McpCallRef {
  /** The request's session. */
  session: string;
  /** The request's seq. */
  seq: number;
  /** The seq of its answer (response or error), when one is in the events. */
  replySeq?: number;
}

/** One link: a hook's request and the proxy's request for the same call. */
export interface McpLink {
  /** The hook's request (and its PostToolUse answer). */
  hook: McpCallRef;
  /** The proxy's request (and the server's answer). */
  proxy: McpCallRef;
}

type Rec = Record<string, unknown>;

function rec(value: unknown): Rec | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Rec
    : undefined;
}

/** A server or tool name as Claude Code writes it in `mcp__server__tool`. */
function normalized(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_");
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const o = value as Rec;
    return `{${
      Object.keys(o).sort().map((k) =>
        `${JSON.stringify(k)}:${canonical(o[k])}`
      ).join(",")
    }}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The arguments' canonical JSON; `undefined` when they were not logged whole. */
function argumentsKey(e: Rec): string | undefined {
  const params = rec(e.params);
  if (params === undefined || params.$truncated === true) return undefined;
  const args = params.arguments ?? {};
  if ((rec(args) as Partial<Truncated> | undefined)?.$truncated === true) {
    return undefined;
  }
  return canonical(args);
}

const key = (session: string, seq: number): string => `${session}\u0000${seq}`;

interface Side {
  e: Rec;
  session: string;
  seq: number;
  ms: number;
  args: string;
}

/**
 * The links between hook-seen MCP calls and the proxy's calls in one set
 * of events (from any number of logs), looked up by either side's request
 * or answer.
 */
export class McpLinks {
  /** Every link, in the hook requests' time order. */
  readonly links: readonly McpLink[];
  readonly #byHook = new Map<string, McpLink>();
  readonly #byProxy = new Map<string, McpLink>();

  /** Indexes `links`. */
  constructor(links: readonly McpLink[]) {
    this.links = links;
    for (const link of links) {
      for (
        const [map, ref] of [[this.#byHook, link.hook], [
          this.#byProxy,
          link.proxy,
        ]] as const
      ) {
        map.set(key(ref.session, ref.seq), link);
        if (ref.replySeq !== undefined) {
          map.set(key(ref.session, ref.replySeq), link);
        }
      }
    }
  }

  /** How many calls were seen by both a hook and the proxy. */
  get size(): number {
    return this.links.length;
  }

  /** The link of a hook event (the linked request or its answer), if any. */
  ofHook(session: string, seq: number): McpLink | undefined {
    return this.#byHook.get(key(session, seq));
  }

  /** The link of a proxy event (the linked request or its answer), if any. */
  ofProxy(session: string, seq: number): McpLink | undefined {
    return this.#byProxy.get(key(session, seq));
  }

  /**
   * Whether `event` is the hook's side of a linked call: its request or
   * its answer, which the proxy's events already count.
   */
  isHookSide(event: unknown): boolean {
    const e = rec(event);
    return e !== undefined && e.hook !== undefined &&
      typeof e.session === "string" && typeof e.seq === "number" &&
      this.#byHook.has(key(e.session, e.seq));
  }
}

/** A `tools/call` request of one round (not a later round of a 2026 call), with its tool named. */
function isToolCallRequest(e: Rec): e is Rec & { seq: number; tool: string } {
  return e.kind === "request" && e.method === "tools/call" &&
    typeof e.tool === "string" && e.call === undefined;
}

/** Whether `raw` is such a request as a hook saw it, of an MCP tool. */
function isHookMcpRequest(raw: unknown): boolean {
  const e = rec(raw);
  return e !== undefined && e.hook !== undefined && isToolCallRequest(e) &&
    rec(rec(e.hook)?.mcp) !== undefined;
}

/**
 * Links the hook-seen MCP calls in `events` (any parsed log lines, from
 * any number of logs; what is not an event is passed over) to the proxy's
 * requests for the same calls, by the rules in this module's description.
 *
 * @example
 * ```ts
 * import { linkMcpCalls } from "./mcp_link.ts";
 * import assert from "node:assert/strict";
 *
 * const base = { v: 1, dir: "c2s", bytes: 1, kind: "request", method: "tools/call" } as const;
 * const links = linkMcpCalls([
 *   { ...base, seq: 3, ts: "2026-01-01T00:00:00.000Z", session: "claude-code:s", id: "toolu_1",
 *     tool: "mcp__hr__get_employee", params: { name: "mcp__hr__get_employee", arguments: { id: "E1" } },
 *     hook: { agent: "claude-code", event: "PreToolUse", mcp: { server: "hr", tool: "get_employee" } } },
 *   { ...base, seq: 9, ts: "2026-01-01T00:00:00.200Z", session: "p", id: 4,
 *     tool: "get_employee", params: { name: "get_employee", arguments: { id: "E1" } } },
 * ]);
 * assert.deepEqual(links.links, [{ hook: { session: "claude-code:s", seq: 3 }, proxy: { session: "p", seq: 9 } }]);
 * assert.equal(links.ofProxy("p", 9)?.hook.seq, 3);
 * ```
 */
export function linkMcpCalls(events: readonly unknown[]): McpLinks {
  // A log without a hook-seen MCP call (a proxy's, the common case) links
  // nothing: found first, so that its requests' arguments are not keyed.
  if (!events.some(isHookMcpRequest)) return new McpLinks([]);
  const serverOf = new Map<string, string>();
  const replies = new Map<string, { seq: number; ms: number }>();
  const hooked: (Side & { tool: string })[] = [];
  const proxied = new Map<string, Side[]>();
  for (const raw of events) {
    const e = rec(raw);
    if (
      e === undefined || typeof e.session !== "string" ||
      typeof e.seq !== "number"
    ) continue;
    const session = e.session;
    if (e.kind === "session_start" && typeof e.serverName === "string") {
      serverOf.set(session, normalized(e.serverName));
      continue;
    }
    if (
      (e.kind === "response" || e.kind === "error") &&
      typeof e.requestSeq === "number"
    ) {
      replies.set(key(session, e.requestSeq), {
        seq: e.seq,
        ms: Date.parse(String(e.ts)),
      });
      continue;
    }
    if (!isToolCallRequest(e)) continue;
    const ms = Date.parse(String(e.ts));
    const args = argumentsKey(e);
    if (!Number.isFinite(ms) || args === undefined) continue;
    const side = { e, session, seq: e.seq, ms, args };
    if (e.hook !== undefined) {
      if (rec(rec(e.hook)?.mcp) !== undefined) {
        hooked.push({ ...side, tool: normalized(e.tool) });
      }
    } else {
      const tool = normalized(e.tool);
      let list = proxied.get(tool);
      if (!list) proxied.set(tool, list = []);
      list.push(side);
    }
  }
  const taken = new Set<Side>();
  const links: McpLink[] = [];
  hooked.sort((a, b) => a.ms - b.ms);
  for (const h of hooked) {
    const reply = replies.get(key(h.session, h.seq));
    const postOnly = reply !== undefined && reply.ms === h.ms;
    const from = postOnly ? h.ms - LINK_WINDOW_MS : h.ms - LINK_SKEW_MS;
    const to = reply !== undefined && Number.isFinite(reply.ms)
      ? reply.ms + LINK_SKEW_MS
      : h.ms + LINK_WINDOW_MS;
    let best: Side | undefined;
    for (const [tool, candidates] of proxied) {
      if (!h.tool.startsWith("mcp__") || !h.tool.endsWith(`__${tool}`)) {
        continue;
      }
      for (const p of candidates) {
        if (taken.has(p) || p.ms < from || p.ms > to || p.args !== h.args) {
          continue;
        }
        const server = serverOf.get(p.session);
        if (server !== undefined && h.tool !== `mcp__${server}__${tool}`) {
          continue;
        }
        if (!best || Math.abs(p.ms - h.ms) < Math.abs(best.ms - h.ms)) {
          best = p;
        }
      }
    }
    if (!best) continue;
    taken.add(best);
    const proxyReply = replies.get(key(best.session, best.seq));
    links.push({
      hook: {
        session: h.session,
        seq: h.seq,
        ...(reply && { replySeq: reply.seq }),
      },
      proxy: {
        session: best.session,
        seq: best.seq,
        ...(proxyReply && { replySeq: proxyReply.seq }),
      },
    });
  }
  return new McpLinks(links);
}
