/**
 * Redaction for the pipeline: every redaction hook sees every string the
 * log will hold (payloads, entity values, invalid frames' excerpts, the
 * server's stderr), after classification and only in what is logged. A
 * hook that throws leaves the string as it was and is reported once.
 *
 * @module
 */
import type { AuditEvent, JsonRpcMessageEvent } from "../audit/event.ts";
import type { Plugin } from "./plugin.ts";
import { mapStrings } from "./kit/json_walk.ts";

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
  }

  /** Redacts a message event's payloads and entity values in place; the tool name is kept. */
  message(event: JsonRpcMessageEvent): void {
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

  /** Redacts the text of an event that is not a message: an invalid frame's excerpt, stderr. */
  other(event: AuditEvent): void {
    if (event.kind === "invalid") {
      event.excerpt = this.#redact(event.excerpt, "excerpt") ?? event.excerpt;
    } else if (event.kind === "stderr") {
      event.text = this.#redact(event.text, "stderr") ?? event.text;
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
        this.#warnOnce(
          plugin.name,
          `redaction plugin "${plugin.name}" failed (${error}); the string was logged unredacted`,
        );
      }
    }
    return changed ? current : undefined;
  };
}
