/**
 * What went wrong in a proxied session, in one sentence for the closing
 * line and `session_end`: a server killed or failing, and requests left
 * unanswered.
 *
 * @module
 */
import type { SessionEndEvent } from "../audit/event.ts";

/**
 * Describes what went wrong, or `undefined` when nothing did. A server
 * stopped with SIGTERM after the client left was stopped by the proxy, as
 * designed, and is not a failure.
 *
 * @example
 * ```ts
 * import { describeFailure } from "./failure.ts";
 * import assert from "node:assert/strict";
 *
 * const status = { success: false, code: 3, signal: null };
 * assert.equal(describeFailure(status, "server_exited", [], undefined), "the server exited with code 3");
 * assert.equal(describeFailure({ success: true, code: 0, signal: null }, "client_closed", [], undefined), undefined);
 * ```
 */
export function describeFailure(
  status: Deno.CommandStatus,
  reason: SessionEndEvent["reason"],
  pending: SessionEndEvent["pending"],
  signalled: string | undefined,
): string | undefined {
  const unanswered = pending.filter((p) => !p.cancelled);
  const parts: string[] = [];
  // A server stopped with SIGTERM after the client left was stopped by us, as designed.
  const stoppedByUs = reason === "client_closed" && status.signal === "SIGTERM";
  if (status.signal && !stoppedByUs) {
    parts.push(
      `the server was killed by ${status.signal}${
        signalled ? ` (forwarded from the proxy)` : ""
      }`,
    );
  } else if (!status.signal && status.code !== 0) {
    parts.push(`the server exited with code ${status.code}`);
  }
  if (unanswered.length > 0) {
    const list = unanswered.slice(0, 5).map((p) =>
      `${p.method}${p.tool ? ` ${p.tool}` : ""} (id ${
        JSON.stringify(p.id)
      }, seq ${p.seq})`
    ).join(", ");
    parts.push(
      `${unanswered.length} request(s) never answered: ${list}${
        unanswered.length > 5 ? ", ..." : ""
      }`,
    );
  }
  return parts.length > 0 ? parts.join("; ") : undefined;
}
