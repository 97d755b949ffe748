/**
 * Tool calls recorded by hand, where there is no transport to wrap (an agent
 * framework calling tools itself, a test harness). Each call becomes the
 * JSON-RPC `tools/call` request and response it stands for, so the same
 * correlator, plugins, classes, entities and summary apply as in the proxy.
 *
 * @module
 */
import type { AuditSession } from "./audit_session.ts";
import {
  type AuditOptions,
  openAuditSession,
  stderrWarnings,
} from "./audit_transport.ts";
import type { SessionEndEvent } from "../audit/event.ts";
import type { Extractor } from "../config/config.ts";

/** Options for {@linkcode AuditLogger.open}: the log and the classifier rules. */
export interface AuditLoggerOptions extends AuditOptions {
  /**
   * Tools to tag SENSITIVE: names or globs (`*`, `?`). Replaces the config's
   * `rules.sensitive`, as `--sensitive-tools` does.
   * @default {config.rules.sensitive ?? []}
   */
  sensitiveTools?: string[];
  /**
   * Tools to tag WRITE: names or globs. Replaces the config's `rules.write`.
   * @default {config.rules.write ?? []}
   */
  writeTools?: string[];
  /**
   * Tools to tag READ: names or globs. Replaces the config's `rules.read`.
   * @default {config.rules.read ?? []}
   */
  readTools?: string[];
  /**
   * Entity extractors, added to the config's `entities`: `{ type, pattern }`
   * with optional `flags`, `in` (`arguments`, `result`) and `tools`.
   * @default {[]}
   */
  entities?: Extractor[];
}

/** One tool call in flight; answer it once with {@linkcode ToolCallRecord.result} or {@linkcode ToolCallRecord.error}. */
export interface ToolCallRecord {
  /** The JSON-RPC id the call was logged with (1, 2, ... per logger). */
  readonly id: number;
  /** The tool's name. */
  readonly tool: string;
  /**
   * Records the tool's result. A `CallToolResult` (an object with `content`,
   * `structuredContent` or `isError`) is logged as it is; a string becomes
   * one text item; any other value becomes a text item of its JSON (and, for
   * an object, its `structuredContent`).
   */
  result(result?: unknown): void;
  /**
   * Records a failure. An error with a numeric `code` and a `message` (a
   * JSON-RPC error, the SDK's `McpError`) is logged as a JSON-RPC error;
   * anything else as a tool result with `isError: true` and the message as
   * its text, as SDK servers report a tool that threw.
   */
  error(error: unknown): void;
}

/**
 * Records tool calls by hand into an audit log: the counterpart of the
 * predecessor's Python `AuditLogger` and `AuditConfig`, writing the same
 * events and summary as the proxy.
 *
 * @example Recording a sensitive call and a failing write
 * ```ts
 * import { AuditLogger } from "./audit_logger.ts";
 * import assert from "node:assert/strict";
 *
 * const logPath = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const log = await AuditLogger.open({
 *   logPath,
 *   sensitiveTools: ["get_pay_info"],
 *   writeTools: ["submit_*"],
 *   entities: [{ type: "employee", pattern: "\\bE\\d{3}\\b" }],
 * });
 * const pay = log.toolCall("get_pay_info", { employee_id: "E003" });
 * pay.result({ content: [{ type: "text", text: "E003 earns 91000 EUR" }] });
 * log.toolCall("submit_time_off", { employee_id: "E999" }).error(new Error("Unknown employee E999"));
 * const end = await log.close();
 *
 * assert.equal(end.summary.toolCalls, 2);
 * assert.equal(end.summary.errors, 1);
 * assert.deepEqual(end.summary.toolClasses, {
 *   SENSITIVE: ["get_pay_info"],
 *   WRITE: ["submit_time_off"],
 * });
 * assert.deepEqual(end.summary.entities.map((e) => e.value).sort(), ["E003", "E999"]);
 * await Deno.remove(logPath);
 * ```
 */
export class AuditLogger {
  /** The log being written. */
  readonly logPath: string;
  /** The session id in every event of this log. */
  readonly session: string;
  #audit: AuditSession;
  #nextId = 1;
  #closed = false;
  #onWarning: (message: string) => void;

