/**
 * The guard's decision: a pure function from a call (tool, server,
 * classes, annotations, arguments, entities, time) and a policy to the
 * rule that matched, its action and reason. It knows nothing of transports:
 * the stdio proxy asks it before forwarding a call, `policy test` asks it
 * about calls in old logs, and an agent's pre-tool hook can ask it too.
 *
 * @module
 */
import { posix } from "node:path";
import type {
  ArgumentPredicate,
  Policy,
  PolicyAction,
  PolicyMode,
  PolicyRule,
  TimeWindow,
} from "./policy.ts";
import { asList, globMatch } from "./_glob.ts";
import { DESTRUCTIVE_SQL, sqlStatementKinds } from "./sql_kind.ts";
import { inWindow, parseWindow } from "./time_window.ts";

/** Tool annotations as a server declares them in `tools/list`. */
export interface ToolAnnotations {
  destructiveHint?: boolean;
  openWorldHint?: boolean;
  readOnlyHint?: boolean;
  idempotentHint?: boolean;
  [key: string]: unknown;
}

/** What the guard knows of a call. */
export interface GuardCall {
  /** The JSON-RPC method. @default {"tools/call"} */
  method?: string;
  /** The tool, for `tools/call`. */
  tool?: string;
  /** The server's names: the proxy's `--name`, the server's reported name. @default {[]} */
  server?: string[];
  /** Class labels the pipeline gave the call. @default {[]} */
  classes?: string[];
  /** The tool's annotations, from the last `tools/list`. */
  annotations?: ToolAnnotations;
  /** The call's arguments, as the client sent them. */
  arguments?: unknown;
  /** Entities the pipeline found in the call. @default {[]} */
  entities?: { type: string; value: string }[];
  /** When the call was made. @default {new Date()} */
  time?: Date;
}

/** How many earlier calls a rate key has had since a time. */
export interface RateCounts {
  /** Calls counted under `key` at or after `since` (epoch ms). */
  count(key: string, since: number): number;
}

/** What else {@linkcode decide} reads. */
export interface DecideContext {
  /** The policy. */
  policy: Policy;
  /** Earlier calls, for rate rules; without it no rate rule matches. */
  rates?: RateCounts;
}

/** The guard's answer. */
export interface Decision {
  /** The rule that matched; absent when none did (the policy's default). */
  rule?: string;
  /** What to do. */
  action: PolicyAction;
  /** Why, in words for the agent or the user. */
  reason: string;
  /** The policy's mode: in `monitor`, the action is only recorded. */
  mode: PolicyMode;
  /** The classes the call was matched with (the pipeline's and the guard's own, e.g. `DESTRUCTIVE`). */
  classes: string[];
  /** Rate keys this call counts under (the caller records them). */
  rateKeys: string[];
}

/** Milliseconds in a rate window such as `5m`. */
export function windowMs(per: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(per.trim());
  if (!m) {
    throw new RangeError(`not a rate window: "${per}"; write e.g. 30s, 5m, 1h`);
  }
  const unit = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as "s"];
  return Number(m[1]) * unit;
}

/** The guard's classes for a call: the pipeline's, plus `DESTRUCTIVE` for a destructive annotation or SQL. */
export function guardClasses(call: GuardCall): string[] {
  const classes = [...(call.classes ?? [])];
  if (!classes.includes("DESTRUCTIVE") && destructive(call)) {
    classes.push("DESTRUCTIVE");
  }
  return classes;
}

function destructive(call: GuardCall): boolean {
  const a = call.annotations;
  if (a?.destructiveHint === true && a.readOnlyHint !== true) return true;
  const args = call.arguments;
  if (!args || typeof args !== "object") return false;
  for (const value of Object.values(args as Record<string, unknown>)) {
    if (typeof value !== "string" || !looksLikeSql(value)) continue;
    if (sqlStatementKinds(value).some((k) => DESTRUCTIVE_SQL.includes(k))) {
      return true;
    }
  }
  return false;
}

/** Cheap test before parsing: a statement keyword somewhere, in any case. */
function looksLikeSql(text: string): boolean {
  return /\b(drop|delete|truncate|alter)\b/i.test(text);
}

