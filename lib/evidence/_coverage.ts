/**
 * Which events no signed checkpoint covers, per session, for `summary` and
 * `check`. Events after the last signed checkpoint could have been written
 * by anyone able to rewrite the file: a log rolled back to an earlier
 * checkpoint and continued reads like a crash, so these commands say which
 * events they counted without a signature behind them.
 *
 * @module
 */

/** Events of a session that no signed checkpoint covers. */
export interface Uncovered {
  /** The session. */
  session: string;
  /** Seq of the first such event. */
  fromSeq: number;
  /** Seq of the last such event. */
  toSeq: number;
  /** How many there are (checkpoints are not events). */
  events: number;
  /** Where the first of them is. */
  path: string;
  /** Its 1-based line. */
  line: number;
  /** The session has at least one signed checkpoint (its tail is what is uncovered). */
  signed: boolean;
}

interface SessionCoverage {
  signed: boolean;
  events: number;
  fromSeq?: number;
  toSeq?: number;
  path?: string;
  line?: number;
}

/**
 * Feeds on a session's records in log order and tells, at the end, which
 * events come after its last signed checkpoint (a checkpoint with a
 * `signature`; `verify --pubkey` checks the signatures themselves).
 *
 * @example
 * ```ts
 * import { CoverageTracker } from "./_coverage.ts";
 * import assert from "node:assert/strict";
 *
 * const coverage = new CoverageTracker();
 * const kinds = ["session_start", "request", "checkpoint", "request", "response"];
 * kinds.forEach((kind, seq) =>
 *   coverage.add({ session: "s", seq, kind, ...(kind === "checkpoint" ? { signature: "x" } : {}) }, "a.jsonl", seq + 1)
 * );
 * assert.deepEqual(coverage.uncovered(), [
 *   { session: "s", fromSeq: 3, toSeq: 4, events: 2, path: "a.jsonl", line: 4, signed: true },
 * ]);
 * ```
 */
export class CoverageTracker {
  #sessions = new Map<string, SessionCoverage>();

  /** Adds one record (a parsed line) found at `path`:`line`. */
  add(record: Record<string, unknown>, path: string, line: number): void {
    const session = record.session;
    const seq = record.seq;
    if (typeof session !== "string" || typeof seq !== "number") return;
    let s = this.#sessions.get(session);
    if (!s) {
      s = { signed: false, events: 0 };
      this.#sessions.set(session, s);
    }
    if (record.kind === "checkpoint") {
      if (typeof record.signature === "string") {
        s.signed = true;
        s.events = 0;
        s.fromSeq = undefined;
      }
      return;
    }
    // The writer's gap lines are not events.
    if (record.kind === "gap") return;
    if (s.events === 0) {
      s.fromSeq = seq;
      s.path = path;
      s.line = line;
    }
    s.events++;
    s.toSeq = seq;
  }

  /** The sessions with uncovered events, in the order they were first seen. */
  uncovered(): Uncovered[] {
    const out: Uncovered[] = [];
    for (const [session, s] of this.#sessions) {
      if (s.events === 0) continue;
      out.push({
        session,
        fromSeq: s.fromSeq!,
        toSeq: s.toSeq!,
        events: s.events,
        path: s.path!,
        line: s.line!,
        signed: s.signed,
      });
    }
    return out;
  }
}

/**
 * The uncovered events in words: `seq 3 to 4 (2 events) are not covered by
 * a signed checkpoint`.
 *
 * @example
 * ```ts
 * import { describeUncovered } from "./_coverage.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   describeUncovered({ session: "s", fromSeq: 3, toSeq: 4, events: 2, path: "a", line: 4, signed: true }),
 *   "seq 3 to 4 (2 events) are not covered by a signed checkpoint: after the last one, so whoever can rewrite the log could have written them",
 * );
 * ```
 */
export function describeUncovered(u: Uncovered): string {
  const range = u.fromSeq === u.toSeq
    ? `seq ${u.fromSeq} (1 event) is`
    : `seq ${u.fromSeq} to ${u.toSeq} (${u.events} events) are`;
  return `${range} not covered by a signed checkpoint: ${
    u.signed
      ? "after the last one, so whoever can rewrite the log could have written them"
      : "the session has none"
  }`;
}
