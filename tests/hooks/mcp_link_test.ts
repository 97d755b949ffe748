import assert from "node:assert/strict";
import type { RequestEvent } from "../../lib/audit/event.ts";
import { countToolCallsOnce, linkMcpCalls } from "../../lib/hooks/mcp_link.ts";

function request(
  session: string,
  seq: number,
  ms: number,
  tool: string,
  args: unknown,
  hook = false,
): RequestEvent {
  const name = hook ? `mcp__hr__${tool}` : tool;
  return {
    v: 1,
    seq,
    ts: new Date(Date.UTC(2026, 0, 1) + ms).toISOString(),
    session,
    kind: "request",
    dir: "c2s",
    bytes: 1,
    id: seq,
    method: "tools/call",
    tool: name,
    params: { name, arguments: args },
    ...(hook && {
      hook: {
        agent: "claude-code",
        event: "PreToolUse",
        mcp: { server: "hr", tool },
      },
    }),
  };
}

Deno.test("a hook's MCP call is linked to the proxy's request with the same tool and arguments, once, and counted once", () => {
  const events = [
    request("h", 1, 0, "get_employee", { id: "E1", fields: ["a", "b"] }, true),
    request("h", 3, 5_000, "get_employee", { id: "E2" }, true),
    request("h", 5, 100_000, "get_pay", { id: "E1" }, true),
    // The proxy: key order differs, same arguments.
    request("p", 7, 150, "get_employee", { fields: ["a", "b"], id: "E1" }),
    // Other arguments: another call.
    request("p", 8, 5_100, "get_employee", { id: "E3" }),
    // The same arguments, but far outside the window.
    request("p", 9, 200_000, "get_pay", { id: "E1" }),
  ];
  assert.deepEqual(linkMcpCalls(events), [
    { hook: { session: "h", seq: 1 }, proxy: { session: "p", seq: 7 } },
  ]);
  assert.equal(countToolCallsOnce(events), 5);
});
