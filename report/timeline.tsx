/**
 * The timeline shell: filter controls and the scrolling container. Rows are
 * drawn by the inlined client script from the embedded JSON, only those in
 * view, so a 100,000-event log stays responsive.
 *
 * @module
 */
import type { VNode } from "preact";
import type { ReportModel } from "./model.ts";
import { formatCount } from "./_text.ts";

/** Props of {@linkcode Timeline}. */
export interface TimelineProps {
  model: ReportModel;
}

/**
 * Renders the timeline's filters and container.
 *
 * @example
 * ```tsx
 * import { render } from "preact-render-to-string";
 * import { buildReportModel } from "./model.ts";
 * import { Timeline } from "./timeline.tsx";
 * import assert from "node:assert/strict";
 *
 * assert.match(render(<Timeline model={buildReportModel([])} />), /id="tl-scroll"/);
 * ```
 */
export function Timeline({ model }: TimelineProps): VNode {
  return (
    <section id="timeline" aria-labelledby="timeline-h">
      <div class="section-head">
        <h2 id="timeline-h">Timeline</h2>
        <output id="tl-count" aria-live="polite">
          {formatCount(model.rows.length)} rows
        </output>
      </div>
      <form class="filters" id="filters" role="search">
        {model.sessions.length > 1 && (
          <label>
            <span>Session</span>
            <select id="f-session">
              <option value="-1">All sessions</option>
            </select>
          </label>
        )}
        <label>
          <span>Tool</span>
          <select id="f-tool">
            <option value="-1">All tools</option>
          </select>
        </label>
        <label>
          <span>Class</span>
          <select id="f-class">
            <option value="">All classes</option>
          </select>
        </label>
        <label>
          <span>Entity</span>
          <select id="f-entity">
            <option value="-1">All entities</option>
          </select>
        </label>
        <label class="check">
          <input type="checkbox" id="f-calls" />
          <span>Tool calls only</span>
        </label>
        <label class="check">
          <input type="checkbox" id="f-errors" />
          <span>Errors only</span>
        </label>
        <label class="check">
          <input type="checkbox" id="f-policy" />
          <span>Policy decisions only</span>
        </label>
        <label class="grow">
          <span>Search</span>
          <input
            type="search"
            id="f-text"
            placeholder="Arguments, results, entities…"
            autocomplete="off"
            spellcheck={false}
          />
        </label>
        <button type="button" id="f-clear" class="secondary">Clear</button>
      </form>
      <div class="tl-head" aria-hidden="true">
        <span></span>
        <span>Time</span>
        <span>Session</span>
        <span></span>
        <span>Tool / method</span>
        <span>Classes</span>
        <span>Details</span>
        <span class="num">Duration</span>
      </div>
      <div id="tl-scroll" class="tl-scroll" tabindex={-1}>
        <div id="tl-top"></div>
        <div id="tl-list" role="list" aria-labelledby="timeline-h"></div>
        <div id="tl-bottom"></div>
      </div>
      <noscript>
        <p class="note">
          The interactive timeline needs JavaScript; the summary, tool usage and
          access map above are complete without it.
        </p>
      </noscript>
    </section>
  );
}
