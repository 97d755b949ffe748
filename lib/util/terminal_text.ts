/**
 * Text made safe for a terminal: what the CLI prints includes tool names,
 * session ids and messages that came from a server, a client or a log, and
 * a control character in them (an escape sequence that sets the window
 * title, clears the screen or moves the cursor; a carriage return that
 * overwrites a line; a bidirectional override that reorders it) would act
 * on the user's terminal instead of being read.
 *
 * @module
 */

// C0 controls but tab and newline, DEL, C1 controls, and the Unicode
// bidirectional overrides and isolates.
const CONTROLS =
  // deno-lint-ignore no-control-regex -- finding control characters is the point
  /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

// The JSON escape, so that `--json` output stays valid JSON meaning the same.
function escaped(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * Replaces every control character but tab and newline with its JSON
 * escape (`\u001b`, `\u202e`), so that it is shown, not obeyed; inside a
 * JSON string the escape means the same character, so JSON output stays
 * valid.
 *
 * @example
 * ```ts
 * import { escapeControls } from "./terminal_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(escapeControls("tool \x1b]0;pwned\x07 ok\n"), "tool \\u001b]0;pwned\\u0007 ok\n");
 * assert.equal(escapeControls("a\rb\u202ec"), "a\\u000db\\u202ec");
 * const json = JSON.stringify({ tool: "x\u009by" });
 * assert.deepEqual(JSON.parse(escapeControls(json)), { tool: "x\u009by" });
 * assert.equal(escapeControls("plain\ttext"), "plain\ttext");
 * ```
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, escaped);
}
