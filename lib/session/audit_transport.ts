/**
 * The in-process way into the audit: wraps an MCP SDK transport so that
 * every message it carries becomes the same events, through the same
 * pipeline, into the same log as the stdio proxy writes. Messages are
 * audited as objects (no bytes to split), then forwarded unchanged.
 *
 * Only SDK types are imported, so importing this module loads no SDK code.
 *
 * @module
 */
// Only to check, at compile time, that the SDK's transports fit ours.
// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Assert } from "../util/_type_check.ts";
import { AuditSession, type SessionEndInfo } from "./audit_session.ts";
import type { ConfigInput } from "../config/config.ts";
import type { Direction, SessionEndEvent } from "../audit/event.ts";
import type { Plugin } from "../plugin/plugin.ts";
import { assembleAudit, type AuditRules } from "./assembly.ts";
import { escapeControls } from "../util/terminal_text.ts";

/** Options for {@linkcode McpTransport.send}, as the MCP SDK defines them. */
export interface McpTransportSendOptions {
  /** The incoming request this message belongs to. */
  relatedRequestId?: string | number;
  /** A token to continue a long-running request that was interrupted. */
  resumptionToken?: string;
  /** Called when the resumption token changes. */
  onresumptiontoken?: (token: string) => void;
}

/**
 * An MCP transport as the `@modelcontextprotocol/sdk` defines it (its
 * `Transport` interface), written out so that this package's types do not
 * depend on the SDK's: every SDK transport is an `McpTransport`, and an
 * {@linkcode AuditedTransport} can be given wherever the SDK takes a
 * `Transport`. Messages are JSON-RPC message objects, typed `unknown` here.
 */
export interface McpTransport {
  /** Starts processing messages; the SDK calls it inside `connect`. */
  start(): Promise<void>;
  /** Sends a JSON-RPC message. */
  send(message: unknown, options?: McpTransportSendOptions): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;
  /** Called when the connection closed, for any reason. */
  onclose?: (() => void) | undefined;
  /** Called when an error occurs; errors are not necessarily fatal. */
  onerror?: ((error: Error) => void) | undefined;
  /** Called with each message received, and with request details from transports that have them. */
  onmessage?(message: unknown, extra?: unknown): void;
  /** The session id, on transports that have one. */
  sessionId?: string | undefined;
  /** Sets the negotiated protocol version; present on transports that use it. */
  setProtocolVersion?: ((version: string) => void) | undefined;
}

/** What is audited and where it goes: the options {@linkcode auditTransport} and `AuditLogger` share. */
export interface AuditOptions {
  /**
   * The log file, appended to (created with mode 0600). Without it, each
   * session gets a new file in `logDir`, named by start time.
   */
  logPath?: string;
  /**
   * Where a new log goes when `logPath` is not given.
   * @default {config.logDir ?? defaultLogDir()}
   */
  logDir?: string;
  /**
   * The classifier config, as an object or the path of an `mcp-audit.jsonc`
   * (relative plugin paths resolve from the file's directory, or from the
   * working directory for an object). It is loaded, and its plugins set up,
   * exactly as `mcp-audit proxy --config` does. Unlike the CLI, no file is
   * read implicitly from the working directory.
   * @default {{}} (the built-in plugins without rules)
   */
  config?: ConfigInput | string;
  /**
   * Plugins to run instead of those the config names, in this order; they
   * are used as given (their `setup` is not called).
   */
  plugins?: Plugin[];
  /**
   * Messages larger than this have their payload truncated in the log.
   * @default {config.maxPayloadBytes ?? 65536}
   */
  maxPayloadBytes?: number;
  /**
   * What is audited, for the log file's name and `session_start`'s `command`.
   * @default {["in-process"]}
   */
  command?: string[];
  /**
   * Receives warning sentences: failed log writes, failing plugins, audit
   * errors. Warnings never interrupt the conversation.
   * @default {writes "mcp-audit: <message>" once per message to stderr}
   */
  onWarning?: (message: string) => void;
}

/** Options for {@linkcode auditTransport}. */
export interface AuditTransportOptions extends AuditOptions {
  /**
   * Which end of the conversation the wrapped transport belongs to. On the
   * client side sent messages are `c2s` and received ones `s2c`; on the
   * server side the reverse.
   * @default {"client"}
   */
  side?: "client" | "server";
}

/**
 * A transport that audits every message it sends and receives; give it to
 * the SDK's `Client.connect` or `McpServer.connect` in place of the
 * transport it wraps.
 */
