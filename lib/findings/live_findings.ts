/**
 * Findings as a session runs: the proxy hands each logged event (after
 * the plugins, so classes, entities and redaction markers are the log's)
 * to {@linkcode LiveFindings}, which runs the rules again after tool-call
 * replies and at the end, and returns each finding once, when it first
 * arises (again when its severity rises). The proxy logs them as `finding`
 * events, sealed with the rest, so `verify` covers them.
 *
 * @module
 */
import { coversSeqs, type Finding, type FindingRule } from "./finding.ts";
import { findFindings } from "./find_findings.ts";
import { BUILTIN_RULES } from "./builtin_rules.ts";

/** Options of {@linkcode LiveFindings}. */
export interface LiveFindingsOptions {
  /** The rules to run. @default {BUILTIN_RULES} */
  rules?: readonly FindingRule[];
  /**
   * Runs come at least this far apart (and ten times as far apart as the
   * last run took, so the rules cost at most about a tenth of the time).
   * @default {200}
   */
  intervalMs?: number;
  /** Message events kept for the rules; past it live findings stop (the report still finds them). @default {20000} */
  maxEvents?: number;
}

/**
 * Event kinds the rules read (messages, the guard's decisions for
 * `write-after-denial`, tool changes for `tool-changed`, the server's
 * command line for `path-outside-roots`); the rest is not kept.
 */
const KEPT = new Set([
  "request",
  "response",
  "error",
  "notification",
  "decision",
  "tool_change",
  "session_start",
]);

/**
 * Live findings over one session's events.
 *
 * @example
 * ```ts
 * import { LiveFindings } from "./live_findings.ts";
 * import assert from "node:assert/strict";
 *
 * const live = new LiveFindings({ intervalMs: 0 });
 * live.observe({ seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "get",
 *   params: { name: "get", arguments: { employee_id: "E999" } },
 *   entities: [{ type: "employee", value: "E999", path: "arguments.employee_id" }] });
 * const found = live.observe({ seq: 2, session: "s", kind: "error", dir: "s2c", requestSeq: 1,
 *   method: "tools/call", error: { code: -1 } });
 * assert.deepEqual(found.map((f) => f.rule), ["unseen-identifier"]);
 * assert.deepEqual(live.final(), []);
 * ```
 */
export class LiveFindings {
  #rules: readonly FindingRule[];
  #interval: number;
  #max: number;
  #events: unknown[] = [];
  /** Seqs of the findings logged, by rule, session and severity. */
  #logged = new Map<string, number[][]>();
  #dirty = false;
  #next = 0;
  #stopped = false;

  /** Live findings with `options`' rules and pace. */
  constructor(options: LiveFindingsOptions = {}) {
    this.#rules = options.rules ?? BUILTIN_RULES;
    this.#interval = options.intervalMs ?? 200;
    this.#max = options.maxEvents ?? 20_000;
  }

  /** Whether live findings stopped at `maxEvents`. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Takes one logged event; returns the findings that arose, if the rules ran. */
  observe(event: Record<string, unknown>): Finding[] {
    if (this.#stopped || typeof event.kind !== "string") return [];
    if (!KEPT.has(event.kind)) return [];
    if (this.#events.length >= this.#max) {
      this.#stopped = true;
      this.#events = [];
      return [];
    }
    this.#events.push(event);
    this.#dirty = true;
    const reply = (event.kind === "response" || event.kind === "error") &&
      event.method === "tools/call";
    if (!reply || performance.now() < this.#next) return [];
    return this.#run();
  }

  /** At the session's end: the findings not returned yet. */
  final(): Finding[] {
    if (this.#stopped || !this.#dirty) return [];
    return this.#run();
  }

  #run(): Finding[] {
    const started = performance.now();
    this.#dirty = false;
    const fresh: Finding[] = [];
    for (const f of findFindings(this.#events, { rules: this.#rules })) {
      // Logged already when a finding of the same rule and severity rested
      // on no event this one does not (it only grew: more calls followed).
      const same = this.#logged.get(
        `${f.rule}\u0000${f.session}\u0000${f.severity}`,
      );
      if (same?.some((seqs) => coversSeqs(f.seqs, seqs))) continue;
      if (same) same.push(f.seqs);
      else {
        this.#logged.set(`${f.rule}\u0000${f.session}\u0000${f.severity}`, [
          f.seqs,
        ]);
      }
      fresh.push(f);
    }
    const took = performance.now() - started;
    this.#next = performance.now() + Math.max(this.#interval, 10 * took);
    return fresh;
  }
}
