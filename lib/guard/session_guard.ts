/**
 * What guard mode knows of one session and decides from it, whatever the
 * transport: the stdio proxy's guarded relay and the HTTP transports'
 * guarded exchange both hold one {@linkcode SessionGuard} and do only the
 * moving of bytes themselves. It keeps the tools' annotations and the
 * tools the pins say changed, decides a request, writes the decision
 * event, the denial, the approval question and reads its answer, and
 * screens a `tools/list` answer against the pins and the hiding rules.
 *
 * @module
 */
import type { DecisionEvent, ToolChangeEvent } from "../audit/event.ts";
import type { CorrelatedEvent } from "../audit/correlator.ts";
import type { Guard } from "./guard.ts";
import type { Decision, ToolAnnotations } from "./decide.ts";
import { hidingRule } from "./decide.ts";
import type { PinDiff } from "./pins.ts";

/** A JSON-RPC message as the guard reads it. */
export type GuardMessage = {
  jsonrpc?: string;
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: unknown;
};

/** A decision event as the audit records it (numbered and sealed there). */
export type DecisionRecord = Omit<
  DecisionEvent,
  "v" | "seq" | "ts" | "session" | "hash"
>;

/** A tool-change event as the audit records it. */
export type ToolChangeRecord = Omit<
  ToolChangeEvent,
  "v" | "seq" | "ts" | "session" | "hash"
>;

/** The user's answer to an approval question, or why there was none. */
export type Approval = NonNullable<DecisionEvent["approval"]>;

/** What {@linkcode SessionGuard.screenTools} found in a `tools/list` answer. */
export interface ToolScreen {
  /** Events to record once the server's own bytes are audited: a tool change, a hide decision. */
  events: (DecisionRecord | ToolChangeRecord)[];
  /** The tools hidden from the client (empty when none). */
  hidden: string[];
  /** The answer to send the client: the server's, or one without the hidden tools (enforce only). */
  message: GuardMessage | undefined;
}

/**
 * The guard's state and decisions for one session.
 *
 * @example A call denied in enforce mode, and its answer
 * ```ts
 * import { SessionGuard } from "./session_guard.ts";
 * import { Guard } from "./guard.ts";
 * import assert from "node:assert/strict";
 *
 * const guard = new SessionGuard(new Guard({
 *   mode: "enforce",
 *   rules: [{ id: "freeze", tool: "write_*", action: "deny", reason: "Code freeze" }],
 * }));
 * const call = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "write_file" } };
 * const decision = guard.decide(call, undefined, ["files"]);
 * assert.equal(decision.action, "deny");
 * assert.equal(guard.record(decision, call, undefined, "blocked").rule, "freeze");
 * assert.deepEqual(guard.denial(decision, call).result?.isError, true);
 * ```
 */
export class SessionGuard {
  /** The guard that decides. */
  readonly guard: Guard;
  #annotations = new Map<string, ToolAnnotations>();
  /** Tools the pins say changed, hidden and denied under `pinning: "enforce"`. */
  #unpinned = new Set<string>();
  #methodRules: boolean;

  /** Holds the state of one session decided by `guard`. */
  constructor(guard: Guard) {
    this.guard = guard;
    this.#methodRules = guard.policy.rules.some((r) => r.method !== undefined);
  }

  /** Whether the policy blocks (`enforce`) rather than only records (`monitor`). */
  get enforce(): boolean {
    return (this.guard.policy.mode ?? "monitor") === "enforce";
  }

