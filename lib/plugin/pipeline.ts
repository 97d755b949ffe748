/**
 * Stage 4: the classifier pipeline. Runs the plugins, in order, on every
 * message event and merges what they return into the event's classes and
 * entities; for `tools/call` it gives them the call (arguments at the
 * request; arguments, result or error at the response, from the request the
 * correlator paired it with) and carries the request's classes over to its
 * response. Then every redaction hook sees every string the log will hold.
 * Hooks are dispatched, timed and isolated by {@linkcode Dispatcher}
 * (`dispatch.ts`); redaction is `redaction.ts`.
 *
 * @module
 */
import {
  type AuditEvent,
  type Classification,
  type Entity,
  FROM_LOG,
  type JsonRpcMessageEvent,
  type RequestEvent,
} from "../audit/event.ts";
import { type CorrelatedEvent, REQUEST } from "../audit/correlator.ts";
import type {
  FoundEntity,
  HookContext,
  HookResult,
  Plugin,
  PluginFindings,
  ToolCall,
} from "./plugin.ts";
import { Dispatcher, type DispatcherOptions, type Hook } from "./dispatch.ts";
import { Redaction } from "./redaction.ts";
import { flatString } from "./kit/_flat_string.ts";

/** Options for {@linkcode Pipeline}: how its hooks are dispatched. */
export type PipelineOptions = DispatcherOptions;

/** One event's way through the hooks. */
interface Run {
  event: JsonRpcMessageEvent;
  call: OpenCall | undefined;
  classes: Classification[];
  entities: Entity[];
  /** What hooks see of `classes`: a frozen copy, made again after a change. */
  classesSeen: readonly Classification[] | undefined;
  /** What hooks see of `entities`, likewise. */
  entitiesSeen: readonly Entity[] | undefined;
}

/** A tool call on its way through the hooks. */
interface OpenCall {
  call: ToolCall;
  /** The request's classes, at the reply. */
  inherited: readonly Classification[];
}

/**
 * The params of a `tools/call` request as the client sent them, kept on the
 * request (not serialised) when redaction replaced them: the hooks at the
 * response see the arguments the server saw, as they did at the request.
 */
const SENT_PARAMS: unique symbol = Symbol("sent params");
type Request = RequestEvent & { [SENT_PARAMS]?: unknown };

/**
 * A plugin's way to be stopped when the session ends (a plugin in a worker
 * of its own stops the worker); {@linkcode Pipeline.close} calls it.
 */
export const CLOSE_PLUGIN: unique symbol = Symbol("close plugin");

/** What hooks see when nothing has been added yet. */
const NONE: readonly never[] = Object.freeze([]);

/** Up to this many entities, a new one is compared with each. */
const FEW_ENTITIES = 16;
/** Strings up to this long are shared between events (see `#flat`). */
const MAX_SHARED_LENGTH = 256;
/** Shared strings kept at most; past this the table starts again. */
const MAX_SHARED_STRINGS = 4096;

/**
 * Runs plugins over events; an {@linkcode EventProcessor} for the audit sink.
 *
 * @example Tagging a call and redacting a value
 * ```ts
 * import { Pipeline } from "./pipeline.ts";
 * import { definePlugin } from "./plugin.ts";
 * import type { RequestEvent } from "../audit/event.ts";
 * import assert from "node:assert/strict";
 *
 * const pipeline = new Pipeline([
 *   definePlugin({ name: "tag", onToolCall: () => ({ classes: ["SENSITIVE"] }) }),
 *   definePlugin({ name: "hide", redact: (s) => (s === "hunter2" ? "[secret]" : undefined) }),
 * ]);
 * const event: RequestEvent = {
 *   v: 1, seq: 0, ts: "", session: "s", kind: "request", dir: "c2s",
 *   bytes: 0, id: 1, method: "tools/call", tool: "login",
 *   params: { name: "login", arguments: { password: "hunter2" } },
 * };
 * await pipeline.process(event);
 * assert.deepEqual(event.classes, [{ label: "SENSITIVE", source: "tag" }]);
 * assert.deepEqual(event.params, { name: "login", arguments: { password: "[secret]" } });
 * ```
 */
export class Pipeline {
  /** The hooks of a message that is not a tool call: each plugin's onMessage. */
  #messageHooks: Hook<Run>[] = [];
  /** The hooks of a tool call, in order: each plugin's onMessage, then its onToolCall. */
  #callHooks: Hook<Run>[] = [];
  #dispatcher: Dispatcher<Run>;
  #plugins: readonly Plugin[];
  #redaction: Redaction | undefined;
  #strings = new Map<string, string>();
  #sources = new Map<string, Map<string, string>>();

