/**
 * Hook dispatch for the pipeline: runs one event's classifier hooks in
 * order, each isolated from the rest and each with a time budget. A hook
 * that throws or rejects, that spends its budget (a synchronous one, in
 * the kit's searches: see `kit/budget.ts`), whose promise takes longer
 * than the budget, or that is still pending when the audit queue fills up
 * or the session ends ({@linkcode Dispatcher.impatient}), loses its findings for
 * that event; the failure is noted on the event and reported once, a
 * plugin that keeps timing out is switched off, and the other hooks run as
 * if nothing happened. Every failure takes the one path, `#fail`.
 *
 * @module
 */
import type { JsonRpcMessageEvent } from "../audit/event.ts";
import type { HookResult, Plugin, PluginFindings } from "./plugin.ts";
import { BudgetExceededError, withBudget } from "./kit/budget.ts";

/**
 * Marks a plugin whose promises keep their own time (a plugin in a worker
 * of its own, whose watchdog gives each call its budget once the worker is
 * running): the dispatcher does not time them, though it still gives up
 * on them when impatient.
 */
export const SELF_TIMED: unique symbol = Symbol("self-timed");

/** One hook, as the dispatcher calls it. */
export interface Hook<Run> {
  /** The plugin it belongs to: named in failures, switched off as a whole. */
  readonly plugin: Plugin;
  /** Calls the hook on `run`; what it returns goes to the dispatcher's `merge`. */
  readonly call: (run: Run) => HookResult;
}

/** What the dispatcher needs of a run: the event that failures are noted on. */
export interface HookRun {
  /** The event the hooks run for; a failure is added to its `pluginErrors`. */
  readonly event: JsonRpcMessageEvent;
}

/** Takes what a hook found into the run. */
export type Merge<Run> = (
  run: Run,
  plugin: Plugin,
  found: PluginFindings,
) => void;

/** Options for {@linkcode Dispatcher}. */
export interface DispatcherOptions {
  /**
   * Each hook's budget for one event: how long an asynchronous hook may
   * take, and how long a synchronous one may search (see `kit/budget.ts`),
   * before its work on that event is dropped.
   * @default {1000}
   */
  hookTimeoutMs?: number;
  /**
   * After this many timeouts a plugin is switched off for the rest of the session.
   * @default {3}
   */
  maxTimeouts?: number;
  /**
   * Receives one warning sentence per failing plugin.
   * @default {() => {}}
   */
  onWarning?: (message: string) => void;
}

const defaults = {
  hookTimeoutMs: 1000,
  maxTimeouts: 3,
  onWarning: (): void => {},
} satisfies DispatcherOptions;

/**
 * A hook that did not answer within its budget: its work on the event is
 * dropped, and a plugin that keeps timing out is switched off. Thrown by
 * the dispatcher's own timer, and by a self-timed plugin's watchdog.
 */
export class HookTimeoutError extends Error {
  /** Creates the error; `message` says what happened, e.g. `timed out after 1000 ms`. */
  constructor(message: string) {
    super(message);
    this.name = "HookTimeoutError";
  }
}

/** A pending hook given up on before its time ran out: the queue filled up, the session ended. */
class HookCut extends Error {}

/**
 * Runs hooks in order, isolating each, for one session: which plugins
 * failed, timed out or are switched off is remembered across events.
 *
 * @example A throwing hook loses its findings; the next one still runs
 * ```ts
 * import { Dispatcher, type Hook } from "./dispatch.ts";
 * import { definePlugin } from "./plugin.ts";
 * import type { JsonRpcMessageEvent } from "../audit/event.ts";
 * import assert from "node:assert/strict";
 *
 * type Run = { event: JsonRpcMessageEvent; labels: string[] };
 * const warnings: string[] = [];
 * const dispatcher = new Dispatcher<Run>((run, plugin, found) => {
 *   for (const c of found.classes ?? []) run.labels.push(`${plugin.name}:${c}`);
 * }, { onWarning: (m) => warnings.push(m) });
 * const hook = (name: string, call: Hook<Run>["call"]): Hook<Run> => ({
 *   plugin: definePlugin({ name, onMessage: () => {} }), call,
 * });
 * const hooks = [
 *   hook("boom", () => { throw new Error("no"); }),
 *   hook("slow", () => Promise.resolve({ classes: ["LATE"] })),
 *   hook("tag", () => ({ classes: ["READ"] })),
 * ];
 * const event = { v: 1, seq: 4, ts: "", session: "s", kind: "notification", dir: "c2s", bytes: 0, method: "x" } as const;
 * const run: Run = { event: { ...event }, labels: [] };
 * await dispatcher.dispatch(hooks, run);
 * assert.deepEqual(run.labels, ["slow:LATE", "tag:READ"]);
 * assert.deepEqual(run.event.pluginErrors, [{ plugin: "boom", error: "Error: no" }]);
 * assert.equal(warnings.length, 1);
 * ```
 */
