/**
 * The stdio bridge's own `tools/list`, after a 2026-07-28 server refused a
 * `tools/call` with -32020 (HeaderMismatch): "the client SHOULD call
 * `tools/list` to check for changes to the tool's `inputSchema`, then
 * retry the original request with the appropriate headers"
 * (transports/streamable-http.mdx, "Client Behavior"). The list is asked
 * for with the `_meta` of the refused call (its version, client identity
 * and capabilities), page by page, and its answer is never shown to the
 * client, which did not ask for it.
 *
 * @module
 */
import { readLimited } from "./http_body.ts";
import { SseParser } from "./sse_parser.ts";
import type { RejectedTool } from "./tool_header_rules.ts";

/** The JSON-RPC error code of HeaderMismatch (2026-07-28). */
export const HEADER_MISMATCH = -32020;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Whether a response body is a JSON-RPC error with code -32020.
 *
 * @example
 * ```ts
 * import { isHeaderMismatch } from "./tools_refresh.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new TextEncoder().encode('{"jsonrpc":"2.0","id":3,"error":{"code":-32020,"message":"Header mismatch"}}');
 * assert.equal(isHeaderMismatch(body), true);
 * assert.equal(isHeaderMismatch(new TextEncoder().encode('{"jsonrpc":"2.0","id":3,"result":{}}')), false);
 * ```
 */
export function isHeaderMismatch(body: Uint8Array): boolean {
  try {
    return JSON.parse(decoder.decode(body))?.error?.code === HEADER_MISMATCH;
  } catch {
    return false;
  }
}

/** The codes of the errors only a 2026-era server answers a POST with. */
const MODERN_CODES = new Set([HEADER_MISMATCH, -32021, -32022, -32601]);

/**
 * Whether a refused POST's body is "a recognized modern JSON-RPC error"
 * (2026-07-28 streamable-http.mdx, "Backward Compatibility": unsupported
 * version -32022, missing capability -32021, header mismatch -32020,
 * unknown method -32601): the server speaks the new transport, so a client
 * must not fall back to HTTP+SSE.
 *
 * @example
 * ```ts
 * import { isModernError } from "./tools_refresh.ts";
 * import assert from "node:assert/strict";
 *
 * const body = (code: number) => new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", id: 1, error: { code, message: "x" } }));
 * assert.equal(isModernError(body(-32022)), true);
 * assert.equal(isModernError(body(-32000)), false);
 * assert.equal(isModernError(new TextEncoder().encode("Bad Request")), false);
 * ```
 */
export function isModernError(body: Uint8Array): boolean {
  try {
    const code = JSON.parse(decoder.decode(body))?.error?.code;
    return MODERN_CODES.has(code);
  } catch {
    return false;
  }
}

/**
 * The sentence for stderr and the log's `http.fault` when tools were taken
 * out of a `tools/list` answer.
 *
 * @example
 * ```ts
 * import { rejectionNote } from "./tools_refresh.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   rejectionNote([{ name: "sum", reason: "a reason" }]),
 *   'took out of this tools/list answer, as the 2026-07-28 transport asks of a client, the tool "sum": a reason',
 * );
 * ```
 */
export function rejectionNote(rejected: readonly RejectedTool[]): string {
  return `took out of this tools/list answer, as the 2026-07-28 transport asks of a client, ${
    rejected.map((r) => `the tool "${r.name}": ${r.reason}`).join("; ")
  }`;
}

/** Options for {@linkcode refreshTools}. */
export interface RefreshOptions {
  /** POSTs one request body (with the headers a 2026 request needs). */
  post(body: Uint8Array<ArrayBuffer>): Promise<Response>;
  /** The largest answer. */
  maxBodyBytes: number;
  /** The upstream, for messages. */
  where: string;
  /** The most pages to ask for. @default {20} */
  maxPages?: number;
}

/** The answer with `id` in a JSON body or an SSE stream's events. */
function answerIn(bytes: Uint8Array, type: string, id: string): unknown {
  const messages: unknown[] = [];
  if (type.includes("text/event-stream")) {
    new SseParser((event) => {
      if (event.event !== "message" || event.data === "") return;
      try {
        messages.push(JSON.parse(event.data));
      } catch {
        // Not JSON: not the answer.
      }
    }).push(bytes);
  } else {
    messages.push(JSON.parse(decoder.decode(bytes)));
  }
  return messages.find((m) => (m as { id?: unknown })?.id === id);
}

let counter = 0;

/**
 * Asks the upstream for its tools, with the `_meta` of `refused` (the
 * request it refused). Returns the `tools/list` result (every page's tools
 * in one list), or the reason it could not be had.
 *
 * @example
 * ```ts
 * import { refreshTools } from "./tools_refresh.ts";
 * import assert from "node:assert/strict";
 *
 * const refused = new TextEncoder().encode(JSON.stringify({
 *   jsonrpc: "2.0", id: 9, method: "tools/call",
 *   params: { name: "q", _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
 * }));
 * const result = await refreshTools(refused, {
 *   post: (body) => {
 *     const asked = JSON.parse(new TextDecoder().decode(body));
 *     assert.equal(asked.method, "tools/list");
 *     return Promise.resolve(Response.json({ jsonrpc: "2.0", id: asked.id, result: { tools: [{ name: "q" }] } }));
 *   },
 *   maxBodyBytes: 1 << 20,
 *   where: "the upstream",
 * });
 * assert.deepEqual(result, { tools: [{ name: "q" }] });
 * ```
 */
export async function refreshTools(
  refused: Uint8Array,
  options: RefreshOptions,
): Promise<{ tools: unknown[] } | string> {
  let meta: unknown;
  try {
    meta = JSON.parse(decoder.decode(refused))?.params?._meta;
  } catch {
    return "the refused request is not JSON";
  }
  const tools: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < (options.maxPages ?? 20); page++) {
    const id = `mcp-audit-tools-list-${++counter}`;
    const params: Record<string, unknown> = { _meta: meta };
    if (cursor !== undefined) params.cursor = cursor;
    const body = encoder.encode(
      JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", params }),
    );
    let answer: {
      result?: { tools?: unknown; nextCursor?: unknown };
      error?: { message?: string };
    } | undefined;
    try {
      const res = await options.post(body);
      const bytes = await readLimited(
        res.body,
        options.maxBodyBytes,
        options.where,
      );
      answer = answerIn(
        bytes,
        res.headers.get("content-type") ?? "",
        id,
      ) as typeof answer;
      if (!answer) {
        return `${options.where} answered tools/list with ${res.status} and no answer`;
      }
    } catch (error) {
      return `tools/list failed (${(error as Error).message})`;
    }
    if (!answer.result || !Array.isArray(answer.result.tools)) {
      return `${options.where} refused tools/list (${
        answer.error?.message ?? "no tools"
      })`;
    }
    tools.push(...answer.result.tools);
    const next = answer.result.nextCursor;
    if (typeof next !== "string" || next === "") return { tools };
    cursor = next;
  }
  return { tools };
}
