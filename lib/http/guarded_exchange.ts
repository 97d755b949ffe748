/**
 * Guard mode for the HTTP transports (the reverse proxy and the stdio
 * bridge): the same decisions as the stdio proxy's guarded relay, made on
 * whole messages (a POST body, an SSE event's data, a client's line)
 * rather than on lines. One {@linkcode GuardedExchange} per audited
 * session: it decides a client's request before it is sent upstream,
 * answers a denial in the server's place, puts an `ask` to the user
 * through `elicitation/create` when the transport can, hides tools from
 * `tools/list` answers and checks them against the pins. Every decision
 * is an audit event.
 *
 * @module
 */
import { GUARD_ASK_ID, type HttpExchange } from "../audit/event.ts";
import type { CorrelatedEvent, FrameContext } from "../audit/correlator.ts";
import type { AuditSession } from "../session/audit_session.ts";
import type { Guard } from "../guard/guard.ts";
import type { Decision } from "../guard/decide.ts";
import type { PinCheck } from "../guard/pins.ts";
import {
  type Approval,
  type GuardMessage,
  SessionGuard,
} from "../guard/session_guard.ts";

export type { GuardMessage };

/**
 * Sends an `elicitation/create` request to the client (its answer comes
 * back through {@linkcode GuardedExchange.answer}). Absent when the
 * transport cannot reach the client with a request of its own.
 */
export type AskClient = (question: GuardMessage) => Promise<void>;

/** Options for {@linkcode GuardedExchange}. */
export interface GuardedExchangeOptions {
  /** The guard that decides (one per session: its rate counts are the session's). */
  guard: Guard;
  /** The server's name given to the proxy (`--name`). */
  name?: string;
  /** Tool-definition pins, checked on each `tools/list` answer; made once the session's log is known. */
  pins?: (audit: AuditSession) => PinCheck | undefined;
  /** Why an `ask` is denied when the transport gives no {@linkcode AskClient}. */
  cannotAsk?: string;
}

/** What to do with a client's message. */
export type Verdict =
  | { forward: true; audited: boolean }
  | { forward: false; reply: Uint8Array };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function idKey(id: unknown): string {
  return JSON.stringify(id);
}

