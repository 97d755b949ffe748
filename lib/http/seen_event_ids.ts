/**
 * The SSE event ids a session has already logged. A client that resumes a
 * stream with `Last-Event-ID` names the last event it handled, which may
 * be older than the last one that passed the proxy: the server then sends
 * some events again. The transport page (2025-11-25, "Resumability and
 * Redelivery") makes an event id unique across all streams of a session,
 * so an id seen before is the same message again: it is forwarded, but
 * logged once.
 *
 * @module
 */

/** A bounded set of event ids, oldest forgotten first. */
export class SeenEventIds {
  #ids = new Set<string>();
  #limit: number;

  /** Remembers at most `limit` ids (10,000 unless given). */
  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  /**
   * True the first time `id` is offered (and remembers it), false after.
   *
   * @example
   * ```ts
   * import { SeenEventIds } from "./seen_event_ids.ts";
   * import assert from "node:assert/strict";
   *
   * const seen = new SeenEventIds(2);
   * assert.equal(seen.first("a"), true);
   * assert.equal(seen.first("a"), false);
   * seen.first("b");
   * seen.first("c"); // "a" is forgotten
   * assert.equal(seen.first("a"), true);
   * ```
   */
  first(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.#limit) {
      this.#ids.delete(this.#ids.values().next().value!);
    }
    return true;
  }
}