  /** Creates a pipeline of `plugins`, run in this order. */
  constructor(plugins: Plugin[], options: PipelineOptions = {}) {
    this.#plugins = plugins;
    for (const plugin of plugins) {
      if (plugin.onMessage) {
        const hook: Hook<Run> = {
          plugin,
          call: function onMessage(run): HookResult {
            return plugin.onMessage!(run.event, contextOf(run));
          },
        };
        this.#messageHooks.push(hook);
        this.#callHooks.push(hook);
      }
      if (plugin.onToolCall) {
        this.#callHooks.push({
          plugin,
          call: function onToolCall(run): HookResult {
            return plugin.onToolCall!(run.call!.call, contextOf(run));
          },
        });
      }
    }
    this.#dispatcher = new Dispatcher<Run>(
      (run, plugin, found) => this.#mergeInto(run, plugin, found),
      options,
    );
    const redactors = plugins.filter((p) => p.redact);
    if (redactors.length > 0) {
      this.#redaction = new Redaction(
        redactors,
        (plugin, message) => this.#dispatcher.warnOnce(plugin, message),
        { budgetMs: options.hookTimeoutMs },
      );
    }
  }

  /**
   * While `reason` is set, waits for no hook, noting `reason` on the events
   * whose hooks are given up on: the sink sets it while its queue is full,
   * so the relay never waits for a slow plugin, and (`final`, for good)
   * when the session ends.
   */
  impatient(reason: string | undefined, final = false): void {
    this.#dispatcher.impatient(reason, final);
  }

  /** Stops what the plugins run beside the pipeline (their workers), once the session has ended. */
  close(): void {
    for (const plugin of this.#plugins) {
      (plugin as { [CLOSE_PLUGIN]?: () => void })[CLOSE_PLUGIN]?.();
    }
  }

  /** Enriches one event in place: classes, entities, plugin errors, redactions. */
  process(event: AuditEvent): void | Promise<void> {
    if (!isMessage(event)) {
      // A built-in rule's finding: logged values, redacted already.
      if ((event as { [FROM_LOG]?: true })[FROM_LOG]) return;
      return this.#redaction?.other(event);
    }
    if (this.#callHooks.length === 0) {
      // Nothing classifies: only redaction to run.
      return this.#redaction?.message(event);
    }
    const call = toolCall(event);
    const run: Run = {
      event,
      call,
      classes: call && call.inherited.length > 0 ? [...call.inherited] : [],
      entities: [],
      classesSeen: undefined,
      entitiesSeen: undefined,
    };
    const pending = this.#dispatcher.dispatch(
      call ? this.#callHooks : this.#messageHooks,
      run,
    );
    if (pending) return pending.then(() => this.#finish(run));
    return this.#finish(run);
  }

  #finish({ event, call, classes, entities }: Run): void | Promise<void> {
    if (classes.length > 0) event.classes = classes;
    if (entities.length > 0) event.entities = entities;
    if (this.#redaction === undefined) return;
    const sent = event.kind === "request" ? event.params : undefined;
    const keep = (): void => {
      if (call && event.kind === "request" && event.params !== sent) {
        (event as Request)[SENT_PARAMS] = sent;
      }
    };
    const pending = this.#redaction.message(event);
    if (pending) return pending.then(keep);
    keep();
  }

  /** Adds what a hook found to the run: labels not yet given, entities not yet found. */
  #mergeInto(run: Run, plugin: Plugin, out: PluginFindings): void {
    const { classes, entities } = run;
    const found = out.classes;
    if (found) {
      for (let i = 0; i < found.length; i++) {
        const c = found[i];
        const label = typeof c === "string" ? c : c?.label;
        if (
          typeof label !== "string" || label === "" || hasLabel(classes, label)
        ) {
          continue;
        }
        const detail = typeof c === "string" ? undefined : c.source;
        classes.push({
          label: this.#flat(label),
          source: detail ? this.#source(plugin.name, detail) : plugin.name,
        });
        run.classesSeen = undefined;
      }
    }
    const foundEntities = out.entities;
    if (!foundEntities) return;
    const tool = run.call?.call.name;
    // Duplicates are looked for one by one while there are few entities,
    // by key once there are many.
    let keys: Set<string> | undefined;
    for (let i = 0; i < foundEntities.length; i++) {
      const e = foundEntities[i];
      if (!isFoundEntity(e)) continue;
      if (keys === undefined && entities.length >= FEW_ENTITIES) {
        keys = new Set(entities.map(entityKey));
      }
      if (keys !== undefined) {
        const key = entityKey(e);
        if (keys.has(key)) continue;
        keys.add(key);
      } else if (hasEntity(entities, e)) continue;
      const type = this.#flat(e.type);
      const value = this.#flat(e.value);
      const path = this.#flat(e.path);
      // One literal per shape: adding `tool` afterwards would make a second.
      entities.push(
        tool === undefined
          ? { type, value, path, source: plugin.name }
          : { type, value, path, source: plugin.name, tool },
      );
      run.entitiesSeen = undefined;
    }
  }

  /** `plugin:detail`, shared: the same few sources recur in every event. */
  #source(plugin: string, detail: string): string {
    let details = this.#sources.get(plugin);
    if (details === undefined) this.#sources.set(plugin, details = new Map());
    let source = details.get(detail);
    if (source === undefined) {
      source = this.#flat(`${plugin}:${detail}`);
      if (details.size >= MAX_SHARED_STRINGS) details.clear();
      details.set(detail, source);
    }
    return source;
  }

  /**
   * The same text as a flat string shared by every event that holds it.
   * Strings built by concatenation or cut from a longer one (paths, sources,
   * matched values) take `JSON.stringify` off its fast path for the whole
   * event; flat ones keep it there, and the same few recur in every event.
   */
  #flat(text: string): string {
    if (text.length > MAX_SHARED_LENGTH) return text;
    let flat = this.#strings.get(text);
    if (flat === undefined) {
      flat = flatString(text);
      if (this.#strings.size >= MAX_SHARED_STRINGS) this.#strings.clear();
      this.#strings.set(flat, flat);
    }
    return flat;
  }
}

