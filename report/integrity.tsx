/**
 * The verdict at the top of the page: whether the log can be trusted, as
 * `mcp-audit verify` would say, with the key's fingerprint and every line
 * found wrong.
 *
 * @module
 */
import type { VNode } from "preact";
import type { IntegrityModel } from "./model.ts";
import { formatCount, inline } from "./_text.ts";

/** Props of {@linkcode IntegrityBanner}. */
export interface IntegrityBannerProps {
  integrity: IntegrityModel;
}

/** Most problems listed one by one; `mcp-audit verify` lists them all. */
const MAX_LISTED = 12;

const ICON: Record<IntegrityModel["state"], string> = {
  signed: "✔",
  signature_not_checked: "✔",
  unsigned: "✔",
  incomplete: "◐",
  failed: "✖",
  not_verified: "?",
};

/**
 * Renders the verdict on the log.
 *
 * @example
 * ```tsx
 * import { render } from "preact-render-to-string";
 * import { buildReportModel } from "./model.ts";
 * import { IntegrityBanner } from "./integrity.tsx";
 * import assert from "node:assert/strict";
 *
 * const html = render(<IntegrityBanner integrity={buildReportModel([]).integrity} />);
 * assert.match(html, /id="integrity" data-state="not_verified"/);
 * ```
 */
export function IntegrityBanner({ integrity }: IntegrityBannerProps): VNode {
  const { problems } = integrity;
  const more = Math.max(0, problems.length - MAX_LISTED) + integrity.omitted;
  return (
    <section
      id="integrity"
      data-state={integrity.state}
      class={`integrity integrity-${integrity.state}`}
      aria-labelledby="integrity-h"
    >
      <h2 id="integrity-h">
        <span class="integrity-icon" aria-hidden="true">
          {ICON[integrity.state]}
        </span>
        {integrity.title}
      </h2>
      <p>{integrity.text}</p>
      {integrity.keyIds.length > 0 && (
        <p class="key-ids">
          <span class="peer-label">
            {integrity.state === "signed" ? "Key" : "Key named"}
          </span>{" "}
          {integrity.keyIds.map((k) => (
            <code class="key-id" data-key-id={k}>{inline(k, 80)}</code>
          ))}
        </p>
      )}
      {problems.length > 0 && (
        <ul class="integrity-problems">
          {problems.slice(0, MAX_LISTED).map((p) => (
            <li data-kind={p.kind} data-where={p.where}>
              {p.where && <code>{inline(p.where, 160)}</code>}
              {p.where && " "}
              <strong>{p.kind.replace(/_/g, " ")}</strong>:{" "}
              {inline(p.message, 400)}
            </li>
          ))}
          {more > 0 && (
            <li>
              and {formatCount(more)} more: run <code>mcp-audit verify</code>
              {" "}
              on the log to list them all
            </li>
          )}
        </ul>
      )}
    </section>
  );
}
