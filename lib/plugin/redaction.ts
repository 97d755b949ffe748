/**
 * Redaction for the pipeline: every redaction hook sees every string and
 * number the log will hold, in one walk over the event: payloads at any
 * depth, object keys, method and tool names, ids, trace context, the
 * handshake's client and server, the server command, entity values,
 * invalid frames' excerpts, the server's stderr. Only the fields the proxy
 * itself writes (sequence, times, sizes, hashes) are passed over. It runs
 * after classification and only on what is logged. All of one event's
 * redaction has one time budget (see `kit/budget.ts`). Redaction that did
 * not run to the end, because a hook threw or the budget was spent, must
 * not leave the event in clear: its payloads are withheld (their size and
 * SHA-256 only, {@linkcode withheld}), its entities' values too, and the
 * reason is noted on the event.
 *
 * @module
 */
import type {
  AuditEvent,
  Entity,
  JsonRpcMessageEvent,
} from "../audit/event.ts";
import { type CorrelatedEvent, FRAME } from "../audit/correlator.ts";
import type { Truncated } from "../wire/payload.ts";
import { jsonPreview } from "../wire/payload.ts";
import { parsePrefix } from "../wire/_skim.ts";
import type { Plugin } from "./plugin.ts";
import { mapStrings, type MapStringsOptions } from "./kit/json_walk.ts";
import { BudgetExceededError, withBudget } from "./kit/budget.ts";
import { sha256Hex } from "../wire/payload.ts";
import { HookTimeoutError } from "./dispatch.ts";

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
 * Top-level fields the proxy writes itself, never from a peer: numbers,
 * times, hashes, enumerations. Every other field is redacted, so a field
 * added later is covered until it is listed here.
 */
const OWN_FIELDS: ReadonlySet<string> = new Set([
  "v",
  "seq",
  "ts",
  "session",
  "kind",
  "dir",
  "bytes",
  "hash",
  "batch",
  "requestSeq",
  "durationMs",
  "cancelled",
  "cancelsSeq",
  "isError",
  "sha256",
  "reason",
  "via",
  "proxyPid",
  "pid",
  "proxy",
  "chainStart",
  "chain",
  "exit",
  "stderr",
  "treeSize",
  "root",
  "head",
  "keyId",
  "signature",
  "lost",
  "fromSeq",
  "protocolEra",
  "subscriptionSeq",
  "errorName",
]);

/** The path a top-level field's strings are redacted under, where it is not the field's name. */
const ROOTS: Readonly<Record<string, string>> = {
  // `arguments.password`, `name`, `_meta.x`: as plugins have always seen params.
  params: "",
  text: "stderr",
};

/** Keys kept in the cache of recurring strings at most; past this it starts again. */
const MAX_CACHED = 4096;
/** Strings longer than this are not cached. */
const MAX_CACHED_LENGTH = 256;