/** The value at a JSON path (`a.b[0].c`, `$.a`, `$['a b']`) in `root`. */
export function valueAt(root: unknown, path: string): unknown {
  const steps: (string | number)[] = [];
  const re = /\[(\d+)\]|\[['"]([^'"]*)['"]\]|\.?([^.[\]]+)/g;
  const text = path.replace(/^\$\.?/, "");
  for (const m of text.matchAll(re)) {
    steps.push(m[1] !== undefined ? Number(m[1]) : m[2] ?? m[3]);
  }
  let value = root;
  for (const step of steps) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || !a || !b) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

const regexes = new Map<string, RegExp>();

function inside(value: string, prefix: string): boolean {
  const path = value.startsWith("file://")
    ? decodeURIComponent(new URL(value).pathname)
    : value;
  const root = posix.resolve("/", prefix);
  const resolved = posix.resolve(root, path);
  return resolved === root ||
    resolved.startsWith(root.endsWith("/") ? root : root + "/");
}

function predicate(p: ArgumentPredicate, args: unknown): boolean {
  const value = valueAt(args, p.path);
  let ok = true;
  if (p.equals !== undefined && !jsonEqual(value, p.equals)) ok = false;
  if (
    ok && p.oneOf !== undefined && !p.oneOf.some((v) => jsonEqual(value, v))
  ) ok = false;
  if (ok && p.regex !== undefined) {
    let re = regexes.get(p.regex);
    if (!re) regexes.set(p.regex, re = new RegExp(p.regex));
    ok = typeof value === "string" && re.test(value);
  }
  if (ok && (p.min !== undefined || p.max !== undefined)) {
    const n = typeof value === "number"
      ? value
      : typeof value === "string" && value.trim() !== ""
      ? Number(value)
      : NaN;
    ok = !Number.isNaN(n) && (p.min === undefined || n >= p.min) &&
      (p.max === undefined || n <= p.max);
  }
  if (ok && p.pathPrefix !== undefined) {
    ok = typeof value === "string" && inside(value, p.pathPrefix);
  }
  if (ok && p.sql !== undefined) {
    const wanted = asList(p.sql).map((k) => k.toUpperCase());
    ok = typeof value === "string" &&
      sqlStatementKinds(value).some((k) => wanted.includes(k));
  }
  if (
    value === undefined && p.equals === undefined && p.oneOf === undefined &&
    p.regex === undefined &&
    p.min === undefined && p.max === undefined && p.pathPrefix === undefined &&
    p.sql === undefined
  ) {
    ok = false; // a bare path tests that the argument is there
  }
  return p.not ? !ok : ok;
}

const windows = new Map<string, TimeWindow>();

function windowOf(time: string | TimeWindow): TimeWindow {
  if (typeof time !== "string") return time;
  let w = windows.get(time);
  if (!w) windows.set(time, w = parseWindow(time));
  return w;
}

function anyGlob(patterns: string[], names: string[]): boolean {
  return patterns.some((p) => names.some((n) => globMatch(p, n)));
}

/** Whether a rule's conditions, all but its rate, hold for the call. */
function conditionsHold(
  rule: PolicyRule,
  call: GuardCall,
  classes: string[],
  method: string,
  time: Date,
): boolean {
  if (rule.method !== undefined) {
    if (!anyGlob(asList(rule.method), [method])) return false;
  } else if (method !== "tools/call") return false;
  if (
    rule.tool !== undefined &&
    (call.tool === undefined || !anyGlob(asList(rule.tool), [call.tool]))
  ) return false;
  if (
    rule.server !== undefined &&
    !anyGlob(asList(rule.server), call.server ?? [])
  ) return false;
  if (rule.class !== undefined) {
    const wanted = asList(rule.class);
    if (!wanted.some((w) => classes.some((c) => globMatch(w, c)))) return false;
  }
  if (rule.annotations !== undefined) {
    for (const [key, want] of Object.entries(rule.annotations)) {
      if (call.annotations?.[key] !== want) return false;
    }
  }
  if (rule.arguments !== undefined) {
    for (const p of rule.arguments) {
      if (!predicate(p, call.arguments)) return false;
    }
  }
  if (rule.entity !== undefined) {
    const found = call.entities ?? [];
    const hit = asList(rule.entity).some((m) =>
      found.some((e) =>
        e.type === m.type &&
        (m.value === undefined ||
          asList(m.value).some((v) => globMatch(v, e.value)))
      )
    );
    if (!hit) return false;
  }
  if (rule.time !== undefined && !inWindow(windowOf(rule.time), time)) {
    return false;
  }
  return true;
}

