/**
 * The page body: the header with the log files read, the verdict on the
 * log's integrity and the lines skipped, then findings, summary, tool usage, access map and timeline, in the order a
 * reviewer asks their questions.
 *
 * @module
 */
import type { VNode } from "preact";
import type { SkippedLine } from "../lib/log/log_reader.ts";
import type { ReportModel } from "./model.ts";
import { Summary } from "./summary.tsx";
import { FindingsSection } from "./findings.tsx";
import { ToolUsageSection } from "./tool_usage.tsx";
import { AccessMap } from "./access_map.tsx";
import { Timeline } from "./timeline.tsx";
import { IntegrityBanner } from "./integrity.tsx";
import { ToolChanges } from "./tool_changes.tsx";
import { formatCount, formatTime, inline } from "./_text.ts";

/** Props of {@linkcode ReportPage}. */
export interface ReportPageProps {
  model: ReportModel;
  title: string;
  /** Log files the events came from. */
  sources: string[];
  /** Lines of those files that were skipped. */
  skipped: SkippedLine[];
  /** When the report was made (ISO 8601). */
  generatedAt: string;
}

/** Most skipped lines listed one by one. */
const MAX_SKIPPED_LISTED = 50;

/**
 * Renders everything inside `<body>` except the scripts.
 *
 * @example
 * ```tsx
 * import { render } from "preact-render-to-string";
 * import { buildReportModel } from "./model.ts";
 * import { ReportPage } from "./page.tsx";
 * import assert from "node:assert/strict";
 *
 * const html = render(
 *   <ReportPage model={buildReportModel([])} title="Audit" sources={[]} skipped={[]}
 *     generatedAt="2025-01-01T00:00:00Z" />,
 * );
 * assert.match(html, /<h1>Audit<\/h1>/);
 * ```
 */
export function ReportPage(props: ReportPageProps): VNode {
  const { model, skipped } = props;
  return (
    <>
      <header class="top">
        <div>
          <h1>{inline(props.title, 200)}</h1>
          <p class="muted">
            {props.sources.length > 0 && (
              <>
                {props.sources.length === 1 ? "Log " : "Logs "}
                {props.sources.map((s, i) => (
                  <>
                    {i > 0 && ", "}
                    <code>{inline(s, 200)}</code>
                  </>
                ))}
                {" · "}
              </>
            )}
            generated {formatTime(props.generatedAt)} by mcp-audit
          </p>
        </div>
        <nav aria-label="Sections">
          <a href="#findings">Findings</a>
          <a href="#summary">Summary</a>
          <a href="#tools">Tools</a>
          <a href="#access">Data access</a>
          <a href="#timeline">Timeline</a>
        </nav>
      </header>
      <main>
        <IntegrityBanner integrity={model.integrity} />
        {skipped.length > 0 && <Skipped skipped={skipped} />}
        {model.eventCount === 0 && (
          <p class="notice">This log holds no events.</p>
        )}
        <ToolChanges model={model} />
        <FindingsSection model={model} />
        <Summary model={model} />
        <ToolUsageSection model={model} />
        <AccessMap model={model} />
        <Timeline model={model} />
      </main>
    </>
  );
}

function Skipped({ skipped }: { skipped: SkippedLine[] }): VNode {
  const onlyTruncated = skipped.every((s) =>
    s.reason === "truncated last line"
  );
  return (
    <section
      class={onlyTruncated ? "notice" : "notice notice-warn"}
      id="skipped"
      aria-label="Skipped lines"
      data-skipped={skipped.length}
    >
      <strong>
        {formatCount(skipped.length)} {skipped.length === 1 ? "line" : "lines"}
        {" "}
        of the log could not be read and {skipped.length === 1 ? "is" : "are"}
        {" "}
        not in this report.
      </strong>{" "}
      {onlyTruncated &&
        "A truncated last line is normal when the proxy was stopped mid-write."}
      <ul>
        {skipped.slice(0, MAX_SKIPPED_LISTED).map((s) => (
          <li>
            <code>{inline(s.path, 160)}:{s.line}</code> —{" "}
            {inline(s.reason, 200)}
          </li>
        ))}
        {skipped.length > MAX_SKIPPED_LISTED && (
          <li>
            and {formatCount(skipped.length - MAX_SKIPPED_LISTED)} more
          </li>
        )}
      </ul>
    </section>
  );
}