function parse(bytes: Uint8Array): GuardMessage | GuardMessage[] | undefined {
  try {
    const value = JSON.parse(decoder.decode(bytes));
    return value && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The guard of one HTTP session.
 *
 * @example A denied call is answered in the server's place
 * ```ts
 * import { GuardedExchange } from "./guarded_exchange.ts";
 * import { Guard } from "../guard/guard.ts";
 * import { AuditSession } from "../session/audit_session.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const audit = await AuditSession.open({ logDir: dir, command: ["demo"] });
 * audit.start({ transport: "streamable-http" });
 * const guarded = new GuardedExchange({
 *   guard: new Guard({ mode: "enforce", rules: [{ id: "freeze", tool: "write_*", action: "deny", reason: "Code freeze" }] }),
 * });
 * const call = new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "write_file", arguments: {} } }));
 * const verdict = await guarded.request(audit, call, { method: "POST" });
 * assert.equal(verdict.forward, false);
 * if (!verdict.forward) assert.match(new TextDecoder().decode(verdict.reply), /Code freeze/);
 * await audit.end({ reason: "client_closed" });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class GuardedExchange {
  #options: GuardedExchangeOptions;
  #elicitation = false;
  #lists = new Set<string>();
  #guard: SessionGuard;
  #asks = new Map<string, (answer: GuardMessage) => void>();
  #askCount = 0;
  #pins: PinCheck | undefined | null = null;

  /** Creates the guard of one session. */
  constructor(options: GuardedExchangeOptions) {
    this.#options = options;
    this.#guard = new SessionGuard(options.guard);
  }

  get #enforce(): boolean {
    return this.#guard.enforce;
  }

  /** Whether a `tools/list` answer is awaited (a response stream may then need rewriting). */
  get listing(): boolean {
    return this.#lists.size > 0;
  }

  /** Whether the client declared the elicitation capability in its `initialize`. */
  get elicitation(): boolean {
    return this.#elicitation;
  }

  /**
   * The client's answer to one of the guard's own elicitations: resolves
   * the waiting `ask` and returns true (the caller audits it and never
   * forwards it).
   */
  answer(bytes: Uint8Array): boolean {
    if (this.#asks.size === 0) return false;
    const msg = parse(bytes);
    if (!msg || Array.isArray(msg)) return false;
    if (msg.method !== undefined || msg.id === undefined) return false;
    const settle = this.#asks.get(idKey(msg.id));
    if (!settle) return false;
    this.#asks.delete(idKey(msg.id));
    settle(msg);
    return true;
  }

  /** Lets every waiting `ask` go as failed (the client went away). */
  close(): void {
    for (const settle of this.#asks.values()) settle({});
    this.#asks.clear();
  }

  /** Whether this client message is one the guard decides (then {@linkcode request} audits it). */
  decides(bytes: Uint8Array): boolean {
    const msg = parse(bytes);
    if (!msg) return false;
    const all = Array.isArray(msg) ? msg : [msg];
    for (const m of all) {
      if (!m || typeof m !== "object") continue;
      if (m.method === "initialize") {
        const caps = m.params?.capabilities as
          | Record<string, unknown>
          | undefined;
        this.#elicitation = caps?.elicitation !== undefined &&
          caps?.elicitation !== null;
      }
      if (m.method === "tools/list" && m.id !== undefined) {
        this.#lists.add(idKey(m.id));
      }
    }
    return all.some((m) => m && this.#guard.decides(m));
  }

  /**
   * Decides a client message that {@linkcode decides} said is decided: it
   * is audited here (with `http`), classified by the pipeline, and either
   * to be forwarded (audited already) or answered with `reply`.
   * `ask`, when given, reaches the client with an elicitation.
   */
  async request(
    audit: AuditSession,
    bytes: Uint8Array,
    http: HttpExchange | undefined,
    ask?: AskClient,
    context?: FrameContext,
  ): Promise<Verdict> {
    const parsed = parse(bytes);
    const { events, wait } = audit.line("c2s", bytes, http, context);
    if (wait) await wait;
    if (Array.isArray(parsed)) {
      // A batch is decided as a whole: one request that is not allowed blocks it.
      const replies: unknown[] = [];
      let blocked = false;
      for (const msg of parsed) {
        if (!msg || typeof msg.method !== "string" || msg.id === undefined) {
          continue;
        }
        const request = events.find((e) =>
          e.kind === "request" && idKey(e.id) === idKey(msg.id)
        );
        if (request) await audit.processed(request);
        const decision = this.#guard.decide(msg, request, this.#server(audit));
        const stop = this.#enforce && decision.action !== "allow";
        if (stop) {
          blocked = true;
          const why = decision.action === "ask"
            ? {
              ...decision,
              reason:
                `${decision.reason} (needs approval, which a batch cannot get)`,
            }
            : decision;
          this.#record(audit, why, msg, request, "blocked");
          replies.push(this.#guard.denial(why, msg));
        } else if (this.#guard.logs(msg, decision)) {
          this.#record(audit, decision, msg, request, "forwarded");
        }
      }
      if (!blocked) return { forward: true, audited: true };
      for (const msg of parsed) {
        if (
          msg && typeof msg.method === "string" && msg.id !== undefined &&
          !replies.some((r) => idKey((r as GuardMessage).id) === idKey(msg.id))
        ) {
          replies.push(this.#guard.denial({
            action: "deny",
            mode: "enforce",
            reason: "another request of its batch was denied",
            classes: [],
            rateKeys: [],
          }, msg));
        }
      }
      const reply = encoder.encode(JSON.stringify(replies));
      audit.line("s2c", reply, http);
      return { forward: false, reply };
    }
    const msg = parsed as GuardMessage;
    const request = events.find((e) => e.kind === "request");
    if (request) await audit.processed(request);
    const decision = this.#guard.decide(msg, request, this.#server(audit));
    if (decision.action === "allow" || !this.#enforce) {
      if (this.#guard.logs(msg, decision)) {
        this.#record(audit, decision, msg, request, "forwarded");
      }
      return { forward: true, audited: true };
    }
    if (decision.action === "ask") {
      return await this.#ask(audit, decision, msg, request, http, ask);
    }
    this.#record(audit, decision, msg, request, "blocked");
    return this.#deny(audit, decision, msg, http);
  }

  /**
   * A server message on its way to the client: a `tools/list` answer is
   * checked against the pins and stripped of hidden tools. Returns what to
   * send the client and what to record once the server's own bytes have
   * been audited (the log holds what the server sent).
   */
  response(
    audit: AuditSession,
    bytes: Uint8Array,
  ): { bytes: Uint8Array; record: () => void } {
    const none = { bytes, record: () => {} };
    if (this.#lists.size === 0) return none;
    const msg = parse(bytes);
    if (
      !msg || Array.isArray(msg) || msg.method !== undefined ||
      msg.id === undefined || !this.#lists.has(idKey(msg.id))
    ) return none;
    this.#lists.delete(idKey(msg.id));
    const tools = msg.result?.tools;
    if (!Array.isArray(tools)) return none;
    const server = this.#server(audit);
    if (this.#pins === null) this.#pins = this.#options.pins?.(audit);
    const pinned = this.#pins?.(tools, server);
    const screen = this.#guard.screenTools(msg, tools, server, pinned);
    const record = (): void => {
      for (const event of screen.events) audit.record(event);
    };
    if (screen.message === msg) return { bytes, record };
    return { bytes: encoder.encode(JSON.stringify(screen.message)), record };
  }

  #server(audit: AuditSession): string[] {
    return [this.#options.name, audit.handshake.server?.name].filter((
      n,
    ): n is string => typeof n === "string");
  }

  #record(
    audit: AuditSession,
    decision: Decision,
    msg: GuardMessage,
    request: CorrelatedEvent | undefined,
    outcome: "forwarded" | "blocked",
    approval?: Approval,
  ): void {
    audit.record(this.#guard.record(decision, msg, request, outcome, approval));
  }

  #deny(
    audit: AuditSession,
    decision: Decision,
    msg: GuardMessage,
    http: HttpExchange | undefined,
  ): Verdict {
    const reply = encoder.encode(
      JSON.stringify(this.#guard.denial(decision, msg)),
    );
    audit.line("s2c", reply, http && { method: http.method });
    return { forward: false, reply };
  }

  async #ask(
    audit: AuditSession,
    decision: Decision,
    msg: GuardMessage,
    request: CorrelatedEvent | undefined,
    http: HttpExchange | undefined,
    ask: AskClient | undefined,
  ): Promise<Verdict> {
    if (!this.#elicitation || !ask) {
      this.#record(audit, decision, msg, request, "blocked", "unsupported");
      const why = !this.#elicitation
        ? "the client cannot ask the user"
        : this.#options.cannotAsk ?? "this transport cannot ask the user";
      return this.#deny(
        audit,
        {
          ...decision,
          reason: `${decision.reason} (needs approval, and ${why})`,
        },
        msg,
        http,
      );
    }
    const id = `${GUARD_ASK_ID}${++this.#askCount}`;
    const question = this.#guard.question(id, decision, msg, request);
    const timeoutMs = this.#guard.askTimeoutMs;
    let answer: GuardMessage | "timeout";
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      answer = await Promise.race([
        new Promise<GuardMessage>((resolve) => {
          this.#asks.set(idKey(id), resolve);
          ask(question).catch(() => resolve({}));
        }),
        new Promise<"timeout">((resolve) =>
          timer = setTimeout(() => resolve("timeout"), timeoutMs)
        ),
      ]);
    } catch {
      answer = {};
    } finally {
      clearTimeout(timer);
      this.#asks.delete(idKey(id));
    }
    const approval = this.#guard.approval(answer);
    if (approval === "accepted") {
      this.#record(audit, decision, msg, request, "forwarded", approval);
      return { forward: true, audited: true };
    }
    this.#record(audit, decision, msg, request, "blocked", approval);
    return this.#deny(
      audit,
      {
        ...decision,
        reason: `${decision.reason} (not approved: ${approval})`,
      },
      msg,
      http,
    );
  }
}

/**
 * A message as one SSE event, for a response stream the proxy writes
 * itself (a denial, an elicitation, a `tools/list` with tools hidden).
 *
 * @example
 * ```ts
 * import { sseEvent } from "./guarded_exchange.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sseEvent("{}", "7"), "id: 7\nevent: message\ndata: {}\n\n");
 * ```
 */
export function sseEvent(data: string, id?: string, event = "message"): string {
  const lines = data.split(/\r\n|\r|\n/).map((l) => `data: ${l}\n`).join("");
  return `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\n${lines}\n`;
}
