/**
 * Stage 5a: an enriched event -> one log line. Payloads of frames above the
 * size limit are replaced by their size, SHA-256 and a preview, so one huge
 * tool result cannot bloat the log; the hash is over the exact wire bytes
 * of the frame.
 *
 * @module
 */
import type { AuditEvent } from "./event.ts";
import { type CorrelatedEvent, FRAME } from "./correlator.ts";
import { truncated } from "./payload.ts";

/** Options for {@linkcode toLogLine}. */
export interface LogLineOptions {
  /**
   * Frames larger than this have their payload (params, result or error)
   * truncated in the log.
   * @default {65536}
   */
  maxPayloadBytes?: number;
  /**
   * Characters of a truncated payload kept as its preview.
   * @default {1024}
   */
  previewChars?: number;
}

const defaults = {
  maxPayloadBytes: 64 * 1024,
  previewChars: 1024,
} satisfies LogLineOptions;

/**
 * Whether {@linkcode toLogLine} truncates the payload of `event` (and so
 * reads its frame): its frame is over the size limit and was not skimmed.
 *
 * @example
 * ```ts
 * import { truncatesPayload } from "./log_line.ts";
 * import { FRAME } from "./correlator.ts";
 * import assert from "node:assert/strict";
 *
 * const event = { v: 1, seq: 0, ts: "t", session: "s", kind: "stderr", text: "" } as const;
 * assert.equal(truncatesPayload(event), false);
 * const big = { ...event, [FRAME]: { bytes: new Uint8Array(0), length: 100_000 } };
 * assert.equal(truncatesPayload(big), true);
 * assert.equal(truncatesPayload(big, { maxPayloadBytes: 200_000 }), false);
 * ```
 */
export function truncatesPayload(
  event: CorrelatedEvent,
  options: LogLineOptions = {},
): boolean {
  const frame = event[FRAME];
  // A skimmed frame's payloads are already truncation records.
  return frame !== undefined && !frame.skimmed &&
    frame.length > (options.maxPayloadBytes ?? defaults.maxPayloadBytes);
}

/**
 * Serialises an event as one JSONL line (with its trailing newline),
 * truncating payloads of oversized frames.
 *
 * @example
 * ```ts
 * import { toLogLine } from "./log_line.ts";
 * import assert from "node:assert/strict";
 *
 * const line = toLogLine({ v: 1, seq: 0, ts: "t", session: "s", kind: "stderr", text: "hi" });
 * assert.equal(line, '{"v":1,"seq":0,"ts":"t","session":"s","kind":"stderr","text":"hi"}\n');
 * ```
 */
export function toLogLine(
  event: CorrelatedEvent,
  options: LogLineOptions = {},
): string {
  const frame = event[FRAME];
  if (frame && truncatesPayload(event, options)) {
    const preview = options.previewChars ?? defaults.previewChars;
    const wire = frame.oversized
      ? { length: frame.length, sha256: frame.oversized.sha256 }
      : frame.bytes;
    const copy = { ...event } as Record<string, unknown>;
    for (const key of ["params", "result", "error"] as const) {
      if (copy[key] !== undefined) {
        copy[key] = truncated(copy[key], wire, preview);
      }
    }
    return JSON.stringify(copy) + "\n";
  }
  return JSON.stringify(event as AuditEvent) + "\n";
}
