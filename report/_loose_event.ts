/**
 * The report reads events loosely, so any log that parses renders: these are
 * the narrowing helpers, and the one read of each event's common fields that
 * every model builder then shares.
 *
 * @module
 */

/** A JSON object as read from a log line. */
export type Rec = Record<string, unknown>;

/** `value` when it is a plain object, else `undefined`. */
export function rec(value: unknown): Rec | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Rec
    : undefined;
}

/** `value` when it is a string, else `undefined`. */
export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** `value` when it is a finite number, else `undefined`. */
export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value)
    ? value
    : undefined;
}

/** An event with a `kind` and a `session`, its common fields read once. */
export interface LooseEvent {
  /** The whole event object. */
  fields: Rec;
  kind: string;
  session: string;
  /** `seq`, or -1 when missing. */
  seq: number;
  /** `ts`, or `""` when missing. */
  ts: string;
  /** `ts` parsed; `NaN` when it is not a time. */
  ms: number;
  dir?: string;
  method?: string;
  tool?: string;
}

/**
 * Keeps the events that are objects with a string `kind` and `session`, in
 * log order, with their common fields read.
 *
 * @example
 * ```ts
 * import { readLooseEvents } from "./_loose_event.ts";
 * import assert from "node:assert/strict";
 *
 * const read = readLooseEvents([
 *   { kind: "stderr", session: "s", seq: 3, ts: "2025-01-01T00:00:00Z" },
 *   { kind: "stderr" },
 *   "not an event",
 * ]);
 * assert.equal(read.length, 1);
 * assert.equal(read[0].seq, 3);
 * assert.equal(read[0].ms, Date.UTC(2025, 0, 1));
 * ```
 */
export function readLooseEvents(events: readonly unknown[]): LooseEvent[] {
  const out: LooseEvent[] = [];
  for (const raw of events) {
    const fields = rec(raw);
    const kind = str(fields?.kind);
    const session = str(fields?.session);
    if (fields === undefined || kind === undefined || session === undefined) {
      continue;
    }
    const ts = str(fields.ts) ?? "";
    out.push({
      fields,
      kind,
      session,
      seq: num(fields.seq) ?? -1,
      ts,
      ms: Date.parse(ts),
      dir: str(fields.dir),
      method: str(fields.method),
      tool: str(fields.tool),
    });
  }
  return out;
}
