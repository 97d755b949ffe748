/**
 * One hook event -> audit events in the session's log, and the guard's
 * decision. A tool call's pre-event is a `tools/call` request (id: the
 * agent's tool call id), its post- or failure-event the response that
 * answers it (`requestSeq`, `durationMs`, `isError`), as the proxy's
 * correlator pairs them, so summary, findings and report read both the
 * same way. Classes and entities come from the built-in tool rules and
 * then the config's plugin pipeline, which also redacts.
 *
 * @module
 */
import {
  type AuditEvent,
  type Classification,
  type DecisionEvent,
  type Entity,
  type HookOrigin,
  type NotificationEvent,
  type RequestEvent,
  type ResponseEvent,
  SCHEMA_VERSION,
  type SessionEndEvent,
  type SessionStartEvent,
} from "../audit/event.ts";
import type { EventProcessor } from "../session/audit_sink.ts";
import type { SealerOptions } from "../seal/seal.ts";
import { truncated } from "../wire/payload.ts";
import { NAME, VERSION } from "../util/version.ts";
import type { HookCall } from "./hook_input.ts";
import { classifyTool } from "./tool_class.ts";
import {
  answered,
  type HookDecision,
  type HookFacts,
  type HookPolicy,
} from "./hook_decision.ts";
import {
  appendSealed,
  type HookLogState,
  readHookLog,
  withLogLock,
} from "./hook_log.ts";

/** Options for {@linkcode recordHook}. */
export interface RecordHookOptions {
  /** The log file. */
  logPath: string;
  /** The plugin pipeline (classes, entities, redaction). */
  processor?: EventProcessor;
  /** Decides on pre-events; none: every call is only recorded. */
  policy?: HookPolicy;
  /** Sealing: the signing key. */
  sealing?: SealerOptions;
  /**
   * Record prompts (redacted by the pipeline); false records only their length.
   * @default {true}
   */
  prompts?: boolean;
  /**
   * Payloads larger than this are logged as their size, hash and preview.
   * @default {65536}
   */
  maxPayloadBytes?: number;
}

/** What {@linkcode recordHook} did. */
export interface HookRecord {
  /** The audit session id (`<agent>:<agent session id>`). */
  session: string;
  /** The events appended (checkpoint not included). */
  events: AuditEvent[];
  /** The decision on a pre-event, when the policy made one. */
  decision?: HookDecision;
  /** Why the events could not be logged (the decision stands regardless). */
  logError?: string;
}

const encoder = new TextEncoder();

/**
 * Records one hook event in its session's log (under the log's lock) and
 * returns the decision on it.
 *
 * @example A pre- and a post-event of one call, paired
 * ```ts
 * import { recordHook } from "./record_hook.ts";
 * import assert from "node:assert/strict";
 *
 * const logPath = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const base = { agent: "claude-code", session: "s1", tool: "Read", callId: "t1", input: { file_path: "/a" } } as const;
 * await recordHook({ ...base, event: "PreToolUse", phase: "pre" }, { logPath });
 * const post = await recordHook({ ...base, event: "PostToolUse", phase: "post", output: "x" }, { logPath });
 * const response = post.events.find((e) => e.kind === "response");
 * assert.equal(response?.kind === "response" && response.requestSeq, 1);
 * await Deno.remove(logPath);
 * ```
 */
export async function recordHook(
  call: HookCall,
  options: RecordHookOptions,
): Promise<HookRecord> {
  const session = `${call.agent}:${call.session}`;
  // Classify before the lock: the lock is held only to read back and append.
  const classing = call.tool !== undefined ? classifyTool(call) : undefined;
  try {
    return await appendLocked(call, session, classing, options);
  } catch (error) {
    // Not recorded: the policy still decides, on the built-in classes.
    const decision = call.phase === "pre"
      ? options.policy?.decide(call, {
        classes: classing?.classes.map((c) => c.label) ?? [],
        entities: classing?.entities,
      })
      : undefined;
    return {
      session,
      events: [],
      decision,
      logError: (error as Error).message,
    };
  }
}

