/**
 * A plugin module in a thread of its own, with a watchdog. A plugin loaded
 * from a module can run any code, and a synchronous hook cannot be
 * interrupted on the thread it runs on: in the relay's thread, a hook
 * that loops would stop the bytes. So each module plugin runs in a worker;
 * its hooks are asked for their findings by message, and a hook that has
 * not answered within its budget loses its work on that event, and its
 * worker is stopped and started again (a loop never ends by itself). The
 * built-in plugins stay in the relay's thread: their work is bounded by
 * construction (patterns in linear time, searches that spend a budget),
 * and a thread crossing per event would cost more than they do.
 *
 * The worker runs this module (under `deno run`) or the bundle it is part
 * of (whose entry, `cli.ts`, serves a worker marked
 * {@linkcode PLUGIN_THREAD} with {@linkcode servePluginThread}). It is
 * unreferenced while no hook is pending, so it never keeps the process
 * alive.
 *
 * @module
 */
import {
  isMainThread,
  parentPort,
  Worker,
  workerData,
} from "node:worker_threads";
import type { HookContext, Plugin, ToolCall } from "../plugin/plugin.ts";
import type { JsonRpcMessageEvent } from "../audit/event.ts";
import { BATCH_REDACT, type BatchRedact } from "../plugin/redaction.ts";
import { CLOSE_PLUGIN } from "../plugin/pipeline.ts";
import { HookTimeoutError, SELF_TIMED } from "../plugin/dispatch.ts";
import type { Finding, FindingRule } from "../findings/finding.ts";
import {
  type FindingSource,
  sessionFindings,
} from "../findings/live_findings.ts";
import { SessionCallsBuilder } from "../findings/session_calls.ts";
import { BUILTIN_RULES } from "../findings/builtin_rules.ts";
import {
  configureRules,
  type FindingsSettings,
} from "../findings/rule_settings.ts";

/** The key in `workerData` that marks a plugin's worker. */
export const PLUGIN_THREAD = "mcp-audit-plugin-thread";

/** Messages to the worker. */
type ToWorker =
  | {
    kind: "load";
    specifier: string;
    options: unknown;
    findings?: FindingsSettings;
  }
  | {
    kind: "hook";
    id: number;
    hook: "onToolCall" | "onMessage";
    input: unknown;
    context: HookContext;
  }
  | { kind: "redact"; id: number; values: string[]; paths: string[] }
  | { kind: "findings"; id: number; store: number; events: unknown[] }
  | { kind: "drop"; store: number };

/** Messages from the worker. */
type FromWorker =
  | { kind: "loaded"; name: string; hooks: string[]; findings: string[] }
  | { kind: "load-failed"; message: string }
  | { kind: "done"; id: number; value: unknown }
  | { kind: "failed"; id: number; name: string; message: string };

/** Options for {@linkcode threadPlugin}. */
export interface ThreadPluginOptions {
  /**
   * How long a hook may take before its work on the event is dropped and
   * its worker restarted.
   * @default {1000}
   */
  budgetMs?: number;
  /**
   * How long loading the module and its `setup` may take.
   * @default {30000}
   */
  loadMs?: number;
  /** Receives a sentence when the worker is restarted. */
  onWarning?: (message: string) => void;
  /** The config's `findings` section, for the plugin's finding rules. */
  findings?: FindingsSettings;
  /**
   * How long one run of the plugin's finding rules (live findings) may
   * take before its worker is restarted and the rules are off for the
   * session.
   * @default {10 * budgetMs}
   */
  findingsBudgetMs?: number;
}

/**
 * The specifier that loads no module: the worker then runs the built-in
 * finding rules (see {@linkcode threadBuiltinRules}).
 */
const BUILTIN_FINDINGS = "mcp-audit:builtin-findings";

/** Thrown when the module cannot be loaded in its worker; the loader words it. */
export class PluginThreadLoadError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PluginThreadLoadError";
  }
}

interface Call {
  message: ToWorker;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The call's own budget, instead of the thread's. */
  budgetMs?: number;
}

/** The host's side of one plugin's worker. */
class PluginThread {
  #specifier: string;
  #options: unknown;
  #budgetMs: number;
  #onWarning: (message: string) => void;
  #worker!: Worker;
  #calls = new Map<number, Call>();
  #nextId = 0;
  #closed = false;
  /** The current worker's loading: a call waits for it before its budget starts. */
  #loaded: Promise<unknown> = Promise.resolve();

