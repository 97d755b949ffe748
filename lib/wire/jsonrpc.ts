/**
 * Stage 2: frames -> JSON-RPC messages. Decodes a frame as strict UTF-8,
 * parses it, and sorts it into request, notification, response or error
 * (one per element for a batch), or says why it is not a JSON-RPC message.
 *
 * @module
 */
import type { Frame } from "./line_splitter.ts";
import { skimObject } from "./_skim.ts";
import { sha256Hex, type Truncated } from "./payload.ts";
import { isRawNumber, parseExact, type RawNumber } from "./raw_number.ts";
import type { DuplicateKey } from "./duplicate_keys.ts";
import { parseLosses } from "./_parse_losses.ts";

export type { DuplicateKey, RawNumber };

/**
 * A JSON-RPC id as it appeared on the wire. A number id that a JavaScript
 * number cannot hold (past 2^53, say) is a {@linkcode RawNumber} of its
 * exact token.
 */
export type JsonRpcId = string | number | RawNumber | null;

/** A JSON-RPC request: a method with an id. */
export interface JsonRpcRequest {
  type: "request";
  id: JsonRpcId;
  method: string;
  params?: unknown;
  /** For a skimmed frame (params is then a `Truncated` record): `params.name`. */
  paramsName?: string;
  /** Keys that occur more than once in the message (the last one is kept). */
  duplicateKeys?: DuplicateKey[];
}
/** A JSON-RPC notification: a method without an id. */
export interface JsonRpcNotification {
  type: "notification";
  method: string;
  params?: unknown;
  /** Keys that occur more than once in the message (the last one is kept). */
  duplicateKeys?: DuplicateKey[];
}
/** A JSON-RPC success response. */
export interface JsonRpcResponse {
  type: "response";
  id: JsonRpcId;
  result: unknown;
  /** For a skimmed frame (result is then a `Truncated` record): `result.isError`. */
  isError?: boolean;
  /** Keys that occur more than once in the message (the last one is kept). */
  duplicateKeys?: DuplicateKey[];
}
/** A JSON-RPC error response. */
export interface JsonRpcErrorResponse {
  type: "error";
  id: JsonRpcId;
  error: { code: number | RawNumber; message: string; data?: unknown };
  /** Keys that occur more than once in the message (the last one is kept). */
  duplicateKeys?: DuplicateKey[];
}
/** Any JSON-RPC message. */
export type JsonRpcMessage =
  | JsonRpcRequest
  | JsonRpcNotification
  | JsonRpcResponse
  | JsonRpcErrorResponse;

/** Why a frame (or batch element) is not a JSON-RPC message. */
export type InvalidReason =
  | "invalid_json"
  | "not_jsonrpc"
  | "invalid_utf8"
  | "oversized";

/** A frame that is not JSON-RPC, with a bounded excerpt of it. */
export interface InvalidFrame {
  type: "invalid";
  reason: InvalidReason;
  excerpt: string;
}

/** What one frame holds: its messages (several for a batch) or why it is invalid. */
export type ParsedFrame =
  | {
    type: "messages";
    messages: JsonRpcMessage[];
    batch: boolean;
    invalid: InvalidFrame[];
  }
  | InvalidFrame
  | { type: "blank" };

const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const lenientDecoder = new TextDecoder("utf-8");

/** How many characters of an invalid line the log keeps. */
export const EXCERPT_CHARS = 512;

/** Options for {@linkcode parseFrame}. */
export interface ParseFrameOptions {
  /**
   * Frames larger than this are skimmed, not parsed: only the id, method,
   * tool name, isError and error code are read, and the payload is
   * replaced by its size, SHA-256 and a preview.
   * @default {524288}
   */
  maxParseBytes?: number;
  /**
   * Characters of a skimmed frame kept as the preview.
   * @default {1024}
   */
  previewChars?: number;
}

