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
import type { CorrelatedEvent } from "../audit/correlator.ts";
import { GUARD_ASK_ID } from "../audit/event.ts";
import type { AuditSession } from "../session/audit_session.ts";
import type { ChunkReader } from "./chunk_reader.ts";
import type { Guard } from "../guard/guard.ts";
import type { Decision } from "../guard/decide.ts";
import type { PinCheck } from "../guard/pins.ts";
import {
  type Approval,
  type GuardMessage,
  SessionGuard,
} from "../guard/session_guard.ts";

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

type Message = GuardMessage;

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
  #guard: SessionGuard;
  #asks = new Map<string, (answer: Message) => void>();
  #askCount = 0;
  #held = new Set<Promise<void>>();

  /** Creates the relay. */
  constructor(options: GuardedRelayOptions) {
    this.#options = options;
    this.#max = options.maxParseBytes ?? 512 * 1024;
    this.#guard = new SessionGuard(options.guard);
  }

  get #enforce(): boolean {
    return this.#guard.enforce;
  }

  #server(): string[] {
    return [this.#options.name, this.#options.audit.handshake.server?.name]
      .filter((n): n is string => typeof n === "string");
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
    if (!this.#guard.decides(msg)) return this.#forward(line);
    const { events, wait } = this.#options.audit.line("c2s", line);
    if (wait) await wait;
    const request = events.find((e) => e.kind === "request");
    if (request) await this.#options.audit.processed(request);
    const decision = this.#guard.decide(msg, request, this.#server());
    if (decision.action === "allow" || !this.#enforce) {
      // Other methods are decided only for the rules that name them.
      if (this.#guard.logs(msg, decision)) {
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

  #record(
    decision: Decision,
    msg: Message,
    request: CorrelatedEvent | undefined,
    outcome: "forwarded" | "blocked",
    approval?: Approval,
  ): void {
    this.#options.audit.record(
      this.#guard.record(decision, msg, request, outcome, approval),
    );
  }

  /** Answers a request the policy blocked: a tool error for a call, a JSON-RPC error otherwise. */
  #deny(decision: Decision, msg: Message): Promise<void> {
    const answer = this.#guard.denial(decision, msg);
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
    const id = `${GUARD_ASK_ID}${++this.#askCount}`;
    const question = this.#guard.question(id, decision, msg, request);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = await new Promise<Message | "timeout">((resolve) => {
      this.#asks.set(idKey(id), resolve);
      timer = setTimeout(() => {
        this.#asks.delete(idKey(id));
        resolve("timeout");
      }, this.#guard.askTimeoutMs);
      this.#reply(encoder.encode(JSON.stringify(question))).catch(() => {});
    });
    clearTimeout(timer);
    const approval = this.#guard.approval(answer);
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
    const server = this.#server();
    const pinned = this.#options.pins?.(tools, server);
    const screen = this.#guard.screenTools(msg, tools, server, pinned);
    const bytes = screen.message === msg
      ? line
      : encoder.encode(JSON.stringify(screen.message));
    // The log holds what the server sent, then what the pins and the
    // policy made of it (as the HTTP transports record it).
    await this.#reply(bytes, true, line);
    for (const event of screen.events) this.#options.audit.record(event);
  }
}
