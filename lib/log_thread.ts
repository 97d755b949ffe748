/**
 * The log in a worker thread: sealing (a SHA-256 per line for the chain and
 * the tree, signed checkpoints) and writing run beside the relay and the
 * plugins instead of after them, so the proxy's two cores share the audit.
 *
 * Opened with a {@linkcode PluginSource}, the worker also loads the plugins
 * and runs the pipeline: the main thread then only numbers events and posts
 * them, in batches, and the worker enriches them (classes, entities,
 * redactions), counts them into the summary, serialises, seals and writes
 * them. Without one, the main thread runs the plugins (if any) and
 * serialises each line itself (its payload truncation reads the frame's
 * bytes); it posts the lines in batches. Either way checkpoints and the
 * session end, which need the sealer's state, are made into lines in the
 * worker. Nothing is dropped: a batch counts against a bound until the
 * worker has written it, and `append` asks the caller to wait beyond that
 * bound.
 *
 * The worker runs this module (under `deno run`) or the bundle it is part of
 * (whose entry, `cli.ts`, hands a worker named {@linkcode LOG_THREAD_NAME}
 * to {@linkcode serveLogThread}). When a worker cannot be started the log is
 * written in this thread, as {@linkcode LocalLog} does.
 *
 * @module
 */
import { type CorrelatedEvent, FRAME } from "./correlator.ts";
import {
  type EventLog,
  type EventLogOptions,
  LocalLog,
  needsSealer,
} from "./event_log.ts";
import type { AuditEvent, Summary } from "./event.ts";
import type { Frame } from "./line_splitter.ts";
import {
  type LogLineOptions,
  toLogLine,
  truncatesPayload,
} from "./log_line.ts";
import { LogOpenError, type LogWriterOptions } from "./log_writer.ts";
import { PluginLoadError } from "./plugin_loader.ts";
import { openPipeline, type PluginSource } from "./plugin_source.ts";
import { BatchEnricher, type EncodedLines } from "./batch_enricher.ts";
import type { SealerOptions } from "./seal.ts";
import { SummaryBuilder } from "./summary.ts";

/** The name the log's worker is started with. */
export const LOG_THREAD_NAME = "mcp-audit-log";

/**
 * Lines encoded one after another in `buffer` (line `i` ends, newline
 * included, at `ends[i]` and is event `seqs[i]`), and the events the
 * worker makes lines of, each placed before line `at`.
 *
 * A `raw` batch holds events as JSON for the worker to enrich and make
 * into log lines (it runs the plugins); `frames` then gives the frame of
 * each event whose log line reads it (its payload is truncated), as a
 * symbol-keyed property does not cross threads.
 */
interface Batch {
  buffer: Uint8Array<ArrayBuffer>;
  ends: number[];
  seqs: number[];
  events: { at: number; event: AuditEvent }[];
  raw?: boolean;
  frames?: { at: number; frame: Frame }[];
  /** What the batch counts against the bound. */
  bytes: number;
}

/** Options for {@linkcode ThreadLog.open}. */
export interface ThreadLogOptions extends EventLogOptions {
  /**
   * Load these plugins in the worker and run the pipeline there; events are
   * then appended as correlated, not enriched.
   */
  plugins?: PluginSource;
}

type ToWorker =
  | {
    type: "open";
    path: string;
    writer: Omit<LogWriterOptions, "onWarning">;
    seal?: SealerOptions;
    line: LogLineOptions;
    plugins?: PluginSource;
  }
  | ({ type: "batch" } & Batch)
  | { type: "flush" | "close"; id: number };

