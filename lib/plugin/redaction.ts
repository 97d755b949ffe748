/**
 * Redaction for the pipeline: every redaction hook sees every string the
 * log will hold (payloads, entity values, invalid frames' excerpts, the
 * server's stderr), after classification and only in what is logged. All
 * of one event's redaction has one time budget (see `kit/budget.ts`).
 * Redaction that did not run to the end, because a hook threw or the
 * budget was spent, must not leave the event in clear: its payloads are
 * withheld (their size and SHA-256 only, {@linkcode withheld}), its
 * entities' values too, and the reason is noted on the event.
 *
 * @module
 */
import type { AuditEvent, MessageEvent } from "../audit/event.ts";
import type { Plugin } from "./plugin.ts";
import { mapStrings } from "./kit/json_walk.ts";
import { BudgetExceededError, withBudget } from "./kit/budget.ts";
import { sha256Hex } from "../wire/payload.ts";
import { HookTimeoutError } from "./dispatch.ts";

/** A payload that redaction could not finish on: logged as its size and hash only. */
export interface Withheld {
  /** Marks the payload as withheld. */
  $withheld: true;
  /** Byte length of the payload's JSON text. */
  bytes: number;
  /** Hex SHA-256 of the payload's JSON text. */
  sha256: string;
  /** Why: which redaction plugin did not finish, and what happened. */
  reason: string;
}

/** Options for {@linkcode Redaction}. */
export interface RedactionOptions {
  /**
   * The time budget of one event's redaction, all hooks together.
   * @default {1000}
   */
  budgetMs?: number;
}

const encoder = new TextEncoder();

/**
 * The withheld form of `value`: its JSON text's byte length and SHA-256,
 * and `reason`.
 *
 * @example
 * ```ts
 * import { withheld } from "./redaction.ts";
 * import assert from "node:assert/strict";
 *
 * import { createHash } from "node:crypto";
 *
 * assert.deepEqual(withheld("hi", "why"), {
 *   $withheld: true, bytes: 4, reason: "why",
 *   sha256: createHash("sha256").update('"hi"').digest("hex"),
 * });
 * ```
 */
export function withheld(value: unknown, reason: string): Withheld {
  const json = JSON.stringify(value) ?? "null";
  return {
    $withheld: true,
    bytes: encoder.encode(json).length,
    sha256: sha256Hex(json),
    reason,
  };
}

/**
 * A redaction hook that takes all of an event's strings at once and
 * answers later: how a plugin in a worker of its own redacts (one message
 * per event, not per string). Kept under {@linkcode BATCH_REDACT} on the
 * plugin, whose `redact` is then not called.
 */
export type BatchRedact = (
  values: string[],
  paths: string[],
) => Promise<(string | undefined)[]>;

/** Where a plugin keeps its {@linkcode BatchRedact}. */
export const BATCH_REDACT: unique symbol = Symbol("batch redact");

/** Thrown inside one event's redaction when a hook failed: the rest is not run. */
class RedactionFailed extends Error {}

/** The parts of a message event that are redacted. */
const PAYLOAD_KEYS = ["params", "result", "error"] as const;

/**
 * The redaction hooks of a pipeline's plugins, run in order on each string.
 *
 * @example
 * ```ts
 * import { Redaction } from "./redaction.ts";
 * import { definePlugin } from "./plugin.ts";
 * import type { RequestEvent } from "../audit/event.ts";
 * import assert from "node:assert/strict";
 *
 * const redaction = new Redaction([
 *   definePlugin({ name: "hide", redact: (s) => (s === "hunter2" ? "[secret]" : undefined) }),
 * ], () => {});
 * const event: RequestEvent = {
 *   v: 1, seq: 0, ts: "", session: "s", kind: "request", dir: "c2s",
 *   bytes: 0, id: 1, method: "tools/call", tool: "login",
 *   params: { name: "login", arguments: { password: "hunter2" } },
 * };
 * redaction.message(event);
 * assert.deepEqual(event.params, { name: "login", arguments: { password: "[secret]" } });
 * ```
 */
