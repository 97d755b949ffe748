/**
 * The guard's policy: what a user writes under `policy` in the config (or
 * in a file given to `--policy`). Ordered rules, first match wins; each
 * rule names what it matches (tool, server, method, classes, annotations,
 * arguments, entities, time, rate) and what to do. Validated with zod; the
 * JSON Schema in `schema/config.schema.json` includes it.
 *
 * @module
 */
import { z } from "zod";
import type { Assert, Equals } from "../util/_type_check.ts";

/** What a rule does with a call it matches. */
export type PolicyAction = "allow" | "deny" | "ask" | "hide";

/** `monitor` records what would have happened and blocks nothing; `enforce` blocks. */
export type PolicyMode = "monitor" | "enforce";

/** One or several names or globs (`*`, `?`). */
export type NameList = string | string[];

/** A test on one argument, found by a JSON path such as `query`, `$.filter.ids[0]`. */
export interface ArgumentPredicate {
  /** Where the value is in the call's arguments: `a.b[0].c` (a leading `$.` is allowed). */
  path: string;
  /** The value equals this (JSON equality). */
  equals?: unknown;
  /** The value equals one of these. */
  oneOf?: unknown[];
  /** The value is a string this regular expression matches (JavaScript syntax). */
  regex?: string;
  /** The value is a number at least this. */
  min?: number;
  /** The value is a number at most this. */
  max?: number;
  /**
   * The value is a path inside this directory once `.` and `..` are
   * resolved (a relative value is resolved against the prefix; `file://`
   * URLs are read as paths).
   */
  pathPrefix?: string;
  /**
   * The value is SQL holding a statement of one of these kinds (`DROP`,
   * `DELETE`, `TRUNCATE`, `ALTER`, `SELECT`, ...; `UNKNOWN` for text that
   * no dialect parses), read by a real SQL parser, so comments, case and
   * string literals do not fool it.
   */
  sql?: NameList;
  /** Negate the whole test: the rule matches when the value does not pass it. @default {false} */
  not?: boolean;
}

/** An entity the call touched, by type and optionally value. */
export interface EntityMatch {
  /** The entity type, e.g. `employee`. */
  type: string;
  /** One of these values (all values when absent). */
  value?: NameList;
}

/**
 * When a rule applies: an absolute window (`from`/`to`, wall-clock in
 * `timeZone` unless they carry an offset) or a weekly window (`days` and
 * `hours`), or both.
 */
export interface TimeWindow {
  /** The window opens then: `2026-12-20T00:00` (in `timeZone`) or an ISO time with offset. */
  from?: string;
  /** The window closes then (exclusive). */
  to?: string;
  /** Days of the week: `weekdays`, `weekends`, `daily`, or a list of `mon`..`sun`. */
  days?: string | string[];
  /** Hours of the day, `09:00-18:00` (may wrap past midnight: `22:00-06:00`). */
  hours?: string;
  /** An IANA time zone, e.g. `Europe/Berlin`. @default {"UTC"} */
  timeZone?: string;
  /** Match outside the window instead of inside it. @default {false} */
  outside?: boolean;
}

/** A rate limit: the rule matches a call once `max` calls matched it within `per`. */
export interface RateLimit {
  /** Calls allowed within the window before the rule matches. */
  max: number;
  /** The window: `30s`, `5m`, `1h`, `1d`. */
  per: string;
  /** Count per tool, per class, or all calls of the rule together. @default {"tool"} */
  by?: "tool" | "class" | "rule";
}

/** One rule: what it matches (all given conditions must hold) and what it does. */
export interface PolicyRule {
  /** A name for the rule, quoted in decisions, reports and `policy test`. */
  id: string;
  /** What to do with a matching call. */
  action: PolicyAction;
  /** What the agent is told on deny (and the user on ask). */
  reason?: string;
  /** Tool names or globs. */
  tool?: NameList;
  /** Server names or globs: the proxy's `--name`, or the server's reported name. */
  server?: NameList;
  /** JSON-RPC methods or globs, for requests that are not tool calls (`resources/read`). */
  method?: NameList;
  /** Classes of the call (`WRITE`, `SENSITIVE`, `DESTRUCTIVE`, custom labels); any one matches. */
  class?: NameList;
  /** Tool annotations that must have these values. */
  annotations?: {
    destructiveHint?: boolean;
    openWorldHint?: boolean;
    readOnlyHint?: boolean;
    idempotentHint?: boolean;
  };
  /** Argument tests; all must pass. */
  arguments?: ArgumentPredicate[];
  /** Entities; any one touched matches. */
  entity?: EntityMatch | EntityMatch[];
  /** A time window the call must fall in. */
  time?: string | TimeWindow;
  /** A rate limit. */
  rate?: RateLimit;
}

