/**
 * The report's only script, inlined in the page and allowed by its hash in
 * the Content-Security-Policy: the source text of
 * {@linkcode reportPageScript} (typed, checked and linted in
 * `_page_script.ts`), called with the patterns and names it shares with the
 * server-rendered page, so each of them is declared once.
 *
 * @module
 */
import { type PageScriptConfig, reportPageScript } from "./_page_script.ts";
import {
  HIDDEN_CHARS,
  LINE_BREAK,
  REDACTED_TITLE,
  REDACTION_MARKER,
  TAB,
} from "./_text.ts";
import { KNOWN_LABELS } from "./_order.ts";

const config: PageScriptConfig = {
  hidden: { source: HIDDEN_CHARS.source, flags: HIDDEN_CHARS.flags },
  redaction: { source: REDACTION_MARKER.source, flags: REDACTION_MARKER.flags },
  lineBreak: { source: LINE_BREAK.source, flags: LINE_BREAK.flags },
  tab: { source: TAB.source, flags: TAB.flags },
  labelOrder: KNOWN_LABELS,
  redactedTitle: REDACTED_TITLE,
};

/**
 * The script text: `reportPageScript`'s source, called with its config. The
 * function's text is what the runtime holds, from source and in the bundle
 * alike (the bundle is not minified, and the function refers to nothing
 * outside itself, so renaming elsewhere cannot reach into it).
 *
 * @example
 * ```ts
 * import { CLIENT_SCRIPT } from "./client_script.ts";
 * import assert from "node:assert/strict";
 *
 * assert.doesNotMatch(CLIENT_SCRIPT, /innerHTML|<\/script/i);
 * assert.match(CLIENT_SCRIPT, /REDACTED:/);
 * ```
 */
export const CLIENT_SCRIPT: string = `"use strict";\n(${reportPageScript})(${
  JSON.stringify(config)
});\n`;
