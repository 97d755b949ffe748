/**
 * Tool usage: each tool with its classification badges, calls, errors and
 * durations, and the per label totals above it. A tool name filters the
 * timeline to that tool.
 *
 * @module
 */
import type { VNode } from "preact";
import type { ReportModel } from "./model.ts";
import { Badge } from "./badge.tsx";
import { formatCount, formatDuration, inline } from "./_text.ts";

/** Props of {@linkcode ToolUsageSection}. */
export interface ToolUsageProps {
  model: ReportModel;
}

/**
 * Renders the tool usage breakdown.
 *
 * @example
 * ```tsx
 * import { render } from "preact-render-to-string";
 * import { buildReportModel } from "./model.ts";
 * import { ToolUsageSection } from "./tool_usage.tsx";
 * import assert from "node:assert/strict";
 *
 * assert.match(render(<ToolUsageSection model={buildReportModel([])} />), /No tool calls/);
 * ```
 */
export function ToolUsageSection({ model }: ToolUsageProps): VNode {
  const max = model.toolUsage.reduce((m, u) => Math.max(m, u.calls), 1);
  return (
    <section id="tools" aria-labelledby="tools-h">
      <h2 id="tools-h">Tool usage</h2>
      {model.labels.length > 0 && (
        <p class="label-totals">
          {model.labels.map((l) => (
            <span class="label-total" data-label={l.label} data-calls={l.calls}>
              <Badge label={l.label} />
              <span>
                {formatCount(l.calls)} {l.calls === 1 ? "call" : "calls"} ·{" "}
                {formatCount(l.tools)} {l.tools === 1 ? "tool" : "tools"}
              </span>
            </span>
          ))}
        </p>
      )}
      {model.toolUsage.length === 0
        ? <p class="empty">No tool calls in this log.</p>
        : (
          <div class="table-wrap">
            <table class="tools">
              <thead>
                <tr>
                  <th scope="col">Tool</th>
                  <th scope="col">Classification</th>
                  <th scope="col" class="num">Calls</th>
                  <th scope="col" class="num">Errors</th>
                  <th scope="col" class="num">Avg time</th>
                  <th scope="col" class="num">Entities</th>
                </tr>
              </thead>
              <tbody>
                {model.toolUsage.map((u) => (
                  <tr
                    key={u.index}
                    data-tool={u.name}
                    data-calls={u.calls}
                    data-errors={u.errors}
                  >
                    <td class="tool-name">
                      <button
                        type="button"
                        class="link tool-filter"
                        data-t={u.index}
                        title="Show this tool's calls in the timeline"
                      >
                        {inline(u.name, 80)}
                      </button>
                    </td>
                    <td>
                      <div class="badges">
                        {u.labels.map((l) => (
                          <Badge
                            label={l.label}
                            sources={l.sources}
                            count={l.calls === u.calls ? undefined : l.calls}
                          />
                        ))}
                      </div>
                    </td>
                    <td class="num">
                      <span class="calls">
                        <svg
                          class="bar"
                          viewBox="0 0 100 8"
                          preserveAspectRatio="none"
                          aria-hidden="true"
                        >
                          <rect
                            width={Math.max(1, Math.round(u.calls / max * 100))}
                            height="8"
                            rx="2"
                          />
                        </svg>
                        {formatCount(u.calls)}
                      </span>
                    </td>
                    <td class={u.errors ? "num err" : "num"}>
                      {formatCount(u.errors)}
                    </td>
                    <td class="num">
                      {formatDuration(
                        u.timed ? u.totalMs / u.timed : undefined,
                      )}
                    </td>
                    <td class="num">{formatCount(u.entities.length)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </section>
  );
}
