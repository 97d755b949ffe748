/**
 * A tiny stdio MCP-shaped responder for the latency benchmark: it answers
 * each JSON-RPC request line on stdin with a small result line carrying the
 * same id, and ignores everything else, so a round trip measures the pipes
 * and the proxy rather than a server's work.
 *
 *     deno run bench/_echo_server.ts
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * The reply line (with its newline) for one request line, or `undefined`
 * for a notification, a response or a line that is not JSON.
 *
 * @example
 * ```ts
 * import { replyTo } from "./_echo_server.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   replyTo('{"jsonrpc":"2.0","id":3,"method":"tools/call"}'),
 *   '{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"ok"}],"isError":false}}\n',
 * );
 * assert.equal(replyTo('{"jsonrpc":"2.0","method":"notifications/initialized"}'), undefined);
 * ```
 */
export function replyTo(line: string): string | undefined {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof message !== "object" || message === null) return undefined;
  const m = message as Record<string, unknown>;
  if (!("id" in m) || typeof m.method !== "string") return undefined;
  return JSON.stringify({
    jsonrpc: "2.0",
    id: m.id,
    result: { content: [{ type: "text", text: "ok" }], isError: false },
  }) + "\n";
}

function writeAll(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    offset += Deno.stdout.writeSync(bytes.subarray(offset));
  }
}

async function serve(): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of Deno.stdin.readable) {
    pending += decoder.decode(chunk, { stream: true });
    let out = "";
    let start = 0;
    let nl: number;
    while ((nl = pending.indexOf("\n", start)) !== -1) {
      out += replyTo(pending.slice(start, nl)) ?? "";
      start = nl + 1;
    }
    pending = pending.slice(start);
    if (out) writeAll(encoder.encode(out));
  }
}

if (import.meta.main) {
  await serve();
}
