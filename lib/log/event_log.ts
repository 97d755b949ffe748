/**
 * Stage 5: processed events -> sealed lines -> the file. An `EventLog` is
 * where the audit sink hands each event, in log order, once the plugins
 * are done with it. {@linkcode LocalLog} serialises, seals (hash chain,
 * Merkle tree, checkpoints) and writes in this thread; `ThreadLog` in
 * `log_thread.ts` does the sealing and writing in a worker thread.
 *
 * @module
 */
import type { AuditEvent } from "../audit/event.ts";
import type { CorrelatedEvent } from "../audit/correlator.ts";
import { type LogLineOptions, toLogLine } from "./log_line.ts";
import { LogWriter, type LogWriterOptions } from "./log_writer.ts";
import { Sealer, type SealerOptions } from "../seal/seal.ts";

const encoder = new TextEncoder();

/** How a log is opened: the file's options, the lines', and the seal's. */
export interface EventLogOptions extends LogWriterOptions, LogLineOptions {
  /** Seal the log with these options; unsealed without. */
  seal?: SealerOptions;
  /**
   * Receives each event's line as it is made (not checkpoints or the
   * session end): live findings take the line, which crosses to a worker
   * as a string, instead of copying the event there.
   */
  onLine?: (event: CorrelatedEvent, line: string) => void;
}

/** Where the audit sink appends events, in log order. */
export interface EventLog {
  /**
   * Appends one event (numbered, enriched). Returns a promise only when
   * the log is behind; await it to apply backpressure.
   */
  append(event: CorrelatedEvent): Promise<void> | undefined;
  /** Resolves when everything appended so far is written (or counted lost). */
  flush(): Promise<void>;
  /** Flushes and closes the log. */
  close(): Promise<void>;
  /** Every file written, in order (more than one after rotation). */
  readonly paths: string[];
  /** Events lost to failed writes so far. */
  readonly lost: number;
}

/**
 * Whether an event's line needs the sealer's state to be made: checkpoints
 * record the tree, and the session end the chain's head.
 *
 * @example
 * ```ts
 * import { needsSealer } from "./event_log.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(needsSealer({ kind: "stderr" } as never), false);
 * assert.equal(needsSealer({ kind: "checkpoint" } as never), true);
 * ```
 */
export function needsSealer(event: AuditEvent): boolean {
  return event.kind === "checkpoint" || event.kind === "session_end";
}

/**
 * Seals and writes events in this thread.
 *
 * @example
 * ```ts
 * import { LocalLog } from "./event_log.ts";
 * import { LogWriter } from "./log_writer.ts";
 * import { Sealer } from "../seal/seal.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * const log = new LocalLog(await LogWriter.open(path, { session: "s" }), { sealer: new Sealer("s") });
 * log.append({ v: 1, seq: 0, ts: "t", session: "s", kind: "stderr", text: "hello" });
 * await log.close();
 * assert.match(await Deno.readTextFile(path), /"hello","hash":"[0-9a-f]{64}"/);
 * await Deno.remove(path);
 * ```
 */
export class LocalLog implements EventLog {
  #writer: LogWriter;
  #sealer: Sealer | undefined;
  #lineOptions: LogLineOptions;
  /** Appends wait on this while a checkpoint is being signed. */
  #signing: Promise<void> | undefined;

  /** A log over `writer`, sealed when a sealer is given. */
  constructor(
    writer: LogWriter,
    options:
      & { sealer?: Sealer }
      & LogLineOptions
      & Pick<EventLogOptions, "onLine"> = {},
  ) {
    this.#writer = writer;
    this.#sealer = options.sealer;
    this.#lineOptions = options;
    this.#onLine = options.onLine;
  }

  #onLine: EventLogOptions["onLine"];

  /**
   * Opens the log file at `path` (see `LogWriter.open`, which throws
   * `LogOpenError`) and seals it with `options.seal` when given.
   */
  static async open(path: string, options: EventLogOptions): Promise<LocalLog> {
    return new LocalLog(await LogWriter.open(path, options), {
      sealer: options.seal
        ? new Sealer(options.session, options.seal)
        : undefined,
      maxPayloadBytes: options.maxPayloadBytes,
      previewChars: options.previewChars,
      onLine: options.onLine,
    });
  }

  /** Every file written, in order. */
  get paths(): string[] {
    return this.#writer.paths;
  }

  /** Events lost to failed writes so far. */
  get lost(): number {
    return this.#writer.lost;
  }

  /** Appends one event; see {@linkcode EventLog.append}. */
  append(event: CorrelatedEvent): Promise<void> | undefined {
    if (this.#signing) {
      // Keep the order: this event goes after the checkpoint being signed.
      return this.#signing.then(() => this.append(event));
    }
    const sealer = this.#sealer;
    if (sealer && event.kind === "checkpoint") {
      const signed = sealer.checkpoint().then((fields) => {
        Object.assign(event, fields);
        this.#signing = undefined;
        return this.#write(event);
      });
      this.#signing = signed.then(() => {});
      return signed;
    }
    if (sealer && event.kind === "session_end") {
      event.chain = { head: sealer.head, events: event.seq };
    }
    return this.#write(event);
  }

  /**
   * Appends lines made from events by `toLogLine` and encoded (another
   * thread made them): line `i` ends, newline included, at `ends[i]` in
   * `bytes`; lines `from` to `to - 1` are appended, starting at `start`,
   * the first being event `seq`. None may be a checkpoint.
   */
  appendEncoded(
    seq: number,
    bytes: Uint8Array,
    ends: number[],
    from: number,
    to: number,
    start: number,
  ): Promise<void> | undefined {
    if (to <= from) return undefined;
    const sealer = this.#sealer;
    if (!sealer) {
      // A copy: the caller may reuse `bytes` before the writer gets to them.
      return this.#writer.writeBytes(
        seq,
        bytes.slice(start, ends[to - 1]),
        to - from,
      );
    }
    const sealed = sealer.seal(bytes, { ends, from, to, start });
    return this.#writer.writeBytes(seq, sealed, to - from);
  }

  #write(event: CorrelatedEvent): Promise<void> | undefined {
    const line = toLogLine(event, this.#lineOptions);
    if (this.#onLine && !needsSealer(event)) this.#onLine(event, line);
    if (!this.#sealer) return this.#writer.write(event.seq, line);
    const sealed = this.#sealer.seal(encoder.encode(line), {
      leaf: event.kind !== "checkpoint",
    });
    return this.#writer.writeBytes(event.seq, sealed, 1);
  }

  /** Resolves when everything appended so far is written. */
  async flush(): Promise<void> {
    while (this.#signing) await this.#signing;
    await this.#writer.flush();
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    await this.#writer.close();
  }
}
