/**
 * The `--since` argument of `sessions` and `report`: a span back from now
 * (`90s`, `30m`, `24h`, `7d`, `2w`) or a date and time (ISO 8601).
 *
 * @module
 */
import { UsageError } from "./usage_error.ts";

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * The time `text` names, counted back from `now` for a span; throws
 * {@linkcode UsageError} (with `help`) for anything else.
 *
 * @example
 * ```ts
 * import { parseSince } from "./since.ts";
 * import assert from "node:assert/strict";
 *
 * const now = new Date("2026-06-02T12:00:00Z");
 * assert.equal(parseSince("24h", "", now).toISOString(), "2026-06-01T12:00:00.000Z");
 * assert.equal(parseSince("30m", "", now).toISOString(), "2026-06-02T11:30:00.000Z");
 * assert.equal(parseSince("2026-06-01", "", now).toISOString(), "2026-06-01T00:00:00.000Z");
 * assert.throws(() => parseSince("yesterday", "", now), /--since/);
 * ```
 */
export function parseSince(text: string, help: string, now: Date): Date {
  const span = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (span) return new Date(now.getTime() - Number(span[1]) * UNIT_MS[span[2]]);
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (Number.isFinite(at)) return new Date(at);
  }
  throw new UsageError(
    `--since "${text}" is neither a span (90s, 30m, 24h, 7d, 2w) nor a date (2026-06-01 or 2026-06-01T09:00:00Z)`,
    help,
  );
}
