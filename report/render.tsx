/**
 * The report's last stage: events -> one self-contained HTML document. The
 * body is rendered with Preact on the server; the stylesheet and the one
 * script are inlined and allowed by hash in a strict Content-Security-Policy;
 * the timeline data is embedded as JSON that cannot leave its script element.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { render } from "preact-render-to-string";
import type { SkippedLine } from "../lib/log/log_reader.ts";
import { buildReportModel, type ReportModel } from "./model.ts";
import { ReportPage } from "./page.tsx";
import { REPORT_CSS } from "./styles.ts";
import { CLIENT_SCRIPT } from "./client_script.ts";
import type { PageData } from "./_page_script.ts";
import type { ReportVerification } from "./_integrity_model.ts";
import type { FindingRule } from "../lib/findings/finding.ts";
import { proveCommandLine } from "../lib/evidence/finding_proof.ts";

/** Options for {@linkcode renderReport}. */
export interface RenderReportOptions {
  /**
   * The page title.
   * @default {"MCP audit report"}
   */
  title?: string;
  /**
   * Lines of the logs that were skipped, listed at the top of the report.
   * @default {[]}
   */
  skipped?: SkippedLine[];
  /**
   * The log files the events came from.
   * @default {[]}
   */
  sources?: string[];
  /**
   * When the report was made.
   * @default {new Date()}
   */
  generatedAt?: Date;
  /**
   * What `verifyLogs` said about the log the events were read from (with
   * each event's file and line, so the failures' events are marked), or why
   * it was not verified. Without it the page says the events were not
   * verified.
   * @default {undefined}
   */
  verification?: ReportVerification;
  /**
   * Each session's log files, by session id: with them, every finding
   * shows the `mcp-audit prove` command that proves its events.
   * @default {undefined}
   */
  sessionLogs?: ReadonlyMap<string, readonly string[]>;
  /**
   * The finding rules (the config's `findings` settings applied).
   * @default {BUILTIN_RULES}
   */
  findingRules?: readonly FindingRule[];
}

const defaults = {
  title: "MCP audit report",
  skipped: [] as SkippedLine[],
  sources: [] as string[],
} satisfies RenderReportOptions;

/**
 * Escapes JSON text for a `<script type="application/json">` element: `<`,
 * `>` and `&` (so no `</script>` or `<!--` can appear), and every
 * character past U+00FF (U+2028/U+2029 among them) as a `\uXXXX` escape.
 * The result is still valid JSON with the same value, and it holds only
 * Latin-1 characters, so the page it goes into is kept one byte per
 * character (see {@linkcode latin1}).
 *
 * @example
 * ```ts
 * import { embedJson } from "./render.tsx";
 * import assert from "node:assert/strict";
 *
 * const text = embedJson({ s: "</script><!--\u2028 \u{1F600} caf\u00e9" });
 * assert.doesNotMatch(text, /[<>&\u0100-\uffff]/);
 * assert.deepEqual(JSON.parse(text), { s: "</script><!--\u2028 \u{1F600} caf\u00e9" });
 * ```
 */
