/**
 * Log text with the `redact` plugin's markers shown apart: a marker such as
 * `[REDACTED:email:1a2b3c4d]` is what mcp-audit wrote, not what the tool
 * said, so it is set in muted monospace with a tooltip saying so.
 *
 * @module
 */
import { Fragment, type VNode } from "preact";
import { inline, REDACTED_TITLE, splitRedactions } from "./_text.ts";

/** Props of {@linkcode RedactedText}. */
export interface RedactedTextProps {
  /** The raw log text; hidden characters are escaped and it is clipped. */
  text: string;
  /**
   * Most characters shown.
   * @default {160}
   */
  max?: number;
}

/**
 * Renders `text` on one line with redaction markers marked.
 *
 * @example
 * ```tsx
 * import { render } from "preact-render-to-string";
 * import { RedactedText } from "./redacted_text.tsx";
 * import assert from "node:assert/strict";
 *
 * const html = render(<RedactedText text="[REDACTED:email:1a2b3c4d]" />);
 * assert.match(html, /class="redacted" title="redacted by mcp-audit"/);
 * assert.equal(render(<RedactedText text={'say "hi"'} />), "say &quot;hi&quot;");
 * ```
 */
export function RedactedText({ text, max = 160 }: RedactedTextProps): VNode {
  const parts = splitRedactions(inline(text, max));
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1
          ? <span key={i} class="redacted" title={REDACTED_TITLE}>{part}</span>
          // A bare string in the array would be escaped twice by the
          // precompiled JSX (a quote came out as &amp;quot;); a fragment is not.
          : <Fragment key={i}>{part}</Fragment>
      )}
    </>
  );
}
