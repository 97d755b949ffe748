/**
 * One audited session: the log file, the correlator, the plugin pipeline
 * and the summary, behind one object. The stdio proxy feeds it raw bytes
 * per direction; `auditTransport` feeds it message objects. Either way the
 * same events, in the same order, reach the same log.
 *
 * @module
 */
import {
  type CorrelatedEvent,
  Correlator,
  type FrameContext,
  type HandshakeInfo,
} from "../audit/correlator.ts";
import type {
  DecisionEvent,
  Direction,
  EventBase,
  HttpExchange,
  Pending,
  SessionEndEvent,
  SessionStartEvent,
  Summary,
  ToolChangeEvent,
  Transport,
} from "../audit/event.ts";
import { parseFrame } from "../wire/jsonrpc.ts";
import { type Frame, LineSplitter } from "../wire/line_splitter.ts";
import { AuditSink, type EventProcessor } from "./audit_sink.ts";
import { type EventLog, LocalLog } from "../log/event_log.ts";
import { ThreadLog } from "../log/log_thread.ts";
import {
  defaultLogDir,
  ensureLogDir,
  sessionLogName,
} from "../log/log_path.ts";
import { NAME, VERSION } from "../util/version.ts";
import { Sealer } from "../seal/seal.ts";
import type { SigningKey } from "../seal/signing_key.ts";
import type { FindingRule } from "../findings/finding.ts";
export type { FindingRule };
import { type FindingSource, LiveFindings } from "../findings/live_findings.ts";
export type { FindingSource };
import { type FindingEvent, FROM_LOG } from "../audit/event.ts";

/** Options for {@linkcode AuditSession.open}. */
export interface AuditSessionOptions {
  /** The log file (appended to, created with mode 0600). Default: a new file in `logDir`. */
  logPath?: string;
  /** Where a new log goes without `logPath`. @default {defaultLogDir()} */
  logDir?: string;
  /** What is audited, for the log's name and `session_start`: the server command. @default {["in-process"]} */
  command?: string[];
  /** The server's name (`proxy --name`): the log's file name carries it instead of one taken from `command`, and `session_start.serverName` holds it. */
  name?: string;
  /** The plugin pipeline. */
  processor?: EventProcessor;
  /** Messages larger than this have their payload truncated in the log. @default {65536} */
  maxPayloadBytes?: number;
  /** Messages larger than this are skimmed, not parsed. @default {524288} */
  maxParseBytes?: number;
  /** Lines longer than this are hashed, not parsed. @default {67108864} */
  maxLineBytes?: number;
  /** Receives warning sentences (failed writes, failed plugins, audit errors). */
  onWarning?: (message: string) => void;
  /** Start a new log file after this many bytes (`a.jsonl`, `a.2.jsonl`, ...). */
  rotateBytes?: number;
  /** Write the log through `logPath` when it is a symbolic link (refused otherwise). @default {false} */
  followSymlink?: boolean;
  /**
   * Seal lines into the hash chain and Merkle tree, with checkpoints.
   * @default {true}
   */
  seal?: boolean;
  /** Signs checkpoints; without it they record the tree root unsigned. */
  signingKey?: SigningKey;
  /** A checkpoint after this many events. @default {1000} */
  checkpointEvery?: number;
  /** A checkpoint after this many seconds with new events. @default {10} */
  checkpointSeconds?: number;
  /**
   * Seal and write the log in a worker thread, beside the relay and the
   * plugins (in this thread when no worker can be started).
   * @default {false}
   */
  thread?: boolean;
  /**
   * Audit each message in a task after the one that forwarded it (the HTTP
   * modes): the same events in the same order, off the relay path.
   * @default {false}
   */
  afterRelay?: boolean;
  /** How the messages travel, for `session_start` (absent when not given). */
  transport?: Transport;
  /** The remote server's URL, already redacted, for `session_start`. */
  upstream?: string;
  /**
   * Live findings: these rules run as the session goes, and each finding
   * is logged as a `finding` event when it arises. Off when absent.
   */
  findingRules?: readonly FindingRule[];
  /**
   * Called with the log's (first) file once it is open: the HTTP modes'
   * `--anchor` starts following it there.
   */
  onLogOpen?: (logPath: string) => void;
  /**
   * Called before `session_end` is made, unless {@linkcode SessionEndInfo}
   * gives the same: what it gives (the `--otlp` and `--anchor` counts of
   * the HTTP modes) is recorded in `session_end`.
   */
  beforeEnd?: (
    logPath: string,
  ) => Promise<Pick<SessionEndEvent, "otlp" | "anchor">>;
  /** Called once the log is closed, its last checkpoint written (`--anchor` publishes it, then stops following). */
  afterEnd?: (logPath: string) => void;
  /**
   * Live findings run in other threads: called once per session, it gives
   * that session's sources (the assembly's: the built-in rules in a worker,
   * each plugin's rules in its plugin's worker). Off when absent.
   */
  findingSources?: () => FindingSource[];
}

