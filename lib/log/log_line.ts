/**
 * Stage 5a: an enriched event -> one log line. Payloads of frames above the
 * size limit are replaced by their size, SHA-256 and a preview, so one huge
 * tool result cannot bloat the log; the hash is over the exact wire bytes
 * of the frame.
 *
 * @module
 */
import type { AuditEvent } from "../audit/event.ts";
import { type CorrelatedEvent, FRAME } from "../audit/correlator.ts";
import { truncated } from "../wire/payload.ts";

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
  const max = options.maxPayloadBytes ?? defaults.maxPayloadBytes;
  const frame = event[FRAME];
  // A skimmed frame's payloads are already truncation records.
  if (frame && frame.length > max && !frame.skimmed) {
    const preview = options.previewChars ?? defaults.previewChars;
    const wire = frame.oversized
      ? { length: frame.length, sha256: frame.oversized.sha256 }
      : frame.sha256 !== undefined
      ? { length: frame.length, sha256: frame.sha256 }
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
