/**
 * The log in a worker thread: sealing (a SHA-256 per line for the chain and
 * the tree, signed checkpoints) and writing run beside the relay and the
 * plugins instead of after them, so the proxy's two cores share the audit.
 *
 * The main thread still numbers events, runs the plugins and serialises each
 * line (its payload truncation reads the frame's bytes); it posts the lines
 * in batches. Checkpoints and the session end, which need the sealer's
 * state, are posted as events and made into lines in the worker. Nothing is
 * dropped: a batch counts against a bound until the worker has written it,
 * and `append` asks the caller to wait beyond that bound.
 *
 * This module is the main thread's side; the worker's is
 * `log_thread_worker.ts`, and `_log_thread_messages.ts` holds what they say
 * to each other. When a worker cannot be started the log is written in this
 * thread, as {@linkcode LocalLog} does.
 *
 * @module
 */
import type { CorrelatedEvent } from "../audit/correlator.ts";
import {
  type EventLog,
  type EventLogOptions,
  LocalLog,
  needsSealer,
} from "./event_log.ts";
import { toLogLine } from "./log_line.ts";
import { LogOpenError } from "./log_writer.ts";
import {
  type Batch,
  type FromWorker,
  LOG_THREAD_NAME,
  type ToWorker,
} from "./_log_thread_messages.ts";

/** Bytes posted and not yet written before `append` asks the caller to wait. */
const HIGH_WATER_BYTES = 8 * 1024 * 1024;
/** How long a new worker has to open the log. */
const OPEN_TIMEOUT_MS = 5_000;
/**
 * A batch is posted once its buffer is full, or at the event loop's next
 * turn: a batch then holds the events of every read that completed in this
 * turn, not of one read (fewer, larger messages: the sealed bench went from
 * 0.77-0.81 to 0.84-0.90 of the unsealed proxy).
 */
const BATCH_BYTES = 256 * 1024;
/** Batch buffers kept for reuse (the worker sends them back). */
const POOL_SIZE = 4;
const encoder = new TextEncoder();
/**
 * The worker's module. Under `deno run` (or from a registry) this module is
 * a file of its own beside `log_thread_worker.ts`. In the bundle every
 * module is one file with no siblings, so the worker runs the bundle
 * itself, whose entry (`cli.ts`) serves the log when it finds itself in the
 * log's worker.
 */
const WORKER_URL = import.meta.url.endsWith("/log_thread.ts")
  ? new URL("./log_thread_worker.ts", import.meta.url).href
  : import.meta.url;

/**
 * An {@linkcode EventLog} whose sealing and writing run in a worker.
 *
 * @example
 * ```ts
 * import { ThreadLog } from "./log_thread.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * const log = await ThreadLog.open(path, { session: "s", seal: {} });
 * log.append({ v: 1, seq: 0, ts: "t", session: "s", kind: "stderr", text: "hello" });
 * await log.close();
 * assert.match(await Deno.readTextFile(path), /"hello","hash":"[0-9a-f]{64}"/);
 * await Deno.remove(path);
 * ```
 */
export class ThreadLog implements EventLog {
  #worker: Worker;
  #options: EventLogOptions;
  #buffer = new Uint8Array(BATCH_BYTES);
  #pos = 0;
  #ends: number[] = [];
  #seqs: number[] = [];
  #events: { at: number; json: string }[] = [];
  #eventBytes = 0;
  #pool: Uint8Array<ArrayBuffer>[] = [];
  #scheduled = false;
  #inFlight = 0;
  #waiters: (() => void)[] = [];
  #calls = new Map<number, () => void>();
  #nextCall = 0;
  #paths: string[];
  #lost = 0;
  #failure: string | undefined;