export interface AuditedTransport extends McpTransport {
  /** The log being written; `undefined` until `start()` has opened it. */
  readonly logPath: string | undefined;
  /**
   * Resolves with the `session_end` event once the log is complete: after
   * `close()`, or after the wrapped transport closed by itself (the peer
   * went away). Resolves with `undefined` when the audit never started or
   * could not be ended (a warning says why). Never rejects.
   */
  readonly ended: Promise<SessionEndEvent | undefined>;
}

/**
 * Opens an audit session for in-process use through the one assembly the
 * CLI uses too (a `ConfigError`, `PluginLoadError` or
 * `KeyFileError` is thrown here), then opens the log (a `LogOpenError`).
 * Internal to the library; `auditTransport` and `AuditLogger` are its
 * public faces.
 */
export async function openAuditSession(
  options: AuditOptions,
  rules: AuditRules = {},
): Promise<AuditSession> {
  const onWarning = options.onWarning ?? stderrWarnings();
  const { session } = await assembleAudit({
    config: options.config,
    plugins: options.plugins,
    rules,
    onWarning,
  });
  return await AuditSession.open({
    ...session,
    logPath: options.logPath,
    logDir: options.logDir ?? session.logDir,
    command: options.command,
    maxPayloadBytes: options.maxPayloadBytes ?? session.maxPayloadBytes,
    onWarning,
  });
}

const encoder = new TextEncoder();

/** The default warning handler: `mcp-audit: <message>` on stderr, each message once. Internal. */
export function stderrWarnings(): (message: string) => void {
  const seen = new Set<string>();
  return function warnOnStderr(message: string): void {
    if (seen.has(message)) return;
    seen.add(message);
    try {
      Deno.stderr.writeSync(
        encoder.encode(`mcp-audit: ${escapeControls(message)}\n`),
      );
    } catch {
      // No stderr to write to: nothing else can be done without breaking the conversation.
    }
  };
}

type MessageHandler = (message: unknown, extra?: unknown) => void;

// Our transport types and the SDK's must stay interchangeable both ways.
type _FitsTheSdk = [
  Assert<Transport extends McpTransport ? true : false>,
  Assert<AuditedTransport extends Transport ? true : false>,
];

/**
 * Wraps an `@modelcontextprotocol/sdk` transport (client or server side,
 * stdio, Streamable HTTP, in-memory, ...) so that every message through it
 * is audited with the same pipeline, log and summary as `mcp-audit proxy`.
 * One line in your code: connect through the wrapper instead of the
 * transport.
 *
 * The log is opened, the config loaded and `session_start` written when the
 * SDK calls `start()` (inside `connect`); if that fails, `start()` rejects
 * with `ConfigError`, `PluginLoadError` or `LogOpenError` and the wrapped
 * transport is never started, so nothing is spoken unaudited. From then on,
 * auditing never breaks the conversation: audit failures become warnings.
 * Sent messages are audited, then sent; received messages are audited, then
 * delivered. `close()` writes `session_end` (reason `client_closed`) with
 * the summary before it resolves; when the wrapped transport closes by
 * itself, `ended` tells when the log is complete. Transport-specific methods
 * (such as `handleRequest` of a Streamable HTTP server transport) stay on
 * the wrapped transport.
 *
 * @param transport The SDK transport to audit, not started yet.
 * @param options The side, the log, the config or plugins.
 * @returns A transport to pass to `connect` in place of `transport`.
 *
 * @example An audited in-memory client and server
 * ```ts
 * import { auditTransport } from "./audit_transport.ts";
 * import { Client } from "@modelcontextprotocol/sdk/client/index.js";
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
 * import assert from "node:assert/strict";
 *
 * const logPath = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const server = new McpServer({ name: "demo", version: "1.0.0" });
 * server.registerTool("ping", {}, () => ({ content: [{ type: "text", text: "pong" }] }));
 * const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
 * await server.connect(serverSide);
 *
 * const transport = auditTransport(clientSide, {
 *   logPath,
 *   config: { rules: { read: ["ping"] } },
 * });
 * const client = new Client({ name: "example", version: "1.0.0" });
 * await client.connect(transport);
 * await client.callTool({ name: "ping" });
 * await client.close();
 *
 * const end = await transport.ended;
 * assert.equal(end?.summary.toolCalls, 1);
 * assert.deepEqual(end?.summary.toolClasses, { READ: ["ping"] });
 * assert.equal(end?.client?.name, "example");
 * await Deno.remove(logPath);
 * ```
 */
export function auditTransport(
  transport: McpTransport,
  options: AuditTransportOptions = {},
): AuditedTransport {
  return new AuditingTransport(transport, options);
}