const defaults = {
  maxParseBytes: 512 * 1024,
  previewChars: 1024,
} satisfies ParseFrameOptions;

/**
 * Parses one frame.
 *
 * @example
 * ```ts
 * import { parseFrame } from "./jsonrpc.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
 * const parsed = parseFrame({ bytes, length: bytes.length });
 * assert.equal(parsed.type, "messages");
 * ```
 */
export function parseFrame(
  frame: Frame,
  options: ParseFrameOptions = {},
): ParsedFrame {
  if (frame.oversized) {
    return {
      type: "invalid",
      reason: "oversized",
      excerpt: excerptOf(frame.bytes),
    };
  }
  if (isBlank(frame.bytes)) return { type: "blank" };
  if (
    frame.length > (options.maxParseBytes ?? defaults.maxParseBytes) &&
    firstByte(frame.bytes) === 0x7b
  ) {
    return skim(frame, options.previewChars ?? defaults.previewChars);
  }
  // The lenient decoder is several times faster; only text with a
  // replacement character needs the strict check.
  const text = lenientDecoder.decode(frame.bytes);
  if (text.includes("\uFFFD")) {
    try {
      strictDecoder.decode(frame.bytes);
    } catch {
      return {
        type: "invalid",
        reason: "invalid_utf8",
        excerpt: text.slice(0, EXCERPT_CHARS),
      };
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      type: "invalid",
      reason: "invalid_json",
      excerpt: text.slice(0, EXCERPT_CHARS),
    };
  }
  const losses = parseLosses(text, value);
  const duplicates = losses.duplicates;
  // Rare: a number JSON.parse rounded (or made Infinity) is parsed again,
  // this time kept as its token. Safe-integer ids never come here.
  if (losses.inexact) value = parseExact(text);
  if (Array.isArray(value)) {
    const messages: JsonRpcMessage[] = [];
    const invalid: InvalidFrame[] = [];
    for (let index = 0; index < value.length; index++) {
      const element = value[index];
      const message = toMessage(element);
      if (message) {
        if (duplicates.length > 0) {
          withDuplicates(message, duplicates, `[${index}]`);
        }
        messages.push(message);
      } else invalid.push(notJsonRpc(element));
    }
    if (messages.length === 0) {
      return {
        type: "invalid",
        reason: "not_jsonrpc",
        excerpt: text.slice(0, EXCERPT_CHARS),
      };
    }
    return { type: "messages", messages, batch: true, invalid };
  }
  const message = toMessage(value);
  if (!message) {
    return {
      type: "invalid",
      reason: "not_jsonrpc",
      excerpt: text.slice(0, EXCERPT_CHARS),
    };
  }
  if (duplicates.length > 0) message.duplicateKeys = duplicates;
  return { type: "messages", messages: [message], batch: false, invalid: [] };
}

/** Gives a batch element the duplicates under `prefix`, with paths from the element. */
function withDuplicates(
  message: JsonRpcMessage,
  duplicates: DuplicateKey[],
  prefix: string,
): void {
  const own: DuplicateKey[] = [];
  for (const d of duplicates) {
    if (d.path === prefix) own.push({ path: "", key: d.key });
    else if (d.path.startsWith(prefix + ".")) {
      own.push({ path: d.path.slice(prefix.length + 1), key: d.key });
    }
  }
  if (own.length > 0) message.duplicateKeys = own;
}