  constructor(
    specifier: string,
    options: unknown,
    o: Required<Pick<ThreadPluginOptions, "budgetMs">> & ThreadPluginOptions,
  ) {
    this.#specifier = specifier;
    this.#options = options;
    this.#budgetMs = o.budgetMs;
    this.#onWarning = o.onWarning ?? (() => {});
    this.#findings = o.findings;
  }

  #findings: FindingsSettings | undefined;
  /** Whether the plugin has hooks (else its worker only runs finding rules). */
  #hooks = true;

  /** Starts a worker and loads the module in it. */
  start(
    loadMs: number,
  ): Promise<{ name: string; hooks: string[]; findings: string[] }> {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { [PLUGIN_THREAD]: true },
    });
    this.#worker = worker;
    const loaded = new Promise<
      { name: string; hooks: string[]; findings: string[] }
    >(
      (resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new PluginThreadLoadError(
                `loading it took longer than ${loadMs} ms`,
              ),
            ),
          loadMs,
        );
        worker.on("message", (message: FromWorker) => {
          if (message.kind === "loaded") {
            clearTimeout(timer);
            this.#hooks = message.hooks.length > 0;
            resolve(message);
          } else if (message.kind === "load-failed") {
            clearTimeout(timer);
            reject(new PluginThreadLoadError(message.message));
          } else this.#answer(message);
        });
        worker.on("error", (error: Error) => {
          clearTimeout(timer);
          reject(new PluginThreadLoadError(String(error)));
          if (worker === this.#worker) {
            this.#failAll(`its worker failed (${error})`);
          }
        });
      },
    );
    loaded.catch(() => {});
    this.#loaded = loaded;
    worker.postMessage(
      {
        kind: "load",
        specifier: this.#specifier,
        options: this.#options,
        findings: this.#findings,
      } satisfies ToWorker,
    );
    worker.unref();
    return loaded;
  }

  /** Asks the worker; rejects after the budget, restarting the worker. */
  ask(
    message: DistributiveOmit<Exclude<ToWorker, { kind: "drop" }>, "id">,
    budgetMs?: number,
  ): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(new Error("the session has ended"));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const call: Call = {
        message: { ...message, id } as ToWorker,
        resolve,
        reject,
        timer: undefined,
        budgetMs,
      };
      this.#calls.set(id, call);
      this.#send(id, call);
    });
  }

  /**
   * Posts a call once the worker has loaded (a worker being started is
   * not the call's time), with the budget's timer.
   */
  #send(id: number, call: Call): void {
    const worker = this.#worker;
    this.#loaded.catch(() => {}).then(() => {
      if (this.#calls.get(id) !== call || worker !== this.#worker) return;
      const budget = call.budgetMs ?? this.#budgetMs;
      call.timer = setTimeout(() => {
        this.#calls.delete(id);
        call.reject(
          new HookTimeoutError(
            call.message.kind === "findings"
              ? `its finding rules did not answer within ${budget} ms and were stopped`
              : `did not answer within ${budget} ms; its work on this event was dropped and its worker restarted`,
          ),
        );
        this.#restart(budget);
      }, budget);
      worker.ref();
      worker.postMessage(call.message);
    });
  }

  /** Tells the worker something that needs no answer (when it is up). */
  tell(message: Extract<ToWorker, { kind: "drop" }>): void {
    if (this.#closed) return;
    const worker = this.#worker;
    this.#loaded.then(() => {
      if (worker === this.#worker && !this.#closed) worker.postMessage(message);
    }, () => {});
  }

  /** Stops the worker for good. */
  close(): void {
    this.#closed = true;
    this.#failAll("the session has ended");
    this.#worker.terminate();
  }

  #answer(message: FromWorker & { id: number }): void {
    const call = this.#calls.get(message.id);
    if (call === undefined) return; // Given up on already.
    this.#calls.delete(message.id);
    clearTimeout(call.timer);
    if (this.#calls.size === 0) this.#worker.unref();
    if (message.kind === "done") call.resolve(message.value);
    else {
      // The hook's own error, as it would be seen in this thread.
      const failed = message as { name: string; message: string };
      const error = new Error(failed.message);
      error.name = failed.name;
      call.reject(error);
    }
  }

  #failAll(reason: string): void {
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    for (const call of calls) {
      clearTimeout(call.timer);
      call.reject(new Error(reason));
    }
  }

  /**
   * Stops a worker that is stuck and starts another; the calls that were
   * queued behind the stuck one go to the new worker, their budget
   * starting again.
   */
  #restart(budget: number): void {
    if (this.#closed) return;
    if (!this.#hooks) {
      // Only finding rules ran there, and they are off now: no restart.
      this.close();
      return;
    }
    this.#worker.terminate();
    this.#onWarning(
      `${this.#label()} did not answer within ${budget} ms; its worker was stopped and started again`,
    );
    this.start(30_000).catch((error) => {
      this.#onWarning(
        `plugin "${this.#specifier}" could not be restarted (${error})`,
      );
      this.#failAll(`its worker could not be restarted (${error})`);
    });
    for (const [id, call] of this.#calls) {
      clearTimeout(call.timer);
      if (call.message.kind === "findings") {
        // The events it ran over went with the old worker.
        this.#calls.delete(id);
        call.reject(
          new Error("its worker was restarted, and the events with it"),
        );
      } else this.#send(id, call);
    }
  }

  #label(): string {
    return this.#specifier === BUILTIN_FINDINGS
      ? "the built-in finding rules"
      : `plugin "${this.#specifier}"`;
  }

  /**
   * A source for one session's live findings: the rules in this worker,
   * over the session's events, which the worker keeps under `store`;
   * `fromLog` for the built-in rules (see `FindingSource.fromLog`).
   */
  findingSource(
    label: string,
    budgetMs: number,
    fromLog = false,
  ): FindingSource {
    const store = nextStore++;
    // deno-lint-ignore no-this-alias -- the source is a plain object
    const thread = this;
    // The worker that holds this session's events: a worker started again
    // (for a hook that did not answer) holds none of them.
    let holder: Worker | undefined;
    return {
      label,
      takesLines: true,
      fromLog,
      run(events: readonly unknown[]): Promise<Finding[]> {
        holder ??= thread.#worker;
        if (holder !== thread.#worker) {
          return Promise.reject(
            new Error("its worker was restarted, and the events with it"),
          );
        }
        return thread.ask(
          { kind: "findings", store, events: events as unknown[] },
          budgetMs,
        ) as Promise<Finding[]>;
      },
      close(): void {
        thread.tell({ kind: "drop", store });
      },
    };
  }
}

