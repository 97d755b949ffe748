/**
 * What `mcp-audit report` runs: read the logs, render the report, write the
 * HTML file.
 *
 * @module
 */
import { readLogs, type SkippedLine } from "../lib/log/log_reader.ts";
import { renderReport } from "./render.tsx";

/** What {@linkcode writeReport} did. */
export interface WriteReportResult {
  /** The HTML file written. */
  outPath: string;
  /** Events in the report. */
  events: number;
  /** Lines skipped while reading the logs. */
  skipped: SkippedLine[];
}

/**
 * Reads the audit logs at `logPaths` and writes one HTML report to `outPath`.
 *
 * @param logPaths JSONL audit logs; several sessions merge into one report.
 * @param outPath Where to write the HTML.
 * @returns The path written, the number of events and the skipped lines.
 * @throws {LogReadError} When a log cannot be read.
 *
 * @example
 * ```ts
 * import { writeReport } from "./write_report.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.jsonl`, '{"v":1,"seq":0,"kind":"stderr","session":"s","ts":"2025-01-01T00:00:00Z","text":"hi"}\n');
 * const result = await writeReport([`${dir}/a.jsonl`], `${dir}/r.html`);
 * assert.equal(result.events, 1);
 * assert.match(await Deno.readTextFile(`${dir}/r.html`), /<!DOCTYPE html>/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeReport(
  logPaths: string[],
  outPath: string,
): Promise<WriteReportResult> {
  const { events, skipped } = await readLogs(logPaths);
  const html = renderReport(events, {
    skipped,
    sources: logPaths.map((p) => p.split(/[\\/]/).pop() ?? p),
  });
  await Deno.writeTextFile(outPath, html);
  return { outPath, events: events.length, skipped };
}