export function embedJson(value: unknown): string {
  const json = JSON.stringify(value);
  return latin1(
    json.replace(
      /[<>&\u0100-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    ),
    json,
  );
}

/**
 * `text` (which holds no character past U+00FF) as a string V8 keeps one
 * byte per character. A string made from one that held wider characters
 * (as `replace` makes) stays two bytes per character, whatever it holds;
 * one such part makes the whole page twice its size in memory (the
 * report bench's page: 62 MB instead of 31). A round trip through UTF-8
 * makes it anew, one byte per character. `source` is what `text` was made
 * from: when it held no wide character, neither does `text`'s storage.
 */
function latin1(text: string, source: string): string {
  if (!/[\u0100-\uffff]/.test(source)) return text;
  return decoder.decode(encoder.encode(text));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * HTML text with every character past U+00FF as a character reference
 * (`&#x1f600;`), kept one byte per character (see {@linkcode latin1}). For
 * the page's body, which has no `<script>` or `<style>` element, where a
 * reference would not be read as one.
 */
function latin1Html(html: string): string {
  return latin1(
    html.replace(
      /[\u0100-\u{10ffff}]/gu,
      (c) => `&#x${c.codePointAt(0)!.toString(16)};`,
    ),
    html,
  );
}

/** Timeline rows embedded per JSON text: the page's data is made a batch at a time. */
const ROWS_PER_PART = 2000;

/**
 * The page's data as JSON texts to join, escaped as {@linkcode embedJson}
 * escapes: the rows a batch at a time (last), so no JSON text of every row
 * is made before the page (as JSON.stringify over them all would, two
 * bytes per character where any row holds a wide one).
 */
function pageDataParts(model: ReportModel): string[] {
  const head = embedJson(
    {
      v: 1,
      sessions: model.sessions.map((s) => ({ l: s.label, id: s.id })),
      tools: model.tools,
      entities: model.entities.map((e) => [e.type, e.value]),
      findings: model.findings.map((f) =>
        f.value === undefined
          ? [f.sessionIndex, f.seqs]
          : [f.sessionIndex, f.seqs, f.value]
      ),
    } satisfies Omit<PageData, "rows">,
  );
  const parts = [`${head.slice(0, -1)},"rows":[`];
  const rows = model.rows;
  for (let i = 0; i < rows.length; i += ROWS_PER_PART) {
    const batch = embedJson(rows.slice(i, i + ROWS_PER_PART));
    parts.push(`${i === 0 ? "" : ","}${batch.slice(1, -1)}`);
  }
  parts.push("]}");
  return parts;
}

/**
 * The SHA-256 source expression for an inline element's text, as CSP wants it.
 *
 * @example
 * ```ts
 * import { cspHash } from "./render.tsx";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cspHash(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
 * ```
 */
export function cspHash(text: string): string {
  return `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
}

/**
 * The Content-Security-Policy of the report: nothing may load from anywhere;
 * only the inlined stylesheet and script (by hash) and data: images run.
 */
export function reportCsp(): string {
  return [
    "default-src 'none'",
    `style-src ${cspHash(REPORT_CSS)}`,
    `script-src ${cspHash(CLIENT_SCRIPT)}`,
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Renders audit events as one self-contained HTML document.
 *
 * @param events Audit events (`AuditEvent`s, as `readLogs` returns them);
 *   anything that is not an event object is ignored.
 * @param options Title, skipped lines and source file names.
 * @returns The HTML document.
 *
 * @example
 * ```ts
 * import { renderReport } from "./render.tsx";
 * import assert from "node:assert/strict";
 *
 * const html = renderReport([], { title: "Empty" });
 * assert.match(html, /^<!DOCTYPE html>/);
 * assert.match(html, /Content-Security-Policy/);
 * ```
 */
export function renderReport(
  events: readonly unknown[],
  options: RenderReportOptions = {},
): string {
  return renderReportModel(reportModel(events, options), options);
}

/**
 * The first half of {@linkcode renderReport}: the report's model of
 * `events`, each finding with its `mcp-audit prove` command when
 * `options.sessionLogs` names its log. `writeReport` adds the findings'
 * proofs to it before {@linkcode renderReportModel} renders it.
 *
 * @example
 * ```ts
 * import { reportModel } from "./render.tsx";
 * import assert from "node:assert/strict";
 *
 * const model = reportModel([{ v: 1, seq: 0, ts: "2026-01-01T00:00:00.000Z", session: "s",
 *   kind: "stderr", text: "hi" }]);
 * assert.equal(model.eventCount, 1);
 * ```
 */
export function reportModel(
  events: readonly unknown[],
  options: RenderReportOptions = {},
): ReportModel {
  const model = buildReportModel(
    events,
    options.verification,
    options.findingRules,
  );
  const logs = options.sessionLogs;
  if (logs) {
    for (const f of model.findings) {
      const paths = logs.get(f.session);
      if (paths) f.prove = proveCommandLine(f, paths);
    }
  }
  return model;
}

/**
 * The second half of {@linkcode renderReport}: the page of a model.
 *
 * @example
 * ```ts
 * import { renderReportModel, reportModel } from "./render.tsx";
 * import assert from "node:assert/strict";
 *
 * const html = renderReportModel(reportModel([{ v: 1, seq: 0, ts: "2026-01-01T00:00:00.000Z",
 *   session: "s", kind: "stderr", text: "hi" }]), { title: "T" });
 * assert.match(html, /<title>T<\/title>/);
 * ```
 */
export function renderReportModel(
  model: ReportModel,
  options: RenderReportOptions = {},
): string {
  const o = {
    ...defaults,
    ...options,
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
  };
  const body = latin1Html(render(
    <ReportPage
      model={model}
      title={o.title}
      sources={o.sources}
      skipped={o.skipped}
      generatedAt={o.generatedAt}
    />,
  ));
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${reportCsp()}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<link rel="icon" href="data:,">',
    `<title>${latin1Html(escapeHtml(o.title))}</title>`,
    `<style>${REPORT_CSS}</style>`,
    "</head>",
    "<body>",
    body,
    `<script type="application/json" id="report-data">${
      pageDataParts(model).join("")
    }</script>`,
    `<script>${CLIENT_SCRIPT}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
