/**
 * The 2026-07-28 request headers that the stdio bridge adds to a POST:
 * a stdio client sends none, and a server of that revision refuses a
 * request without them (transports/streamable-http.mdx, "Standard Request
 * Headers" and "Server Validation"), and the `Mcp-Param-*` headers of a
 * `tools/call`, from the tool schemas the bridge has seen
 * ({@linkcode ToolParamHeaders}).
 *
 * @module
 */

import {
  encodeHeaderValue as encodeValue,
  type ToolParamHeaders,
} from "./tool_param_headers.ts";

const META_VERSION = "io.modelcontextprotocol/protocolVersion";
const decoder = new TextDecoder();

/**
 * The `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers (and,
 * given `tools`, a `tools/call`'s `Mcp-Param-*` headers) for one
 * client message of the 2026 era (a single request whose `_meta` names a
 * version of 2026-07-28 or later); `undefined` for anything else (a 2025
 * message, a notification, a batch, bytes that are not JSON).
 *
 * @example
 * ```ts
 * import { requestHeaders2026 } from "./request_headers.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new TextEncoder().encode(JSON.stringify({
 *   jsonrpc: "2.0", id: 1, method: "tools/call",
 *   params: { name: "echo", _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
 * }));
 * assert.deepEqual(requestHeaders2026(body), {
 *   "mcp-protocol-version": "2026-07-28",
 *   "mcp-method": "tools/call",
 *   "mcp-name": "echo",
 * });
 * // A key spelt with escapes is the same key; a 2025 message has none.
 * const escaped = new TextEncoder().encode(
 *   '{"jsonrpc":"2.0","id":2,"method":"ping","params":{"_meta":' +
 *     '{"io.modelcontextprotocol\\/protocol\\u0056ersion":"2026-07-28"}}}',
 * );
 * assert.equal(requestHeaders2026(escaped)?.["mcp-method"], "ping");
 * const older = new TextEncoder().encode('{"jsonrpc":"2.0","id":3,"method":"ping"}');
 * assert.equal(requestHeaders2026(older), undefined);
 * ```
 */
export function requestHeaders2026(
  bytes: Uint8Array,
  tools?: ToolParamHeaders,
): Record<string, string> | undefined {
  const text = decoder.decode(bytes);
  // The version's key cannot be there unless its name is, or an escape
  // spells it: most messages (every 2025 one) are never parsed here.
  if (!text.includes("protocolVersion") && !text.includes("\\")) {
    return undefined;
  }
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof m !== "object" || m === null || Array.isArray(m)) return undefined;
  const { method, params } = m as {
    method?: unknown;
    params?: Record<string, unknown>;
  };
  if (typeof method !== "string" || !("id" in m)) return undefined;
  const version = (params?._meta as Record<string, unknown> | undefined)
    ?.[META_VERSION];
  if (typeof version !== "string" || version < "2026-07-28") return undefined;
  const out: Record<string, string> = {
    "mcp-protocol-version": version,
    "mcp-method": method,
  };
  const name = method === "tools/call" || method === "prompts/get"
    ? params?.name
    : method === "resources/read"
    ? params?.uri
    : method.startsWith("tasks/")
    ? params?.taskId
    : undefined;
  if (typeof name === "string") out["mcp-name"] = encodeValue(name);
  if (tools && method === "tools/call" && typeof name === "string") {
    Object.assign(out, tools.headers(name, params?.arguments));
  }
  return out;
}
