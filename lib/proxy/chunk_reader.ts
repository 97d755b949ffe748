/**
 * How the proxy reads its pipes: 64 KiB at a time, into one reused buffer
 * where the stream allows it, so that a long stream costs no allocation per
 * chunk.
 *
 * @module
 */

/** Bytes read at a time from a pipe (its usual capacity on Linux). */
const READ_BYTES = 64 * 1024;

/** Reads chunks from a stream, possibly into one reused buffer. */
export interface ChunkReader {
  /** The next chunk, or `undefined` at the end; valid until the next read when `reused`. */
  read(): Promise<Uint8Array | undefined>;
  /** Stops reading. */
  cancel(): Promise<void>;
  /** Whether chunks share one buffer, overwritten by the next read. */
  reused: boolean;
}

/**
 * Reads `stream` into one reused buffer when `reuse` is asked and the stream
 * allows it (a byte stream, read with a BYOB reader): no allocation per
 * chunk, which keeps the proxy's memory flat on long streams. Otherwise
 * chunk by chunk, as the stream hands them out.
 *
 * @example Reading a byte stream into one reused buffer
 * ```ts
 * import { chunkReader } from "./chunk_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const stream = new ReadableStream({
 *   type: "bytes",
 *   start(controller) {
 *     controller.enqueue(new TextEncoder().encode("one\n"));
 *     controller.close();
 *   },
 * });
 * const reader = chunkReader(stream, true);
 * assert.equal(reader.reused, true);
 * assert.equal(new TextDecoder().decode(await reader.read()), "one\n");
 * assert.equal(await reader.read(), undefined);
 * ```
 */
export function chunkReader(
  stream: ReadableStream<Uint8Array>,
  reuse: boolean,
): ChunkReader {
  if (reuse) {
    let byob: ReadableStreamBYOBReader | undefined;
    try {
      byob = stream.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream: read it as it comes.
    }
    if (byob) {
      const reader = byob;
      let buffer = new ArrayBuffer(READ_BYTES);
      return {
        reused: true,
        async read(): Promise<Uint8Array | undefined> {
          const { value, done } = await reader.read(new Uint8Array(buffer));
          if (done || value === undefined) return undefined;
          buffer = value.buffer as ArrayBuffer;
          return value;
        },
        cancel: () => reader.cancel(),
      };
    }
  }
  const reader = stream.getReader();
  return {
    reused: false,
    async read(): Promise<Uint8Array | undefined> {
      const { value, done } = await reader.read();
      return done ? undefined : value;
    },
    cancel: () => reader.cancel(),
  };
}
