/**
 * Stage 4 driver: takes correlated events in order, runs them through the
 * plugin pipeline, counts them into the summary and appends them to the
 * event log. Runs off the relay path: the relay only queues events here;
 * the queue is bounded and `accept` returns a promise when it is full, so
 * the relay slows rather than any event being dropped.
 *
 * @module
 */
import type { AuditEvent, CheckpointEvent, EventBase } from "../audit/event.ts";
import type { CorrelatedEvent } from "../audit/correlator.ts";
import type { EventLog } from "../log/event_log.ts";
import { SummaryBuilder } from "../audit/summary.ts";
import { afterRelay } from "./after_relay.ts";

/** Anything that enriches events in place before they are logged (the plugin pipeline). */
export interface EventProcessor {
  /** Adds classes, entities and redactions to `event`; may be async. */
  process(event: AuditEvent): void | Promise<void>;
  /**
   * While `reason` is set, `process` waits for nothing (a plugin's promise
   * is given up on, `reason` noted on the event); `undefined` waits again.
   */
  impatient?(reason: string | undefined, final?: boolean): void;
}

/** Options for {@linkcode AuditSink}. */
export interface AuditSinkOptions {
  /** The plugin pipeline; none means events are logged as correlated. */
  processor?: EventProcessor;
  /**
   * Events queued before `accept` asks the caller to wait.
   * @default {10000}
   */
  maxQueuedEvents?: number;
  /**
   * Place a checkpoint after this many events (the log fills it in); none
   * when the log is not sealed.
   */
  checkpointEvery?: number;
  /** The common fields of a new event (the session's sequence), for checkpoints. */
  base?: () => EventBase;
  /**
   * Run the pipeline and the log append in a later task (see
   * `after_relay.ts`) instead of inside `accept`, so the caller forwards
   * the message before any of it runs. Order and content are the same.
   * @default {false}
   */
  afterRelay?: boolean;
}

/**
 * The ordered path from correlated events to the log.
 *
 * @example
 * ```ts
 * import { AuditSink } from "./audit_sink.ts";
 * import { LocalLog } from "../log/event_log.ts";
 * import { LogWriter } from "../log/log_writer.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * const log = new LocalLog(await LogWriter.open(path, { session: "s" }));
 * const sink = new AuditSink(log);
 * sink.accept({ v: 1, seq: 0, ts: "t", session: "s", kind: "stderr", text: "hello" });
 * await sink.drain();
 * await log.close();
 * assert.match(await Deno.readTextFile(path), /"hello"/);
 * await Deno.remove(path);
 * ```
 */
export class AuditSink {
  #log: EventLog;
  #options: AuditSinkOptions;
  #queue: CorrelatedEvent[] = [];
  #head = 0;
  #max: number;
  #worker: Promise<void> = Promise.resolve();
  #running = false;
  #sinceCheckpoint = 0;
  #nextSeq = 0;
  #lastWasCheckpoint = false;
  #waiters: (() => void)[] = [];
  #summary = new SummaryBuilder();
  /** Who waits for an event to come through the pipeline (the guard, for a call's classes). */
  #watchers = new Map<CorrelatedEvent, (() => void)[]>();
  /** Events that have come through the pipeline, while someone may still ask. */
  #done = new WeakSet<CorrelatedEvent>();
  /** Why plugins are no longer waited for, once {@linkcode stopWaiting} is called. */
  #stopped: string | undefined;

  /** Creates a sink appending to `log`. */
  constructor(log: EventLog, options: AuditSinkOptions = {}) {
    this.#log = log;
    this.#options = options;
    this.#max = options.maxQueuedEvents ?? 10000;
  }

  /** The summary of everything processed so far. */
  get summary(): SummaryBuilder {
    return this.#summary;
  }

