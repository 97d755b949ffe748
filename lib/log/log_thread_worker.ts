/**
 * The log thread's worker side: opens the log, then seals and writes the
 * batches that `ThreadLog` (`log_thread.ts`) posts, in order.
 *
 * It runs as the worker's module under `deno run`, and starts itself there
 * (the last line). In the bundle the worker runs the bundle, whose entry,
 * `cli.ts`, imports this module and calls {@linkcode serveLogThread} when
 * {@linkcode isLogThread} says it is in the log's worker.
 *
 * @module
 */
import type { CorrelatedEvent } from "../audit/correlator.ts";
import { LocalLog } from "./event_log.ts";
import { parseExact } from "../wire/raw_number.ts";
import { LogOpenError } from "./log_writer.ts";
import {
  type FromWorker,
  LOG_THREAD_NAME,
  type ToWorker,
} from "./_log_thread_messages.ts";

/**
 * Whether this code runs in the log's worker.
 *
 * @example
 * ```ts
 * import { isLogThread } from "./log_thread_worker.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLogThread(), false); // The main thread.
 * ```
 */
export function isLogThread(): boolean {
  return "WorkerGlobalScope" in globalThis &&
    (globalThis as { name?: unknown }).name === LOG_THREAD_NAME;
}

let serving = false;

/**
 * The worker's side: opens the log, then seals and writes the batches it is
 * sent, in order. Called once per worker (again, it does nothing).
 *
 * @example A worker's entry
 * ```ts ignore
 * import { isLogThread, serveLogThread } from "./log_thread_worker.ts";
 *
 * if (isLogThread()) serveLogThread();
 * ```
 */
export function serveLogThread(): void {
  if (serving) return;
  serving = true;
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
    postMessage(message: FromWorker, transfer?: Transferable[]): void;
  };
  const reply = (m: FromWorker): void => scope.postMessage(m);
  let log: LocalLog | undefined;
  let knownPaths = 1;
  let chain: Promise<void> = Promise.resolve();
  let failed = false;
  const run = (task: () => Promise<void>): void => {
    chain = chain.then(() => failed ? undefined : task()).catch((error) => {
      // A bug, not a write error (the log reports those itself): stop, and
      // let the main thread account for what follows rather than wait.
      failed = true;
      reply({ type: "failed", message: String(error) });
    });
  };
  scope.onmessage = (e) => {
    const m = e.data;
    if (m.type === "open") {
      run(async () => {
        try {
          log = await LocalLog.open(m.path, {
            ...m.writer,
            ...m.line,
            seal: m.seal,
            onWarning: (message) => reply({ type: "warning", message }),
          });
          reply({ type: "opened" });
        } catch (error) {
          const cause = error instanceof LogOpenError && error.cause
            ? error.cause
            : error;
          reply({
            type: "open_failed",
            message: cause instanceof Error ? cause.message : String(cause),
          });
        }
      });
    } else if (m.type === "batch") {
      run(async () => {
        // Runs of lines between the events that need the sealer.
        let line = 0;
        let start = 0;
        for (let e = 0; e <= m.events.length; e++) {
          const stop = e < m.events.length ? m.events[e].at : m.ends.length;
          if (stop > line) {
            const wait = log!.appendEncoded(
              m.seqs[line],
              m.buffer,
              m.ends,
              line,
              stop,
              start,
            );
            start = m.ends[stop - 1];
            line = stop;
            if (wait) await wait;
          }
          if (e < m.events.length) {
            const event = parseExact(m.events[e].json) as CorrelatedEvent;
            const wait = log!.append(event);
            if (wait) await wait;
          }
        }
        const paths = log!.paths;
        scope.postMessage({
          type: "ack",
          bytes: m.bytes,
          buffer: m.buffer,
          lost: log!.lost,
          ...(paths.length !== knownPaths ? { paths } : {}),
        }, [m.buffer.buffer]);
        knownPaths = paths.length;
      });
    } else {
      run(async () => {
        if (m.type === "flush") await log!.flush();
        else await log!.close();
        reply({ type: "done", id: m.id, lost: log!.lost, paths: log!.paths });
      });
    }
  };
}

if (isLogThread()) serveLogThread();
