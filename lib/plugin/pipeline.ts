/**
 * Stage 4: the classifier pipeline. Runs the plugins, in order, on every
 * message event; for `tools/call` it gives them the call (arguments at the
 * request; arguments, result or error at the response) and carries the
 * request's classes over to its response. Then every redaction hook sees
 * every string the log will hold. A plugin that throws, rejects or takes too
 * long is noted on the event and reported once; the event is logged anyway.
 *
 * @module
 */
import type {
  AuditEvent,
  Classification,
  Direction,
  Entity,
  JsonRpcId,
  JsonRpcMessageEvent,
} from "../audit/event.ts";
import type {
  FoundEntity,
  HookContext,
  Plugin,
  PluginFindings,
  ToolCall,
} from "./plugin.ts";
import { mapStrings } from "./kit/json_walk.ts";
import { flatString } from "./kit/_flat_string.ts";

/** Options for {@linkcode Pipeline}. */
export interface PipelineOptions {
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
  /** Receives one warning sentence per failing plugin. */
  onWarning?: (message: string) => void;
}

interface CallState {
  /** The request's seq: a reply answers this call when its requestSeq is this. */
  seq: number;
  name: string;
  arguments: unknown;
  classes: Classification[];
}

class HookTimeout extends Error {}

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
  inherited: Classification[];
  /** At the request: where its classes are kept for the reply. */
  state?: CallState;
}

/** What hooks see when nothing has been added yet. */
const NONE: readonly never[] = Object.freeze([]);

