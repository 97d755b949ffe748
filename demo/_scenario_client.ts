/**
 * The MCP client of the demo's code-freeze and support-desk scenarios: it
 * starts `mcp-audit proxy` in front of one of the demo's servers and connects
 * an SDK client to it, and reads what the server's tools give back.
 *
 * @module
 */
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

/** How a scenario's proxy and server are started. */
export interface ScenarioClientOptions {
  /** The proxy's command line up to and including `proxy`. */
  proxy: string[];
  /** The log the proxy writes (`--log`). */
  log: string;
  /** The proxy's other flags, such as `["--policy", file]`. */
  flags: string[];
  /** The server's name in the log (`--name`). */
  name: string;
  /** The server module, run with `deno run --quiet`. */
  server: string;
  /** The name the client gives itself in `initialize`. */
  client: string;
}

/**
 * Starts `proxy --log LOG FLAGS --name NAME -- deno run --quiet SERVER` and
 * connects an SDK client to it. The proxy gets the SDK's small default
 * environment (HOME, PATH, ...) and, when it is set, DENO_DIR, so that a
 * custom Deno cache stays reachable; nothing else of this process's
 * environment.
 *
 * @param options The proxy, its log and flags, the server and the client's name.
 * @returns The connected client; close it to stop the proxy and the server.
 *
 * @example
 * ```ts ignore
 * const client = await connectScenarioClient({
 *   proxy: ["mcp-audit", "proxy"],
 *   log: "freeze.jsonl",
 *   flags: ["--policy", "demo/freeze-policy.jsonc"],
 *   name: "prod-db",
 *   server: "demo/db_server.ts",
 *   client: "freeze-demo-agent",
 * });
 * await client.close();
 * ```
 */
export async function connectScenarioClient(
  options: ScenarioClientOptions,
): Promise<Client> {
  const [command, ...args] = options.proxy;
  const dir = Deno.env.get("DENO_DIR");
  const transport = new StdioClientTransport({
    command,
    args: [
      ...args,
      "--log",
      options.log,
      ...options.flags,
      "--name",
      options.name,
      "--",
      Deno.execPath(),
      "run",
      "--quiet",
      options.server,
    ],
    stderr: "inherit",
    env: dir === undefined ? {} : { DENO_DIR: dir },
  });
  const client = new Client({ name: options.client, version: "1.0.0" });
  await client.connect(transport);
  return client;
}

/**
 * The text parts of a tool result, joined by spaces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { text } from "./_scenario_client.ts";
 *
 * const result = { content: [{ type: "text", text: "customers," }, { type: "text", text: "orders" }] };
 * assert.equal(text(result), "customers, orders");
 * ```
 */
export function text(result: unknown): string {
  return ((result as { content?: { text?: string }[] }).content ?? [])
    .map((c) => c.text ?? "").join(" ");
}

/**
 * The structured content of a tool result (`{}` when it has none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { structured } from "./_scenario_client.ts";
 *
 * assert.deepEqual(structured({ structuredContent: { rows: [] } }), { rows: [] });
 * assert.deepEqual(structured({ content: [] }), {});
 * ```
 */
export function structured(result: unknown): Record<string, unknown> {
  return ((result as { structuredContent?: Record<string, unknown> })
    .structuredContent) ?? {};
}
