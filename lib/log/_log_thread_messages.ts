/**
 * What the log's two threads say to each other: the messages between
 * `ThreadLog` (`log_thread.ts`, the main thread's side) and
 * `serveLogThread` (`log_thread_worker.ts`, the worker's side).
 *
 * @module
 */
import type { LogLineOptions } from "./log_line.ts";
import type { LogWriterOptions } from "./log_writer.ts";
import type { SealerOptions } from "../seal/seal.ts";

/** The name the log's worker is started with. */
export const LOG_THREAD_NAME = "mcp-audit-log";

/**
 * Lines encoded one after another in `buffer` (line `i` ends, newline
 * included, at `ends[i]` and is event `seqs[i]`), and the events the
 * worker makes lines of, each placed before line `at`, as JSON text: an
 * event may hold exact numbers (`JSON.rawJSON` values, e.g. a pending
 * request's id past 2^53), which structured cloning refuses; the worker
 * parses them back with `parseExact`.
 */
export interface Batch {
  buffer: Uint8Array<ArrayBuffer>;
  ends: number[];
  seqs: number[];
  events: { at: number; json: string }[];
  /** What the batch counts against the bound. */
  bytes: number;
}

export type ToWorker =
  | {
    type: "open";
    path: string;
    writer: Omit<LogWriterOptions, "onWarning">;
    seal?: SealerOptions;
    line: LogLineOptions;
  }
  | ({ type: "batch" } & Batch)
  | { type: "flush" | "close"; id: number };

export type FromWorker =
  | { type: "opened" }
  | { type: "open_failed"; message: string }
  | {
    type: "ack";
    bytes: number;
    buffer: Uint8Array<ArrayBuffer>;
    lost: number;
    /** Only when a file was added since the last answer. */
    paths?: string[];
  }
  | { type: "done"; id: number; lost: number; paths: string[] }
  | { type: "warning"; message: string }
  | { type: "failed"; message: string };