let nextStore = 0;

/**
 * A thread plugin's finding rules, for live findings: their ids, and a
 * source per session that runs them in the plugin's worker.
 */
export const THREAD_FINDINGS: unique symbol = Symbol(
  "mcp-audit.thread-findings",
);

/** What a thread plugin holds under {@linkcode THREAD_FINDINGS}. */
export interface ThreadFindings {
  /** The ids of the plugin's rules (before the config's settings). */
  ids: string[];
  /** A new session's source. */
  open(): FindingSource;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K>
  : never;

/**
 * The plugin of the module at `specifier`, run in a worker of its own (see
 * the module doc). Its options are validated and its `setup` run in the
 * worker; a failure there rejects with a {@linkcode PluginThreadLoadError}.
 * Its `redact` hook is asked once per event, for all strings at once.
 *
 * @example
 * ```ts ignore
 * import { threadPlugin } from "./plugin_thread.ts";
 *
 * const plugin = await threadPlugin(new URL("./my_plugin.ts", import.meta.url).href, {});
 * ```
 */
export async function threadPlugin(
  specifier: string,
  options: unknown,
  o: ThreadPluginOptions = {},
): Promise<Plugin> {
  const budgetMs = o.budgetMs ?? 1000;
  const thread = new PluginThread(specifier, options, { ...o, budgetMs });
  let loaded: { name: string; hooks: string[]; findings: string[] };
  try {
    loaded = await thread.start(o.loadMs ?? 30_000);
  } catch (error) {
    thread.close();
    throw error;
  }
  const has = (hook: string): boolean => loaded.hooks.includes(hook);
  const plugin: Plugin & {
    [BATCH_REDACT]?: BatchRedact;
    [CLOSE_PLUGIN]: () => void;
    [SELF_TIMED]: true;
    [THREAD_FINDINGS]?: ThreadFindings;
  } = {
    name: loaded.name,
    [CLOSE_PLUGIN]: () => thread.close(),
    // The watchdog times each call from when the worker has it.
    [SELF_TIMED]: true,
  };
  if (loaded.findings.length > 0) {
    // Its rules run where its module was loaded, once: in its worker.
    const findingsBudget = o.findingsBudgetMs ?? 10 * budgetMs;
    plugin[THREAD_FINDINGS] = {
      ids: loaded.findings,
      open: () =>
        thread.findingSource(
          `the finding rules of plugin "${loaded.name}" (${
            loaded.findings.join(", ")
          })`,
          findingsBudget,
        ),
    };
  }
  if (has("onToolCall")) {
    plugin.onToolCall = function onToolCall(
      call: ToolCall,
      context: HookContext,
    ): Promise<never> {
      return thread.ask({
        kind: "hook",
        hook: "onToolCall",
        input: call,
        context: plainContext(context),
      }) as Promise<never>;
    };
  }
  if (has("onMessage")) {
    plugin.onMessage = function onMessage(
      event: Readonly<JsonRpcMessageEvent>,
      context: HookContext,
    ): Promise<never> {
      return thread.ask({
        kind: "hook",
        hook: "onMessage",
        input: event,
        context: plainContext(context),
      }) as Promise<never>;
    };
  }
  if (has("redact")) {
    // Never called: the pipeline's redaction asks for the batch instead.
    plugin.redact = () => undefined;
    plugin[BATCH_REDACT] = function redactInWorker(
      values,
      paths,
    ): Promise<(string | undefined)[]> {
      return thread.ask({ kind: "redact", values, paths }) as Promise<
        (string | undefined)[]
      >;
    };
  }
  return plugin;
}

/**
 * The built-in finding rules under `settings` (the config's `findings`
 * section), for live findings in a worker of their own, started at once
 * (while the proxy is still starting its server, so that loading it does
 * not compete with the session's first messages): the rules then cost
 * the relay's thread only the copying of events, and one that stalls is
 * stopped after `budgetMs` (its worker restarted, the rules off for that
 * session). The worker is unreferenced: it never keeps the process alive.
 *
 * @example
 * ```ts ignore
 * import { threadBuiltinRules } from "./plugin_thread.ts";
 *
 * const rules = threadBuiltinRules({ "error-storm": false });
 * const source = rules.open();
 * const findings = await source.run(events);
 * ```
 */
export function threadBuiltinRules(
  settings: FindingsSettings | undefined,
  o: { budgetMs?: number; onWarning?: (message: string) => void } = {},
): { open(): FindingSource } {
  const budgetMs = o.budgetMs ?? 10_000;
  const thread = new PluginThread(BUILTIN_FINDINGS, undefined, {
    budgetMs,
    findings: settings,
    onWarning: o.onWarning,
  });
  thread.start(30_000).catch(() => {}); // The first run reports it.
  return {
    open(): FindingSource {
      return thread.findingSource(
        "the built-in finding rules",
        budgetMs,
        true,
      );
    },
  };
}

/** The settings of the rules in `rules`, so that another's are not unknown here. */
function settingsFor(
  settings: FindingsSettings | undefined,
  rules: readonly FindingRule[],
): FindingsSettings {
  const ids = new Set(rules.map((r) => r.id));
  return Object.fromEntries(
    Object.entries(settings ?? {}).filter(([id]) => ids.has(id)),
  );
}

/** A context that crosses to the worker: the event's own fields, no symbols. */
function plainContext(context: HookContext): HookContext {
  return {
    event: context.event,
    classes: context.classes,
    entities: context.entities,
  };
}

/**
 * Whether this code runs in a plugin's worker.
 *
 * @example
 * ```ts
 * import { isPluginThread } from "./plugin_thread.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isPluginThread(), false); // The main thread.
 * ```
 */
export function isPluginThread(): boolean {
  return !isMainThread &&
    (workerData as Record<string, unknown> | undefined)?.[PLUGIN_THREAD] ===
      true;
}

/**
 * Set once a worker serves its plugin. On the global object, not in this
 * module: in the bundle, a plugin that imports mod.ts loads a second copy
 * of this module, which must not answer too.
 */
const SERVING = Symbol.for("mcp-audit.plugin-thread.serving");

/**
 * The worker's side: loads the plugin module it is told to (validating its
 * options and running its `setup`, as the loader does in the main thread),
 * then answers hook calls one at a time. Called once per worker.
 *
 * @example A worker's entry
 * ```ts ignore
 * import { isPluginThread, servePluginThread } from "./plugin_thread.ts";
 *
 * if (isPluginThread()) servePluginThread();
 * ```
 */
export function servePluginThread(): void {
  const global = globalThis as { [SERVING]?: boolean };
  if (global[SERVING] || parentPort === null) return;
  global[SERVING] = true;
  // stdout belongs to the MCP client: what a plugin prints goes to stderr.
  // deno-lint-ignore no-console -- rerouting the console is the point
  console.log = console.info = console.debug = console.error;
  const port = parentPort;
  let plugin: Plugin | undefined;
  let ready: Promise<void> = Promise.resolve();
  /** The finding rules (the plugin's, or the built-ins), under the config's settings. */
  let rules: FindingRule[] = [];
  /** Each session's events, for live findings. */
  const stores = new Map<
    number,
    { builder: SessionCallsBuilder; given: Set<string> }
  >();
  port.on("message", (message: ToWorker) => {
    if (message.kind === "drop") {
      stores.delete(message.store);
      return;
    }
    if (message.kind === "load") {
      const builtin = message.specifier === BUILTIN_FINDINGS;
      ready = (builtin ? Promise.resolve(undefined) : load(
        message.specifier,
        message.options,
      )).then(
        (p) => {
          plugin = p;
          const own = p ? [...(p.findings ?? [])] : BUILTIN_RULES;
          rules = configureRules(settingsFor(message.findings, own), own);
          port.postMessage(
            {
              kind: "loaded",
              name: p?.name ?? "built-in finding rules",
              hooks: ["onToolCall", "onMessage", "redact"].filter((h) =>
                typeof (p as unknown as Record<string, unknown>)?.[h] ===
                  "function"
              ),
              findings: own.map((r) => r.id),
            } satisfies FromWorker,
          );
        },
        (error) => {
          const message = error instanceof Error
            ? error.message
            : String(error);
          port.postMessage(
            {
              kind: "load-failed",
              // The loader's own words, without its "Cannot load plugin" head.
              message: message.replace(/^Cannot load plugin "[^"]*": /, ""),
            } satisfies FromWorker,
          );
        },
      );
      return;
    }
    ready.then(async () => {
      const { id } = message;
      try {
        let value: unknown;
        if (message.kind === "findings") {
          let kept = stores.get(message.store);
          if (kept === undefined) {
            kept = { builder: new SessionCallsBuilder(), given: new Set() };
            stores.set(message.store, kept);
          }
          // Log lines (see FindingSource.takesLines), or events.
          const events = message.events.map((e) =>
            typeof e === "string" ? JSON.parse(e) : e
          );
          value = sessionFindings(kept.builder, events, rules, kept.given);
        } else if (message.kind === "redact") {
          value = message.values.map((v, i) =>
            plugin!.redact!(v, message.paths[i])
          );
        } else if (message.hook === "onToolCall") {
          value = await plugin!.onToolCall!(
            message.input as ToolCall,
            message.context,
          );
        } else {
          value = await plugin!.onMessage!(
            message.input as JsonRpcMessageEvent,
            message.context,
          );
        }
        port.postMessage({ kind: "done", id, value } satisfies FromWorker);
      } catch (error) {
        port.postMessage(
          {
            kind: "failed",
            id,
            name: error instanceof Error ? error.name : "Error",
            message: error instanceof Error ? error.message : String(error),
          } satisfies FromWorker,
        );
      }
    });
  });
}

/** Imports the module and prepares its plugin, as the loader does. */
async function load(specifier: string, options: unknown): Promise<Plugin> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(specifier);
  } catch (error) {
    throw new Error(
      `importing "${specifier}" failed: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
  // Imported here, not above: the loader (and the config's schema with it)
  // is not loaded into the built-in finding rules' worker, which starts
  // faster without it; and the loader starts threads (a cycle).
  const { preparePlugin } = await import("./plugin_loader.ts");
  return await preparePlugin(
    specifier,
    (mod.default ?? mod.plugin) as Plugin | undefined,
    options,
  );
}

if (isPluginThread()) servePluginThread();
