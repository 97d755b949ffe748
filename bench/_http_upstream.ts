// deno-lint-ignore-file no-console -- it announces its port on stderr
/**
 * The benchmark's Streamable HTTP upstream: the SDK's web-standard server
 * transport behind `Deno.serve` on 127.0.0.1, one session per client, with
 * two tools: `echo` (a small result) and `big` (a 1 MiB text result).
 * Prints `listening on PORT` on stderr once it listens.
 *
 *     deno run --allow-net=127.0.0.1 bench/_http_upstream.ts
 *
 * @module
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";

const BIG = "x".repeat(1024 * 1024);
const transports = new Map<string, WebStandardStreamableHTTPServerTransport>();

Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.error(`listening on ${port}`),
}, async (req) => {
  const sid = req.headers.get("mcp-session-id");
  let transport = sid ? transports.get(sid) : undefined;
  if (!transport) {
    if (sid) return new Response("unknown session", { status: 404 });
    const created = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id: string) => transports.set(id, created),
      onsessionclosed: (id: string) => void transports.delete(id),
    });
    transport = created;
    const mcp = new McpServer({ name: "bench-upstream", version: "1.0.0" });
    mcp.registerTool(
      "echo",
      { inputSchema: { text: z.string() } },
      ({ text }: { text: string }) => ({ content: [{ type: "text", text }] }),
    );
    mcp.registerTool(
      "big",
      { inputSchema: {} },
      () => ({ content: [{ type: "text", text: BIG }] }),
    );
    await mcp.connect(transport);
  }
  return await transport.handleRequest(req);
});
