/**
 * The `Mcp-Param-{Name}` headers of the 2026-07-28 revision, as a client
 * must send them on a `tools/call` over Streamable HTTP
 * (transports/streamable-http.mdx, "Custom Headers from Tool Parameters"):
 * a tool's `inputSchema` marks a parameter with `x-mcp-header: Name`, and
 * the argument at that property path is mirrored into the header. The
 * stdio bridge learns the schemas from the `tools/list` answers it relays,
 * since a stdio client sends no headers.
 *
 * Only marks reached through a chain of `properties` keys count, and only
 * on string, integer and boolean parameters, as the page requires; a
 * header is omitted when the argument is absent or null.
 *
 * @module
 */

/** One marked parameter: the property path and the header name part. */
interface Mark {
  path: string[];
  name: string;
}

/**
 * A header value as the transport page encodes it: visible ASCII (with
 * inner spaces and tabs) as it is; anything else, or a value that looks
 * like the sentinel itself, as `=?base64?{UTF-8 in Base64}?=`.
 *
 * @example
 * ```ts
 * import { encodeHeaderValue } from "./tool_param_headers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeHeaderValue("us-west1"), "us-west1");
 * assert.equal(encodeHeaderValue("Hello, 世界"), "=?base64?SGVsbG8sIOS4lueVjA==?=");
 * assert.equal(encodeHeaderValue(" padded "), "=?base64?IHBhZGRlZCA=?=");
 * assert.equal(encodeHeaderValue("=?base64?literal?="), "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
 * ```
 */
export function encodeHeaderValue(value: string): string {
  const plain = /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/.test(value) &&
    !(value.startsWith("=?base64?") && value.endsWith("?="));
  if (plain) return value;
  const bytes = new TextEncoder().encode(value);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `=?base64?${btoa(binary)}?=`;
}

/** The marks of one schema, through `properties` chains only. */
function marksOf(
  schema: unknown,
  path: string[] = [],
  out: Mark[] = [],
): Mark[] {
  const props = (schema as { properties?: unknown } | null)?.properties;
  if (typeof props !== "object" || props === null) return out;
  for (const [key, sub] of Object.entries(props as Record<string, unknown>)) {
    if (typeof sub !== "object" || sub === null) continue;
    const name = (sub as Record<string, unknown>)["x-mcp-header"];
    const type = (sub as Record<string, unknown>).type;
    if (
      typeof name === "string" && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) &&
      (type === "string" || type === "integer" || type === "boolean")
    ) out.push({ path: [...path, key], name });
    marksOf(sub, [...path, key], out);
  }
  return out;
}

/**
 * What the bridge knows of each tool's `x-mcp-header` marks, learnt from
 * `tools/list` results.
 *
 * @example
 * ```ts
 * import { ToolParamHeaders } from "./tool_param_headers.ts";
 * import assert from "node:assert/strict";
 *
 * const known = new ToolParamHeaders();
 * known.learn({
 *   tools: [{
 *     name: "execute_sql",
 *     inputSchema: {
 *       type: "object",
 *       properties: {
 *         region: { type: "string", "x-mcp-header": "Region" },
 *         opts: { type: "object", properties: { n: { type: "integer", "x-mcp-header": "N" } } },
 *         query: { type: "string" },
 *       },
 *     },
 *   }],
 * });
 * assert.deepEqual(
 *   known.headers("execute_sql", { region: "us-west1", opts: { n: 3 }, query: "SELECT 1" }),
 *   { "mcp-param-region": "us-west1", "mcp-param-n": "3" },
 * );
 * assert.deepEqual(known.headers("execute_sql", { region: null }), {});
 * assert.deepEqual(known.headers("other", { region: "x" }), {});
 * ```
 */
export class ToolParamHeaders {
  #marks = new Map<string, Mark[]>();

  /** Learns the marks of every tool in a `tools/list` result. */
  learn(result: unknown): void {
    const tools = (result as { tools?: unknown } | null)?.tools;
    if (!Array.isArray(tools)) return;
    for (const tool of tools) {
      const name = (tool as { name?: unknown } | null)?.name;
      if (typeof name !== "string") continue;
      const marks = marksOf((tool as { inputSchema?: unknown }).inputSchema);
      if (marks.length) this.#marks.set(name, marks);
      else this.#marks.delete(name);
    }
  }

  /** The `mcp-param-*` headers (lower-case names) for a call of `tool` with `args`. */
  headers(tool: string, args: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    for (const mark of this.#marks.get(tool) ?? []) {
      let value: unknown = args;
      for (const key of mark.path) {
        value = typeof value === "object" && value !== null
          ? (value as Record<string, unknown>)[key]
          : undefined;
      }
      if (
        typeof value === "string" || typeof value === "boolean" ||
        (typeof value === "number" && Number.isSafeInteger(value))
      ) {
        out[`mcp-param-${mark.name.toLowerCase()}`] = encodeHeaderValue(
          String(value),
        );
      }
    }
    return out;
  }
}