/** What {@linkcode AuditSession.start} records besides the options. */
export interface SessionStartInfo {
  /** The audited server's process id, when there is one. */
  pid?: number;
  /** The transport, when it was decided after the session was opened. */
  transport?: Transport;
  /** The HTTP session id as a keyed hash. */
  httpSession?: string;
}

/** `Omit` over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K>
  : never;

/** How a session ended, for `session_end`. */
export interface SessionEndInfo {
  reason: SessionEndEvent["reason"];
  exit?: { code: number | null; signal: string | null };
  failure?: string;
  stderr?: { bytes: number; loggedBytes: number };
  /**
   * With `--otlp`: called once every event has been through the plugins,
   * before `session_end` is made; it flushes the export and gives what
   * was sent and dropped, recorded in `session_end`.
   */
  otlp?: () => Promise<SessionEndEvent["otlp"]>;
  /** With `--anchor`: the checkpoints published, failed and dropped so far, recorded in `session_end`. */
  anchor?: () => Promise<SessionEndEvent["anchor"]>;
}

/** Where the log hands each event's line, once the session is made. */
interface LineTap {
  observe?: (event: CorrelatedEvent, line: string) => void;
}

/** A byte stream's way into the audit: chunks in, events out. */
export interface ByteTap {
  /** Audits a chunk; returns a promise to await when the audit queue is full. */
  push(chunk: Uint8Array): Promise<void> | undefined;
  /** The stream ended: a last line without a newline is audited too. */
  end(): void;
}

const encoder = new TextEncoder();

/** Server stderr held back at most while waiting for the end of a line. */
const MAX_HELD_STDERR = 64 * 1024;
/** What stands in the log for a held stderr line that the log's bound cut short. */
export const WITHHELD_STDERR =
  "[WITHHELD: a stderr line cut short by the log's bound]";

/**
 * An open audit session.
 *
 * @example Auditing two messages given as objects
 * ```ts
 * import { AuditSession } from "./audit_session.ts";
 * import assert from "node:assert/strict";
 *
 * const logPath = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const session = await AuditSession.open({ logPath });
 * session.start();
 * session.message("c2s", { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo" } });
 * session.message("s2c", { jsonrpc: "2.0", id: 1, result: { content: [] } });
 * const end = await session.end({ reason: "client_closed" });
 * assert.equal(end.summary.toolCalls, 1);
 * await Deno.remove(logPath);
 * ```
 */
export class AuditSession {
  /** The session id (`mcp.session.id`). */
  readonly session: string;
  /** The log being written. */
  readonly logPath: string;
  #log: EventLog;
  #correlator: Correlator;
  #sink: AuditSink;
  #options: AuditSessionOptions;
  #parse: { maxParseBytes: number };
  #maxPayloadBytes: number;
  #started = performance.now();
  #command: string[];
  #ended: Promise<SessionEndEvent> | undefined;
  #sealer: Sealer;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Server stderr not yet recorded: the line being written. */
  #stderrHeld = "";
  #live: LiveFindings | undefined;

