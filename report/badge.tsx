/**
 * A classification badge: READ blue, SENSITIVE purple, WRITE amber, custom
 * labels neutral. The plugin that gave the label is in the tooltip.
 *
 * @module
 */
import type { VNode } from "preact";
import { inline, labelClass } from "./_text.ts";

/** Props of {@linkcode Badge}. */
export interface BadgeProps {
  label: string;
  /** Where the label came from; shown as the tooltip. */
  sources?: string[];
  /** A count shown after the label. */
  count?: number;
}

/**
 * Renders one classification label.
 *
 * @example
 * ```tsx
 * import { render } from "preact-render-to-string";
 * import { Badge } from "./badge.tsx";
 * import assert from "node:assert/strict";
 *
 * assert.match(render(<Badge label="WRITE" />), /class="badge write"/);
 * ```
 */
export function Badge({ label, sources, count }: BadgeProps): VNode {
  return (
    <span
      class={labelClass(label)}
      title={sources?.length
        ? `${inline(label, 60)} — from ${
          sources.map((s) => inline(s, 80)).join(", ")
        }`
        : undefined}
    >
      {inline(label, 40)}
      {count !== undefined && <span class="badge-count">{count}</span>}
    </span>
  );
}