export class Redaction {
  #redactors: readonly Plugin[];
  #warnOnce: (plugin: string, message: string) => void;
  #budgetMs: number;
  /** The redactor running, for a budget spent inside it. */
  #current: string | undefined;
  /** Whether a redactor answers later ({@linkcode BatchRedact}). */
  #batched: boolean;

  /**
   * Creates the redaction of `redactors` (plugins with a `redact` hook);
   * `warnOnce` reports a failing one (see `Dispatcher.warnOnce`).
   */
  constructor(
    redactors: readonly Plugin[],
    warnOnce: (plugin: string, message: string) => void,
    options: RedactionOptions = {},
  ) {
    this.#redactors = redactors;
    this.#warnOnce = warnOnce;
    this.#budgetMs = options.budgetMs ?? 1000;
    this.#batched = redactors.some((p) =>
      (p as { [BATCH_REDACT]?: BatchRedact })[BATCH_REDACT] !== undefined
    );
  }

  /**
   * Redacts a message event's payloads and entity values in place; the
   * tool name is kept. When redaction cannot finish, the payloads and
   * entity values are withheld instead and the reason is noted in
   * `pluginErrors`.
   */
  message(event: MessageEvent): void | Promise<void> {
    const e = event as unknown as Record<string, unknown>;
    const original = {
      params: e.params,
      result: e.result,
      error: e.error,
      entities: event.entities,
    };
    if (this.#batched) {
      return this.#batchedMessage(event).catch((error) =>
        this.#withhold(event, original, error)
      );
    }
    try {
      withBudget(this.#budgetMs, () => this.#message(event));
    } catch (error) {
      this.#withhold(event, original, error);
    }
  }

  /** Replaces the payloads and entity values of `event` by their withheld forms. */
  #withhold(
    event: MessageEvent,
    original: Record<(typeof PAYLOAD_KEYS)[number], unknown> & {
      entities: MessageEvent["entities"];
    },
    error: unknown,
  ): void {
    const e = event as unknown as Record<string, unknown>;
    const reason = this.#failure(event, error);
    for (const key of PAYLOAD_KEYS) {
      const value = original[key];
      if (value === undefined) continue;
      const record = withheld(value, reason);
      // An error stays an error: the record goes in its data.
      e[key] = key === "error"
        ? {
          code: (value as { code?: unknown }).code ?? 0,
          message: "[withheld]",
          data: record,
        }
        : record;
    }
    if (original.entities) {
      event.entities = original.entities.map((x) => ({
        ...x,
        value: "[withheld]",
      }));
    }
  }

  /** Notes why redaction did not finish on `event`; returns the reason. */
  #failure(
    event: { pluginErrors?: MessageEvent["pluginErrors"] },
    error: unknown,
  ): string {
    const failed = error instanceof RedactionFailed
      ? error.message
      : error instanceof BudgetExceededError
      ? `it exceeded the budget of ${error.budgetMs} ms`
      : `${error}`;
    const plugin = error instanceof RedactionFailed
      ? (error.cause as string)
      : this.#current ?? "redaction";
    const reason =
      `redaction by "${plugin}" did not finish (${failed}): the payload is withheld, its size and SHA-256 only`;
    (event.pluginErrors ??= []).push({ plugin, error: reason });
    this.#warnOnce(plugin, `plugin "${plugin}": ${reason}`);
    return reason;
  }

  /**
   * The redaction of a message when a redactor answers later: every string
   * of the event is gathered (in the order `mapStrings` visits them), each
   * redactor in turn takes the list, and the results are put back in the
   * same order.
   */
  async #batchedMessage(event: MessageEvent): Promise<void> {
    const e = event as unknown as Record<string, unknown>;
    const values: string[] = [];
    const paths: string[] = [];
    const gather = (value: string, path: string): undefined => {
      values.push(value);
      paths.push(path);
      return undefined;
    };
    for (const key of PAYLOAD_KEYS) {
      if (e[key] !== undefined) {
        mapStrings(e[key], key === "params" ? "" : key, gather);
      }
    }
    for (const x of event.entities ?? []) gather(x.value, x.path);
    const out = await this.#redactAll(values, paths);
    let k = 0;
    const put = (value: string): string | undefined => {
      const redacted = out[k++];
      return redacted === value ? undefined : redacted;
    };
    for (const key of PAYLOAD_KEYS) {
      const value = e[key];
      if (value === undefined) continue;
      const redacted = mapStrings(value, key === "params" ? "" : key, put);
      if (redacted !== value) e[key] = redacted;
    }
    if (
      event.kind === "request" && event.tool !== undefined &&
      typeof e.params === "object"
    ) {
      (e.params as Record<string, unknown>).name = event.tool;
    }
    if (event.entities) {
      event.entities = event.entities.map((x) => {
        const value = out[k++];
        return value === x.value ? x : { ...x, value };
      });
    }
  }

  /** Every redactor in order over `values`, the batch ones by one message each. */
  async #redactAll(values: string[], paths: string[]): Promise<string[]> {
    const current = values.slice();
    for (const plugin of this.#redactors) {
      this.#current = plugin.name;
      const batch = (plugin as { [BATCH_REDACT]?: BatchRedact })[BATCH_REDACT];
      if (batch !== undefined) {
        let out: (string | undefined)[];
        try {
          out = await batch(current, paths);
        } catch (error) {
          // A hook that did not answer in time says so itself.
          const e = error as Error;
          throw new RedactionFailed(
            e instanceof HookTimeoutError
              ? `its redact hook ${e.message}`
              : `its redact hook threw (${e?.name}: ${e?.message})`,
            { cause: plugin.name },
          );
        }
        for (let i = 0; i < current.length; i++) {
          if (typeof out?.[i] === "string") current[i] = out[i]!;
        }
        continue;
      }
      withBudget(this.#budgetMs, () => {
        for (let i = 0; i < current.length; i++) {
          const out = this.#one(plugin, current[i], paths[i]);
          if (typeof out === "string") current[i] = out;
        }
      });
    }
    this.#current = undefined;
    return current;
  }

  /** One redactor on one string; a throw becomes a {@linkcode RedactionFailed}. */
  #one(plugin: Plugin, value: string, path: string): string | undefined {
    try {
      return plugin.redact!(value, path);
    } catch (error) {
      if (error instanceof BudgetExceededError) throw error;
      throw new RedactionFailed(
        `its redact hook threw (${
          error instanceof Error ? `${error.name}: ${error.message}` : error
        })`,
        { cause: plugin.name },
      );
    }
  }

  #message(event: MessageEvent): void {
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

  /**
   * Redacts the text of an event that is not a message: an invalid frame's
   * excerpt, stderr. Text that cannot be redacted is withheld, as payloads are.
   */
  other(event: AuditEvent): void | Promise<void> {
    if (event.kind !== "invalid" && event.kind !== "stderr") return;
    const text = event.kind === "invalid" ? event.excerpt : event.text;
    const path = event.kind === "invalid" ? "excerpt" : "stderr";
    const set = (out: string): void => {
      if (event.kind === "invalid") event.excerpt = out;
      else event.text = out;
    };
    const withhold = (error: unknown): void => {
      const record = withheld(text, this.#failure({}, error));
      set(
        `[withheld: ${record.bytes} bytes, sha256 ${record.sha256}: ${record.reason}]`,
      );
    };
    if (this.#batched) {
      return this.#redactAll([text], [path]).then(([out]) => set(out))
        .catch(withhold);
    }
    try {
      set(withBudget(this.#budgetMs, () => this.#redact(text, path) ?? text));
    } catch (error) {
      withhold(error);
    }
  }

  #redact = (value: string, path: string): string | undefined => {
    let current = value;
    let changed = false;
    for (const plugin of this.#redactors) {
      this.#current = plugin.name;
      const out = this.#one(plugin, current, path);
      if (typeof out === "string" && out !== current) {
        current = out;
        changed = true;
      }
    }
    this.#current = undefined;
    return changed ? current : undefined;
  };
}