  private constructor(
    audit: AuditSession,
    onWarning: (message: string) => void,
  ) {
    this.#audit = audit;
    this.#onWarning = onWarning;
    this.logPath = audit.logPath;
    this.session = audit.session;
  }

  /**
   * Loads the config and plugins, opens the log and writes `session_start`.
   *
   * @param options The log, the config or plugins, and rules added to them.
   * @returns The open logger; `close()` it to write the summary.
   * @throws {ConfigError} When the config file is not valid.
   * @throws {PluginLoadError} When a plugin cannot be loaded.
   * @throws {LogOpenError} When the log cannot be opened.
   */
  static async open(options: AuditLoggerOptions = {}): Promise<AuditLogger> {
    const onWarning = options.onWarning ?? stderrWarnings();
    const audit = await openAuditSession({ ...options, onWarning }, {
      sensitiveTools: options.sensitiveTools,
      writeTools: options.writeTools,
      readTools: options.readTools,
      entities: options.entities,
    });
    audit.start();
    return new AuditLogger(audit, onWarning);
  }

  /**
   * Records the start of a tool call (a `tools/call` request, client to
   * server) and returns its record, to answer with the result or error.
   *
   * @param tool The tool's name.
   * @param args The call's arguments.
   * @returns The call's record.
   */
  toolCall(tool: string, args: Record<string, unknown> = {}): ToolCallRecord {
    const id = this.#nextId++;
    this.#send("c2s", {
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: tool, arguments: args },
    });
    let answered = false;
    const answer = (reply: Record<string, unknown>): void => {
      if (answered) {
        this.#warn(
          `the call to "${tool}" (id ${id}) was answered twice; the second answer is not logged`,
        );
        return;
      }
      answered = true;
      this.#send("s2c", { jsonrpc: "2.0", id, ...reply });
    };
    return {
      id,
      tool,
      result(result?: unknown): void {
        answer({ result: toCallToolResult(result) });
      },
      error(error: unknown): void {
        answer(toErrorReply(error));
      },
    };
  }

  /**
   * Writes `session_end` with the summary (calls never answered are listed
   * as pending) and closes the log. Calling it again returns the same event.
   *
   * @returns The `session_end` event.
   */
  close(): Promise<SessionEndEvent> {
    this.#closed = true;
    return this.#audit.end({ reason: "client_closed" });
  }

  /** Closes the logger at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #send(dir: "c2s" | "s2c", message: Record<string, unknown>): void {
    if (this.#closed) {
      this.#warn(
        `a ${
          message.method ?? "reply"
        } was recorded after close(); it is not logged`,
      );
      return;
    }
    this.#audit.message(dir, message);
  }

  #warn(message: string): void {
    try {
      this.#onWarning(message);
    } catch {
      // Recording must not throw into the caller's tool handling.
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toCallToolResult(value: unknown): Record<string, unknown> {
  if (
    isRecord(value) &&
    (Array.isArray(value.content) || "structuredContent" in value ||
      typeof value.isError === "boolean")
  ) {
    return value;
  }
  if (value === undefined) return { content: [] };
  if (typeof value === "string") {
    return { content: [{ type: "text", text: value }] };
  }
  const text = JSON.stringify(value) ?? String(value);
  return isRecord(value)
    ? { content: [{ type: "text", text }], structuredContent: value }
    : { content: [{ type: "text", text }] };
}

function toErrorReply(error: unknown): Record<string, unknown> {
  if (
    isRecord(error) || error instanceof Error
  ) {
    const e = error as { code?: unknown; message?: unknown; data?: unknown };
    if (typeof e.code === "number" && typeof e.message === "string") {
      // The SDK's McpError prefixes its message; the log keeps what the server said.
      const message = e.message.replace(`MCP error ${e.code}: `, "");
      return {
        error: e.data === undefined
          ? { code: e.code, message }
          : { code: e.code, message, data: e.data },
      };
    }
  }
  const message = error instanceof Error
    ? error.message
    : typeof error === "string"
    ? error
    : JSON.stringify(error) ?? String(error);
  return {
    result: { content: [{ type: "text", text: message }], isError: true },
  };
}