  private constructor(
    session: string,
    logPath: string,
    log: EventLog,
    sealer: Sealer,
    options: AuditSessionOptions,
    lines: LineTap = {},
  ) {
    this.session = session;
    this.logPath = logPath;
    this.#log = log;
    this.#options = options;
    this.#command = options.command ?? ["in-process"];
    this.#correlator = new Correlator({ session });
    this.#sealer = sealer;
    if (options.findingRules || options.findingSources) {
      this.#live = new LiveFindings({
        rules: options.findingRules,
        sources: options.findingSources?.(),
        onFindings: (found, source) => {
          for (const f of found) this.#logFinding(f, source.fromLog === true);
        },
        onWarning: options.onWarning,
      });
      const live = this.#live;
      lines.observe = (event, line): void => {
        try {
          live.observe(event as unknown as Record<string, unknown>, line);
        } catch (error) {
          this.#options.onWarning?.(`live findings failed (${error})`);
        }
      };
    }
    this.#sink = new AuditSink(log, {
      processor: options.processor,
      checkpointEvery: options.seal === false
        ? undefined
        : sealer.checkpointEvery,
      base: () => this.#correlator.base(),
      afterRelay: options.afterRelay,
    });
    this.#maxPayloadBytes = maxPayload(options);
    this.#parse = {
      maxParseBytes: Math.max(
        options.maxParseBytes ?? 512 * 1024,
        maxPayload(options),
      ),
    };
  }

  #logFinding(
    f: {
      rule: string;
      severity: FindingEvent["severity"];
      title: string;
      explanation: string;
      seqs: number[];
      entities: { type: string; value: string }[];
      value?: string;
    },
    fromLog: boolean,
  ): void {
    const event: FindingEvent = {
      ...this.#correlator.base(),
      kind: "finding",
      rule: f.rule,
      severity: f.severity,
      title: f.title,
      explanation: f.explanation,
      seqs: f.seqs,
      entities: f.entities,
    };
    if (f.value !== undefined) event.value = f.value;
    // A built-in rule's finding holds only logged values: not redacted again.
    if (fromLog) (event as { [FROM_LOG]?: true })[FROM_LOG] = true;
    this.#sink.accept(event as unknown as CorrelatedEvent);
  }

  /** Opens the log; throws `LogOpenError` when it cannot be opened. */
  static async open(options: AuditSessionOptions = {}): Promise<AuditSession> {
    const session = crypto.randomUUID();
    const logPath = options.logPath ??
      `${options.logDir ?? defaultLogDir()}/${
        sessionLogName(
          options.command ?? ["in-process"],
          new Date(),
          session,
          options.name,
        )
      }`;
    const sealing = {
      signingKey: options.signingKey,
      checkpointEvery: options.checkpointEvery,
      checkpointSeconds: options.checkpointSeconds,
    };
    const sealer = new Sealer(session, sealing);
    const writing = {
      rotateBytes: options.rotateBytes,
      followSymlink: options.followSymlink,
      session,
      onWarning: options.onWarning,
    };
    const created = await ensureLogDir(logPath);
    if (created) {
      options.onWarning?.(`created the log directory "${created}" (mode 0700)`);
    }
    // Live findings take each event with its line, as the log makes it.
    const lines: LineTap = {};
    const live = options.findingRules || options.findingSources;
    const log = await (options.thread ? ThreadLog : LocalLog).open(logPath, {
      ...writing,
      seal: options.seal === false ? undefined : sealing,
      maxPayloadBytes: maxPayload(options),
      ...(live && {
        onLine: (event: CorrelatedEvent, line: string) =>
          lines.observe?.(event, line),
      }),
    });
    const audit = new AuditSession(
      session,
      logPath,
      log,
      sealer,
      options,
      lines,
    );
    options.onLogOpen?.(logPath);
    return audit;
  }

  /** Writes `session_start`; `pid` is the audited server's, when there is one. */
  start(info: SessionStartInfo = {}): void {
    this.#started = performance.now();
    const event: SessionStartEvent = {
      ...this.#correlator.base(),
      kind: "session_start",
      command: this.#command,
      proxyPid: Deno.pid,
      cwd: Deno.cwd(),
      proxy: { name: NAME, version: VERSION },
    };
    if (this.#options.seal !== false) event.chainStart = this.#sealer.start;
    if (info.pid !== undefined) event.pid = info.pid;
    const transport = info.transport ?? this.#options.transport;
    if (transport) event.transport = transport;
    if (this.#options.upstream) event.upstream = this.#options.upstream;
    if (info.httpSession) event.httpSession = info.httpSession;
    // A URL is the --upstream default for the file name, not the client's name for the server.
    const name = this.#options.name;
    if (name && !name.includes("://")) event.serverName = name;
    this.#sink.accept(event);
    // Checkpoints by time too, so a quiet session is still covered soon.
    this.#timer = setInterval(
      () => this.#sink.checkpoint(),
      this.#sealer.checkpointSeconds * 1000,
    );
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  /**
   * A tap for one direction's raw bytes. Audit failures become warnings,
   * never exceptions. With `reusedChunks`, the caller may reuse a chunk's
   * buffer once `push` has returned.
   */
  tap(dir: Direction, options: { reusedChunks?: boolean } = {}): ByteTap {
    let wait: Promise<void> | undefined;
    const splitter = new LineSplitter((frame) => {
      wait = this.#acceptFrame(dir, frame) ?? wait;
    }, {
      maxLineBytes: this.#options.maxLineBytes,
      reusedChunks: options.reusedChunks,
      // A line that will be skimmed or truncated is hashed and skimmed as
      // it comes.
      hashFrom: this.#parse.maxParseBytes,
      skimFrom: this.#parse.maxParseBytes,
    });
    const warn = (what: string, error: unknown): void =>
      this.#options.onWarning?.(
        `auditing failed ${what} (${error}); the bytes were relayed unchanged`,
      );
    return {
      push(chunk: Uint8Array): Promise<void> | undefined {
        wait = undefined;
        try {
          splitter.push(chunk);
        } catch (error) {
          warn(`on a ${dir} chunk`, error);
        }
        return wait;
      },
      end(): void {
        try {
          splitter.end();
        } catch (error) {
          warn(`at the end of the ${dir} stream`, error);
        }
      },
    };
  }

  /**
   * Audits one whole message's bytes (an HTTP body or an SSE event's data,
   * which may span lines), with the HTTP exchange it travelled in and (as
   * for {@linkcode AuditSession.message}) what the transport knew of it. Audit
   * failures become warnings; a promise means the queue is full.
   */
  frame(
    dir: Direction,
    bytes: Uint8Array,
    http?: HttpExchange,
    context?: FrameContext,
  ): Promise<void> | undefined {
    try {
      return this.#acceptFrame(
        dir,
        { bytes, length: bytes.length },
        context,
        http,
      );
    } catch (error) {
      this.#options.onWarning?.(`auditing a ${dir} message failed (${error})`);
      return undefined;
    }
  }

  /** Parses and correlates one frame and queues its events; a promise means the queue is full. */
  #acceptFrame(
    dir: Direction,
    frame: Frame,
    context?: FrameContext,
    http?: HttpExchange,
  ): Promise<void> | undefined {
    let wait: Promise<void> | undefined;
    try {
      for (
        const event of this.#correlator.frame(
          dir,
          frame,
          parseFrame(frame, this.#parse),
          context,
        )
      ) {
        if (http && "dir" in event && event.kind !== "invalid") {
          (event as { http?: HttpExchange }).http = http;
        }
        wait = this.#sink.accept(event as CorrelatedEvent) ?? wait;
      }
    } finally {
      // A frame whose payload is truncated when logged is truncated from its
      // bytes then (unless it was skimmed): keep a copy of reused bytes.
      if (
        frame.transient && !frame.skimmed &&
        frame.length > this.#maxPayloadBytes
      ) frame.bytes = frame.bytes.slice();
    }
    return wait;
  }

  /**
   * Audits one whole line (without its newline) and returns the events it
   * made, for the guard, which reads a request's classes from them (see
   * {@linkcode processed}) before it forwards the line. `http`, for a
   * message that travelled over HTTP, is logged on its events as
   * {@linkcode frame} logs it, and `context` too (the 2026 Mcp-* headers).
   */
  line(
    dir: Direction,
    bytes: Uint8Array,
    http?: HttpExchange,
    context?: FrameContext,
  ): {
    events: CorrelatedEvent[];
    wait: Promise<void> | undefined;
  } {
    const events: CorrelatedEvent[] = [];
    let wait: Promise<void> | undefined;
    try {
      const frame: Frame = { bytes, length: bytes.length };
      for (
        const event of this.#correlator.frame(
          dir,
          frame,
          parseFrame(frame, this.#parse),
          context,
        )
      ) {
        if (http && "dir" in event && event.kind !== "invalid") {
          (event as { http?: HttpExchange }).http = http;
        }
        events.push(event as CorrelatedEvent);
        wait = this.#sink.accept(event as CorrelatedEvent) ?? wait;
      }
    } catch (error) {
      this.#options.onWarning?.(
        `auditing a ${dir} line failed (${error}); it was relayed unchanged`,
      );
    }
    return { events, wait };
  }

  /** Resolves when `event` has been through the plugin pipeline (classes and entities filled in). */
  processed(event: CorrelatedEvent): Promise<void> {
    return this.#sink.processed(event);
  }

  /**
   * Records an event of the proxy's own (a guard decision, a tool change),
   * numbered and sealed like every other.
   */
  record(
    event: DistributiveOmit<DecisionEvent | ToolChangeEvent, keyof EventBase>,
  ): void {
    this.#sink.accept(
      { ...this.#correlator.base(), ...event } as CorrelatedEvent,
    );
  }

  /**
   * Audits one message given as an object (as an SDK transport carries it);
   * `context` adds what the transport knew of it (an HTTP request's MCP
   * headers, logged on its request event and redacted as arguments are).
   */
  message(
    dir: Direction,
    message: unknown,
    context?: FrameContext,
  ): Promise<void> | undefined {
    try {
      const bytes = encoder.encode(JSON.stringify(message));
      return this.#acceptFrame(dir, { bytes, length: bytes.length }, context);
    } catch (error) {
      this.#options.onWarning?.(`auditing a ${dir} message failed (${error})`);
      return undefined;
    }
  }

  /**
   * Records text the server wrote on stderr, by whole lines: a write ends
   * anywhere, and a secret split across two writes must reach redaction
   * in one piece. A private key block is held until its END line. The rest
   * of a line is held until its newline (or {@linkcode MAX_HELD_STDERR}),
   * and the last one is recorded at the session's end.
   */
  stderr(text: string): void {
    if (!text) return;
    const all = this.#stderrHeld + text;
    const cut = stderrCut(all);
    this.#stderrHeld = all.slice(cut);
    if (cut > 0) this.#recordStderr(all.slice(0, cut));
  }

  #recordStderr(text: string): void {
    this.#sink.accept({ ...this.#correlator.base(), kind: "stderr", text });
  }

  /** Requests not answered so far. */
  pending(): Pending[] {
    return this.#correlator.pending();
  }

  /** The handshake as learnt so far. */
  get handshake(): HandshakeInfo {
    return this.#correlator.handshake;
  }

  /** Every log file written, in order (more than one after rotation). */
  get logPaths(): string[] {
    return this.#log.paths;
  }

  /** Events lost to failed log writes so far. */
  get lostEvents(): number {
    return this.#log.lost;
  }

  /**
   * Drains the queue, writes `session_end` with the summary and closes the
   * log. Calling it again returns the same event.
   */
  end(info: SessionEndInfo): Promise<SessionEndEvent> {
    this.#ended ??= this.#end(info);
    return this.#ended;
  }

  async #end(info: SessionEndInfo): Promise<SessionEndEvent> {
    if (this.#stderrHeld) {
      // Cut by the bound, the last line may end inside a secret.
      const cut = info.stderr !== undefined &&
        info.stderr.loggedBytes < info.stderr.bytes;
      this.#recordStderr(cut ? WITHHELD_STDERR : this.#stderrHeld);
      this.#stderrHeld = "";
    }
    await this.#sink.drain();
    if (this.#live) {
      try {
        await this.#live.final();
      } catch (error) {
        this.#options.onWarning?.(`live findings failed (${error})`);
      }
      await this.#sink.drain();
    }
    const counts = info.otlp || info.anchor
      ? undefined
      : await this.#options.beforeEnd?.(this.logPath).catch(() => undefined);
    const otlp = info.otlp
      ? await info.otlp().catch(() => undefined)
      : counts?.otlp;
    const anchor = info.anchor
      ? await info.anchor().catch(() => undefined)
      : counts?.anchor;
    const summary: Summary = this.#sink.summary.build(
      performance.now() - this.#started,
    );
    const handshake = this.#correlator.handshake;
    const event: SessionEndEvent = {
      ...this.#correlator.base(),
      kind: "session_end",
      reason: info.reason,
      exit: info.exit ?? { code: null, signal: null },
      summary,
      pending: this.#correlator.pending(),
      stderr: info.stderr ?? { bytes: 0, loggedBytes: 0 },
    };
    if (info.failure) event.failure = info.failure;
    if (otlp) event.otlp = otlp;
    if (anchor) event.anchor = anchor;
    if (handshake.protocolVersion) {
      event.protocolVersion = handshake.protocolVersion;
    }
    if (handshake.client) event.client = handshake.client;
    if (handshake.server) event.server = handshake.server;
    if (handshake.protocolEra) event.protocolEra = handshake.protocolEra;
    clearInterval(this.#timer);
    this.#sink.accept(event);
    // The final checkpoint covers the whole session, session_end included.
    this.#sink.checkpoint({ force: true });
    await this.#sink.drain();
    await this.#log.close();
    this.#options.afterEnd?.(this.logPath);
    return event;
  }
}

/**
 * Where held stderr text can be recorded up to: after its last newline,
 * but before an unfinished private key block; everything once too much is
 * held (at a line or a space when there is one).
 */
function stderrCut(text: string): number {
  let cut = text.lastIndexOf("\n") + 1;
  const begin = text.lastIndexOf("-----BEGIN ");
  if (begin >= 0 && text.indexOf("-----END ", begin) < 0) {
    cut = Math.min(cut, text.lastIndexOf("\n", begin) + 1);
  }
  if (text.length - cut <= MAX_HELD_STDERR) return cut;
  const space = Math.max(
    text.lastIndexOf("\n"),
    text.lastIndexOf(" "),
    text.lastIndexOf("\t"),
  );
  return space > 0 ? space + 1 : text.length;
}

function maxPayload(options: AuditSessionOptions): number {
  return options.maxPayloadBytes ?? 64 * 1024;
}