/** A command-line flag that takes the next argument as its value: `--password`, `-token`. */
const FLAG = /^--?[A-Za-z][\w.-]*$/;

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
 *   bytes: 0, id: "hunter2", method: "tools/call", tool: "login",
 *   params: { name: "login", arguments: { password: "hunter2", hunter2: 1 } },
 * };
 * redaction.message(event);
 * assert.equal(event.id, "[secret]");
 * assert.deepEqual(event.params, { name: "login", arguments: { password: "[secret]", "[secret]": 1 } });
 * ```
 */
export class Redaction {
  #redactors: readonly Plugin[];
  #warnOnce: (plugin: string, message: string) => void;
  /** Keys and names, which recur in every event, by path and then text. */
  #cache = new Map<string, Map<string, string | null>>();
  #cached = 0;
  #walk: MapStringsOptions;
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
    this.#walk = { keys: this.#recurring, numbers: true };
    this.#budgetMs = options.budgetMs ?? 1000;
    this.#batched = redactors.some((p) =>
      (p as { [BATCH_REDACT]?: BatchRedact })[BATCH_REDACT] !== undefined
    );
  }

  /**
   * Redacts a message event in place: everything in it but the proxy's own
   * fields, in one walk, within the time budget. When redaction cannot
   * finish (a hook threw, the budget was spent), the payloads and entity
   * values are withheld instead and the reason is noted in `pluginErrors`.
   * Redactors in a worker of their own ({@linkcode BatchRedact}) take the
   * payloads' and entities' strings in one message first.
   */
  message(event: JsonRpcMessageEvent): void | Promise<void> {
    const e = event as unknown as Record<string, unknown>;
    const original = {
      params: e.params,
      result: e.result,
      error: e.error,
      entities: event.entities,
    };
    if (this.#batched) {
      return this.#batchedMessage(event).then(() =>
        withBudget(this.#budgetMs, () => this.#event(event))
      ).catch((error) => this.#withhold(event, original, error));
    }
    try {
      withBudget(this.#budgetMs, () => this.#event(event));
    } catch (error) {
      this.#withhold(event, original, error);
    }
  }

  /**
   * Redacts an event that is not a message in place: session start and
   * end, handshake, invalid frames, stderr. What cannot be redacted is
   * withheld, field by field, as payloads are.
   */
  other(event: AuditEvent): void | Promise<void> {
    if (event.kind === "checkpoint" || event.kind === "gap") return;
    const e = event as unknown as Record<string, unknown>;
    const original = { ...e };
    const withhold = (error: unknown): void => {
      const reason = this.#failure({}, error);
      for (const [field, value] of Object.entries(original)) {
        if (OWN_FIELDS.has(field) || value === undefined) continue;
        const record = withheld(value, reason);
        e[field] = typeof value === "string"
          ? `[withheld: ${record.bytes} bytes, sha256 ${record.sha256}: ${record.reason}]`
          : record;
      }
    };
    if (
      this.#batched && (event.kind === "invalid" || event.kind === "stderr")
    ) {
      const invalid = event.kind === "invalid";
      return this.#redactAll(
        [invalid ? event.excerpt : event.text],
        [invalid ? "excerpt" : "stderr"],
      ).then(([out]) => {
        if (event.kind === "invalid") event.excerpt = out;
        else if (event.kind === "stderr") event.text = out;
        withBudget(this.#budgetMs, () => this.#event(event));
      }).catch(withhold);
    }
    try {
      withBudget(this.#budgetMs, () => this.#event(event));
    } catch (error) {
      withhold(error);
    }
  }

  /** Replaces the payloads and entity values of `event` by their withheld forms. */
  #withhold(
    event: JsonRpcMessageEvent,
    original: Record<(typeof PAYLOAD_KEYS)[number], unknown> & {
      entities: JsonRpcMessageEvent["entities"];
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
    event: { pluginErrors?: JsonRpcMessageEvent["pluginErrors"] },
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
  async #batchedMessage(event: JsonRpcMessageEvent): Promise<void> {
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

  /** The one walk over an event, with the redactors that answer at once. */
  #event(event: AuditEvent): void {
    const e = event as unknown as Record<string, unknown>;
    const frame = (event as CorrelatedEvent)[FRAME];
    if (frame?.skimmed) this.#skimmed(e);
    for (const field of Object.keys(e)) {
      if (OWN_FIELDS.has(field)) continue;
      const value = e[field];
      let redacted: unknown;
      if (field === "entities" && Array.isArray(value)) {
        redacted = this.#entities(value as Entity[]);
      } else if (field === "command" && Array.isArray(value)) {
        redacted = this.#command(value);
      } else if (typeof value === "string") {
        redacted = field === "method" || field === "tool" ||
            field === "errorType" || field === "protocolVersion"
          ? this.#recurring(value, field) ?? value
          : this.#redact(
            field === "excerpt" ? unescapeJson(value) : value,
            ROOTS[field] ?? field,
          ) ?? value;
      } else {
        redacted = mapStrings(
          value,
          ROOTS[field] ?? field,
          // Labels and sources come back in every event.
          field === "classes" ? this.#recurring : this.#redact,
          this.#walk,
        );
      }
      if (redacted !== value) e[field] = redacted;
    }
  }

  /**
   * A skimmed frame's payloads are truncation records whose preview is the
   * frame's raw text: escaped characters, and keys not seen as keys. The
   * preview is parsed as far as it is whole, redacted as the payload would
   * be, and written again; what cannot be parsed is withheld.
   */
  #skimmed(e: Record<string, unknown>): void {
    const error = e.error as { data?: unknown } | undefined;
    for (const t of [e.params, e.result, error?.data]) {
      if (!isTruncated(t)) continue;
      const chars = t.preview.length;
      const partial = parsePrefix(t.preview);
      if (typeof partial !== "object" || partial === null) {
        t.preview = "";
        continue;
      }
      // Every member, its key too: a frame's own fields are the peer's here.
      const frame: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(partial)) {
        frame[this.#recurring(k, "") ?? k] = mapStrings(
          v,
          k === "params" ? "" : k,
          this.#redact,
          this.#walk,
        );
      }
      t.preview = jsonPreview(frame, chars);
    }
  }

  /** Entity values by the path they were found at; the rest as text. */
  #entities(entities: Entity[]): Entity[] {
    let out: Entity[] | undefined;
    for (let i = 0; i < entities.length; i++) {
      const x = entities[i];
      // A finding's entities name a type and a value, no path: they are
      // redacted as values under `entities`, not under an undefined path.
      const value = this.#redact(x.value, x.path ?? "entities");
      const rest = mapStrings(
        { type: x.type, path: x.path, tool: x.tool, source: x.source },
        "entities",
        this.#recurring,
      ) as Partial<Entity>;
      if (
        value === undefined && rest.path === x.path && rest.tool === x.tool &&
        rest.type === x.type && rest.source === x.source
      ) continue;
      out ??= entities.slice();
      const y: Entity = { ...x, ...rest, value: value ?? x.value } as Entity;
      if (y.tool === undefined) delete y.tool;
      out[i] = y;
    }
    return out ?? entities;
  }

  /**
   * A command line: each argument as a string, and the one after a flag
   * (`--password hunter2`) under the flag's name, as a value under its key.
   */
  #command(argv: unknown[]): unknown[] {
    let out: unknown[] | undefined;
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      if (typeof arg !== "string") continue;
      const previous = argv[i - 1];
      const path = typeof previous === "string" && FLAG.test(previous)
        ? `command.${previous.replace(/^--?/, "")}`
        : `command[${i}]`;
      const redacted = this.#redact(arg, path);
      if (redacted === undefined) continue;
      out ??= argv.slice();
      out[i] = redacted;
    }
    return out ?? argv;
  }

  /** {@linkcode #redact} for keys and names, remembered: the same few come back in every event. */
  #recurring = (text: string, path: string): string | undefined => {
    if (text.length > MAX_CACHED_LENGTH) return this.#redact(text, path);
    let known = this.#cache.get(path);
    if (known === undefined) {
      if (this.#cached >= MAX_CACHED) {
        this.#cache.clear();
        this.#cached = 0;
      }
      this.#cache.set(path, known = new Map());
    }
    let out = known.get(text);
    if (out === undefined) {
      out = this.#redact(text, path) ?? null;
      known.set(text, out);
      this.#cached++;
    }
    return out ?? undefined;
  };

  #redact = (value: string, path: string): string | undefined => {
    let current = value;
    let changed = false;
    for (const plugin of this.#redactors) {
      // Those in a worker of their own took their turn in #redactAll.
      if ((plugin as { [BATCH_REDACT]?: BatchRedact })[BATCH_REDACT]) continue;
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

function isTruncated(value: unknown): value is Truncated {
  return typeof value === "object" && value !== null &&
    (value as Truncated).$truncated === true &&
    typeof (value as Truncated).preview === "string";
}

/**
 * Raw JSON text (an invalid frame's excerpt) with its string escapes
 * undone, so that `\u0040` or `\/` cannot hide a secret from the hooks.
 */
function unescapeJson(text: string): string {
  if (!text.includes("\\")) return text;
  return text.replace(
    /\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g,
    (_, hex: string | undefined, c: string | undefined) =>
      hex !== undefined
        ? String.fromCharCode(parseInt(hex, 16))
        : ({ b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" } as Record<
          string,
          string
        >)[c!] ?? c!,
  );
}
