/**
 * Central proof: the local verifier run over the central store. Each
 * session's stored lines are read back from the events table in seq order
 * and fed, as they are, to the same `LogVerifier` that `mcp-audit verify`
 * runs on a file, so the hash chain, every checkpoint line's tree root and
 * signature are recomputed exactly as locally. Then what only the store
 * has is checked too: every row of the checkpoints table (shipped as each
 * checkpoint was made) against the Merkle root that the stored events give
 * at its tree size and against its signature, which catches events cut off
 * the end of a session; and every column of every row against the line it
 * was taken from, which catches a column edited apart from its line.
 * Findings name the session and seq of the row.
 *
 * @module
 */
import {
  type Finding,
  LogVerifier,
  type VerifyReport,
  type VerifyStatus,
} from "../evidence/verify.ts";
import { findingLabel } from "../evidence/verify_text.ts";
import { checkpointMessage } from "../seal/seal.ts";
import { MerkleBuilder } from "../seal/merkle.ts";
import { canonicalText, isSealedText } from "../seal/sealed_line.ts";
import { leafHash } from "../seal/merkle.ts";
import { consistencyProof, verifyConsistency } from "./consistency_proof.ts";
import type { VerifyKey } from "../seal/signing_key.ts";
import { type ClickHouseStore, sqlString } from "./clickhouse_store.ts";
import { TABLES } from "./fleet_schema.ts";
import {
  dateTimeText,
  DERIVED_COLUMNS,
  type EventRow,
  eventRow,
} from "./event_row.ts";

/** Options for {@linkcode verifyCentral}. */
export interface CentralVerifyOptions {
  /** The sessions to check; with `sinceMs`, those active since then are added. */
  sessions?: string[];
  /** Check every session with an event or checkpoint this many milliseconds old or newer. */
  sinceMs?: number;
  /** Checks signatures with this key (both the checkpoint lines' and the checkpoints table's). */
  publicKey?: VerifyKey;
  /** Fail when a signature cannot be checked. @default {false} */
  requireSignature?: boolean;
  /**
   * A session with no session_end whose newest row is older than this
   * (milliseconds) is reported as gone silent. @default {900000} (15 min)
   */
  silentAfterMs?: number;
  /** The time to measure silence against. @default {Date.now()} */
  now?: number;
}

/** What {@linkcode verifyCentral} returns: the verifier's report, rows named by session and seq. */
export interface CentralReport extends VerifyReport {
  /** The store. */
  store: string;
  /** Event rows read. */
  rows: number;
  /** Rows of the checkpoints table checked. */
  anchoredCheckpoints: number;
  /** RFC 6962 consistency proofs checked between successive anchored heads. */
  consistencyProofs: number;
  /** Sessions without a session_end that shipped nothing for longer than `silentAfterMs`. */
  silent: number;
}

/** An events row as read back: ClickHouse gives its UInt64 `seq` as a string. */
type StoredRow = Omit<EventRow, "seq" | "host" | "user" | "file"> & {
  seq: string | number;
};

interface StoredCheckpoint {
  seq: string | number;
  ts?: string;
  tree_size: string | number;
  root: string;
  head: string;
  key_id: string;
  signature: string;
  line: string;
}

const encoder = new TextEncoder();

/** The sessions to check: given, and active since the boundary. */
async function sessionsToCheck(
  store: ClickHouseStore,
  options: CentralVerifyOptions,
): Promise<string[]> {
  const ids = new Set(options.sessions ?? []);
  if (options.sinceMs !== undefined) {
    const since = sqlString(
      dateTimeText(new Date(Date.now() - options.sinceMs).toISOString()),
    );
    const db = store.database;
    const rows = await store.rows<{ session: string }>(
      `SELECT session FROM (SELECT session FROM ${db}.${TABLES.events} FINAL WHERE ts >= ${since} UNION ALL SELECT session FROM ${db}.${TABLES.checkpoints} FINAL WHERE ts >= ${since}) GROUP BY session ORDER BY session`,
    );
    for (const row of rows) ids.add(row.session);
  }
  return [...ids];
}

