/**
 * Where the stdio bridge writes to its client. On the process's stdout the
 * bytes are handed to the operating system at the call itself
 * (`Deno.stdout.write` starts at once, where a `WritableStream` writer
 * starts its sink only in a later microtask, after whatever the caller does
 * next, such as auditing the message). A line of up to 16 KiB with no
 * write before it is written synchronously (`writeSync`), as Node writes to
 * pipes on Linux: an asynchronous write goes through a thread of the
 * runtime's blocking pool and back, which costs more CPU and latency than
 * the write itself. When the client stops reading and its pipe is full,
 * that write waits for it, and so does the bridge: backpressure, with
 * nothing buffered. Longer lines are written asynchronously. Writes are
 * done one after another, each whole.
 *
 * @module
 */

/** The client's side of the bridge: whole writes, in call order. */
export interface ClientOutput {
  /** Writes all of `bytes` after every earlier write; resolves once written. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the output after the writes queued so far. */
  close(): Promise<void>;
}

/**
 * The longest line written synchronously: a quarter of Linux's default
 * pipe buffer (64 KiB), so a client that reads at all never keeps such a
 * write waiting long.
 */
const SYNC_WRITE_BYTES = 16 * 1024;

/** Writes every byte of `bytes` to `file`, however many calls it takes. */
async function writeAll(
  file: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let done = await file.write(bytes);
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/**
 * The output to the client: `output` through its writer, or (without one)
 * the process's stdout, written directly.
 *
 * @example Writing through a stream
 * ```ts
 * import { clientOutput } from "./client_output.ts";
 * import assert from "node:assert/strict";
 *
 * const chunks: string[] = [];
 * const output = clientOutput(new WritableStream<Uint8Array>({
 *   write: (chunk) => void chunks.push(new TextDecoder().decode(chunk)),
 * }));
 * await output.write(new TextEncoder().encode("one\n"));
 * await output.write(new TextEncoder().encode("two\n"));
 * await output.close();
 * assert.deepEqual(chunks, ["one\n", "two\n"]);
 * ```
 */
export function clientOutput(
  output?: WritableStream<Uint8Array>,
): ClientOutput {
  if (output) {
    const writer = output.getWriter();
    return {
      write: (bytes) => writer.write(bytes),
      close: () => writer.close(),
    };
  }
  let last: Promise<void> = Promise.resolve();
  let idle = true;
  return {
    write(bytes: Uint8Array): Promise<void> {
      if (idle && bytes.length <= SYNC_WRITE_BYTES) {
        // Nothing before it, and small: written now, before this returns.
        try {
          let done = 0;
          while (done < bytes.length) {
            done += Deno.stdout.writeSync(bytes.subarray(done));
          }
          return Promise.resolve();
        } catch (error) {
          return Promise.reject(error);
        }
      }
      if (idle) {
        // Nothing before it: the write starts now, in this call.
        idle = false;
        last = writeAll(Deno.stdout, bytes);
      } else {
        last = last.then(() => writeAll(Deno.stdout, bytes));
      }
      const mine = last;
      mine.then(() => {
        if (last === mine) idle = true;
      }, () => {});
      return mine;
    },
    async close(): Promise<void> {
      await last.catch(() => {});
      Deno.stdout.close();
    },
  };
}
