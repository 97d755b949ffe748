/**
 * Findings as a session runs: the proxy hands each logged event (after
 * the plugins, so classes, entities and redaction markers are the log's)
 * to {@linkcode LiveFindings}, which hands the new events to each of its
 * {@linkcode FindingSource}s after tool-call replies, once the session is
 * quiet (so the rules do not compete with a burst of messages), and at the
 * end, and passes on each finding once, when it first arises (again when
 * its severity rises). The proxy logs them as `finding` events, sealed with
 * the rest, so `verify` covers them.
 *
 * A source runs rules in this thread ({@linkcode ruleSource}) or in a
 * worker (the proxy runs the built-in rules in a worker of their own and
 * a plugin's rules in its plugin's worker, so the rules cost the relay's
 * thread nothing and a rule that loops cannot stop it). A source that
 * fails or does not answer is switched off for the rest of the session,
 * with a warning.
 *
 * @module
 */
import {
  compareFindings,
  coversSeqs,
  type Finding,
  type FindingRule,
} from "./finding.ts";
import { rulesFindings } from "./find_findings.ts";
import { SessionCallsBuilder } from "./session_calls.ts";
import { BUILTIN_RULES } from "./builtin_rules.ts";

/**
 * Where some of live findings' rules run. It keeps the events it was
 * given: each call gives it the events that came since the last call, and
 * it answers with every finding over all its events (as `findFindings`
 * would over them).
 */
export interface FindingSource {
  /** What runs there, for warnings (e.g. `plugin "./outside_host.ts"`). */
  readonly label: string;
  /**
   * Takes the new events (their log lines, for a source that takes lines
   * and an event that came with its line); the findings over every event
   * taken so far, less (if it likes) those it gave before unchanged.
   */
  run(events: readonly unknown[]): Finding[] | Promise<Finding[]>;
  /**
   * Give it each event's log line (a string) where there is one: a
   * worker's source, for which a string crosses threads for the price of
   * a copy, where an object would be cloned field by field.
   */
  readonly takesLines?: boolean;
  /** Frees what it holds (a worker's copy of the events); no call follows. */
  close?(): void;
  /**
   * Its findings are made only of what the log holds (the built-in rules:
   * their own words and config settings around values of logged, so
   * redacted, events), so they are logged without being redacted again.
   * A plugin's rules are not: their findings are redacted as any event is.
   */
  readonly fromLog?: boolean;
}

/**
 * A source that runs `rules` in this thread, over the events it keeps.
 *
 * @example
 * ```ts
 * import { ruleSource } from "./live_findings.ts";
 * import { BUILTIN_RULES } from "./builtin_rules.ts";
 * import assert from "node:assert/strict";
 *
 * const source = ruleSource(BUILTIN_RULES);
 * assert.deepEqual(source.run([]), []);
 * ```
 */
export function ruleSource(
  rules: readonly FindingRule[],
  label = "the finding rules",
  options: { fromLog?: boolean } = {},
): FindingSource & { run(events: readonly unknown[]): Finding[] } {
  let builder = new SessionCallsBuilder();
  let given = new Set<string>();
  return {
    label,
    fromLog: options.fromLog,
    run(events: readonly unknown[]): Finding[] {
      return sessionFindings(builder, events, rules, given);
    },
    close(): void {
      builder = new SessionCallsBuilder();
      given = new Set();
    },
  };
}

/**
 * Adds `events` to `builder`'s sessions and returns what `rules` find over
 * all of them, sorted: what `findFindings` would find over every
 * event given so far (without logged findings), for the work of the new
 * events only in building the sessions. With `given`, the findings whose
 * rule, session, severity and seqs are in it are left out, and those
 * returned are added to it. A source's run, here and in a worker.
 *
 * @example
 * ```ts
 * import { sessionFindings } from "./live_findings.ts";
 * import { SessionCallsBuilder } from "./session_calls.ts";
 * import { BUILTIN_RULES } from "./builtin_rules.ts";
 * import assert from "node:assert/strict";
 *
 * const builder = new SessionCallsBuilder();
 * assert.deepEqual(sessionFindings(builder, [
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "get",
 *     params: { name: "get", arguments: { employee_id: "E999" } },
 *     entities: [{ type: "employee", value: "E999", path: "arguments.employee_id" }] },
 * ], BUILTIN_RULES), []);
 * const found = sessionFindings(builder, [
 *   { seq: 2, session: "s", kind: "error", dir: "s2c", requestSeq: 1, error: { code: -1 } },
 * ], BUILTIN_RULES);
 * assert.deepEqual(found.map((f) => f.rule), ["unseen-identifier"]);
 * ```
 */
