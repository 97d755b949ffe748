/**
 * What the 2026-07-28 test peers share, straight from that revision's pages
 * (docs/protocol-eras.md lists them): the `_meta` keys, the error codes, and
 * the value encoding of the `Mcp-Name` and `Mcp-Param-*` headers. The peers
 * import nothing of mcp-audit, so a test of the proxy between them checks
 * the proxy against the specification, not against itself.
 *
 * @module
 */

/** The revision the peers speak. */
export const VERSION = "2026-07-28";

/** Reserved `_meta` keys (basic/index.mdx, "_meta"). */
export const META = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  serverInfo: "io.modelcontextprotocol/serverInfo",
  subscriptionId: "io.modelcontextprotocol/subscriptionId",
} as const;

/** The tasks extension's identifier (extensions/tasks/overview.mdx). */
export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";

/** Error codes (basic/index.mdx, "Error Codes"; schema.ts). */
export const ERROR = {
  methodNotFound: -32601,
  invalidParams: -32602,
  headerMismatch: -32020,
  missingRequiredClientCapability: -32021,
  unsupportedProtocolVersion: -32022,
} as const;

/** A JSON-RPC message as the peers read it. */
export interface Message {
  jsonrpc: "2.0";
  id?: string | number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

/**
 * Encodes a header value (streamable-http.mdx, "Value Encoding"): as it is
 * when it is visible ASCII and spaces without leading or trailing
 * whitespace, else (and when it looks like the sentinel) as
 * `=?base64?…?=` of its UTF-8 bytes.
 */
export function encodeHeaderValue(value: string | number | boolean): string {
  const text = String(value);
  const plain = /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/.test(text) &&
    !(text.startsWith("=?base64?") && text.endsWith("?="));
  if (plain) return text;
  const bytes = new TextEncoder().encode(text);
  return `=?base64?${btoa(String.fromCharCode(...bytes))}?=`;
}

/** Decodes a value written by {@linkcode encodeHeaderValue}. */
export function decodeHeaderValue(value: string): string {
  const m = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/.exec(value);
  if (!m) return value;
  const binary = atob(m[1]);
  return new TextDecoder().decode(
    Uint8Array.from(binary, (c) => c.charCodeAt(0)),
  );
}

/**
 * The `Mcp-Name` source of a request (streamable-http.mdx, "Standard
 * Request Headers"; the tasks extension adds `params.taskId`).
 */
export function nameOf(
  method: string,
  params: Record<string, unknown> | undefined,
): string | undefined {
  if (method === "tools/call" || method === "prompts/get") {
    return typeof params?.name === "string" ? params.name : undefined;
  }
  if (method === "resources/read") {
    return typeof params?.uri === "string" ? params.uri : undefined;
  }
  if (method.startsWith("tasks/")) {
    return typeof params?.taskId === "string" ? params.taskId : undefined;
  }
  return undefined;
}

/**
 * The `Mcp-Param-{Name}` headers a tool's `inputSchema` asks for: each
 * property (reached through `properties` only) marked `x-mcp-header`,
 * with the argument at that path when it is present and not null.
 */
export function paramHeaders(
  schema: unknown,
  args: Record<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (s: unknown, value: unknown): void => {
    const props = (s as { properties?: Record<string, unknown> })?.properties;
    if (!props || typeof value !== "object" || value === null) return;
    for (const [key, sub] of Object.entries(props)) {
      const v = (value as Record<string, unknown>)[key];
      const header = (sub as Record<string, unknown>)["x-mcp-header"];
      if (typeof header === "string" && v !== undefined && v !== null) {
        out[`Mcp-Param-${header}`] = encodeHeaderValue(
          v as string | number | boolean,
        );
      }
      walk(sub, v);
    }
  };
  walk(schema, args);
  return out;
}