function appendLocked(
  call: HookCall,
  session: string,
  classing: ReturnType<typeof classifyTool> | undefined,
  options: RecordHookOptions,
): Promise<HookRecord> {
  return withLogLock(
    options.logPath,
    async function append(): Promise<HookRecord> {
      // A session resumed after its end (Claude Code's `--resume`) would
      // write after its final checkpoint: it continues as `<id>#2`, `#3`, ...
      let state = await readHookLog(options.logPath, session, options.sealing);
      for (let n = 2; state.ended; n++) {
        state = await readHookLog(
          options.logPath,
          `${session}#${n}`,
          options.sealing,
        );
      }
      const events = build(call, state, classing, options);
      for (const event of events) await options.processor?.process(event);
      // The policy decides once the plugins have classed the call, as the proxy's guard does.
      const request = events.find((e): e is RequestEvent =>
        e.kind === "request"
      );
      const decision = call.phase === "pre" && request
        ? options.policy?.decide(call, factsOf(request))
        : undefined;
      if (decision && request) {
        const more = decisionEvents(call, state, events, request, decision);
        for (const event of more) {
          if (event.kind !== "decision") {
            await options.processor?.process(event);
          }
          events.push(event);
        }
      }
      await appendSealed(options.logPath, state, events);
      return { session: state.session, events, decision };
    },
  );
}

function build(
  call: HookCall,
  state: HookLogState,
  classing: ReturnType<typeof classifyTool> | undefined,
  options: RecordHookOptions,
): AuditEvent[] {
  const events: AuditEvent[] = [];
  const ts = new Date().toISOString();
  const base = (): {
    v: typeof SCHEMA_VERSION;
    seq: number;
    ts: string;
    session: string;
  } => ({
    v: SCHEMA_VERSION,
    seq: state.nextSeq + events.length,
    ts,
    session: state.session,
  });
  if (!state.started) {
    // Hooks installed mid-session, or a SessionStart not hooked: start anyway.
    const start: SessionStartEvent = {
      ...base(),
      kind: "session_start",
      command: [call.agent, "hook"],
      proxyPid: Deno.pid,
      cwd: call.cwd ?? Deno.cwd(),
      proxy: { name: NAME, version: VERSION },
      chainStart: state.sealer.start,
    };
    events.push(start);
    state.started = true;
  }
  const origin: HookOrigin = { agent: call.agent, event: call.event };
  if (classing?.mcp) origin.mcp = classing.mcp;
  const max = options.maxPayloadBytes ?? 64 * 1024;
  const id = call.callId ?? `${call.event}:${state.nextSeq}`;
  const request = (): RequestEvent => {
    const params = bounded(
      { name: call.tool, arguments: call.input ?? {} },
      max,
    );
    const event: RequestEvent = {
      ...base(),
      kind: "request",
      dir: "c2s",
      bytes: params.bytes,
      id,
      method: "tools/call",
      params: params.value,
      tool: call.tool,
      hook: origin,
    };
    enrich(event, classing?.classes, classing?.entities);
    return event;
  };
  switch (call.phase) {
    case "session_start":
      break;
    case "pre":
      events.push(request());
      break;
    case "post":
    case "failure": {
      let pending = state.pending.get(id);
      if (!pending) {
        // A post with no pre (Cursor's afterFileEdit, or a pre not hooked).
        const event = request();
        events.push(event);
        pending = { seq: event.seq, ts, tool: call.tool };
      }
      const failed = call.phase === "failure";
      const result = failed
        ? { content: [{ type: "text", text: call.error ?? "" }], isError: true }
        : {
          content: [{
            type: "text",
            text: typeof call.output === "string"
              ? call.output
              : JSON.stringify(call.output ?? null),
          }],
        };
      const event = response(
        base(),
        id,
        call,
        pending.seq,
        pending.ts,
        result,
        max,
        failed ? "tool_error" : undefined,
      );
      event.hook = origin;
      events.push(event);
      break;
    }
    case "prompt": {
      const text = call.prompt ?? "";
      const params = options.prompts === false
        ? { chars: text.length, recorded: false }
        : { prompt: text };
      const event: NotificationEvent = {
        ...base(),
        kind: "notification",
        dir: "c2s",
        bytes: encoder.encode(text).length,
        method: "hooks/userPrompt",
        params,
        hook: origin,
      };
      events.push(event);
      break;
    }
    case "session_end": {
      for (const e of events) state.summary.add(e);
      const started = state.startTs ? Date.parse(state.startTs) : Date.now();
      const end: SessionEndEvent = {
        ...base(),
        kind: "session_end",
        reason: "client_closed",
        exit: { code: null, signal: null },
        summary: state.summary.build(Date.now() - started),
        pending: [...state.pending].map(([pid, p]) => ({
          seq: p.seq,
          dir: "c2s" as const,
          id: pid,
          method: "tools/call",
          ...(p.tool && { tool: p.tool }),
          cancelled: false,
        })),
        stderr: { bytes: 0, loggedBytes: 0 },
        client: { name: call.agent },
      };
      events.push(end);
      break;
    }
    default:
      break;
  }
  return events;
}

