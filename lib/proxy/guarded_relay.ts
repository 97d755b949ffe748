/**
 * Guard mode's relay, used instead of the byte relay only when a policy is
 * set: whole lines each way, so that a client's request can be decided
 * (after the pipeline has classified it) before it reaches the server, a
 * denial answered by the proxy, an `ask` put to the user through
 * `elicitation/create`, and tools hidden from a `tools/list` answer. Every
 * decision is an audit event; what cannot be parsed is forwarded as it
 * came.
 *
 * @module
 */
import type { DecisionEvent } from "../audit/event.ts";
import type { CorrelatedEvent } from "../audit/correlator.ts";
import type { AuditSession } from "../session/audit_session.ts";
import type { ChunkReader } from "./chunk_reader.ts";
import type { Guard } from "../guard/guard.ts";
import type { Decision, ToolAnnotations } from "../guard/decide.ts";
import { hidingRule } from "../guard/decide.ts";
import type { PinCheck } from "../guard/pins.ts";

/** Options for {@linkcode GuardedRelay}. */
export interface GuardedRelayOptions {
  /** The guard that decides. */
  guard: Guard;
  /** The audit the lines go into. */
  audit: AuditSession;
  /** The server's name given to the proxy (`--name`). */
  name?: string;
  /** Lines longer than this are forwarded undecided (a tool call is never this long). @default {524288} */
  maxParseBytes?: number;
  /** Tool-definition pins, checked on each `tools/list` answer. */
  pins?: PinCheck;
  /** Receives warnings. */
  warn?: (message: string) => void;
}

