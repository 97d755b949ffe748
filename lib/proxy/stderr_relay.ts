/**
 * The server's stderr: always drained (a server blocked on a full stderr
 * pipe would stall the conversation), passed through to ours without
 * waiting for it to be read, and recorded in the log up to a bound.
 *
 * @module
 */

/** Options for {@linkcode relayStderr}. */
export interface StderrRelayOptions {
  /** Bytes recorded in the log per session. */
  maxLoggedBytes: number;
  /** Receives each recorded part as text. */
  record(text: string): void;
  /** Receives a warning when passthrough had to drop bytes. */
  warn(message: string): void;
}

/** A running stderr relay. */
export interface StderrRelay {
  /** Resolves when the server's stderr has ended. */
  done: Promise<void>;
  /** Bytes the server wrote, and bytes recorded. */
  counts(): { bytes: number; loggedBytes: number };
  /** Resolves when the last passthrough write has settled. */
  flushed(): Promise<void>;
}

/** Bytes of passthrough in flight beyond which more stderr is dropped, not queued. */
const IN_FLIGHT_MAX = 16 * 1024 * 1024;

/**
 * Starts relaying `stream` to `writer`. Writes are not awaited, so a
 * client that never reads our stderr cannot stall the server; past a bound
 * in flight, passthrough drops bytes (with a warning) while the log still
 * records them up to its own bound.
 *
 * @example
 * ```ts
 * import { relayStderr } from "./stderr_relay.ts";
 * import assert from "node:assert/strict";
 *
 * const passed: number[] = [];
 * const recorded: string[] = [];
 * const relay = relayStderr(
 *   ReadableStream.from([new TextEncoder().encode("warning: slow\n")]),
 *   new WritableStream<Uint8Array>({ write: (c) => { passed.push(...c); } }).getWriter(),
 *   { maxLoggedBytes: 7, record: (t) => recorded.push(t), warn: () => {} },
 * );
 * await relay.done;
 * await relay.flushed();
 * assert.equal(passed.length, 14);
 * assert.deepEqual(recorded, ["warning"]);
 * assert.deepEqual(relay.counts(), { bytes: 14, loggedBytes: 7 });
 * ```
 */
export function relayStderr(
  stream: ReadableStream<Uint8Array>,
  writer: WritableStreamDefaultWriter<Uint8Array>,
  options: StderrRelayOptions,
): StderrRelay {
  let bytes = 0;
  let loggedBytes = 0;
  let inFlight = 0;
  let lastWrite: Promise<void> = Promise.resolve();
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      bytes += chunk.length;
      if (inFlight < IN_FLIGHT_MAX) {
        inFlight += chunk.length;
        lastWrite = writer.write(chunk).catch(() => {}).finally(() => {
          inFlight -= chunk.length;
        });
      } else {
        options.warn(
          "the client is not reading stderr; some server stderr was not passed through",
        );
      }
      if (loggedBytes < options.maxLoggedBytes) {
        const part = chunk.subarray(0, options.maxLoggedBytes - loggedBytes);
        loggedBytes += part.length;
        options.record(
          decoder.decode(part, { stream: part.length === chunk.length }),
        );
      }
    }
  })();
  return {
    done,
    counts: () => ({ bytes, loggedBytes }),
    flushed: () => lastWrite,
  };
}
