/**
 * Links an MCP tool call seen through an agent's hook
 * (`hook.mcp = {server, tool}`) to the proxy's `tools/call` request for the
 * same call, when both logs are read together, so the call is counted once:
 * the proxy's event is the call, the hook's is a second witness of it.
 * A hook request and a proxy request are the same call when the proxy's
 * tool is the hook's tool, their arguments are equal, and the proxy saw it
 * within {@linkcode LINK_WINDOW_MS} after the hook; each proxy request is
 * linked at most once, to the nearest hook request in time.
 *
 * @module
 */
import type { AuditEvent, RequestEvent } from "../audit/event.ts";

/** How long after the hook's pre-event the proxy may see the same call (ms). */
export const LINK_WINDOW_MS = 30_000;

/** One link: a hook's request and the proxy's request for the same call. */
export interface McpLink {
  /** The hook's request: its session and seq. */
  hook: { session: string; seq: number };
  /** The proxy's request: its session and seq. */
  proxy: { session: string; seq: number };
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().map((k) =>
        `${JSON.stringify(k)}:${canonical(o[k])}`
      )
        .join(",")
    }}`;
  }
  return JSON.stringify(value) ?? "null";
}

function argumentsOf(event: RequestEvent): string {
  const params = event.params as { arguments?: unknown } | undefined;
  return canonical(params?.arguments ?? {});
}

/**
 * The links between hook-seen MCP calls and the proxy's calls among
 * `events` (from any number of logs).
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
 * assert.deepEqual(links, [{ hook: { session: "claude-code:s", seq: 3 }, proxy: { session: "p", seq: 9 } }]);
 * ```
 */
export function linkMcpCalls(events: readonly AuditEvent[]): McpLink[] {
  const requests = events.filter((e): e is RequestEvent =>
    e.kind === "request" && e.method === "tools/call"
  );
  const proxied = requests.filter((e) => e.hook === undefined);
  const taken = new Set<RequestEvent>();
  const links: McpLink[] = [];
  const hooked = requests.filter((e) => e.hook?.mcp !== undefined)
    .sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  for (const h of hooked) {
    const at = Date.parse(h.ts);
    const args = argumentsOf(h);
    let best: RequestEvent | undefined;
    for (const p of proxied) {
      if (taken.has(p) || p.tool !== h.hook!.mcp!.tool) continue;
      const dt = Date.parse(p.ts) - at;
      if (dt < -1000 || dt > LINK_WINDOW_MS) continue; // Clocks of two processes.
      if (argumentsOf(p) !== args) continue;
      if (!best || Math.abs(dt) < Math.abs(Date.parse(best.ts) - at)) best = p;
    }
    if (best) {
      taken.add(best);
      links.push({
        hook: { session: h.session, seq: h.seq },
        proxy: { session: best.session, seq: best.seq },
      });
    }
  }
  return links;
}

/**
 * Tool calls counted once across hook and proxy logs: every `tools/call`
 * request, less the hook requests linked to a proxy request.
 *
 * @example
 * ```ts
 * import { countToolCallsOnce } from "./mcp_link.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(countToolCallsOnce([]), 0);
 * ```
 */
export function countToolCallsOnce(events: readonly AuditEvent[]): number {
  const calls =
    events.filter((e) => e.kind === "request" && e.method === "tools/call")
      .length;
  return calls - linkMcpCalls(events).length;
}