type Message = {
  jsonrpc?: string;
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: unknown;
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = new Uint8Array([10]);

/** Splits chunks into whole lines (copied, without the newline). */
class Lines {
  #held: Uint8Array[] = [];
  *push(chunk: Uint8Array): Generator<Uint8Array> {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const part = chunk.subarray(start, nl);
      if (this.#held.length === 0) yield part.slice();
      else {
        this.#held.push(part);
        yield join(this.#held);
        this.#held = [];
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.#held.push(chunk.slice(start));
  }
  rest(): Uint8Array | undefined {
    if (this.#held.length === 0) return undefined;
    const rest = join(this.#held);
    this.#held = [];
    return rest;
  }
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function idKey(id: unknown): string {
  return JSON.stringify(id);
}

/**
 * The two directions of a guarded session. {@linkcode client} replaces the
 * client -> server relay, {@linkcode server} the server -> client one;
 * both write whole lines, so the proxy's own answers never land inside a
 * line of the server's.
 *
 * @example
 * ```ts ignore
 * const guarded = new GuardedRelay({ guard, audit });
 * await Promise.all([guarded.client(input, serverIn), guarded.server(serverOut, clientOut)]);
 * ```
 */
export class GuardedRelay {
  #options: GuardedRelayOptions;
  #max: number;
  #toClient: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #toServer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #serverOpen = true;
  #clientOpen = true;
  #elicitation = false;
  #lists = new Set<string>();
  #annotations = new Map<string, ToolAnnotations>();
  #asks = new Map<string, (answer: Message) => void>();
  #askCount = 0;
  #held = new Set<Promise<void>>();
  /** Tools the pins say changed, hidden and denied under `pinning: "enforce"`. */
  #unpinned = new Set<string>();
  #methodRules: boolean;

  /** Creates the relay. */
  constructor(options: GuardedRelayOptions) {
    this.#options = options;
    this.#max = options.maxParseBytes ?? 512 * 1024;
    this.#methodRules = options.guard.policy.rules.some((r) =>
      r.method !== undefined
    );
  }

  get #enforce(): boolean {
    return (this.#options.guard.policy.mode ?? "monitor") === "enforce";
  }

  /** Client -> server: decides requests before they are forwarded. */
  async client(
    reader: ChunkReader,
    writer: WritableStreamDefaultWriter<Uint8Array>,
  ): Promise<void> {
    this.#toServer = writer;
    const lines = new Lines();
    while (true) {
      const chunk = await reader.read();
      if (chunk === undefined) break;
      for (const line of lines.push(chunk)) await this.#fromClient(line);
    }
    const rest = lines.rest();
    if (rest) await this.#forward(rest, false);
    // Calls waiting for an answer are let go with it.
    await Promise.all(this.#held);
  }

  /** Server -> client: hides tools from `tools/list` answers, checks pins. */
  async server(
    reader: ChunkReader,
    writer: WritableStreamDefaultWriter<Uint8Array>,
  ): Promise<void> {
    this.#toClient = writer;
    const lines = new Lines();
    while (true) {
      const chunk = await reader.read();
      if (chunk === undefined) break;
      for (const line of lines.push(chunk)) await this.#fromServer(line);
    }
    const rest = lines.rest();
    if (rest) await this.#reply(rest, false, rest);
    for (const answer of this.#asks.values()) answer({});
  }

  #parse(line: Uint8Array): Message | undefined {
    if (line.length > this.#max) return undefined;
    try {
      const value = JSON.parse(decoder.decode(line));
      return value && typeof value === "object" && !Array.isArray(value)
        ? value
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** Audits a client line and sends it to the server. */
  async #forward(
    line: Uint8Array,
    newline = true,
    audited = false,
  ): Promise<void> {
    if (!audited) {
      const { wait } = this.#options.audit.line("c2s", line);
      if (wait) await wait;
    }
    if (!this.#serverOpen || !this.#toServer) return;
    try {
      await this.#toServer.write(line);
      if (newline) await this.#toServer.write(NEWLINE);
    } catch {
      this.#serverOpen = false;
    }
  }

  /** Audits a line as sent to the client (`logged`, when it differs) and writes `line` to the client. */
  async #reply(
    line: Uint8Array,
    newline = true,
    logged = line,
  ): Promise<void> {
    const { wait } = this.#options.audit.line("s2c", logged);
    if (wait) await wait;
    if (!this.#clientOpen || !this.#toClient) return;
    try {
      await this.#toClient.write(line);
      if (newline) await this.#toClient.write(NEWLINE);
    } catch {
      this.#clientOpen = false;
    }
  }

  async #fromClient(line: Uint8Array): Promise<void> {
    const msg = this.#parse(line);
    if (!msg) return this.#forward(line);
    if (msg.method === undefined && msg.id !== undefined) {
      const answer = this.#asks.get(idKey(msg.id));
      if (answer) {
        // The answer to our own elicitation: audited, never forwarded.
        this.#asks.delete(idKey(msg.id));
        const { wait } = this.#options.audit.line("c2s", line);
        answer(msg);
        if (wait) await wait;
        return;
      }
    }
    if (msg.method === "initialize") {
      const caps = msg.params?.capabilities as
        | Record<string, unknown>
        | undefined;
      this.#elicitation = caps?.elicitation !== undefined &&
        caps?.elicitation !== null;
    }
    if (msg.method === "tools/list" && msg.id !== undefined) {
      this.#lists.add(idKey(msg.id));
    }
    const decided = typeof msg.method === "string" && msg.id !== undefined &&
      (msg.method === "tools/call" || this.#methodRules);
    if (!decided) return this.#forward(line);
    const { events, wait } = this.#options.audit.line("c2s", line);
    if (wait) await wait;
    const request = events.find((e) => e.kind === "request");
    if (request) await this.#options.audit.processed(request);
    const decision = this.#decide(msg, request);
    if (decision.action === "allow" || !this.#enforce) {
      // Other methods are decided only for the rules that name them.
      if (msg.method === "tools/call" || decision.rule !== undefined) {
        this.#record(decision, msg, request, "forwarded");
      }
      return this.#forward(line, true, true);
    }
    if (decision.action === "ask") {
      const held = this.#ask(decision, msg, request, line).finally(() =>
        this.#held.delete(held)
      );
      this.#held.add(held);
      return;
    }
    this.#record(decision, msg, request, "blocked");
    await this.#deny(decision, msg);
  }

  #decide(msg: Message, request: CorrelatedEvent | undefined): Decision {
    const tool = msg.method === "tools/call"
      ? String(msg.params?.name ?? "")
      : undefined;
    const server = [
      this.#options.name,
      this.#options.audit.handshake.server?.name,
    ].filter((n): n is string => typeof n === "string");
    const req = request?.kind === "request" ? request : undefined;
    const decision = this.#options.guard.check({
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

  #record(
    decision: Decision,
    msg: Message,
    request: CorrelatedEvent | undefined,
    outcome: DecisionEvent["outcome"],
    approval?: DecisionEvent["approval"],
  ): void {
    const event: Omit<DecisionEvent, "v" | "seq" | "ts" | "session" | "hash"> =
      {
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
    this.#options.audit.record(event);
  }

  /** Answers a request the policy blocked: a tool error for a call, a JSON-RPC error otherwise. */
  #deny(decision: Decision, msg: Message): Promise<void> {
    const text = decision.rule === undefined
      ? `Denied by policy: ${decision.reason}`
      : `Denied by policy rule "${decision.rule}": ${decision.reason}`;
    const answer = msg.method === "tools/call"
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
    return this.#reply(encoder.encode(JSON.stringify(answer)));
  }

  /** Puts the call to the user (elicitation); forwards it only on an explicit accept. */
  async #ask(
    decision: Decision,
    msg: Message,
    request: CorrelatedEvent | undefined,
    line: Uint8Array,
  ): Promise<void> {
    if (!this.#elicitation) {
      this.#record(decision, msg, request, "blocked", "unsupported");
      return this.#deny(
        {
          ...decision,
          reason:
            `${decision.reason} (needs approval, and the client cannot ask the user)`,
        },
        msg,
      );
    }
    const id = `mcp-audit-ask-${++this.#askCount}`;
    const req = request?.kind === "request" ? request : undefined;
    // The arguments as the log holds them: redacted by the pipeline.
    const params = req?.params as { arguments?: unknown } | undefined;
    const shown = JSON.stringify(params?.arguments ?? {}, null, 1);
    const tool = msg.method === "tools/call"
      ? String(msg.params?.name ?? "")
      : msg.method;
    const question = {
      jsonrpc: "2.0",
      id,
      method: "elicitation/create",
      params: {
        message: `mcp-audit: the policy rule "${
          decision.rule ?? "default"
        }" asks before the call of "${tool}" with ${
          shown.length > 2000 ? shown.slice(0, 2000) + "..." : shown
        }. ${decision.reason}. Allow it?`,
        requestedSchema: {
          type: "object",
          properties: {
            approve: {
              type: "boolean",
              title: "Allow this call",
              description: `Rule "${
                decision.rule ?? "default"
              }": ${decision.reason}`,
            },
          },
          required: ["approve"],
        },
      },
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = await new Promise<Message | "timeout">((resolve) => {
      this.#asks.set(idKey(id), resolve);
      timer = setTimeout(() => {
        this.#asks.delete(idKey(id));
        resolve("timeout");
      }, this.#options.guard.policy.askTimeoutMs ?? 120_000);
      this.#reply(encoder.encode(JSON.stringify(question))).catch(() => {});
    });
    clearTimeout(timer);
    let approval: NonNullable<DecisionEvent["approval"]>;
    if (answer === "timeout") approval = "timeout";
    else if (answer.error !== undefined || answer.result === undefined) {
      approval = "failed";
    } else {
      const action = answer.result.action;
      const content = answer.result.content as
        | Record<string, unknown>
        | undefined;
      approval = action === "accept" && content?.approve === true
        ? "accepted"
        : action === "cancel"
        ? "cancelled"
        : "declined";
    }
    if (approval === "accepted") {
      this.#record(decision, msg, request, "forwarded", approval);
      return this.#forward(line, true, true);
    }
    this.#record(decision, msg, request, "blocked", approval);
    await this.#deny({
      ...decision,
      reason: `${decision.reason} (not approved: ${approval})`,
    }, msg);
  }

  async #fromServer(line: Uint8Array): Promise<void> {
    if (this.#lists.size === 0) return this.#reply(line);
    const msg = this.#parse(line);
    if (
      !msg || msg.method !== undefined || msg.id === undefined ||
      !this.#lists.has(idKey(msg.id))
    ) return this.#reply(line);
    this.#lists.delete(idKey(msg.id));
    const tools = msg.result?.tools;
    if (!Array.isArray(tools)) return this.#reply(line);
    const server = [
      this.#options.name,
      this.#options.audit.handshake.server?.name,
    ].filter((n): n is string => typeof n === "string");
    for (const tool of tools) {
      if (tool && typeof tool.name === "string") {
        this.#annotations.set(tool.name, tool.annotations ?? {});
      }
    }
    const pinned = this.#options.pins?.(tools, server);
    const enforcePins = this.#enforce &&
      this.#options.guard.policy.pinning === "enforce";
    if (pinned) {
      this.#options.audit.record({
        kind: "tool_change",
        ...pinned,
        enforced: enforcePins,
      });
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
    for (const tool of tools) {
      const name = typeof tool?.name === "string" ? tool.name : undefined;
      if (name === undefined) continue;
      if (this.#unpinned.has(name)) {
        hidden.push(name);
        continue;
      }
      const rule = hidingRule(this.#options.guard.policy, {
        tool: name,
        server,
        annotations: tool.annotations,
      });
      if (rule) {
        hidden.push(name);
        if (!reasons.includes(rule.id)) reasons.push(rule.id);
      }
    }
    if (hidden.length === 0) return this.#reply(line);
    const mode = this.#options.guard.policy.mode ?? "monitor";
    const event: Omit<DecisionEvent, "v" | "seq" | "ts" | "session" | "hash"> =
      {
        kind: "decision",
        mode,
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
    if (!this.#enforce) {
      await this.#reply(line);
      this.#options.audit.record(event);
      return;
    }
    const kept = tools.filter((t) => !hidden.includes(t?.name));
    const filtered = { ...msg, result: { ...msg.result, tools: kept } };
    // The log holds what the server sent; the decision says what was hidden.
    await this.#reply(encoder.encode(JSON.stringify(filtered)), true, line);
    this.#options.audit.record(event);
  }
}
