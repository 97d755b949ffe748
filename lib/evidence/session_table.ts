/**
 * The table `mcp-audit sessions` prints: one row per session, newest
 * first, in columns a terminal keeps aligned.
 *
 * @module
 */
import type { SessionOverview } from "./session_overview.ts";

/**
 * The check column's word for a session: `ok`, `ok, signed` (a signature
 * is there, not checked), `FAILED`, `unsealed`, `gap`, or `truncated`.
 *
 * @example
 * ```ts
 * import { checkWord } from "./session_table.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkWord({ status: "ok", lines: 2, from: "checkpoint", signed: true }), "ok, signed");
 * assert.equal(checkWord({ status: "failed", lines: 2, from: "checkpoint", signed: false, problem: "x" }), "FAILED");
 * ```
 */
export function checkWord(check: SessionOverview["check"]): string {
  switch (check.status) {
    case "ok":
      return check.signed ? "ok, signed" : "ok";
    case "failed":
      return "FAILED";
    default:
      return check.status;
  }
}

/**
 * Renders sessions as a table with a header; times are local. Failed
 * checks are explained below the table.
 *
 * @example
 * ```ts
 * import { formatSessionTable } from "./session_table.ts";
 * import assert from "node:assert/strict";
 *
 * const text = formatSessionTable([{
 *   session: "1a2b3c4d-0000", paths: ["a.jsonl"], start: "2026-01-01T00:00:00.000Z",
 *   end: "2026-01-01T00:01:05.000Z", durationMs: 65000, client: "claude-code", server: "hr",
 *   label: "hr", transport: "stdio", calls: 3, writes: 1, sensitive: 2, errors: 0,
 *   state: "ended", check: { status: "ok", lines: 2, from: "checkpoint", signed: false },
 * }]);
 * assert.match(text, /^STARTED +DURATION +CLIENT -> SERVER/);
 * assert.match(text, /1m05s +claude-code -> hr +stdio +3 +1 +2 +0 +ended +ok +1a2b3c4d/);
 * ```
 */
export function formatSessionTable(sessions: SessionOverview[]): string {
  const header = [
    "STARTED",
    "DURATION",
    "CLIENT -> SERVER",
    "TRANSPORT",
    "CALLS",
    "WRITES",
    "SENSITIVE",
    "ERRORS",
    "STATE",
    "LOG CHECK",
    "SESSION",
  ];
  const rows = sessions.map((s) => [
    s.start ? localTime(new Date(s.start)) : "?",
    duration(s.durationMs),
    oneLine(`${s.client ?? "?"} -> ${s.server ?? s.label}`),
    oneLine(s.transport),
    String(s.calls),
    String(s.writes),
    String(s.sensitive),
    String(s.errors),
    s.state,
    checkWord(s.check),
    s.session.slice(0, 8),
  ]);
  const numeric = new Set([4, 5, 6, 7]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  const lines = [header, ...rows].map((r) =>
    r.map((cell, i) =>
      i === r.length - 1
        ? cell
        : numeric.has(i)
        ? cell.padStart(widths[i])
        : cell.padEnd(widths[i])
    ).join("  ")
  );
  for (const s of sessions) {
    if (s.check.status === "failed") {
      lines.push(
        `session ${s.session.slice(0, 8)}: ${s.check.problem} (${
          s.paths.join(", ")
        })`,
      );
    }
  }
  return lines.join("\n");
}

/** A tab or newline from a peer's name would break the row. */
function oneLine(text: string): string {
  return text.replace(/\n/g, "\\n").replace(/\t/g, "\\t");
}

function localTime(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${
    p(d.getHours())
  }:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
