/**
 * Hook dispatch for the pipeline: runs one event's classifier hooks in
 * order, each isolated from the rest. A hook that throws or rejects, or
 * that takes longer than the timeout, loses its findings for that event;
 * the failure is noted on the event and reported once, a plugin that keeps
 * timing out is switched off, and the other hooks run as if nothing
 * happened. Every failure takes the one path, `#fail`.
 *
 * @module
 */
import type { JsonRpcMessageEvent } from "../audit/event.ts";
import type { HookResult, Plugin, PluginFindings } from "./plugin.ts";

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
   * How long an asynchronous hook may take before it is abandoned for that event.
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

class HookTimeout extends Error {}

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
        const out = call(run);
        if (out instanceof Promise) {
          return this.#withTimeout(out)
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

  #withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HookTimeout()), this.#timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  #fail(event: JsonRpcMessageEvent, plugin: Plugin, error: unknown): void {
    const timedOut = error instanceof HookTimeout;
    const message = timedOut
      ? `timed out after ${this.#timeoutMs} ms`
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