function same(a: unknown, b: unknown): boolean {
  // Old servers print a Float64 with its last binary digits (2.889 as
  // 2.8890000000000002): numbers are equal to 15 significant digits.
  if (typeof a === "number" && typeof b === "number") {
    return a.toPrecision(15) === b.toPrecision(15);
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Verifies sessions in the central store. A session with no rows at all
 * is reported as such (`sessions` lacks it; a finding says so).
 *
 * @example
 * ```ts ignore
 * import { ClickHouseStore } from "./clickhouse_store.ts";
 * import { verifyCentral } from "./central_verify.ts";
 *
 * const store = new ClickHouseStore({ url: "http://127.0.0.1:8123" });
 * const report = await verifyCentral(store, { sinceMs: 7 * 86_400_000 });
 * console.log(report.status);
 * await store.close();
 * ```
 */
export async function verifyCentral(
  store: ClickHouseStore,
  options: CentralVerifyOptions = {},
): Promise<CentralReport> {
  const verifier = new LogVerifier({
    publicKey: options.publicKey,
    requireSignature: options.requireSignature,
  });
  const db = store.database;
  const extra: Finding[] = [];
  const seqAt = new Map<string, number[]>();
  let rows = 0;
  let anchored = 0;
  let proofs = 0;
  let silent = 0;
  const silentAfter = options.silentAfterMs ?? 15 * 60_000;
  const now = options.now ?? Date.now();
  const ids = await sessionsToCheck(store, options);
  for (const id of ids) {
    const path = `${store.label}.${TABLES.events} session ${id}`;
    const seqs: number[] = [];
    seqAt.set(path, seqs);
    const note = (f: Omit<Finding, "path" | "session">): void => {
      extra.push({ ...f, path, session: id });
    };
    // What the checkpoints table holds: sizes whose roots are needed.
    const anchors = await store.rows<StoredCheckpoint>(
      `SELECT seq, toString(ts) AS ts, tree_size, root, head, key_id, signature, line FROM ${db}.${TABLES.checkpoints} FINAL WHERE session = ${
        sqlString(id)
      } ORDER BY seq`,
    );
    const wanted = new Set(anchors.map((a) => Number(a.tree_size)));
    const rootAt = new Map<number, string>();
    const lineAt = new Map<number, string>();
    const tree = new MerkleBuilder();
    const leaves: Uint8Array[] = [];
    let ended = false;
    let newest = "";
    if (wanted.has(0)) rootAt.set(0, tree.root().toHex());
    await store.each<StoredRow>(
      `SELECT session, seq, toString(ts) AS ts, kind, direction, method, tool, classes, entities, error, duration_ms, line FROM ${db}.${TABLES.events} FINAL WHERE session = ${
        sqlString(id)
      } ORDER BY seq`,
      async (row) => {
        rows++;
        const seq = Number(row.seq);
        seqs.push(seq);
        const position = seqs.length;
        lineAt.set(seq, row.line);
        if (row.kind === "session_end") ended = true;
        if (row.ts > newest) newest = row.ts;
        await verifier.line(path, position, encoder.encode(row.line), true);
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(row.line);
        } catch {
          return; // The verifier reported it.
        }
        // Columns against the line they were taken from.
        const expected = eventRow(row.line, record, {
          host: "",
          user: "",
          file: "",
        }, 0) as unknown as Record<string, unknown>;
        const stored = { ...row, seq } as unknown as Record<string, unknown>;
        for (const column of DERIVED_COLUMNS) {
          if (!same(stored[column], expected[column])) {
            note({
              line: position,
              seq,
              kind: "edited",
              severity: "failure",
              message: `the row with seq ${seq} has ${column} = ${
                JSON.stringify(stored[column])
              }, but its line says ${
                JSON.stringify(expected[column])
              }: the column was changed in the store`,
            });
          }
        }
        if (record.kind !== "checkpoint" && isSealedText(row.line)) {
          const leaf = leafHash(encoder.encode(canonicalText(row.line)));
          tree.append(leaf);
          leaves.push(leaf);
          if (wanted.has(tree.size)) {
            rootAt.set(tree.size, tree.root().toHex());
          }
        }
      },
    );
    if (seqs.length === 0 && anchors.length === 0) {
      note({
        line: 0,
        kind: "deleted",
        severity: "failure",
        message:
          `session ${id} has no rows in ${store.label}: it was never shipped, or all its rows were deleted`,
      });
      continue;
    }
    // The checkpoints as shipped, against the events as stored.
    for (const anchor of anchors) {
      anchored++;
      const seq = Number(anchor.seq);
      const size = Number(anchor.tree_size);
      const position = seqs.indexOf(seq) + 1;
      const where = `checkpoint seq ${seq} of the checkpoints table`;
      if (size > tree.size) {
        note({
          line: position,
          seq,
          kind: "deleted",
          severity: "failure",
          message:
            `${where} covers ${size} events, but the events table holds only ${tree.size} for this session: events were deleted (the session was cut below a size it had signed)`,
        });
      } else if (rootAt.get(size) !== anchor.root) {
        note({
          line: position,
          seq,
          kind: "forged_checkpoint",
          severity: "failure",
          message:
            `${where} records root ${anchor.root} over ${size} events, but the stored events give ${
              rootAt.get(size)
            }: an event among the first ${size} was edited, deleted or inserted`,
        });
      }
      if (lineAt.get(seq) !== anchor.line) {
        note({
          line: position,
          seq,
          kind: lineAt.has(seq) ? "edited" : "deleted",
          severity: "failure",
          message: lineAt.has(seq)
            ? `the checkpoint line with seq ${seq} in the events table differs from ${where}`
            : `the checkpoint line with seq ${seq} is missing from the events table, but ${where} holds it`,
        });
      }
      const key = options.publicKey;
      if (key && anchor.signature !== "") {
        let valid = anchor.key_id === key.keyId;
        if (valid) {
          try {
            valid = await crypto.subtle.verify(
              "Ed25519",
              key.publicKey,
              Uint8Array.fromBase64(anchor.signature),
              checkpointMessage(
                id,
                size,
                anchor.root,
                anchor.head,
              ) as Uint8Array<
                ArrayBuffer
              >,
            );
          } catch {
            valid = false;
          }
        }
        if (!valid) {
          note({
            line: position,
            seq,
            kind: "bad_signature",
            severity: "failure",
            message:
              `${where} has a signature that does not verify with key ${key.keyId}: it was forged or changed in the store`,
          });
        }
      }
    }
    // Successive anchored heads: the log only grew between them.
    for (let i = 1; i < anchors.length; i++) {
      const a = anchors[i - 1];
      const b = anchors[i];
      const [m, n] = [Number(a.tree_size), Number(b.tree_size)];
      const seq = Number(b.seq);
      const position = seqs.indexOf(seq) + 1;
      const heads =
        `the anchored heads at checkpoint seq ${a.seq} (${m} events) and seq ${b.seq} (${n} events)`;
      if (n < m) {
        note({
          line: position,
          seq,
          kind: "deleted",
          severity: "failure",
          message:
            `${heads} go backwards: the log was cut below a size it had anchored, then written again`,
        });
        continue;
      }
      if (n > leaves.length) continue; // Reported above: events deleted.
      proofs++;
      const proof = consistencyProof(leaves.slice(0, n), m);
      if (
        !/^[0-9a-f]{64}$/.test(a.root) || !/^[0-9a-f]{64}$/.test(b.root) ||
        !verifyConsistency(
          m,
          n,
          Uint8Array.fromHex(a.root),
          Uint8Array.fromHex(b.root),
          proof,
        )
      ) {
        note({
          line: position,
          seq,
          kind: "forged_checkpoint",
          severity: "failure",
          message:
            `${heads} are not consistent (RFC 6962 consistency proof from the stored events fails): the log did not only grow between them`,
        });
      }
    }
    if (!ended && seqs.length + anchors.length > 0) {
      const last = Math.max(
        newest === "" ? 0 : Date.parse(newest.replace(" ", "T") + "Z"),
        ...anchors.map((a) =>
          Date.parse(String(a.ts ?? "").replace(" ", "T") + "Z") || 0
        ),
      );
      if (last > 0 && now - last > silentAfter) {
        silent++;
        const origin = await store.rows<{ host: string; user: string }>(
          `SELECT any(host) AS host, any(user) AS user FROM ${db}.${TABLES.events} WHERE session = ${
            sqlString(id)
          }`,
        );
        const minutes = Math.round((now - last) / 60_000);
        note({
          line: seqs.length,
          seq: seqs.at(-1),
          kind: "missing_session_end",
          severity: "incomplete",
          message: `session ${id} has gone silent: host ${
            origin[0]?.host || "?"
          } (user ${origin[0]?.user || "?"}) shipped nothing for it since ${
            new Date(last).toISOString()
          } (${minutes} min, more than ${
            Math.round(silentAfter / 60_000)
          } min) and it has no session_end: that machine stopped shipping, or its proxy died`,
        });
      }
    }
  }
  const report = verifier.finish();
  // Name rows by their seq: the verifier counted them as lines.
  const rename = (f: Finding): Finding => {
    const seqs = seqAt.get(f.path);
    if (!seqs) return f;
    const seqOf = (n: number): number | undefined => seqs[n - 1];
    return {
      ...f,
      seq: f.seq ?? seqOf(f.line),
      message: f.message.replace(
        /\blines? (\d+)\b/g,
        (_, n) => `the row with seq ${seqOf(Number(n)) ?? "?"}`,
      ),
    };
  };
  // By session, then seq; the notes about the whole run last.
  const order = new Map(ids.map((id, i) => [id, i]));
  const findings = [...report.findings, ...extra].map(rename).sort((a, b) =>
    (order.get(a.session ?? "") ?? ids.length) -
      (order.get(b.session ?? "") ?? ids.length) ||
    (a.seq ?? Infinity) - (b.seq ?? Infinity)
  );
  const failedSessions = new Set(
    extra.filter((f) => f.severity === "failure").map((f) => f.session),
  );
  const sessions = report.sessions.map((s) =>
    failedSessions.has(s.session) ? { ...s, status: "failed" as const } : s
  );
  const status: VerifyStatus = failedSessions.size > 0
    ? "failed"
    : report.status;
  return {
    ...report,
    status,
    sessions,
    findings,
    files: [],
    store: store.label,
    rows,
    anchoredCheckpoints: anchored,
    consistencyProofs: proofs,
    silent,
  };
}

/**
 * The central report as text: a line per session, a line per finding
 * naming the row by session and seq, and the verdict.
 *
 * @example
 * ```ts
 * import { formatCentralReport } from "./central_verify.ts";
 * import assert from "node:assert/strict";
 *
 * const text = formatCentralReport({
 *   status: "verified", signatures: "none", files: [], sessions: [], findings: [],
 *   omittedFindings: 0, bytes: 0, store: "http://h:8123/db", rows: 0, anchoredCheckpoints: 0, consistencyProofs: 0, silent: 0,
 * });
 * assert.match(text, /^VERIFIED/m);
 * ```
 */
export function formatCentralReport(report: CentralReport): string {
  const out: string[] = [];
  for (const s of report.sessions) {
    out.push(
      `session ${s.session}: ${s.status}; ${s.lines} rows, ${s.events} events, ${s.checkpoints} checkpoint(s)${
        s.finished ? "" : ", not finished"
      }`,
    );
  }
  for (const f of report.findings) {
    const at = f.session
      ? `session ${f.session}${f.seq === undefined ? "" : ` seq ${f.seq}`}: `
      : "";
    out.push(`${at}${findingLabel(f)} ${f.kind}: ${f.message}`);
  }
  const failures = report.findings.filter((f) => f.severity === "failure")
    .length;
  out.push(
    report.status === "verified"
      ? `VERIFIED: ${report.sessions.length} session(s), ${report.rows} rows in ${report.store}; chains, tree roots, ${report.anchoredCheckpoints} shipped checkpoint(s) and ${report.consistencyProofs} consistency proof(s) between them hold${
        report.signatures === "checked"
          ? `, signatures checked (key ${report.keyId})`
          : " (signatures not checked)"
      }`
      : report.status === "failed"
      ? `FAILED: ${failures} problem(s) found in ${report.store}`
      : report.status === "gap"
      ? `GAP: nothing contradicts the stored rows, but the writer recorded events it could not write`
      : `INCOMPLETE: nothing contradicts the stored rows, but not everything could be checked (see above)`,
  );
  return out.join("\n");
}