/** Calls waiting for their response; older ones are forgotten past this. */
const MAX_OPEN_CALLS = 10_000;
/** Up to this many entities, a new one is compared with each. */
const FEW_ENTITIES = 16;
/** Strings up to this long are shared between events (see `#flat`). */
const MAX_SHARED_LENGTH = 256;
/** Shared strings kept at most; past this the table starts again. */
const MAX_SHARED_STRINGS = 4096;
/** The parts of a message event that are redacted. */
const PAYLOAD_KEYS = ["params", "result", "error"] as const;

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
  #plugins: Plugin[];
  /** The hooks in the order they run: each plugin's onMessage, then its onToolCall. */
  #steps: { plugin: Plugin; toolCall: boolean }[];
  #redactors: Plugin[];
  #timeoutMs: number;
  #maxTimeouts: number;
  #onWarning: (message: string) => void;
  /**
   * Calls waiting for their reply, by the direction of the request and its
   * id, as the correlator pairs them: a request that reuses a waiting id
   * takes its place, so a peer that never answers leaves nothing behind.
   */
  #calls: Record<Direction, Map<JsonRpcId, CallState>> = {
    c2s: new Map(),
    s2c: new Map(),
  };
  #timeouts = new Map<string, number>();
  #disabled = new Set<string>();
  #reported = new Set<string>();
  #strings = new Map<string, string>();
  #sources = new Map<string, Map<string, string>>();

  /** Creates a pipeline of `plugins`, run in this order. */
  constructor(plugins: Plugin[], options: PipelineOptions = {}) {
    this.#plugins = plugins.filter((p) => p.onToolCall || p.onMessage);
    this.#redactors = plugins.filter((p) => p.redact);
    this.#steps = this.#plugins.flatMap((plugin) => [
      { plugin, toolCall: false },
      { plugin, toolCall: true },
    ]);
    this.#timeoutMs = options.hookTimeoutMs ?? 1000;
    this.#maxTimeouts = options.maxTimeouts ?? 3;
    this.#onWarning = options.onWarning ?? (() => {});
  }

  /** Enriches one event in place: classes, entities, plugin errors, redactions. */
  process(event: AuditEvent): void | Promise<void> {
    if (!isMessage(event)) {
      if (this.#redactors.length > 0) this.#redactOther(event);
      return;
    }
    if (this.#plugins.length === 0) {
      // Nothing classifies: no call state to keep, only redaction to run.
      if (this.#redactors.length > 0) this.#redactMessage(event);
      return;
    }
    return this.#run(event, this.#toolCall(event));
  }

  #run(
    event: JsonRpcMessageEvent,
    call: OpenCall | undefined,
  ): void | Promise<void> {
    const run: Run = {
      event,
      call,
      classes: call && call.inherited.length > 0 ? [...call.inherited] : [],
      entities: [],
      classesSeen: undefined,
      entitiesSeen: undefined,
    };
    return this.#runFrom(0, run);
  }

  /**
   * Runs the hooks from `step` on, synchronously until a hook returns a
   * promise; only then does the rest wait for it, so synchronous plugins
   * cost no microtask per event.
   */
  #runFrom(step: number, run: Run): void | Promise<void> {
    const { event, call, classes, entities } = run;
    const steps = this.#steps;
    for (let i = step; i < steps.length; i++) {
      const { plugin, toolCall } = steps[i];
      if (toolCall ? !plugin.onToolCall || !call : !plugin.onMessage) continue;
      if (this.#disabled.size > 0 && this.#disabled.has(plugin.name)) continue;
      // Hooks share one frozen copy until a hook adds something.
      const context: HookContext = {
        event,
        classes: run.classesSeen ??= classes.length === 0
          ? NONE
          : Object.freeze(classes.slice()),
        entities: run.entitiesSeen ??= entities.length === 0
          ? NONE
          : Object.freeze(entities.slice()),
      };
      try {
        const out = toolCall
          ? plugin.onToolCall!(call!.call, context)
          : plugin.onMessage!(event, context);
        if (out instanceof Promise) {
          return this.#withTimeout(out).then(
            (found) => {
              if (found) this.#mergeInto(run, plugin, found);
            },
            (error) => this.#fail(event, plugin, error),
          ).then(() => this.#runFrom(i + 1, run));
        }
        if (out) this.#mergeInto(run, plugin, out);
      } catch (error) {
        this.#fail(event, plugin, error);
      }
    }
    this.#finish(run);
  }

  #finish({ event, call, classes, entities }: Run): void {
    if (classes.length > 0) event.classes = classes;
    if (entities.length > 0) event.entities = entities;
    if (call?.state) call.state.classes = classes;
    if (this.#redactors.length > 0) this.#redactMessage(event);
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

  #toolCall(event: JsonRpcMessageEvent): OpenCall | undefined {
    if (
      event.kind === "request" && event.method === "tools/call" &&
      event.tool !== undefined
    ) {
      const args = (event.params as { arguments?: unknown } | undefined)
        ?.arguments;
      const state: CallState = {
        seq: event.seq,
        name: event.tool,
        arguments: args,
        classes: [],
      };
      const open = this.#calls[event.dir];
      open.set(event.id, state);
      if (open.size > MAX_OPEN_CALLS) {
        // Forget the oldest half at once: deleting one at a time from the
        // front of a Map rescans its deleted slots every time.
        let drop = MAX_OPEN_CALLS / 2;
        for (const id of open.keys()) {
          open.delete(id);
          if (--drop === 0) break;
        }
      }
      return {
        call: { name: event.tool, arguments: args, phase: "request" },
        inherited: [],
        state,
      };
    }
    if (
      (event.kind === "response" || event.kind === "error") &&
      event.requestSeq !== undefined
    ) {
      const open = this.#calls[event.dir === "c2s" ? "s2c" : "c2s"];
      const state = open.get(event.id);
      if (state === undefined || state.seq !== event.requestSeq) {
        return undefined;
      }
      open.delete(event.id);
      const call: ToolCall = event.kind === "response"
        ? {
          name: state.name,
          arguments: state.arguments,
          phase: "response",
          result: event.result,
          isError: event.isError,
        }
        : {
          name: state.name,
          arguments: state.arguments,
          phase: "response",
          error: event.error as ToolCall["error"],
        };
      return { call, inherited: state.classes };
    }
    return undefined;
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
    if (!this.#reported.has(plugin.name)) {
      this.#reported.add(plugin.name);
      this.#onWarning(
        `plugin "${plugin.name}" failed (${message}) on event ${event.seq}; the event is logged without its findings and the conversation goes on`,
      );
    }
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

  #redact = (value: string, path: string): string | undefined => {
    let current = value;
    let changed = false;
    for (const plugin of this.#redactors) {
      try {
        const out = plugin.redact!(current, path);
        if (typeof out === "string" && out !== current) {
          current = out;
          changed = true;
        }
      } catch (error) {
        if (!this.#reported.has(plugin.name)) {
          this.#reported.add(plugin.name);
          this.#onWarning(
            `redaction plugin "${plugin.name}" failed (${error}); the string was logged unredacted`,
          );
        }
      }
    }
    return changed ? current : undefined;
  };

  #redactMessage(event: JsonRpcMessageEvent): void {
    const e = event as unknown as Record<string, unknown>;
    for (const key of PAYLOAD_KEYS) {
      const value = e[key];
      if (value !== undefined) {
        const redacted = mapStrings(
          value,
          key === "params" ? "" : key,
          this.#redact,
        );
        if (redacted !== value) e[key] = redacted;
      }
    }
    if (
      event.kind === "request" && event.tool !== undefined &&
      typeof e.params === "object"
    ) {
      // The tool name itself is kept: it is what the audit is about.
      (e.params as Record<string, unknown>).name = event.tool;
    }
    if (event.entities) {
      event.entities = event.entities.map((x) => {
        const value = this.#redact(x.value, x.path);
        return value === undefined ? x : { ...x, value };
      });
    }
  }

  #redactOther(event: AuditEvent): void {
    if (event.kind === "invalid") {
      event.excerpt = this.#redact(event.excerpt, "excerpt") ?? event.excerpt;
    } else if (event.kind === "stderr") {
      event.text = this.#redact(event.text, "stderr") ?? event.text;
    }
  }
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