  /** Whether a client message is decided: a `tools/call`, or any request when a rule names a method. */
  decides(msg: GuardMessage): boolean {
    return typeof msg.method === "string" && msg.id !== undefined &&
      (msg.method === "tools/call" || this.#methodRules);
  }

  /** Decides a request, after the pipeline has classified it (`request`). */
  decide(
    msg: GuardMessage,
    request: CorrelatedEvent | undefined,
    server: string[],
  ): Decision {
    const tool = msg.method === "tools/call"
      ? String(msg.params?.name ?? "")
      : undefined;
    const req = request?.kind === "request" ? request : undefined;
    const decision = this.guard.check({
      method: msg.method,
      tool,
      server,
      classes: req?.classes?.map((c) => c.label) ?? [],
      annotations: tool === undefined ? undefined : this.#annotations.get(tool),
      arguments: msg.params?.arguments,
      entities: req?.entities?.map((e) => ({ type: e.type, value: e.value })),
      time: new Date(),
    });
    if (
      tool !== undefined && this.#unpinned.has(tool) &&
      decision.action !== "deny" && decision.action !== "hide"
    ) {
      return {
        ...decision,
        rule: "pinning",
        action: "deny",
        reason:
          `the definition of the tool "${tool}" changed since it was pinned; run "mcp-audit pin accept" once it is checked`,
      };
    }
    return decision;
  }

  /** Whether a decided request is logged: every call, and other methods when a rule matched them. */
  logs(msg: GuardMessage, decision: Decision): boolean {
    return msg.method === "tools/call" || decision.rule !== undefined;
  }

  /** The decision event for a request and what came of it. */
  record(
    decision: Decision,
    msg: GuardMessage,
    request: CorrelatedEvent | undefined,
    outcome: DecisionEvent["outcome"],
    approval?: Approval,
  ): DecisionRecord {
    const event: DecisionRecord = {
      kind: "decision",
      mode: decision.mode,
      action: decision.action,
      reason: decision.reason,
      method: msg.method ?? "",
      outcome,
    };
    if (decision.rule !== undefined) event.rule = decision.rule;
    if (request) event.requestSeq = request.seq;
    if (msg.method === "tools/call") {
      event.tool = String(msg.params?.name ?? "");
    }
    if (approval) event.approval = approval;
    return event;
  }

  /** The answer to a blocked request: a tool error for a call, a JSON-RPC error otherwise. */
  denial(decision: Decision, msg: GuardMessage): GuardMessage {
    const text = decision.rule === undefined
      ? `Denied by policy: ${decision.reason}`
      : `Denied by policy rule "${decision.rule}": ${decision.reason}`;
    return msg.method === "tools/call"
      ? {
        jsonrpc: "2.0",
        id: msg.id,
        result: { content: [{ type: "text", text }], isError: true },
      }
      : {
        jsonrpc: "2.0",
        id: msg.id,
        error: { code: -32001, message: text, data: { rule: decision.rule } },
      };
  }

  /**
   * The `elicitation/create` request (with the proxy's own `id`) that puts
   * an `ask` to the user, showing the arguments as the log holds them:
   * redacted by the pipeline.
   */
  question(
    id: string,
    decision: Decision,
    msg: GuardMessage,
    request: CorrelatedEvent | undefined,
  ): GuardMessage {
    const req = request?.kind === "request" ? request : undefined;
    const params = req?.params as { arguments?: unknown } | undefined;
    const shown = JSON.stringify(params?.arguments ?? {}, null, 1);
    const tool = msg.method === "tools/call"
      ? String(msg.params?.name ?? "")
      : msg.method;
    const rule = decision.rule ?? "default";
    return {
      jsonrpc: "2.0",
      id,
      method: "elicitation/create",
      params: {
        message:
          `mcp-audit: the policy rule "${rule}" asks before the call of "${tool}" with ${
            shown.length > 2000 ? shown.slice(0, 2000) + "..." : shown
          }. ${decision.reason}. Allow it?`,
        requestedSchema: {
          type: "object",
          properties: {
            approve: {
              type: "boolean",
              title: "Allow this call",
              description: `Rule "${rule}": ${decision.reason}`,
            },
          },
          required: ["approve"],
        },
      },
    };
  }

  /** How long an `ask` waits for the user, in milliseconds. */
  get askTimeoutMs(): number {
    return this.guard.policy.askTimeoutMs ?? 120_000;
  }

  /** Reads the client's answer to {@linkcode question}: only an explicit accept approves. */
  approval(answer: GuardMessage | "timeout"): Approval {
    if (answer === "timeout") return "timeout";
    if (answer.error !== undefined || answer.result === undefined) {
      return "failed";
    }
    const action = answer.result.action;
    const content = answer.result.content as
      | Record<string, unknown>
      | undefined;
    return action === "accept" && content?.approve === true
      ? "accepted"
      : action === "cancel"
      ? "cancelled"
      : "declined";
  }

  /**
   * Screens a `tools/list` answer (`msg`, whose `result.tools` is `tools`):
   * keeps the tools' annotations for later decisions, records what the
   * pins found (`pinned`), and hides the changed tools under
   * `pinning: "enforce"` and the tools a hiding rule names.
   */
  screenTools(
    msg: GuardMessage,
    tools: unknown[],
    server: string[],
    pinned: PinDiff | undefined,
  ): ToolScreen {
    const list = tools as ({ name?: unknown; annotations?: unknown } | null)[];
    for (const tool of list) {
      if (tool && typeof tool.name === "string") {
        this.#annotations.set(
          tool.name,
          (tool.annotations ?? {}) as ToolAnnotations,
        );
      }
    }
    const policy = this.guard.policy;
    const enforcePins = this.enforce && policy.pinning === "enforce";
    const events: (DecisionRecord | ToolChangeRecord)[] = [];
    if (pinned) {
      events.push({ kind: "tool_change", ...pinned, enforced: enforcePins });
      if (enforcePins) {
        for (
          const t of [
            ...pinned.added,
            ...pinned.changed.map((c) => c.tool),
          ]
        ) {
          this.#unpinned.add(t);
        }
      }
    }
    const hidden: string[] = [];
    const reasons: string[] = [];
    for (const tool of list) {
      const name = typeof tool?.name === "string" ? tool.name : undefined;
      if (name === undefined) continue;
      if (this.#unpinned.has(name)) {
        hidden.push(name);
        continue;
      }
      const rule = hidingRule(policy, {
        tool: name,
        server,
        annotations: tool?.annotations as ToolAnnotations | undefined,
      });
      if (rule) {
        hidden.push(name);
        if (!reasons.includes(rule.id)) reasons.push(rule.id);
      }
    }
    if (hidden.length === 0) return { events, hidden, message: msg };
    const event: DecisionRecord = {
      kind: "decision",
      mode: policy.mode ?? "monitor",
      action: "hide",
      reason: reasons.length > 0
        ? `hidden by the policy rule${reasons.length > 1 ? "s" : ""} ${
          reasons.map((r) => `"${r}"`).join(", ")
        }`
        : "changed since pinned",
      method: "tools/list",
      outcome: "forwarded",
      hidden,
    };
    if (reasons.length > 0) event.rule = reasons[0];
    events.push(event);
    if (!this.enforce) return { events, hidden, message: msg };
    const kept = list.filter((t) => !hidden.includes(t?.name as string));
    return {
      events,
      hidden,
      message: { ...msg, result: { ...msg.result, tools: kept } },
    };
  }
}
