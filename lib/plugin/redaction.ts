/**
 * Redaction for the pipeline: every redaction hook sees every string and
 * number the log will hold, in one walk over the event: payloads at any
 * depth, object keys, method and tool names, ids, trace context, the
 * handshake's client and server, the server command, entity values,
 * invalid frames' excerpts, the server's stderr. Only the fields the proxy
 * itself writes (sequence, times, sizes, hashes) are passed over. It runs
 * after classification and only on what is logged. A hook that throws
 * leaves the string as it was and is reported once.
 *
 * @module
 */
import type { AuditEvent, Entity } from "../audit/event.ts";
import { type CorrelatedEvent, FRAME } from "../audit/correlator.ts";
import type { Truncated } from "../wire/payload.ts";
import { jsonPreview } from "../wire/payload.ts";
import { parsePrefix } from "../wire/_skim.ts";
import type { Plugin } from "./plugin.ts";
import { mapStrings, type MapStringsOptions } from "./kit/json_walk.ts";

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

  /**
   * Creates the redaction of `redactors` (plugins with a `redact` hook);
   * `warnOnce` reports a failing one (see `Dispatcher.warnOnce`).
   */
  constructor(
    redactors: readonly Plugin[],
    warnOnce: (plugin: string, message: string) => void,
  ) {
    this.#redactors = redactors;
    this.#warnOnce = warnOnce;
    this.#walk = { keys: this.#recurring, numbers: true };
  }

  /** Redacts a message event in place: everything in it but the proxy's own fields. */
  message(event: AuditEvent): void {
    this.#event(event);
  }

  /** Redacts an event that is not a message in place: session start and end, handshake, invalid frames, stderr. */
  other(event: AuditEvent): void {
    if (event.kind === "checkpoint" || event.kind === "gap") return;
    this.#event(event);
  }

  /** The one walk over an event. */
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
      const value = this.#redact(x.value, x.path);
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
      try {
        const out = plugin.redact!(current, path);
        if (typeof out === "string" && out !== current) {
          current = out;
          changed = true;
        }
      } catch (error) {
        this.#warnOnce(
          plugin.name,
          `redaction plugin "${plugin.name}" failed (${error}); the string was logged unredacted`,
        );
      }
    }
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
