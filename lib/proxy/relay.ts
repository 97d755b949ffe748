/**
 * One direction of the stdio relay: chunks from one peer to the other, as
 * they arrive, each tapped into the audit. The proxy runs two of these
 * (client -> server and server -> client) and nothing else touches the
 * bytes.
 *
 * @module
 */
import type { ByteTap } from "../session/audit_session.ts";
import type { ChunkReader } from "./chunk_reader.ts";

/**
 * Copies every chunk from `reader` to `writer` until the reader ends,
 * pushing each into `tap`. Each write is started before its chunk is
 * audited, so the bytes are on their way first; the audit runs before the
 * next await, so no answer to them can be logged before they are. When the
 * writer fails (that peer went away), forwarding stops but reading and
 * auditing go on, so the source never blocks on a full pipe. The tap's
 * backpressure (its queue is bounded) is the only way the audit slows the
 * relay. Rejects only when reading fails.
 *
 * @example Relaying two chunks and auditing them
 * ```ts
 * import { relay } from "./relay.ts";
 * import { chunkReader } from "./chunk_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const source = ReadableStream.from([new Uint8Array([1, 2]), new Uint8Array([3])]);
 * const seen: number[] = [];
 * const received: number[] = [];
 * const sink = new WritableStream<Uint8Array>({ write: (chunk) => { received.push(...chunk); } });
 * await relay(chunkReader(source, false), sink.getWriter(), {
 *   push: (chunk) => { seen.push(...chunk); return undefined; },
 *   end: () => {},
 * });
 * assert.deepEqual(received, [1, 2, 3]);
 * assert.deepEqual(seen, [1, 2, 3]);
 * ```
 */
export async function relay(
  reader: ChunkReader,
  writer: WritableStreamDefaultWriter<Uint8Array>,
  tap: ByteTap,
): Promise<void> {
  let open = true;
  while (true) {
    const value = await reader.read();
    if (value === undefined) return;
    const written = open ? writer.write(value) : undefined;
    const wait = tap.push(value);
    if (written) {
      try {
        await written;
      } catch {
        open = false;
      }
    }
    if (wait) await wait;
  }
}