type FromWorker =
  | { type: "opened" }
  | { type: "open_failed"; message: string }
  | { type: "plugins_failed"; plugin: string; reason: string }
  | {
    type: "ack";
    bytes: number;
    /** The batch's buffer, for reuse. */
    buffer: Uint8Array<ArrayBuffer>;
    lost: number;
    /** Only when a file was added since the last answer. */
    paths?: string[];
  }
  | {
    type: "done";
    id: number;
    lost: number;
    paths: string[];
    /** When the worker runs the plugins: the summary so far. */
    summary?: Summary;
  }
  | { type: "warning"; message: string }
  | { type: "failed"; message: string };

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
  #events: { at: number; event: AuditEvent }[] = [];
  #eventBytes = 0;
  #processing: boolean;
  #frames: { at: number; frame: Frame }[] = [];
  #summary: Summary | undefined;
  #pool: Uint8Array<ArrayBuffer>[] = [];
  #scheduled = false;
  #inFlight = 0;
  #waiters: (() => void)[] = [];
  #calls = new Map<number, () => void>();
  #nextCall = 0;
  #paths: string[];
  #lost = 0;
  #failure: string | undefined;

  private constructor(
    worker: Worker,
    path: string,
    options: ThreadLogOptions,
  ) {
    this.#worker = worker;
    this.#options = options;
    this.#processing = options.plugins !== undefined;
    this.#paths = [path];
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#receive(e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#fail(e.message);
    };
  }

  /**
   * Opens the log at `path` in a new worker. Throws `LogOpenError` when the
   * file cannot be opened and `PluginLoadError` when a plugin of
   * `options.plugins` cannot be loaded; falls back to a {@linkcode LocalLog}
   * (which runs no plugins) when no worker can be started.
   */
  static async open(
    path: string,
    options: ThreadLogOptions,
  ): Promise<EventLog> {
    let worker: Worker;
    try {
      worker = new Worker(import.meta.url, {
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
      const { onWarning: _, ...writer } = options;
      post(worker, {
        type: "open",
        path,
        writer: {
          session: writer.session,
          rotateBytes: writer.rotateBytes,
          highWaterBytes: writer.highWaterBytes,
        },
        seal: options.seal,
        line: {
          maxPayloadBytes: options.maxPayloadBytes,
          previewChars: options.previewChars,
        },
        plugins: options.plugins,
      });
    });
    clearTimeout(timer);
    if (opened instanceof ErrorEvent || opened.type !== "opened") {
      worker.terminate();
      if (!(opened instanceof ErrorEvent) && opened.type === "open_failed") {
        throw new LogOpenError(path, { cause: new Error(opened.message) });
      }
      if (!(opened instanceof ErrorEvent) && opened.type === "plugins_failed") {
        throw new PluginLoadError(opened.plugin, opened.reason);
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

  /** Whether the worker runs the plugins (it was opened with a source). */
  get runsPlugins(): boolean {
    return this.#processing;
  }

  /**
   * When the worker runs the plugins: the summary of the events it had
   * processed at the last `flush` or `close` (its duration is 0).
   */
  get summary(): Summary | undefined {
    return this.#summary;
  }

  /** Appends one event; see {@linkcode EventLog.append}. */
  append(event: CorrelatedEvent): Promise<void> | undefined {
    if (this.#failure !== undefined) {
      this.#lost++;
      return undefined;
    }
    if (
      !this.#processing && this.#options.seal && needsSealer(event)
    ) {
      this.#events.push({ at: this.#ends.length, event: event as AuditEvent });
      this.#eventBytes += 1024;
    } else {
      // The worker that runs the plugins gets the whole event; it makes
      // the log line (truncated) once the plugins have seen it.
      const line = this.#processing
        ? JSON.stringify(event as AuditEvent)
        : toLogLine(event, this.#options);
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
      const frame = event[FRAME];
      if (this.#processing && frame && truncatesPayload(event, this.#options)) {
        this.#frames.push({ at: this.#ends.length - 1, frame: copied(frame) });
      }
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
      ...(this.#processing ? { raw: true, frames: this.#frames } : {}),
    };
    this.#frames = [];
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
      if (m.summary) this.#summary = m.summary;
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

/**
 * A frame that can cross to the worker: a copy of its bytes (they may be a
 * view into a larger, reused buffer), or none when only its hash is known.
 */
function copied(frame: Frame): Frame {
  return frame.oversized
    ? {
      length: frame.length,
      bytes: new Uint8Array(0),
      oversized: frame.oversized,
    }
    : { length: frame.length, bytes: frame.bytes.slice() };
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

/**
 * Whether this code runs in the log's worker.
 *
 * @example
 * ```ts
 * import { isLogThread } from "./log_thread.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLogThread(), false); // The main thread.
 * ```
 */
export function isLogThread(): boolean {
  return "WorkerGlobalScope" in globalThis &&
    (globalThis as { name?: unknown }).name === LOG_THREAD_NAME;
}

/**
 * Set on the worker's global scope once it serves: a plugin that imports
 * `mod.ts` brings a second copy of this module into the worker (the bundle
 * holds the first), and that copy must not take the messages over.
 */
const SERVING = Symbol.for("mcp-audit.log-thread.serving");

/**
 * The worker's side: opens the log, then seals and writes the batches it is
 * sent, in order. Called once per worker (again, it does nothing).
 *
 * @example A worker's entry
 * ```ts ignore
 * import { isLogThread, serveLogThread } from "./log_thread.ts";
 *
 * if (isLogThread()) serveLogThread();
 * ```
 */
export function serveLogThread(): void {
  const global = globalThis as { [SERVING]?: boolean };
  if (global[SERVING]) return;
  global[SERVING] = true;
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
    postMessage(message: FromWorker, transfer?: Transferable[]): void;
  };
  const reply = (m: FromWorker): void => scope.postMessage(m);
  const warn = (message: string): void => reply({ type: "warning", message });
  let log: LocalLog | undefined;
  let enricher: BatchEnricher | undefined;
  let summary: SummaryBuilder | undefined;
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
  const ack = (bytes: number, buffer: Uint8Array<ArrayBuffer>): void => {
    const paths = log!.paths;
    scope.postMessage({
      type: "ack",
      bytes,
      buffer,
      lost: log!.lost,
      ...(paths.length !== knownPaths ? { paths } : {}),
    }, [buffer.buffer]);
    knownPaths = paths.length;
  };
  scope.onmessage = (e) => {
    const m = e.data;
    if (m.type === "open") {
      run(async () => {
        if (m.plugins) {
          // Plugins first: one that cannot load stops the session before
          // its log is created, as it would in the main thread.
          try {
            const processor = await openPipeline(m.plugins, warn);
            summary = new SummaryBuilder();
            enricher = new BatchEnricher({
              ...m.line,
              processor,
              summary,
              sealed: m.seal !== undefined,
            });
          } catch (error) {
            reply(
              error instanceof PluginLoadError
                ? {
                  type: "plugins_failed",
                  plugin: error.plugin,
                  reason: error.reason,
                }
                : {
                  type: "plugins_failed",
                  plugin: "?",
                  reason: String(error),
                },
            );
            return;
          }
        }
        try {
          log = await LocalLog.open(m.path, {
            ...m.writer,
            ...m.line,
            seal: m.seal,
            onWarning: warn,
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
    } else if (m.type === "batch" && m.raw) {
      run(async () => {
        // The new lines' buffer is the log's to keep: written uncopied.
        await writeBatch(log!, await enricher!.enrich(m), true);
        ack(m.bytes, m.buffer);
      });
    } else if (m.type === "batch") {
      run(async () => {
        await writeBatch(log!, m);
        ack(m.bytes, m.buffer);
      });
    } else {
      run(async () => {
        if (m.type === "flush") await log!.flush();
        else await log!.close();
        reply({
          type: "done",
          id: m.id,
          lost: log!.lost,
          paths: log!.paths,
          ...(summary ? { summary: summary.build(0) } : {}),
        });
      });
    }
  };
}

/**
 * Writes a batch in order: its runs of encoded lines, and between them the
 * events that need the sealer, each before the line it was placed at.
 */
async function writeBatch(
  log: LocalLog,
  m: EncodedLines,
  handOver = false,
): Promise<void> {
  let line = 0;
  let start = 0;
  for (let e = 0; e <= m.events.length; e++) {
    const stop = e < m.events.length ? m.events[e].at : m.ends.length;
    if (stop > line) {
      const wait = log.appendEncoded(
        m.seqs[line],
        m.buffer,
        m.ends,
        line,
        stop,
        start,
        handOver,
      );
      start = m.ends[stop - 1];
      line = stop;
      if (wait) await wait;
    }
    if (e < m.events.length) {
      const wait = log.append(m.events[e].event as CorrelatedEvent);
      if (wait) await wait;
    }
  }
}

if (isLogThread()) serveLogThread();