function factsOf(request: RequestEvent): HookFacts {
  return {
    classes: request.classes?.map((c) => c.label) ?? [],
    entities: request.entities?.map((e) => ({ type: e.type, value: e.value })),
  };
}

/**
 * The guard's decision on a pre-event, as the proxy records one (a
 * `decision` event after the request), and for a call the agent is told
 * not to run, its answer: the denial, as a tool error.
 */
function decisionEvents(
  call: HookCall,
  state: HookLogState,
  events: AuditEvent[],
  request: RequestEvent,
  decision: HookDecision,
): AuditEvent[] {
  const blocked = answered(decision) &&
    (decision.action === "deny" || decision.action === "hide");
  const seq = state.nextSeq + events.length;
  const event: DecisionEvent = {
    v: SCHEMA_VERSION,
    seq,
    ts: request.ts,
    session: state.session,
    kind: "decision",
    mode: decision.mode ?? "enforce",
    action: decision.action,
    reason: decision.reason,
    requestSeq: request.seq,
    method: "tools/call",
    outcome: blocked ? "blocked" : "forwarded",
  };
  if (decision.ruleId !== undefined) event.rule = decision.ruleId;
  if (call.tool !== undefined) event.tool = call.tool;
  if (!blocked) return [event];
  const text = decision.ruleId === undefined
    ? `Denied by policy: ${decision.reason}`
    : `Denied by policy rule "${decision.ruleId}": ${decision.reason}`;
  const denial = response(
    {
      v: SCHEMA_VERSION,
      seq: seq + 1,
      ts: request.ts,
      session: state.session,
    },
    String(request.id),
    call,
    request.seq,
    request.ts,
    { content: [{ type: "text", text }], isError: true },
    Infinity,
    "denied",
  );
  denial.hook = request.hook;
  return [event, denial];
}

function response(
  base: { v: typeof SCHEMA_VERSION; seq: number; ts: string; session: string },
  id: string,
  call: HookCall,
  requestSeq: number,
  requestTs: string,
  result: { content: { type: string; text: string }[]; isError?: boolean },
  max: number,
  errorType?: string,
): ResponseEvent {
  const payload = bounded(result, max);
  const event: ResponseEvent = {
    ...base,
    kind: "response",
    dir: "s2c",
    bytes: payload.bytes,
    id,
    method: "tools/call",
    tool: call.tool,
    requestSeq,
    durationMs: Math.max(0, Date.parse(base.ts) - Date.parse(requestTs)),
    result: payload.value,
  };
  if (result.isError) event.isError = true;
  if (errorType) event.errorType = errorType;
  return event;
}

/** A payload, or its truncation record when its JSON is larger than `max` bytes. */
function bounded(
  value: unknown,
  max: number,
): { value: unknown; bytes: number } {
  const wire = encoder.encode(JSON.stringify(value));
  if (wire.length <= max) return { value, bytes: wire.length };
  return { value: truncated(value, wire, 1024), bytes: wire.length };
}

function enrich(
  event: RequestEvent,
  classes: Classification[] | undefined,
  entities: Entity[] | undefined,
): void {
  if (classes?.length) event.classes = [...classes];
  if (entities?.length) event.entities = [...entities];
}
