/**
 * What the reverse proxy gives a client in place of an SSE event over
 * `--max-event-bytes`. The event cannot pass, and the transport leaves the
 * proxy two things it may do (2025-11-25 transports, "Sending Messages to
 * the Server" 6; 2026-07-28 streamable-http, "Receiving Messages"): send
 * the request's JSON-RPC response on the stream, and close the stream. So
 * the requests of the POST that the log still holds unanswered get one
 * JSON-RPC error naming the limit, and then the stream ends; the client
 * learns why at once instead of waiting on a broken stream.
 *
 * @module
 */
import type { Pending } from "../audit/event.ts";
import { errorBody } from "./http_body.ts";

/**
 * The JSON-RPC error body that answers, in place of an oversized event,
 * each request of `ids` (the POST's) still pending in the session's log
 * (`pending`, from the audit; `undefined` when the session has no log, and
 * then every id is answered), or `undefined` when none is left to answer
 * (a GET stream, or the answer already passed).
 *
 * @example
 * ```ts
 * import { oversizedAnswer } from "./oversized_event.ts";
 * import assert from "node:assert/strict";
 *
 * const pending = [{ seq: 3, dir: "c2s" as const, id: 7, method: "tools/call", cancelled: false }];
 * const body = JSON.parse(oversizedAnswer(pending, [7], "an SSE event is too large")!);
 * assert.equal(body.id, 7);
 * assert.equal(body.error.message, "mcp-audit: an SSE event is too large");
 * assert.equal(oversizedAnswer([], [7], "too large"), undefined);
 * assert.equal(oversizedAnswer(pending, [], "too large"), undefined);
 * ```
 */
export function oversizedAnswer(
  pending: readonly Pending[] | undefined,
  ids: readonly (string | number)[],
  message: string,
): string | undefined {
  const open = pending === undefined
    ? [...ids]
    : ids.filter((id) => pending.some((p) => p.dir === "c2s" && p.id === id));
  if (open.length === 0) return undefined;
  return errorBody(open, `mcp-audit: ${message}`);
}