/** The `policy` section. */
export interface Policy {
  /** `monitor` (record only) or `enforce`. @default {"monitor"} */
  mode?: PolicyMode;
  /** The ordered rules; the first that matches decides. */
  rules: PolicyRule[];
  /** What happens to a call no rule matches. @default {"allow"} */
  default?: "allow" | "deny" | "ask";
  /**
   * Tool-definition pinning: `monitor` records changed tools, `enforce`
   * (with mode `enforce`) hides and denies them until accepted, `off`.
   * @default {"monitor"}
   */
  pinning?: "off" | "monitor" | "enforce";
  /** How long an `ask` waits for the user's answer, in milliseconds. @default {120000} */
  askTimeoutMs?: number;
}

const nameList = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1),
]);

const argumentPredicate = z.object({
  path: z.string().min(1),
  equals: z.unknown().optional(),
  oneOf: z.array(z.unknown()).optional(),
  regex: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  pathPrefix: z.string().min(1).optional(),
  sql: nameList.optional(),
  not: z.boolean().optional(),
}).strict();

const entityMatch = z.object({
  type: z.string().min(1),
  value: nameList.optional(),
}).strict();

const timeWindow = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  days: z.union([z.string(), z.array(z.string())]).optional(),
  hours: z.string().regex(/^\d\d:\d\d-\d\d:\d\d$/, "expected HH:MM-HH:MM")
    .optional(),
  timeZone: z.string().optional(),
  outside: z.boolean().optional(),
}).strict();

const rateLimit = z.object({
  max: z.number().int().nonnegative(),
  per: z.string().regex(
    /^\d+(\.\d+)?\s*(ms|s|m|h|d)$/,
    "expected e.g. 30s, 5m, 1h",
  ),
  by: z.enum(["tool", "class", "rule"]).optional(),
}).strict();

const policyRule = z.object({
  id: z.string().min(1),
  action: z.enum(["allow", "deny", "ask", "hide"]),
  reason: z.string().optional(),
  tool: nameList.optional(),
  server: nameList.optional(),
  method: nameList.optional(),
  class: nameList.optional(),
  annotations: z.object({
    destructiveHint: z.boolean().optional(),
    openWorldHint: z.boolean().optional(),
    readOnlyHint: z.boolean().optional(),
    idempotentHint: z.boolean().optional(),
  }).strict().optional(),
  arguments: z.array(argumentPredicate).optional(),
  entity: z.union([entityMatch, z.array(entityMatch)]).optional(),
  time: z.union([z.string(), timeWindow]).optional(),
  rate: rateLimit.optional(),
}).strict();

const policy = z.object({
  mode: z.enum(["monitor", "enforce"]).optional(),
  rules: z.array(policyRule),
  default: z.enum(["allow", "deny", "ask"]).optional(),
  pinning: z.enum(["off", "monitor", "enforce"]).optional(),
  askTimeoutMs: z.number().int().positive().optional(),
}).strict();

/**
 * Validates a {@linkcode Policy}.
 *
 * @example The smallest policy
 * ```ts
 * import { PolicySchema } from "./policy.ts";
 * import assert from "node:assert/strict";
 *
 * const p = PolicySchema.parse({ mode: "enforce", rules: [{ id: "freeze", tool: "write_*", action: "deny", reason: "Code freeze" }] });
 * assert.equal(p.rules[0].action, "deny");
 * assert.equal(PolicySchema.safeParse({ rules: [{ id: "x", action: "block" }] }).success, false);
 * ```
 */
export const PolicySchema: z.ZodType<Policy, Policy> = policy;

type _SchemasMatchInterfaces = [
  Assert<Equals<z.output<typeof policy>, Policy>>,
  Assert<Equals<z.input<typeof policy>, Policy>>,
];
