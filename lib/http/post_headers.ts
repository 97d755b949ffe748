/**
 * The headers of the stdio bridge's POSTs, as a list of pairs: `fetch`
 * takes a list for about half the work of a `Headers` object, which it
 * would iterate (sorted) and check name by name. The user's `--header`
 * entries are sorted out once; the ones the bridge sets itself on every
 * POST (`Accept`, `Content-Type`, `Mcp-Session-Id`,
 * `MCP-Protocol-Version`) replace theirs, as `Headers.set` would.
 *
 * @module
 */

/** The headers each POST sets, lowercased. */
const OWN = new Set([
  "accept",
  "content-type",
  "mcp-session-id",
  "mcp-protocol-version",
]);

/** `Accept` of a Streamable HTTP POST: either answer form. */
const ACCEPT = "application/json, text/event-stream";

/**
 * Builds the header list of each POST from the user's headers.
 *
 * @example
 * ```ts
 * import { PostHeaders } from "./post_headers.ts";
 * import assert from "node:assert/strict";
 *
 * const post = new PostHeaders([["Authorization", "Bearer t"], ["Accept", "*\/*"]]);
 * const sent = new Headers(post.list("sid-1", "2025-11-25"));
 * assert.deepEqual(Object.fromEntries(sent), {
 *   authorization: "Bearer t",
 *   accept: "application/json, text/event-stream",
 *   "content-type": "application/json",
 *   "mcp-session-id": "sid-1",
 *   "mcp-protocol-version": "2025-11-25",
 * });
 * assert.equal(post.list(undefined, undefined).length, 3);
 * ```
 */
export class PostHeaders {
  #user: [string, string][];

  /** The user's headers (already expanded), in their order. */
  constructor(user: readonly [string, string][] | undefined) {
    this.#user = (user ?? []).filter(([name]) => !OWN.has(name.toLowerCase()))
      .map(([name, value]) => [name, value]);
  }

  /** The list for one POST, with the session id and version when known. */
  list(
    sessionId: string | undefined,
    protocolVersion: string | undefined,
  ): [string, string][] {
    const out = this.#user.slice();
    out.push(["accept", ACCEPT], ["content-type", "application/json"]);
    if (sessionId !== undefined) out.push(["mcp-session-id", sessionId]);
    if (protocolVersion) out.push(["mcp-protocol-version", protocolVersion]);
    return out;
  }
}
