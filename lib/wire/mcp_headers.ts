/**
 * The MCP request headers of the Streamable HTTP transport, as the audit
 * logs them. The 2026-07-28 revision mirrors body fields into headers so
 * that intermediaries can route without parsing the body: `Mcp-Method`
 * (the method), `Mcp-Name` (`params.name`, `params.uri`, or a task's
 * `params.taskId`) and one `Mcp-Param-{Name}` per tool argument that the
 * tool's `inputSchema` marks with `x-mcp-header`; `MCP-Protocol-Version`
 * is in both eras. Values outside visible ASCII arrive as
 * `=?base64?…?=` of their UTF-8 bytes. See docs/protocol-eras.md.
 *
 * `Mcp-Param-*` values are argument values: log them on the request event
 * as `mcpHeaders`, where the redaction walks them as it walks arguments
 * (a `Mcp-Param-Api-Key` value is redacted whole, as an `api_key` argument
 * is).
 *
 * @module
 */

/** The MCP headers of one HTTP request, decoded. */
export interface McpHeaders {
  /** `MCP-Protocol-Version`. */
  protocolVersion?: string;
  /** `Mcp-Method`. */
  method?: string;
  /** `Mcp-Name`, decoded. */
  name?: string;
  /** `Mcp-Param-{Name}` values by `{Name}` in lower case (header names are case-insensitive), decoded. */
  params?: Record<string, string>;
  /** Headers whose value is not a valid header value or Base64 sentinel, by their name. */
  malformed?: string[];
}

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
/** RFC 9110 field value characters: visible ASCII, space, tab. */
const FIELD_VALUE = /^[\x20-\x7e\t]*$/;

/**
 * Decodes one `Mcp-Name` or `Mcp-Param-*` value: the Base64 sentinel
 * `=?base64?…?=` to the UTF-8 text it holds, any other value as it is.
 * Returns `undefined` for a sentinel whose Base64 or UTF-8 is invalid.
 *
 * @example
 * ```ts
 * import { decodeMcpHeaderValue } from "./mcp_headers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeMcpHeaderValue("us-west1"), "us-west1");
 * assert.equal(decodeMcpHeaderValue("=?base64?SGVsbG8sIOS4lueVjA==?="), "Hello, 世界");
 * assert.equal(decodeMcpHeaderValue("=?base64?@@?="), undefined);
 * ```
 */
export function decodeMcpHeaderValue(value: string): string | undefined {
  if (!value.startsWith("=?base64?")) return value;
  const m = SENTINEL.exec(value);
  if (!m || m[1].length % 4 !== 0) return undefined;
  try {
    const binary = atob(m[1]);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The MCP headers of a request, decoded, for the log: what the HTTP side
 * records beside the request event (as `mcpHeaders`). Header names are
 * matched case-insensitively; an absent header is an absent field, and the
 * result is `undefined` when the request had none of them. A value that
 * cannot be decoded is kept as sent and named in `malformed`.
 *
 * @example
 * ```ts
 * import { mcpHeaders } from "./mcp_headers.ts";
 * import assert from "node:assert/strict";
 *
 * const headers = new Headers({
 *   "MCP-Protocol-Version": "2026-07-28",
 *   "Mcp-Method": "tools/call",
 *   "Mcp-Name": "execute_sql",
 *   "Mcp-Param-Region": "us-west1",
 *   "Mcp-Param-Greeting": "=?base64?SGVsbG8sIOS4lueVjA==?=",
 *   "Authorization": "Bearer x",
 * });
 * assert.deepEqual(mcpHeaders(headers), {
 *   protocolVersion: "2026-07-28",
 *   method: "tools/call",
 *   name: "execute_sql",
 *   params: { greeting: "Hello, 世界", region: "us-west1" },
 * });
 * assert.equal(mcpHeaders(new Headers({ accept: "*\/*" })), undefined);
 * ```
 */
export function mcpHeaders(
  headers: Headers | Iterable<readonly [string, string]>,
): McpHeaders | undefined {
  const out: McpHeaders = {};
  let any = false;
  const bad = (name: string): void => {
    (out.malformed ??= []).push(name);
  };
  for (const [rawName, value] of headers) {
    const name = rawName.toLowerCase();
    if (!name.startsWith("mcp-")) continue;
    if (name === "mcp-protocol-version") {
      out.protocolVersion = value;
    } else if (name === "mcp-method") {
      out.method = value;
    } else if (name === "mcp-name") {
      const decoded = decodeMcpHeaderValue(value);
      if (decoded === undefined) bad(name);
      out.name = decoded ?? value;
    } else if (name.startsWith("mcp-param-") && name.length > 10) {
      const decoded = decodeMcpHeaderValue(value);
      if (decoded === undefined) bad(name);
      (out.params ??= {})[name.slice(10)] = decoded ?? value;
    } else continue;
    if (!FIELD_VALUE.test(value)) bad(name);
    any = true;
  }
  return any ? out : undefined;
}