export class Dispatcher<Run extends HookRun> {
  #merge: Merge<Run>;
  #timeoutMs: number;
  #maxTimeouts: number;
  #onWarning: (message: string) => void;
  #timeouts = new Map<string, number>();
  #disabled = new Set<string>();
  #reported = new Set<string>();
  /** The pending hooks' timeouts, to give up on them early. */
  #pending = new Set<(error: Error) => void>();
  /** Set by {@linkcode impatient}: why no hook is waited for now. */
  #impatient: string | undefined;
  #final = false;

  /** Creates a dispatcher that hands every hook's findings to `merge`. */
  constructor(merge: Merge<Run>, options: DispatcherOptions = {}) {
    this.#merge = merge;
    this.#timeoutMs = options.hookTimeoutMs ?? defaults.hookTimeoutMs;
    this.#maxTimeouts = options.maxTimeouts ?? defaults.maxTimeouts;
    this.#onWarning = options.onWarning ?? defaults.onWarning;
  }

  /**
   * Runs `hooks` from `from` on, in order. It stays synchronous until a
   * hook returns a promise, and only the rest waits for it, so synchronous
   * plugins cost no microtask per event.
   */
  dispatch(
    hooks: readonly Hook<Run>[],
    run: Run,
    from = 0,
  ): void | Promise<void> {
    for (let i = from; i < hooks.length; i++) {
      const { plugin, call } = hooks[i];
      if (this.#disabled.size > 0 && this.#disabled.has(plugin.name)) continue;
      try {
        const out = withBudget(this.#timeoutMs, () => call(run));
        if (out instanceof Promise) {
          const selfTimed =
            (plugin as { [SELF_TIMED]?: boolean })[SELF_TIMED] === true;
          return this.#withTimeout(out, selfTimed)
            .then((found) => {
              if (found) this.#merge(run, plugin, found);
            })
            .catch((error) => this.#fail(run.event, plugin, error))
            .then(() => this.dispatch(hooks, run, i + 1));
        }
        if (out) this.#merge(run, plugin, out);
      } catch (error) {
        this.#fail(run.event, plugin, error);
      }
    }
  }

  /**
   * Reports a failure of `plugin` outside dispatch (a redaction hook), once
   * per plugin and session, as dispatch failures are.
   */
  warnOnce(plugin: string, message: string): void {
    if (this.#reported.has(plugin)) return;
    this.#reported.add(plugin);
    this.#onWarning(message);
  }

  /**
   * While `reason` is set, waits for no hook: every hook still pending is
   * given up on at once, and so is every promise a hook returns, with
   * `reason` noted on its event. Set while the audit queue is full (the
   * relay must not wait for a slow plugin) and, `final`, when the session
   * is ending; `undefined` waits again, unless a final reason was set.
   */
  impatient(reason: string | undefined, final = false): void {
    if (this.#final) return;
    this.#final = final && reason !== undefined;
    this.#impatient = reason;
    if (reason === undefined) return;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const reject of pending) reject(new HookCut(reason));
  }

  #withTimeout<T>(promise: Promise<T>, selfTimed: boolean): Promise<T> {
    // Nobody waits for a plugin's promise: handled here, whatever it does later.
    promise.catch(() => {});
    if (this.#impatient !== undefined) {
      return Promise.reject(new HookCut(this.#impatient));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let rejectTimeout: (error: Error) => void = () => {};
    const timeout = new Promise<never>((_, reject) => {
      rejectTimeout = reject;
      if (!selfTimed) {
        timer = setTimeout(
          () =>
            reject(
              new HookTimeoutError(
                `timed out after ${this.#timeoutMs} ms; its work on this event was dropped`,
              ),
            ),
          this.#timeoutMs,
        );
      }
    });
    this.#pending.add(rejectTimeout);
    return Promise.race([promise, timeout]).finally(() => {
      clearTimeout(timer);
      this.#pending.delete(rejectTimeout);
    });
  }

  #fail(event: JsonRpcMessageEvent, plugin: Plugin, error: unknown): void {
    const timedOut = error instanceof HookTimeoutError;
    const message = timedOut
      ? error.message
      : error instanceof HookCut
      ? `had not answered when ${error.message}; its work on this event was dropped`
      : error instanceof BudgetExceededError
      ? error.message
      : error instanceof Error
      ? `${error.name}: ${error.message}`
      : String(error);
    (event.pluginErrors ??= []).push({ plugin: plugin.name, error: message });
    this.warnOnce(
      plugin.name,
      `plugin "${plugin.name}" failed (${message}) on event ${event.seq}; the event is logged without its findings and the conversation goes on`,
    );
    if (timedOut) {
      const count = (this.#timeouts.get(plugin.name) ?? 0) + 1;
      this.#timeouts.set(plugin.name, count);
      if (count >= this.#maxTimeouts) {
        this.#disabled.add(plugin.name);
        this.#onWarning(
          `plugin "${plugin.name}" timed out ${count} times and is switched off for this session`,
        );
      }
    }
  }
}