  private constructor(worker: Worker, path: string, options: EventLogOptions) {
    this.#worker = worker;
    this.#options = options;
    this.#paths = [path];
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#receive(e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#fail(e.message);
    };
  }

  /**
   * Opens the log at `path` in a new worker. Throws `LogOpenError` when the
   * file cannot be opened; falls back to a {@linkcode LocalLog} when no
   * worker can be started.
   */
  static async open(
    path: string,
    options: EventLogOptions,
  ): Promise<EventLog> {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_URL, {
        type: "module",
        name: LOG_THREAD_NAME,
      });
    } catch (error) {
      return await localLog(path, options, String(error));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const opened = await new Promise<FromWorker | ErrorEvent>((resolve) => {
      // A worker that never answers (it could not load) is given up on.
      timer = setTimeout(
        () => resolve({ type: "warning", message: "no answer in 5 s" }),
        OPEN_TIMEOUT_MS,
      );
      worker.onmessage = (e: MessageEvent<FromWorker>) => resolve(e.data);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        resolve(e);
      };
      const { onWarning: _, onLine: _line, ...writer } = options;
      post(worker, {
        type: "open",
        path,
        writer: {
          session: writer.session,
          rotateBytes: writer.rotateBytes,
          followSymlink: writer.followSymlink,
          highWaterBytes: writer.highWaterBytes,
        },
        seal: options.seal,
        line: {
          maxPayloadBytes: options.maxPayloadBytes,
          previewChars: options.previewChars,
        },
      });
    });
    clearTimeout(timer);
    if (opened instanceof ErrorEvent || opened.type !== "opened") {
      worker.terminate();
      if (!(opened instanceof ErrorEvent) && opened.type === "open_failed") {
        throw new LogOpenError(path, { cause: new Error(opened.message) });
      }
      const why = "message" in opened ? opened.message : "unexpected answer";
      return await localLog(path, options, why);
    }
    return new ThreadLog(worker, path, options);
  }

  /** Every file written so far, in order. */
  get paths(): string[] {
    return [...this.#paths];
  }

  /** Events lost to failed writes so far. */
  get lost(): number {
    return this.#lost;
  }

  /** Appends one event; see {@linkcode EventLog.append}. */
  append(event: CorrelatedEvent): Promise<void> | undefined {
    if (this.#failure !== undefined) {
      this.#lost++;
      return undefined;
    }
    if (this.#options.seal && needsSealer(event)) {
      this.#events.push({ at: this.#ends.length, json: JSON.stringify(event) });
      this.#eventBytes += 1024;
    } else {
      const line = toLogLine(event, this.#options);
      this.#options.onLine?.(event, line);
      const room = line.length * 3;
      if (this.#pos + room > this.#buffer.length) {
        this.#post();
        if (room > this.#buffer.length) this.#buffer = new Uint8Array(room);
      }
      this.#pos += encoder.encodeInto(
        line,
        this.#buffer.subarray(this.#pos),
      ).written;
      this.#ends.push(this.#pos);
      this.#seqs.push(event.seq);
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => this.#post(), 0);
    }
    if (this.#inFlight + this.#pos + this.#eventBytes > HIGH_WATER_BYTES) {
      return new Promise((resolve) => this.#waiters.push(resolve));
    }
    return undefined;
  }

  /** Resolves when everything appended so far is written. */
  flush(): Promise<void> {
    return this.#call("flush");
  }

  /** Flushes, closes the file and stops the worker. */
  async close(): Promise<void> {
    await this.#call("close");
    this.#worker.terminate();
  }

  #call(type: "flush" | "close"): Promise<void> {
    this.#post();
    if (this.#failure !== undefined) return Promise.resolve();
    const id = this.#nextCall++;
    return new Promise((resolve) => {
      this.#calls.set(id, resolve);
      post(this.#worker, { type, id });
    });
  }

  #post(): void {
    this.#scheduled = false;
    if (this.#ends.length === 0 && this.#events.length === 0) return;
    const batch: Batch = {
      buffer: this.#buffer,
      ends: this.#ends,
      seqs: this.#seqs,
      events: this.#events,
      bytes: this.#pos + this.#eventBytes,
    };
    this.#buffer = this.#pool.pop() ?? new Uint8Array(BATCH_BYTES);
    this.#pos = 0;
    this.#ends = [];
    this.#seqs = [];
    this.#events = [];
    this.#eventBytes = 0;
    if (this.#failure !== undefined) {
      this.#lost += batch.ends.length + batch.events.length;
      return;
    }
    this.#inFlight += batch.bytes;
    // The buffer moves to the worker, which sends it back when done.
    this.#worker.postMessage({ type: "batch", ...batch } satisfies ToWorker, [
      batch.buffer.buffer,
    ]);
  }

  #receive(m: FromWorker): void {
    if (m.type === "ack" || m.type === "done") {
      this.#lost = m.lost;
      if (m.paths) this.#paths = m.paths;
    }
    if (m.type === "ack") {
      this.#inFlight -= m.bytes;
      if (
        m.buffer.length === BATCH_BYTES && this.#pool.length < POOL_SIZE
      ) this.#pool.push(m.buffer);
      if (this.#inFlight <= HIGH_WATER_BYTES / 2) this.#wake();
    } else if (m.type === "done") {
      this.#calls.get(m.id)?.();
      this.#calls.delete(m.id);
    } else if (m.type === "warning") {
      this.#options.onWarning?.(m.message);
    } else if (m.type === "failed") {
      this.#fail(m.message);
    }
  }

  /** The worker died: nothing more can be written; say so once, release everyone. */
  #fail(message: string): void {
    if (this.#failure !== undefined) return;
    this.#failure = message;
    this.#options.onWarning?.(
      `the audit log's thread stopped (${message}); events from here on are lost, the relay goes on`,
    );
    this.#wake();
    for (const resolve of this.#calls.values()) resolve();
    this.#calls.clear();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

function post(worker: Worker, message: ToWorker): void {
  worker.postMessage(message);
}

function localLog(
  path: string,
  options: EventLogOptions,
  why: string,
): Promise<EventLog> {
  options.onWarning?.(
    `the audit log's thread could not start (${why}); sealing and writing in the main thread`,
  );
  return LocalLog.open(path, options);
}
