/**
 * What `mcp-audit report` runs: read the logs, verify them with the same
 * code as `mcp-audit verify`, render the report, write the HTML file.
 *
 * @module
 */
import {
  NoAuditEventsError,
  readLog,
  type SkippedLine,
} from "../lib/log/log_reader.ts";
import {
  type LineLocation,
  verifyLogs,
  type VerifyReport,
} from "../lib/evidence/verify.ts";
import type { VerifyKey } from "../lib/seal/signing_key.ts";
import { renderReportModel, reportModel } from "./render.tsx";
import { attachProofDownloads } from "./_finding_downloads.ts";
import type { FindingRule } from "../lib/findings/finding.ts";
import type { ReportVerification } from "./_integrity_model.ts";

/** Options for {@linkcode writeReport}. */
export interface WriteReportOptions {
  /**
   * Verify the logs (hash chain, tree roots, signatures) and show the
   * verdict at the top of the page; `false` skips it and the page says so.
   * @default {true}
   */
  verify?: boolean;
  /**
   * Check the checkpoints' signatures with this key, as `verify --pubkey`
   * does; without it signed checkpoints are "signed, signature not checked".
   * @default {undefined}
   */
  publicKey?: VerifyKey;
  /**
   * The finding rules (the config's `findings` settings applied).
   * @default {BUILTIN_RULES}
   */
  findingRules?: readonly FindingRule[];
}

const defaults = { verify: true } satisfies WriteReportOptions;

/** What {@linkcode writeReport} did. */
export interface WriteReportResult {
  /** The HTML file written. */
  outPath: string;
  /** Events in the report. */
  events: number;
  /** Lines skipped while reading the logs. */
  skipped: SkippedLine[];
  /** What the verifier said, as the page shows it; absent with `verify: false`. */
  verification?: VerifyReport;
}

/**
 * Reads the audit logs at `logPaths`, verifies them and writes one HTML
 * report to `outPath`. A log that fails verification is still rendered,
 * with the verdict at the top and its tampered events marked; the caller
 * decides what that means for its exit status.
 *
 * @param logPaths JSONL audit logs, in session order; several sessions
 *   merge into one report.
 * @param outPath Where to write the HTML.
 * @param options Whether to verify, and the key to check signatures with.
 * @returns The path written, the number of events, the skipped lines and
 *   the verifier's report.
 * @throws {Error} `LogReadError` when a log cannot be read, and
 *   {@linkcode NoAuditEventsError} when one holds no audit event.
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
 * assert.equal(result.verification?.status, "incomplete", "no hashes: nothing to check");
 * assert.match(await Deno.readTextFile(`${dir}/r.html`), /<!DOCTYPE html>/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeReport(
  logPaths: string[],
  outPath: string,
  options: WriteReportOptions = {},
): Promise<WriteReportResult> {
  const o = { ...defaults, ...options };
  const events: unknown[] = [];
  const locations: LineLocation[] = [];
  const skipped: SkippedLine[] = [];
  for (const path of logPaths) {
    const read = await readLog(path);
    if (read.events.length === 0) {
      throw new NoAuditEventsError(path, read.skipped.length);
    }
    // readLog keeps every line as an event or lists it as skipped, both in
    // line order: the lines not skipped are the events' lines, in turn.
    const skippedLines = new Set(read.skipped.map((s) => s.line));
    let line = 0;
    for (const event of read.events) {
      do line++; while (skippedLines.has(line));
      events.push(event);
      locations.push({ path, line });
    }
    skipped.push(...read.skipped);
  }
  let verification: ReportVerification;
  let report: VerifyReport | undefined;
  if (o.verify) {
    report = await verifyLogs(logPaths, { publicKey: o.publicKey });
    verification = { report, locations };
  } else {
    verification = { skipped: "--no-verify was given" };
  }
  const logs = sessionLogs(events, locations);
  const render = {
    skipped,
    sources: logPaths.map((p) => p.split(/[\\/]/).pop() ?? p),
    verification,
    findingRules: o.findingRules,
    sessionLogs: logs,
  };
  const model = reportModel(events, render);
  // Each finding's proofs, to download from the page (a sealed log's).
  await attachProofDownloads(model.findings, logs, sealedSessions(events));
  const html = renderReportModel(model, render);
  // The page holds what the log holds: as private as the log (0600).
  await Deno.writeTextFile(outPath, html, { mode: 0o600 });
  await Deno.chmod(outPath, 0o600).catch(() => {});
  return {
    outPath,
    events: events.length,
    skipped,
    ...(report ? { verification: report } : {}),
  };
}

/** Each sealed session's (one with a checkpoint) number of events. */
function sealedSessions(events: readonly unknown[]): Map<string, number> {
  const counts = new Map<string, number>();
  const sealed = new Set<string>();
  for (const e of events) {
    const { session, kind } = e as { session?: unknown; kind?: unknown };
    if (typeof session !== "string") continue;
    counts.set(session, (counts.get(session) ?? 0) + 1);
    if (kind === "checkpoint") sealed.add(session);
  }
  return new Map([...counts].filter(([s]) => sealed.has(s)));
}

/** Each session's log files, in the order read: where its events' lines are. */
function sessionLogs(
  events: readonly unknown[],
  locations: readonly LineLocation[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  events.forEach((e, i) => {
    const session = (e as { session?: unknown })?.session;
    if (typeof session !== "string") return;
    const path = locations[i].path;
    const paths = out.get(session);
    if (!paths) out.set(session, [path]);
    else if (!paths.includes(path)) paths.push(path);
  });
  return out;
}
