/**
 * When the audit of forwarded messages runs in the HTTP modes: in a task of
 * its own, after the one that forwarded them, so the bytes go out (the
 * event loop hands the client's write to the operating system) before the
 * plugins, the sealing and the log write run. Everything accepted in the
 * meantime is audited in that one task, in the order it was accepted.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/**
 * Runs `work` in a later task (after pending I/O has been polled) and
 * resolves with it; a failure rejects the promise, as `work`'s would.
 *
 * @example
 * ```ts
 * import { afterRelay } from "./after_relay.ts";
 * import assert from "node:assert/strict";
 *
 * const order: string[] = [];
 * const done = afterRelay(async () => void order.push("audited"));
 * order.push("forwarded");
 * await done;
 * assert.deepEqual(order, ["forwarded", "audited"]);
 * ```
 */
export function afterRelay(work: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve)).then(work);
}