/** What hooks see besides their input; they share one frozen copy until a hook adds something. */
function contextOf(run: Run): HookContext {
  return {
    event: run.event,
    classes: run.classesSeen ??= run.classes.length === 0
      ? NONE
      : Object.freeze(run.classes.slice()),
    entities: run.entitiesSeen ??= run.entities.length === 0
      ? NONE
      : Object.freeze(run.entities.slice()),
  };
}

/**
 * The tool call an event is, if any. At a response it comes from the
 * request the correlator paired the response with: a reply the correlator
 * did not pair (an unknown or already answered id) is no tool call.
 */
function toolCall(event: JsonRpcMessageEvent): OpenCall | undefined {
  if (event.kind === "request") {
    if (event.method !== "tools/call" || event.tool === undefined) {
      return undefined;
    }
    return {
      call: {
        name: event.tool,
        arguments: argumentsOf(event.params),
        phase: "request",
      },
      inherited: NONE,
    };
  }
  if (event.kind !== "response" && event.kind !== "error") return undefined;
  const request: Request | undefined = (event as CorrelatedEvent)[REQUEST];
  if (
    request === undefined || request.method !== "tools/call" ||
    request.tool === undefined
  ) return undefined;
  const args = argumentsOf(
    SENT_PARAMS in request ? request[SENT_PARAMS] : request.params,
  );
  const call: ToolCall = event.kind === "response"
    ? {
      name: request.tool,
      arguments: args,
      phase: "response",
      result: event.result,
      isError: event.isError,
    }
    : {
      name: request.tool,
      arguments: args,
      phase: "response",
      error: event.error as ToolCall["error"],
    };
  return { call, inherited: request.classes ?? NONE };
}

function argumentsOf(params: unknown): unknown {
  return (params as { arguments?: unknown } | undefined)?.arguments;
}

function isMessage(event: AuditEvent): event is JsonRpcMessageEvent {
  return event.kind === "request" || event.kind === "notification" ||
    event.kind === "response" ||
    event.kind === "error";
}

function hasLabel(classes: Classification[], label: string): boolean {
  for (let i = 0; i < classes.length; i++) {
    if (classes[i].label === label) return true;
  }
  return false;
}

function hasEntity(entities: Entity[], e: FoundEntity): boolean {
  for (let i = 0; i < entities.length; i++) {
    const x = entities[i];
    if (x.value === e.value && x.type === e.type && x.path === e.path) {
      return true;
    }
  }
  return false;
}

function entityKey(e: FoundEntity): string {
  return JSON.stringify([e.type, e.value, e.path]);
}

function isFoundEntity(e: unknown): e is FoundEntity {
  const x = e as FoundEntity;
  return typeof x === "object" && x !== null && typeof x.type === "string" &&
    typeof x.value === "string" &&
    typeof x.path === "string";
}
