/**
 * Text helpers shared by the report components: hostile log strings are made
 * visible (direction overrides and control characters become escapes) and
 * numbers, durations and times get one format.
 *
 * @module
 */

/**
 * Characters that reorder or hide text: bidi embeddings, overrides and
 * isolates, marks, line and paragraph separators, BOM and C0/C1 controls
 * other than tab and newline.
 */
export const HIDDEN_CHARS: RegExp =
  // deno-lint-ignore no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * Shows hidden characters as visible escapes such as `⟨U+202E⟩`.
 *
 * @example
 * ```ts
 * import { visible } from "./_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(visible("a\u202eb"), "a⟨U+202E⟩b");
 * ```
 */
export function visible(text: string): string {
  return text.replace(
    HIDDEN_CHARS,
    (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}⟩`,
  );
}

/** A line break, shown as `↵` in one-line text. Global, for replacing. */
export const LINE_BREAK: RegExp = /\r?\n/g;

/** A tab, shown as a space in one-line text. Global, for replacing. */
export const TAB: RegExp = /\t/g;

/** One-line display form: hidden characters escaped, newlines shown, clipped. */
export function inline(text: string, max = 160): string {
  const flat = visible(text).replace(LINE_BREAK, "↵").replace(TAB, " ");
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** `1,234` */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** `850 ms`, `4.2 s`, `3 min 12 s`, `1 h 04 min`, or `–` when unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${Math.round(s % 60)} s`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}

/** `2025-06-02 09:00:01 UTC` from an ISO time, or the input made visible. */
export function formatTime(ts: string | undefined): string {
  if (!ts) return "–";
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) return inline(ts, 40);
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")
    .replace(/Z$/, " UTC");
}

/** CSS class for a classification label. */
export function labelClass(label: string): string {
  switch (label) {
    case "READ":
      return "badge read";
    case "SENSITIVE":
      return "badge sensitive";
    case "WRITE":
      return "badge write";
    case "DESTRUCTIVE":
      return "badge destructive";
    default:
      return "badge custom";
  }
}

/**
 * A redaction marker written by the `redact` plugin in place of a secret:
 * `[REDACTED:<type>:<8 hex of a keyed hash>]`. Global, for splitting text.
 */
export const REDACTION_MARKER: RegExp =
  /\[REDACTED:[A-Za-z0-9_.:-]{1,64}:[0-9a-f]{6,64}\]/g;

/** The tooltip on a redaction marker. */
export const REDACTED_TITLE = "redacted by mcp-audit";

/**
 * Splits text into plain parts (even indices) and redaction markers (odd
 * indices), so the markers can be shown apart from what the tool said.
 *
 * @example
 * ```ts
 * import { splitRedactions } from "./_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(splitRedactions("to [REDACTED:email:1a2b3c4d]."), [
 *   "to ",
 *   "[REDACTED:email:1a2b3c4d]",
 *   ".",
 * ]);
 * ```
 */
export function splitRedactions(text: string): string[] {
  return text.split(new RegExp(`(${REDACTION_MARKER.source})`));
}