function skim(frame: Frame, previewChars: number): ParsedFrame {
  // A long line that spanned reads was skimmed as it was gathered.
  const s = frame.skim ? frame.skim.value : skimObject(frame.bytes);
  frame.skimmed = true;
  if (!s) {
    return {
      type: "invalid",
      reason: "invalid_json",
      excerpt: excerptOf(frame.bytes),
    };
  }
  const payload = (): Truncated => ({
    $truncated: true,
    bytes: frame.length,
    sha256: frame.sha256 ?? sha256Hex(frame.bytes),
    preview: lenientDecoder.decode(frame.bytes.subarray(0, previewChars * 4))
      .slice(0, previewChars),
  });
  const idOk = !s.hasId || isId(s.id);
  let message: JsonRpcMessage | undefined;
  if (s.jsonrpc === "2.0" && idOk) {
    const id = s.id as JsonRpcId;
    if (typeof s.method === "string") {
      if (s.hasId) {
        message = { type: "request", id, method: s.method };
        if (s.hasParams) message.params = payload();
        if (s.paramsName !== undefined) message.paramsName = s.paramsName;
      } else {
        message = { type: "notification", method: s.method };
        if (s.hasParams) message.params = payload();
      }
    } else if (s.hasId && s.hasResult) {
      message = { type: "response", id, result: payload() };
      if (s.isError !== undefined) message.isError = s.isError;
    } else if (
      s.hasId && s.hasError &&
      (typeof s.errorCode === "number" || isRawNumber(s.errorCode))
    ) {
      message = {
        type: "error",
        id,
        error: {
          code: s.errorCode,
          message: typeof s.errorMessage === "string" ? s.errorMessage : "",
          data: payload(),
        },
      };
    }
  }
  if (!message) {
    return {
      type: "invalid",
      reason: "not_jsonrpc",
      excerpt: excerptOf(frame.bytes),
    };
  }
  return { type: "messages", messages: [message], batch: false, invalid: [] };
}

function firstByte(bytes: Uint8Array): number | undefined {
  for (const b of bytes) {
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a) return b;
  }
  return undefined;
}

/**
 * Sorts a parsed JSON value into a JSON-RPC message, or `undefined` when it
 * is not one.
 *
 * @example
 * ```ts
 * import { toMessage } from "./jsonrpc.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(toMessage({ jsonrpc: "2.0", method: "notifications/initialized" })?.type, "notification");
 * assert.equal(toMessage({ hello: "world" }), undefined);
 * ```
 */
export function toMessage(value: unknown): JsonRpcMessage | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return undefined;
  }
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== "2.0") return undefined;
  const hasId = "id" in m;
  const id = m.id;
  if (hasId && !isId(id)) return undefined;
  if (typeof m.method === "string") {
    return hasId
      ? {
        type: "request",
        id: id as JsonRpcId,
        method: m.method,
        params: m.params,
      }
      : { type: "notification", method: m.method, params: m.params };
  }
  if (!hasId) return undefined;
  if ("result" in m) {
    return { type: "response", id: id as JsonRpcId, result: m.result };
  }
  const error = m.error;
  const code = (error as Record<string, unknown> | null)?.code;
  if (
    typeof error === "object" && error !== null &&
    (typeof code === "number" || isRawNumber(code))
  ) {
    const e = error as Record<string, unknown>;
    const out: JsonRpcErrorResponse["error"] = {
      code,
      message: typeof e.message === "string"
        ? e.message
        : isRawNumber(e.message)
        ? e.message.rawJSON
        : String(e.message ?? ""),
    };
    if ("data" in e) out.data = e.data;
    return { type: "error", id: id as JsonRpcId, error: out };
  }
  return undefined;
}

function isId(id: unknown): boolean {
  return typeof id === "string" || typeof id === "number" || id === null ||
    isRawNumber(id);
}

function notJsonRpc(element: unknown): InvalidFrame {
  let text: string;
  try {
    text = JSON.stringify(element) ?? String(element);
  } catch {
    text = String(element);
  }
  return {
    type: "invalid",
    reason: "not_jsonrpc",
    excerpt: text.slice(0, EXCERPT_CHARS),
  };
}

function excerptOf(bytes: Uint8Array): string {
  return lenientDecoder.decode(bytes.subarray(0, EXCERPT_CHARS * 4)).slice(
    0,
    EXCERPT_CHARS,
  );
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (b !== 32 && b !== 9 && b !== 13) return false;
  }
  return true;
}
