import assert from "node:assert/strict";
import {
  LINK_SKEW_MS,
  LINK_WINDOW_MS,
  linkMcpCalls,
} from "../../lib/audit/mcp_link.ts";

const T0 = Date.UTC(2026, 0, 1);
const at = (ms: number): string => new Date(T0 + ms).toISOString();

type Rec = Record<string, unknown>;

/** A hook's PreToolUse request for `mcp__<server>__<tool>`. */
function hookRequest(
  seq: number,
  ms: number,
  server: string,
  tool: string,
  args: unknown,
): Rec {
  const name = `mcp__${server}__${tool}`;
  return {
    v: 1,
    seq,
    ts: at(ms),
    session: "claude-code:s",
    kind: "request",
    dir: "c2s",
    bytes: 1,
    id: `toolu_${seq}`,
    method: "tools/call",
    tool: name,
    params: { name, arguments: args },
    hook: { agent: "claude-code", event: "PreToolUse", mcp: { server, tool } },
  };
}

/** The hook's PostToolUse answer to the request at `requestSeq`. */
function hookReply(seq: number, ms: number, requestSeq: number): Rec {
  return {
    v: 1,
    seq,
    ts: at(ms),
    session: "claude-code:s",
    kind: "response",
    dir: "s2c",
    bytes: 1,
    id: `toolu_${requestSeq}`,
    requestSeq,
    result: {},
    hook: { agent: "claude-code", event: "PostToolUse" },
  };
}

function proxyRequest(
  session: string,
  seq: number,
  ms: number,
  tool: string,
  args: unknown,
): Rec {
  return {
    v: 1,
    seq,
    ts: at(ms),
    session,
    kind: "request",
    dir: "c2s",
    bytes: 1,
    id: seq,
    method: "tools/call",
    tool,
    params: { name: tool, arguments: args },
  };
}

Deno.test("a hook's MCP call links to the proxy request with the same tool and arguments (keys in any order), each side once", () => {
  const links = linkMcpCalls([
    hookRequest(1, 0, "hr", "get_employee", { id: "E1", fields: ["a", "b"] }),
    hookRequest(2, 10, "hr", "get_employee", { id: "E1", fields: ["a", "b"] }),
    proxyRequest("p", 7, 150, "get_employee", { fields: ["a", "b"], id: "E1" }),
    {
      v: 1,
      seq: 8,
      ts: at(160),
      session: "p",
      kind: "response",
      requestSeq: 7,
    },
  ]);
  // The second hook request finds the proxy request taken: no double link.
  assert.deepEqual(links.links, [{
    hook: { session: "claude-code:s", seq: 1 },
    proxy: { session: "p", seq: 7, replySeq: 8 },
  }]);
  assert.equal(links.ofProxy("p", 8)?.hook.seq, 1);
  assert.equal(links.ofHook("claude-code:s", 2), undefined);
});

Deno.test("near misses are not linked: other arguments, another tool, far apart in time, another named server", () => {
  const events = [
    {
      v: 1,
      seq: 0,
      ts: at(0),
      session: "p",
      kind: "session_start",
      serverName: "hr",
    },
    {
      v: 1,
      seq: 0,
      ts: at(0),
      session: "q",
      kind: "session_start",
      serverName: "payroll",
    },
    // Same tool, other arguments.
    hookRequest(1, 0, "hr", "get_employee", { id: "E1" }),
    proxyRequest("p", 1, 100, "get_employee", { id: "E2" }),
    // Same arguments, another tool.
    hookRequest(2, 1_000, "hr", "get_pay", { id: "E1" }),
    proxyRequest("p", 2, 1_100, "get_payslip", { id: "E1" }),
    // Same tool and arguments, the proxy far later than the window.
    hookRequest(3, 10_000, "hr", "list", { q: "x" }),
    proxyRequest("p", 3, 10_000 + LINK_WINDOW_MS + 1, "list", { q: "x" }),
    // Same tool and arguments, the proxy too long before the hook.
    hookRequest(4, 100_000, "hr", "find", { q: "y" }),
    proxyRequest("p", 4, 100_000 - LINK_SKEW_MS - 1, "find", { q: "y" }),
    // Same tool and arguments, but the proxy's session is another server.
    hookRequest(5, 200_000, "hr", "ping", {}),
    proxyRequest("q", 1, 200_050, "ping", {}),
    // After the hook's answer, the proxy saw a later call.
    hookRequest(6, 300_000, "hr", "echo", { m: 1 }),
    hookReply(7, 300_500, 6),
    proxyRequest("p", 5, 300_500 + LINK_SKEW_MS + 1, "echo", { m: 1 }),
  ];
  assert.deepEqual(linkMcpCalls(events).links, []);
  // Each near miss, put right, links: the test would catch a rule that never links.
  const fixed = [
    ...events.slice(0, 2),
    hookRequest(1, 0, "hr", "get_employee", { id: "E2" }),
    proxyRequest("p", 1, 100, "get_employee", { id: "E2" }),
    hookRequest(3, 10_000, "hr", "list", { q: "x" }),
    proxyRequest("p", 3, 10_000 + LINK_WINDOW_MS - 1, "list", { q: "x" }),
    hookRequest(5, 200_000, "payroll", "ping", {}),
    proxyRequest("q", 1, 200_050, "ping", {}),
  ];
  assert.deepEqual(linkMcpCalls(fixed).links.map((l) => l.hook.seq), [1, 3, 5]);
});

Deno.test("server names compare as Claude Code writes them; a proxy session without a name matches any server", () => {
  const named = [
    {
      v: 1,
      seq: 0,
      ts: at(0),
      session: "p",
      kind: "session_start",
      serverName: "my.hr server",
    },
    hookRequest(1, 0, "my_hr_server", "get", {}),
    proxyRequest("p", 1, 10, "get", {}),
  ];
  assert.equal(linkMcpCalls(named).size, 1);
  const unnamed = [
    hookRequest(1, 0, "anything", "get", {}),
    proxyRequest("p", 1, 10, "get", {}),
  ];
  assert.equal(linkMcpCalls(unnamed).size, 1);
});

Deno.test("the nearest proxy request in time is linked, and truncated arguments never link", () => {
  const links = linkMcpCalls([
    hookRequest(1, 1_000, "hr", "get", { id: 1 }),
    proxyRequest("p", 1, 5_000, "get", { id: 1 }),
    proxyRequest("p", 2, 1_200, "get", { id: 1 }),
  ]);
  assert.deepEqual(links.links.map((l) => l.proxy.seq), [2]);
  const truncated = { $truncated: true, bytes: 1, sha256: "0", preview: "" };
  const h = { ...hookRequest(1, 0, "hr", "get", {}), params: truncated };
  const p = { ...proxyRequest("p", 1, 10, "get", {}), params: truncated };
  assert.equal(linkMcpCalls([h, p]).size, 0);
});
