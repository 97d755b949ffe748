/**
 * How `mcp-audit tail` shows a tool call: one line (time, tool, classes,
 * arguments, status, duration) and the entities indented below; and a
 * finding the proxy logged, on one line of its own. Both are coloured
 * as the report colours them (SENSITIVE purple, WRITE amber, errors red,
 * READ blue). Every string from a server, a client or a plugin is escaped
 * for the terminal before colour is added, so only our own escape
 * sequences reach it.
 *
 * @module
 */
import { escapeControls } from "../util/terminal_text.ts";
import type { LiveCall, LiveFinding } from "./tool_call_feed.ts";

/** Options for {@linkcode formatCall}. */
export interface FormatCallOptions {
  /**
   * Add ANSI colour (SGR) codes.
   * @default {false}
   */
  colour?: boolean;
  /**
   * Characters of the argument summary before it is cut with `…`.
   * @default {80}
   */
  argumentChars?: number;
}

const defaults = {
  colour: false,
  argumentChars: 80,
} satisfies FormatCallOptions;

/** SGR codes by meaning, the report's colours in the 16 a terminal has. */
const SGR: Readonly<Record<string, string>> = {
  SENSITIVE: "35",
  WRITE: "33",
  DESTRUCTIVE: "31",
  READ: "34",
  error: "31",
  ok: "32",
  dim: "2",
};

/**
 * The lines that show `call`: the call, then its entities (when it has
 * any) indented on a second line.
 *
 * @example
 * ```ts
 * import { formatCall } from "./tail_text.ts";
 * import assert from "node:assert/strict";
 *
 * const call = { session: "s", seq: 1, ts: "2026-01-01T00:00:00.000Z", tool: "get_pay\x1b[2J",
 *   classes: ["SENSITIVE"], arguments: { employee_id: "E003" }, status: "ok" as const,
 *   durationMs: 4.2, entities: [{ type: "employee", value: "E003" }] };
 * const plain = formatCall(call);
 * assert.match(plain[0], /get_pay\\u001b\[2J +SENSITIVE +employee_id="E003" +ok +4ms$/);
 * assert.equal(plain[1].trim(), "employee E003");
 * assert.match(formatCall(call, { colour: true })[0], /\x1b\[35mSENSITIVE\x1b\[0m/);
 * ```
 */
export function formatCall(
  call: LiveCall,
  options: FormatCallOptions = {},
): string[] {
  const o = { ...defaults, ...options };
  const paint = (code: string | undefined, text: string): string =>
    o.colour && code ? `\x1b[${code}m${text}\x1b[0m` : text;
  const failed = call.status === "error" || call.status === "tool_error";
  const time = clock(call.ts);
  const classes = call.classes.map((c) => paint(SGR[c], safe(c))).join(" ");
  const status = call.status === "ok"
    ? paint(SGR.ok, "ok")
    : call.status === "error"
    ? paint(SGR.error, `error ${safe(call.error ?? "")}`.trim())
    : call.status === "tool_error"
    ? paint(SGR.error, "tool error")
    : call.status === "cancelled"
    ? "cancelled"
    : paint(SGR.dim, "no answer");
  const parts = [
    paint(SGR.dim, time),
    paint(failed ? SGR.error : undefined, safe(call.tool)),
    ...(classes ? [classes] : []),
    safe(argumentSummary(call.arguments, o.argumentChars)),
    status,
    ...(call.durationMs === undefined ? [] : [ms(call.durationMs)]),
  ].filter((p) => p !== "");
  const lines = [parts.join("  ")];
  if (call.entities.length > 0) {
    lines.push(
      `${" ".repeat(time.length + 2)}${
        call.entities.map((e) => `${safe(e.type)} ${safe(e.value)}`).join(
          ", ",
        )
      }`,
    );
  }
  return lines;
}

/** SGR codes of the finding severities: high red, medium amber, low blue. */
const SEVERITY_SGR: Readonly<Record<string, string>> = {
  high: "1;31",
  medium: "33",
  low: "34",
};

/**
 * The line that shows a finding the proxy logged: the time, `FINDING`, its
 * severity, rule and title, and the seqs it rests on.
 *
 * @example
 * ```ts
 * import { formatFinding } from "./tail_text.ts";
 * import assert from "node:assert/strict";
 *
 * const finding = { session: "s", seq: 9, ts: "2026-01-01T00:00:00.000Z", rule: "unseen-identifier",
 *   severity: "medium", title: "lookup was called with E999\x1b[2J", seqs: [5, 6] };
 * assert.match(formatFinding(finding), /FINDING  medium  unseen-identifier: lookup was called with E999\\u001b\[2J  \(seq 5, 6\)$/);
 * assert.match(formatFinding(finding, { colour: true }), /\x1b\[33mFINDING  medium\x1b\[0m/);
 * ```
 */
export function formatFinding(
  finding: LiveFinding,
  options: Pick<FormatCallOptions, "colour"> = {},
): string {
  const paint = (code: string | undefined, text: string): string =>
    options.colour && code ? `\x1b[${code}m${text}\x1b[0m` : text;
  return [
    paint(SGR.dim, clock(finding.ts)),
    paint(SEVERITY_SGR[finding.severity], `FINDING  ${safe(finding.severity)}`),
    `${safe(finding.rule)}: ${safe(finding.title)}`,
    `(seq ${finding.seqs.join(", ")})`,
  ].join("  ");
}

/** Escaped for the terminal, and kept on one line. */
function safe(text: string): string {
  return escapeControls(text).replace(/\n/g, "\\n").replace(/\t/g, "\\t");
}

/**
 * A call's arguments in one short line: `key=value, ...` with values as
 * JSON, cut with `…` after `max` characters.
 */
function argumentSummary(args: unknown, max: number): string {
  let text: string;
  if (args === undefined) text = "";
  else if (typeof args === "object" && args !== null && !Array.isArray(args)) {
    text = Object.entries(args).map(([k, v]) => `${k}=${json(v)}`).join(", ");
  } else text = json(args);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function clock(ts: string): string {
  const d = new Date(ts);
  if (!Number.isFinite(d.getTime())) return "--:--:--";
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${
    p(d.getMilliseconds(), 3)
  }`;
}

function ms(value: number): string {
  return value < 10
    ? `${Math.round(value)}ms`
    : value < 1000
    ? `${Math.round(value)}ms`
    : `${(value / 1000).toFixed(1)}s`;
}