function rateKeysOf(
  rule: PolicyRule,
  call: GuardCall,
  classes: string[],
): string[] {
  const by = rule.rate?.by ?? "tool";
  if (by === "rule") return [`${rule.id}`];
  if (by === "class") {
    return classes.map((c) => `${rule.id}\u0000class\u0000${c}`);
  }
  return [`${rule.id}\u0000tool\u0000${call.tool ?? ""}`];
}

function defaultReason(rule: PolicyRule): string {
  return `${
    rule.action === "ask"
      ? "needs approval under"
      : rule.action === "allow"
      ? "allowed by"
      : "denied by"
  } the policy rule "${rule.id}"`;
}

/**
 * Whether a hide rule removes a tool: hide rules apply to what the client
 * can see, so only their tool, server, annotation and time conditions
 * count (argument, entity, pipeline-class and rate conditions never match
 * a listing).
 *
 * @example
 * ```ts
 * import { hidingRule } from "./decide.ts";
 * import assert from "node:assert/strict";
 *
 * const policy = { mode: "enforce" as const, rules: [{ id: "no-admin", tool: "admin_*", action: "hide" as const }] };
 * assert.equal(hidingRule(policy, { tool: "admin_reset" })?.id, "no-admin");
 * assert.equal(hidingRule(policy, { tool: "read_file" }), undefined);
 * ```
 */
export function hidingRule(
  policy: Policy,
  call: GuardCall,
): PolicyRule | undefined {
  const time = call.time ?? new Date();
  const classes = guardClasses({ ...call, classes: [], arguments: undefined });
  return policy.rules.find((rule) =>
    rule.action === "hide" && rule.arguments === undefined &&
    rule.entity === undefined &&
    rule.rate === undefined &&
    conditionsHold(rule, call, classes, "tools/call", time)
  );
}

/**
 * Decides a call: the first rule whose conditions all hold decides; a
 * tool that a hide rule hides is denied whatever comes first; with no
 * match, the policy's default. A rate rule holds once `max` earlier calls
 * that met its other conditions fall within its window (the caller records
 * this call under `rateKeys`).
 *
 * @example The smallest policy, as written
 * ```ts
 * import { decide } from "./decide.ts";
 * import assert from "node:assert/strict";
 *
 * const policy = { mode: "enforce" as const, rules: [{ id: "freeze", tool: "write_*", action: "deny" as const, reason: "Code freeze until 2027-01-04" }] };
 * const d = decide({ tool: "write_file", arguments: { path: "a" } }, { policy });
 * assert.deepEqual([d.rule, d.action, d.reason], ["freeze", "deny", "Code freeze until 2027-01-04"]);
 * assert.equal(decide({ tool: "read_file" }, { policy }).action, "allow");
 * ```
 */
export function decide(call: GuardCall, context: DecideContext): Decision {
  const { policy } = context;
  const mode = policy.mode ?? "monitor";
  const method = call.method ?? "tools/call";
  const time = call.time ?? new Date();
  const classes = guardClasses(call);
  const rateKeys: string[] = [];
  if (method === "tools/call") {
    const hiding = hidingRule(policy, call);
    if (hiding) {
      return {
        rule: hiding.id,
        action: "hide",
        reason: hiding.reason ??
          `the tool "${call.tool}" is hidden by the policy rule "${hiding.id}"`,
        mode,
        classes,
        rateKeys,
      };
    }
  }
  for (const rule of policy.rules) {
    if (rule.action === "hide" && method === "tools/call") continue;
    if (!conditionsHold(rule, call, classes, method, time)) continue;
    if (rule.rate) {
      const keys = rateKeysOf(rule, call, classes);
      rateKeys.push(...keys);
      const since = time.getTime() - windowMs(rule.rate.per);
      const over = keys.some((k) =>
        (context.rates?.count(k, since) ?? 0) >= rule.rate!.max
      );
      if (!over) continue;
    }
    return {
      rule: rule.id,
      action: rule.action === "hide" ? "deny" : rule.action,
      reason: rule.reason ?? defaultReason(rule),
      mode,
      classes,
      rateKeys,
    };
  }
  const action = policy.default ?? "allow";
  return {
    action,
    reason: action === "allow"
      ? "no policy rule matched"
      : `no policy rule matched, and the policy's default is "${action}"`,
    mode,
    classes,
    rateKeys,
  };
}
