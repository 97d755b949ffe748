/**
 * Deadlines of one length (the bridge's `--timeout-ms` for each POST) on
 * one shared timer, instead of a timer set and cleared for every request:
 * a deadline started later ends later, so they wait in order and the timer
 * only ever needs the first. A deadline that ended in time is just marked;
 * the timer, when it fires, aborts the ones past due and sets itself for
 * the next.
 *
 * @module
 */

/** One deadline: its signal aborts when it passes, unless ended first. */
export interface Deadline {
  /** Aborted once the deadline passes. */
  readonly signal: AbortSignal;
  /** Ends the deadline: its signal will not abort. */
  end(): void;
}

interface Entry {
  at: number;
  controller: AbortController;
  ended: boolean;
  end(): void;
}

/**
 * Deadlines `ms` long on one timer.
 *
 * @example
 * ```ts
 * import { Deadlines } from "./deadlines.ts";
 * import assert from "node:assert/strict";
 *
 * const deadlines = new Deadlines(20);
 * const kept = deadlines.start();
 * const missed = deadlines.start();
 * kept.end();
 * await new Promise((r) => setTimeout(r, 60));
 * assert.equal(kept.signal.aborted, false);
 * assert.equal(missed.signal.aborted, true);
 * deadlines.close();
 * ```
 */
export class Deadlines {
  #ms: number;
  #queue: Entry[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Deadlines `ms` milliseconds after each start. */
  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Starts a deadline `ms` from now. */
  start(): Deadline {
    const entry: Entry = {
      at: performance.now() + this.#ms,
      controller: new AbortController(),
      ended: false,
      end: () => {
        entry.ended = true;
        this.#trim();
      },
    };
    this.#queue.push(entry);
    if (this.#timer === undefined) this.#arm(this.#ms);
    return { signal: entry.controller.signal, end: entry.end };
  }

  /** Stops the timer; deadlines still running never abort. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
  }

  #arm(ms: number): void {
    const timer = setTimeout(() => this.#fire(), Math.max(0, ms));
    // It must not keep the process alive by itself.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (; this.#head < this.#queue.length; this.#head++) {
      const entry = this.#queue[this.#head];
      if (entry.ended) continue;
      if (entry.at > now) break;
      entry.ended = true;
      entry.controller.abort();
    }
    this.#trim();
    const next = this.#queue[this.#head];
    if (next) this.#arm(next.at - now);
  }

  /** Lets go of the ended deadlines at the front of the queue. */
  #trim(): void {
    const queue = this.#queue;
    while (this.#head < queue.length && queue[this.#head].ended) this.#head++;
    if (this.#head === queue.length) {
      queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > queue.length) {
      queue.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
