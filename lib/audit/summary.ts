/**
 * The session summary, accumulated from the events as they are logged
 * (after the plugin pipeline, so classes and entities are included).
 *
 * @module
 */
import type { AuditEvent, Summary } from "./event.ts";

/**
 * Accumulates a {@linkcode Summary} from events.
 *
 * @example
 * ```ts
 * import { SummaryBuilder } from "./summary.ts";
 * import assert from "node:assert/strict";
 *
 * const s = new SummaryBuilder();
 * s.add({ v: 1, seq: 0, ts: "", session: "s", kind: "request", dir: "c2s", bytes: 10,
 *   id: 1, method: "tools/call", tool: "get_pay_info",
 *   classes: [{ label: "SENSITIVE", source: "config" }] });
 * assert.equal(s.build(5).toolCalls, 1);
 * assert.deepEqual(s.build(5).toolClasses, { SENSITIVE: ["get_pay_info"] });
 * ```
 */
export class SummaryBuilder {
  #toolCalls = 0;
  #tools = new Map<string, number>();
  #classes = new Map<string, Set<string>>();
  /** Unique entities in the order first seen. */
  #entities: { type: string; value: string }[] = [];
  /** The values of {@linkcode #entities} by type, to tell a new one. */
  #seen = new Map<string, Set<string>>();
  #errors = 0;
  #messages = { c2s: 0, s2c: 0 };
  #invalid = 0;
  #errorKinds = new Map<string, number>();

  #kind(kind: string): void {
    this.#errorKinds.set(kind, (this.#errorKinds.get(kind) ?? 0) + 1);
  }

  /** Counts one event. */
  add(event: AuditEvent): void {
    switch (event.kind) {
      case "request":
        this.#messages[event.dir]++;
        // A retry after input_required is the same logical call.
        if (
          event.method === "tools/call" && event.tool !== undefined &&
          event.call === undefined
        ) {
          this.#toolCalls++;
          this.#tools.set(event.tool, (this.#tools.get(event.tool) ?? 0) + 1);
        }
        break;
      case "notification":
        this.#messages[event.dir]++;
        break;
      case "response":
        this.#messages[event.dir]++;
        if (event.isError === true) {
          this.#errors++;
          this.#kind("tool_error");
        }
        break;
      case "error":
        this.#messages[event.dir]++;
        this.#errors++;
        this.#kind(event.errorName ?? event.errorType ?? "unknown");
        break;
      case "invalid":
        this.#invalid++;
        return;
      default:
        return;
    }
    const tool = event.kind !== "notification" ? event.tool : undefined;
    if (tool !== undefined) {
      for (const c of event.classes ?? []) {
        let set = this.#classes.get(c.label);
        if (!set) this.#classes.set(c.label, set = new Set());
        set.add(tool);
      }
    }
    for (const e of event.entities ?? []) {
      let values = this.#seen.get(e.type);
      if (values === undefined) this.#seen.set(e.type, values = new Set());
      if (!values.has(e.value)) {
        values.add(e.value);
        this.#entities.push({ type: e.type, value: e.value });
      }
    }
  }

  /** The summary so far, for a session that has lasted `durationMs`. */
  build(durationMs: number): Summary {
    const toolClasses: Record<string, string[]> = {};
    for (const [label, tools] of this.#classes) {
      toolClasses[label] = [...tools].sort();
    }
    const entities = [...this.#entities];
    const summary: Summary = {
      toolCalls: this.#toolCalls,
      tools: Object.fromEntries(this.#tools),
      toolClasses,
      entities,
      uniqueEntities: entities.length,
      errors: this.#errors,
      messages: { ...this.#messages },
      invalid: this.#invalid,
      durationMs: Math.round(durationMs),
    };
    if (this.#errorKinds.size > 0) {
      summary.errorKinds = Object.fromEntries(this.#errorKinds);
    }
    return summary;
  }
}
