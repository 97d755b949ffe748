/**
 * The HTML report, its own export path (`@mcp-audit/mcp-audit/report`) so
 * that importing the proxy or the SDK transport from the main module never
 * loads Preact. {@linkcode renderReport} turns audit events into one
 * self-contained HTML page; {@linkcode writeReport} reads logs and writes it.
 *
 * @example Rendering the events of a log
 * ```ts
 * import { renderReport } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const html = renderReport([
 *   { v: 1, seq: 0, ts: "2025-01-01T00:00:00Z", session: "s", kind: "request", dir: "c2s",
 *     bytes: 10, id: 1, method: "tools/call", tool: "get_pay_info",
 *     params: { name: "get_pay_info", arguments: {} } },
 * ], { title: "Pay" });
 * assert.match(html, /<title>Pay<\/title>/);
 * assert.match(html, /get_pay_info/);
 * ```
 *
 * @module
 */
export { renderReport, type RenderReportOptions } from "./render.tsx";
export { NoAuditEventsError } from "../lib/log/log_reader.ts";
export {
  writeReport,
  type WriteReportOptions,
  type WriteReportResult,
} from "./write_report.ts";
// The types the report's signatures name, so this entry point documents them.
export type { SkippedLine } from "../lib/log/log_reader.ts";
export type { ReportVerification } from "./_integrity_model.ts";
export type { LineLocation, VerifyReport } from "../lib/evidence/verify.ts";
export type { VerifyKey } from "../lib/seal/signing_key.ts";
