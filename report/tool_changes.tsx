/**
 * The top of the report when a server's tool definitions changed since
 * they were pinned (a possible rug pull): each change with its diff, and a
 * count of the requests the guard denied.
 *
 * @module
 */
import type { VNode } from "preact";
import type { ReportModel } from "./model.ts";

/** Props of {@linkcode ToolChanges}. */
export interface ToolChangesProps {
  model: ReportModel;
}

/**
 * Renders the changed tool definitions, or nothing when there are none.
 *
 * @example
 * ```tsx
 * import { render } from "preact-render-to-string";
 * import { buildReportModel } from "./model.ts";
 * import { ToolChanges } from "./tool_changes.tsx";
 * import assert from "node:assert/strict";
 *
 * const model = buildReportModel([{ v: 1, seq: 4, ts: "2026-01-01T00:00:00Z", session: "s", kind: "tool_change",
 *   server: "db", added: [], removed: [], changed: [{ tool: "query", fields: ["description"], diff: "description: ..." }], enforced: true }]);
 * assert.match(render(<ToolChanges model={model} />), /query/);
 * assert.equal(render(<ToolChanges model={buildReportModel([])} />), "");
 * ```
 */
export function ToolChanges({ model }: ToolChangesProps): VNode | null {
  if (model.toolChanges.length === 0) return null;
  return (
    <section id="tool-changes" class="tool-changes" aria-labelledby="tc-h">
      <h2 id="tc-h">Tool definitions changed since pinned</h2>
      {model.toolChanges.map((c) => (
        <div>
          <p>
            <span class="badge changed">TOOL CHANGED</span> {c.server}, seq{" "}
            {c.seq}
            {c.enforced ? " (hidden and denied until accepted)" : ""}
          </p>
          {c.added.length > 0 && <p>Added: {c.added.join(", ")}</p>}
          {c.removed.length > 0 && <p>Removed: {c.removed.join(", ")}</p>}
          {c.changed.map((t) => (
            <div>
              <p>Changed: {t.tool}</p>
              <pre>{t.diff}</pre>
            </div>
          ))}
        </div>
      ))}
      {model.denials > 0 && (
        <p>{model.denials} request(s) denied by the policy.</p>
      )}
    </section>
  );
}