class AuditingTransport implements AuditedTransport {
  #inner: McpTransport;
  #options: AuditTransportOptions;
  #sent: Direction;
  #received: Direction;
  #session: AuditSession | undefined;
  #onmessage: MessageHandler | undefined;
  #onclose: (() => void) | undefined;
  #onerror: ((error: Error) => void) | undefined;
  #closing = false;
  #ending: Promise<SessionEndEvent | undefined> | undefined;
  #resolveEnded!: (event: SessionEndEvent | undefined) => void;
  #warnedUnstarted = false;
  #onWarning: (message: string) => void;
  readonly ended: Promise<SessionEndEvent | undefined>;

  constructor(inner: McpTransport, options: AuditTransportOptions) {
    this.#inner = inner;
    this.#onWarning = options.onWarning ?? stderrWarnings();
    this.#options = { ...options, onWarning: this.#onWarning };
    const server = options.side === "server";
    this.#sent = server ? "s2c" : "c2s";
    this.#received = server ? "c2s" : "s2c";
    this.ended = new Promise((resolve) => this.#resolveEnded = resolve);
    inner.onmessage = this.#receive;
    inner.onclose = this.#innerClosed;
    inner.onerror = this.#innerError;
  }

  get logPath(): string | undefined {
    return this.#session?.logPath;
  }

  get onmessage(): MessageHandler | undefined {
    return this.#onmessage;
  }
  set onmessage(handler: MessageHandler | undefined) {
    this.#onmessage = handler;
  }

  get onclose(): (() => void) | undefined {
    return this.#onclose;
  }
  set onclose(handler: (() => void) | undefined) {
    this.#onclose = handler;
  }

  get onerror(): ((error: Error) => void) | undefined {
    return this.#onerror;
  }
  set onerror(handler: ((error: Error) => void) | undefined) {
    this.#onerror = handler;
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }
  set sessionId(id: string | undefined) {
    this.#inner.sessionId = id;
  }

  /** Present exactly when the wrapped transport has it: the SDK tests for it. */
  get setProtocolVersion(): ((version: string) => void) | undefined {
    const inner = this.#inner;
    if (!inner.setProtocolVersion) return undefined;
    return function setProtocolVersion(version: string): void {
      inner.setProtocolVersion?.(version);
    };
  }

  async start(): Promise<void> {
    // Opening the log can fail; then nothing has been said and the caller is told.
    this.#session = await openAuditSession(this.#options);
    this.#session.start();
    try {
      await this.#inner.start();
    } catch (error) {
      await this.#end({
        reason: "proxy_error",
        failure: `the wrapped transport failed to start: ${error}`,
      });
      throw error;
    }
  }

  async send(
    message: unknown,
    options?: McpTransportSendOptions,
  ): Promise<void> {
    const wait = this.#audit(this.#sent, message);
    if (wait) await wait;
    return await this.#inner.send(message, options);
  }

  async close(): Promise<void> {
    this.#closing = true;
    try {
      await this.#inner.close();
    } finally {
      await this.#end({ reason: "client_closed" });
    }
  }

  #audit(dir: Direction, message: unknown): Promise<void> | undefined {
    const session = this.#session;
    if (!session || this.#ending) {
      if (!this.#warnedUnstarted) {
        this.#warnedUnstarted = true;
        this.#warn(
          `a ${dir} message went through the transport ${
            session ? "after the audit ended" : "before start()"
          }; it was forwarded but not audited`,
        );
      }
      return undefined;
    }
    return session.message(dir, message);
  }

  #receive: MessageHandler = (message, extra) => {
    // Backpressure cannot reach a push-style callback; the sink queues instead.
    this.#audit(this.#received, message);
    this.#onmessage?.(message, extra);
  };

  #innerClosed = (): void => {
    if (this.#session) {
      // Unless close() was called, the peer went away: a server side's client, a client side's server.
      const reason: SessionEndInfo["reason"] =
        this.#closing || this.#options.side === "server"
          ? "client_closed"
          : "server_exited";
      void this.#end({ reason });
    }
    this.#onclose?.();
  };

  #innerError = (error: Error): void => {
    this.#onerror?.(error);
  };

  #end(info: SessionEndInfo): Promise<SessionEndEvent | undefined> {
    this.#ending ??= this.#endSession(info);
    return this.#ending;
  }

  async #endSession(
    info: SessionEndInfo,
  ): Promise<SessionEndEvent | undefined> {
    let event: SessionEndEvent | undefined;
    try {
      event = await this.#session?.end(info);
    } catch (error) {
      this.#warn(`ending the audit session failed (${error})`);
    }
    this.#resolveEnded(event);
    return event;
  }

  #warn(message: string): void {
    try {
      this.#onWarning(message);
    } catch {
      // A throwing warning handler must not break the conversation either.
    }
  }
}