  /** Queues an event; returns a promise to await when the queue is full. */
  accept(event: CorrelatedEvent): Promise<void> | undefined {
    // Numbered here, in the order events enter the log, so a checkpoint
    // placed between two events never takes a number out of turn. Later
    // references (requestSeq) read the request event's number when needed.
    event.seq = this.#nextSeq++;
    this.#queue.push(event);
    const every = this.#options.checkpointEvery;
    if (every !== undefined && event.kind !== "checkpoint") {
      this.#lastWasCheckpoint = false;
      // Checkpoints are placed in the queue now, so their sequence numbers
      // stay in order; the log fills in their tree and signature.
      if (++this.#sinceCheckpoint >= every) {
        this.accept(this.#placeholder());
      }
    }
    if (!this.#running) {
      // Set before the call: #run may finish synchronously and clear it.
      this.#running = true;
      this.#worker = this.#options.afterRelay
        ? afterRelay(() => this.#run())
        : this.#run();
    }
    if (this.#queue.length - this.#head > this.#max) {
      // A plugin that is slow to answer must not hold the relay back:
      // while the relay waits, the events go on without what plugins
      // still owe them, so the queue drains as fast as the log writes.
      if (this.#stopped === undefined) {
        this.#options.processor?.impatient?.("the audit queue was full");
      }
      return new Promise((resolve) => this.#waiters.push(resolve));
    }
    return undefined;
  }

  /**
   * Resolves once `event` (accepted earlier) has been through the plugin
   * pipeline, so its classes and entities are filled in; before it is
   * logged. The guard waits so for a call it decides.
   */
  processed(event: CorrelatedEvent): Promise<void> {
    if (this.#done.has(event)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.#watchers.get(event);
      if (list) list.push(resolve);
      else this.#watchers.set(event, [resolve]);
    });
  }

  /**
   * Stops waiting for plugins for good: every hook still pending is given
   * up on, and later ones are not waited for, so draining takes no longer
   * than the log's own writing. For the end of a session.
   */
  stopWaiting(reason: string): void {
    this.#stopped = reason;
    this.#options.processor?.impatient?.(reason, true);
  }

  /** Queues a checkpoint over everything accepted so far, if anything new was. */
  checkpoint(options: { force?: boolean } = {}): void {
    if (this.#options.checkpointEvery === undefined) return;
    if (this.#lastWasCheckpoint) return;
    if (this.#sinceCheckpoint === 0 && !options.force) return;
    this.accept(this.#placeholder());
  }

  #placeholder(): CheckpointEvent {
    this.#sinceCheckpoint = 0;
    this.#lastWasCheckpoint = true;
    const base = this.#options.base?.() ??
      { v: 1, seq: -1, ts: new Date().toISOString(), session: "" };
    return { ...base, kind: "checkpoint", treeSize: 0, root: "", head: "" };
  }

  /** Resolves when every accepted event has been handed to the log and written. */
  async drain(): Promise<void> {
    while (this.#running) await this.#worker;
    await this.#log.flush();
  }

  async #run(): Promise<void> {
    try {
      while (this.#head < this.#queue.length) {
        const event = this.#queue[this.#head];
        // Release the slot at once: an event can hold a frame of many MB.
        this.#queue[this.#head++] = undefined as unknown as CorrelatedEvent;
        if (this.#head === this.#queue.length) {
          this.#queue = [];
          this.#head = 0;
        } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
        if (this.#options.processor) {
          try {
            const pending = this.#options.processor.process(event);
            if (pending) await pending;
          } catch (error) {
            // The pipeline isolates plugins itself; this only guards against a broken pipeline.
            const e = event as {
              pluginErrors?: { plugin: string; error: string }[];
            };
            (e.pluginErrors ??= []).push({
              plugin: "pipeline",
              error: String(error),
            });
          }
        }
        if (this.#watchers.size > 0) {
          const watching = this.#watchers.get(event);
          if (watching) {
            this.#watchers.delete(event);
            for (const w of watching) w();
          }
        }
        if (event.kind === "request") this.#done.add(event);
        this.#summary.add(event);
        const wait = this.#log.append(event);
        if (wait) await wait;
        if (
          this.#waiters.length > 0 &&
          this.#queue.length - this.#head <= this.#max / 2
        ) {
          const waiters = this.#waiters;
          this.#waiters = [];
          if (this.#stopped === undefined) {
            this.#options.processor?.impatient?.(undefined);
          }
          for (const w of waiters) w();
        }
      }
    } finally {
      this.#running = false;
      const waiters = this.#waiters;
      this.#waiters = [];
      if (waiters.length > 0 && this.#stopped === undefined) {
        this.#options.processor?.impatient?.(undefined);
      }
      for (const w of waiters) w();
    }
  }
}