export function sessionFindings(
  builder: SessionCallsBuilder,
  events: readonly unknown[],
  rules: readonly FindingRule[],
  given?: Set<string>,
): Finding[] {
  builder.add(events);
  const found = rulesFindings(builder.sessions(), rules).sort(compareFindings);
  if (given === undefined) return found;
  // A long session finds most of its findings again at each run: they do
  // not cross back to the relay's thread again, to be passed over there.
  return found.filter((f) => {
    const key = findingKey(f);
    if (given.has(key)) return false;
    given.add(key);
    return true;
  });
}

/** A finding's rule, session, severity and seqs, as one string. */
function findingKey(f: Finding): string {
  return `${f.rule}\u0000${f.session}\u0000${f.severity}\u0000${
    f.seqs.join(",")
  }`;
}

/** Options of {@linkcode LiveFindings}. */
export interface LiveFindingsOptions {
  /** Rules run in this thread (a {@linkcode ruleSource} of them). @default {BUILTIN_RULES, without `sources`} */
  rules?: readonly FindingRule[];
  /** Where the rules run, besides `rules`. */
  sources?: readonly FindingSource[];
  /** Receives the findings that arose, as they arise, with the source that found them. */
  onFindings?: (findings: Finding[], source: FindingSource) => void;
  /** Receives a sentence when a source fails and is switched off. */
  onWarning?: (message: string) => void;
  /**
   * A source's runs come at least this far apart, and ten times as far
   * apart as the next run is expected to take (the last run's time per
   * event, times the events the next one will read), so its rules cost at
   * most about a tenth of the time.
   * @default {200}
   */
  intervalMs?: number;
  /**
   * The longest a source waits between runs (its first: from the start)
   * when events come faster than a tenth of the time lets it read them, or
   * never let up for `quietMs`: it then runs this long after its last run,
   * so findings arrive late rather than never.
   * @default {2000}
   */
  maxWaitMs?: number;
  /**
   * A run that is due waits until no event has come for about this long
   * (a burst of messages has passed, and the agent is thinking), so that
   * the rules' work does not compete with the relay's while it is busy;
   * under a burst that does not let up, it runs `maxWaitMs` after the
   * last. 0: a due run starts at the tool-call reply that finds it due.
   * @default {20}
   */
  quietMs?: number;
  /** The clock, in milliseconds (for tests). @default {performance.now} */
  clock?: () => number;
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

/** The most events a source's first run reads (see `LiveFindings.#run`). */
const FIRST_RUN_EVENTS = 256;

/** One source's state: the events it has not been given yet, and its pace. */
interface Feed {
  source: FindingSource;
  pending: unknown[];
  running: Promise<void> | undefined;
  /** Events given to the source so far. */
  given: number;
  /** When its last run ended, and its time per event read (0: none yet). */
  ended: number;
  perEvent: number;
  off: boolean;
}

/**
 * Live findings over one session's events.
 *
 * @example
 * ```ts
 * import { LiveFindings } from "./live_findings.ts";
 * import type { Finding } from "./finding.ts";
 * import assert from "node:assert/strict";
 *
 * const found: Finding[] = [];
 * const live = new LiveFindings({
 *   intervalMs: 0,
 *   quietMs: 0,
 *   onFindings: (f) => found.push(...f),
 * });
 * live.observe({ seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "get",
 *   params: { name: "get", arguments: { employee_id: "E999" } },
 *   entities: [{ type: "employee", value: "E999", path: "arguments.employee_id" }] });
 * live.observe({ seq: 2, session: "s", kind: "error", dir: "s2c", requestSeq: 1,
 *   method: "tools/call", error: { code: -1 } });
 * assert.deepEqual(found.map((f) => f.rule), ["unseen-identifier"]);
 * await live.final();
 * assert.equal(found.length, 1); // Found once, not again at the end.
 * ```
 */
export class LiveFindings {
  #feeds: Feed[];
  #interval: number;
  #maxWait: number;
  #quiet: number;
  /** The timer that waits for the session to be quiet, and the event count when it was set. */
  #waking: { timer: ReturnType<typeof setTimeout>; count: number } | undefined;
  #clock: () => number;
  #max: number;
  #count = 0;
  #onFindings: (findings: Finding[], source: FindingSource) => void;
  #onWarning: (message: string) => void;
  /** Seqs of the findings passed on, by rule, session and severity, then by their first seq. */
  #logged = new Map<string, Map<number, number[][]>>();
  /** The findings passed on, by rule, session, severity and seqs. */
  #passed = new Set<string>();
  #stopped = false;

  /** Live findings with `options`' rules, sources and pace. */
  constructor(options: LiveFindingsOptions = {}) {
    const sources = [...(options.sources ?? [])];
    if (options.rules || options.sources === undefined) {
      sources.unshift(
        options.rules
          ? ruleSource(options.rules)
          : ruleSource(BUILTIN_RULES, "the built-in finding rules", {
            fromLog: true,
          }),
      );
    }
    this.#clock = options.clock ?? (() => performance.now());
    // A first run under a burst that never lets up comes `maxWaitMs` from now.
    const now = this.#clock();
    this.#feeds = sources.map((source) => ({
      source,
      pending: [],
      running: undefined,
      given: 0,
      ended: now,
      perEvent: 0,
      off: false,
    }));
    this.#interval = options.intervalMs ?? 200;
    this.#maxWait = options.maxWaitMs ?? 2000;
    this.#quiet = options.quietMs ?? 20;
    this.#max = options.maxEvents ?? 20_000;
    this.#onFindings = options.onFindings ?? (() => {});
    this.#onWarning = options.onWarning ?? (() => {});
  }

  /** Whether live findings stopped at `maxEvents`. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Takes one logged event, and its log line when it has been made (the
   * line is the event as logged: sources that take lines get it); after a
   * tool-call reply, sources that are due run once the session is quiet
   * (see `quietMs`), or at once when `maxWaitMs` has passed.
   */
  observe(event: Record<string, unknown>, line?: string): void {
    if (this.#stopped || typeof event.kind !== "string") return;
    if (!KEPT.has(event.kind)) return;
    if (this.#count++ >= this.#max) {
      this.#stopped = true;
      this.#unwake();
      for (const feed of this.#feeds) this.#close(feed);
      return;
    }
    for (const feed of this.#feeds) {
      if (feed.off) continue;
      feed.pending.push(
        line !== undefined && feed.source.takesLines ? line : event,
      );
    }
    const reply = (event.kind === "response" || event.kind === "error") &&
      event.method === "tools/call";
    if (!reply) return;
    const now = this.#clock();
    for (const feed of this.#feeds) {
      if (feed.off || feed.running !== undefined) continue;
      if (this.#quiet === 0 || now - feed.ended >= this.#maxWait) {
        if (this.#due(feed, now)) this.#run(feed);
      } else this.#wake(this.#quiet);
    }
  }

  /**
   * Checks again in `ms` (unless a check is set already): if no event
   * came meanwhile, the sources that are due run, and a check is set for
   * when the next source with events waiting will be due; if events came,
   * the session is not quiet yet, and it checks again in `quietMs`. The
   * timer does not keep the process alive.
   */
  #wake(ms: number): void {
    if (this.#waking !== undefined || this.#stopped) return;
    const timer = setTimeout(() => {
      const { count } = this.#waking!;
      this.#waking = undefined;
      if (this.#stopped) return;
      if (count !== this.#count) return this.#wake(this.#quiet);
      const now = this.#clock();
      let next = Infinity;
      for (const feed of this.#feeds) {
        if (feed.off || feed.running || feed.pending.length === 0) continue;
        if (this.#due(feed, now)) this.#run(feed);
        else next = Math.min(next, this.#dueIn(feed, now));
      }
      if (next < Infinity) this.#wake(Math.max(next, this.#quiet));
    }, ms);
    Deno.unrefTimer(timer);
    this.#waking = { timer, count: this.#count };
  }

  /** Clears the check `#wake` set, if one is set. */
  #unwake(): void {
    if (this.#waking) clearTimeout(this.#waking.timer);
    this.#waking = undefined;
  }

  /**
   * Whether `feed`'s next run may start at `now`: its first at once; then
   * once the time since the last is ten times what the next is expected
   * to take, at the last run's time per event. A run reads its new events
   * and the rules read every event again, so a small first run does not
   * let a large second one follow as soon. When events come faster than
   * that lets it keep up, it runs every `maxWaitMs`.
   */
  #due(feed: Feed, now: number): boolean {
    return feed.perEvent === 0 || this.#dueIn(feed, now) === 0;
  }

  /**
   * How long until `feed` is due after its first run, as events stand
   * now: `intervalMs` after its last, and ten times what the next is
   * expected to take, or `maxWaitMs` at the most.
   */
  #dueIn(feed: Feed, now: number): number {
    const reads = feed.pending.length * 2 + feed.given;
    const wait = Math.max(
      this.#interval,
      Math.min(10 * feed.perEvent * reads, this.#maxWait),
    );
    return Math.max(0, feed.ended + wait - now);
  }

  /**
   * At the session's end: runs every source over what it has not seen
   * yet, waits for them, passes on the findings not passed on yet and
   * closes the sources.
   */
  async final(): Promise<void> {
    this.#unwake();
    for (const feed of this.#feeds) {
      while (feed.running) await feed.running;
      if (!this.#stopped && !feed.off && feed.pending.length > 0) {
        this.#run(feed, true);
        while (feed.running) await feed.running;
      }
      this.#close(feed);
    }
  }

  #run(feed: Feed, all = false): void {
    const started = this.#clock();
    let events = feed.pending;
    feed.pending = [];
    if (feed.perEvent === 0 && !all && events.length > FIRST_RUN_EVENTS) {
      // The first run's cost per event is not known yet, and its code is
      // not compiled: it reads the first events only, and the next run,
      // paced by what this one took, reads the rest.
      feed.pending = events.slice(FIRST_RUN_EVENTS);
      events = events.slice(0, FIRST_RUN_EVENTS);
    }
    feed.given += events.length;
    // What the run reads: its new events, and every event for the rules.
    const reads = events.length + feed.given;
    const done = (found: Finding[]): void => {
      feed.ended = this.#clock();
      // Never 0, so the next run is paced (a clock that did not move).
      feed.perEvent = Math.max(feed.ended - started, 1e-3) / reads;
      if (this.#stopped || feed.off) return;
      const fresh = this.#fresh(found);
      if (fresh.length > 0) this.#onFindings(fresh, feed.source);
    };
    const failed = (error: unknown): void => {
      this.#onWarning(
        `live findings: ${feed.source.label} failed (${
          error instanceof Error ? error.message : error
        }); its rules are off for the rest of this session`,
      );
      this.#close(feed);
    };
    let result: Finding[] | Promise<Finding[]>;
    try {
      result = feed.source.run(events);
    } catch (error) {
      failed(error);
      return;
    }
    if (!(result instanceof Promise)) {
      done(result);
      return;
    }
    feed.running = result.then(done, failed).finally(() => {
      feed.running = undefined;
    });
  }

  #close(feed: Feed): void {
    if (feed.off) return;
    feed.off = true;
    feed.pending = [];
    try {
      feed.source.close?.();
    } catch { /* Closing frees memory; nothing to report. */ }
  }

  /** The findings not passed on yet, noted as passed on. */
  #fresh(found: readonly Finding[]): Finding[] {
    const fresh: Finding[] = [];
    for (const f of found) {
      // Passed on already, exactly (a source that gives every finding at
      // every run): found without comparing it with each of its rule's.
      const exact = findingKey(f);
      if (this.#passed.has(exact)) continue;
      this.#passed.add(exact);
      // Passed on already when a finding of the same rule and severity
      // rested on no event this one does not (it only grew: more calls
      // followed).
      // They are found by their first seq, which is one of this one's.
      const key = `${f.rule}\u0000${f.session}\u0000${f.severity}`;
      let same = this.#logged.get(key);
      if (same === undefined) this.#logged.set(key, same = new Map());
      const covered = f.seqs.some((seq) =>
        same.get(seq)?.some((seqs) => coversSeqs(f.seqs, seqs))
      );
      if (covered) continue;
      const first = f.seqs[0] ?? -1;
      const list = same.get(first);
      if (list) list.push(f.seqs);
      else same.set(first, [f.seqs]);
      fresh.push(f);
    }
    return fresh;
  }
}
