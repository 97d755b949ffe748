/**
 * One row per session in a log directory, for `mcp-audit sessions` and
 * `mcp-audit report --since`: when it ran, who talked to whom, what it
 * did (calls, writes, sensitive calls, errors), whether it is still
 * running, and a quick check of its log (see `_quick_check.ts`).
 *
 * @module
 */
import { readLines } from "../log/log_lines.ts";
import { sessionFiles } from "../log/session_files.ts";
import { proxyRunning } from "./proxy_running.ts";
import { QuickCheck, type QuickCheckResult } from "./_quick_check.ts";

export type { QuickCheckResult };

/** What {@linkcode sessionOverviews} says of one session. */
export interface SessionOverview {
  /** The session id. */
  session: string;
  /** Its log files, rotated parts in order. */
  paths: string[];
  /** Its first event's time (ISO 8601). */
  start?: string;
  /** Its last event's time. */
  end?: string;
  /** Milliseconds from the first event to the last. */
  durationMs: number;
  /** The client's name from the handshake. */
  client?: string;
  /** The client's version from the handshake. */
  clientVersion?: string;
  /** The server's name from the handshake. */
  server?: string;
  /** The server's version from the handshake. */
  serverVersion?: string;
  /** The server's name from the log file's name (what `proxy` derived from its command). */
  label: string;
  /** The session's transport, from `session_start`; `stdio` when the log does not say. */
  transport: string;
  /** `tools/call` requests. */
  calls: number;
  /** Tool calls a plugin labelled WRITE. */
  writes: number;
  /** Tool calls a plugin labelled SENSITIVE. */
  sensitive: number;
  /** Error responses and tool results with `isError`. */
  errors: number;
  /** `running`: no `session_end` yet and its proxy runs; `ended`: it has a `session_end`; `stopped`: neither (the proxy crashed or was killed). */
  state: "running" | "ended" | "stopped";
  /** Why it ended, from `session_end`. */
  reason?: string;
  /** The quick check of its log. */
  check: QuickCheckResult;
}

/** Options for {@linkcode sessionOverviews}. */
export interface SessionOverviewOptions {
  /** Only sessions with an event at or after this time (so a session started earlier but active since counts). */
  since?: Date;
  /** Only sessions whose server (handshake name, or the log file's server name) is this, ignoring case. */
  server?: string;
  /** Only sessions whose client (handshake name) is this, ignoring case. */
  client?: string;
}

interface Acc {
  overview: SessionOverview;
  check: QuickCheck;
  proxyPid?: number;
  lastTerminated: boolean;
}

const decoder = new TextDecoder();

/**
 * The sessions in `dir`, newest first (by their first event), with what
 * each did; a file that holds several sessions gives a row for each.
 * Throws `NoLogFoundError` when `dir` cannot be read, `LogReadError` when
 * a log cannot.
 *
 * @example
 * ```ts
 * import { sessionOverviews } from "./session_overview.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const line = (o: object) => JSON.stringify({ v: 1, session: "s", ...o }) + "\n";
 * await Deno.writeTextFile(`${dir}/2026-01-01_hr_s.jsonl`,
 *   line({ seq: 0, ts: "2026-01-01T00:00:00.000Z", kind: "session_start", proxyPid: -1 }) +
 *   line({ seq: 1, ts: "2026-01-01T00:00:01.000Z", kind: "request", method: "tools/call",
 *     tool: "pay", classes: [{ label: "SENSITIVE", source: "x" }] }) +
 *   line({ seq: 2, ts: "2026-01-01T00:00:02.000Z", kind: "response", isError: true }));
 * const [s] = await sessionOverviews(dir);
 * assert.equal(s.calls, 1);
 * assert.equal(s.sensitive, 1);
 * assert.equal(s.errors, 1);
 * assert.equal(s.durationMs, 2000);
 * assert.equal(s.transport, "stdio");
 * assert.equal(s.state, "stopped");
 * assert.equal(s.check.status, "unsealed");
 * assert.equal((await sessionOverviews(dir, { since: new Date("2026-02-01") })).length, 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function sessionOverviews(
  dir: string,
  options: SessionOverviewOptions = {},
): Promise<SessionOverview[]> {
  const out: SessionOverview[] = [];
  for (const paths of await sessionFiles(dir)) {
    // A log not written to since the cut has no event after it: unread.
    if (options.since && await writtenBefore(paths.at(-1)!, options.since)) {
      continue;
    }
    const label = serverLabel(paths[0]);
    const sessions = new Map<string, Acc>();
    let last: Acc | undefined;
    for (const path of paths) {
      await readLines(path, (bytes, _line, terminated) => {
        if (!terminated) {
          last?.check.truncated();
          if (last) last.lastTerminated = false;
          return;
        }
        let record: Record<string, unknown>;
        try {
          const parsed = JSON.parse(decoder.decode(bytes));
          if (typeof parsed !== "object" || parsed === null) return;
          record = parsed;
        } catch {
          return;
        }
        if (typeof record.session !== "string") return;
        let acc = sessions.get(record.session);
        if (!acc) {
          acc = {
            overview: {
              session: record.session,
              paths: [],
              durationMs: 0,
              label,
              transport: "stdio",
              calls: 0,
              writes: 0,
              sensitive: 0,
              errors: 0,
              state: "stopped",
              check: { status: "ok", lines: 0, from: "start", signed: false },
            },
            check: new QuickCheck(record.session),
            lastTerminated: true,
          };
          sessions.set(record.session, acc);
        }
        last = acc;
        if (!acc.overview.paths.includes(path)) acc.overview.paths.push(path);
        acc.check.add(bytes, record);
        count(acc, record);
      });
    }
    for (const acc of sessions.values()) {
      const o = acc.overview;
      if (o.start && o.end) {
        const ms = Date.parse(o.end) - Date.parse(o.start);
        o.durationMs = Number.isFinite(ms) ? ms : 0;
      }
      if (o.state !== "ended" && proxyRunning(acc.proxyPid)) {
        o.state = "running";
      }
      o.check = acc.check.result();
      if (matches(o, options)) out.push(o);
    }
  }
  return out.sort((a, b) =>
    (Date.parse(b.start ?? "") || 0) - (Date.parse(a.start ?? "") || 0)
  );
}

async function writtenBefore(path: string, cut: Date): Promise<boolean> {
  try {
    const mtime = (await Deno.stat(path)).mtime;
    return mtime !== null && mtime.getTime() < cut.getTime() - 1000;
  } catch {
    return false;
  }
}

function count(acc: Acc, e: Record<string, unknown>): void {
  const o = acc.overview;
  if (typeof e.ts === "string") {
    o.start ??= e.ts;
    o.end = e.ts;
  }
  switch (e.kind) {
    case "session_start":
      if (typeof e.proxyPid === "number") acc.proxyPid = e.proxyPid;
      if (typeof e.transport === "string") o.transport = e.transport;
      break;
    case "handshake":
    case "session_end": {
      const client = peer(e.client);
      if (client) [o.client, o.clientVersion] = client;
      const server = peer(e.server);
      if (server) [o.server, o.serverVersion] = server;
      if (e.kind === "session_end") {
        o.state = "ended";
        if (typeof e.reason === "string") o.reason = e.reason;
      }
      break;
    }
    case "request":
      if (e.method === "tools/call") {
        o.calls++;
        const labels = Array.isArray(e.classes)
          ? e.classes.map((c) => (c as { label?: unknown })?.label)
          : [];
        if (labels.includes("WRITE")) o.writes++;
        if (labels.includes("SENSITIVE")) o.sensitive++;
      }
      break;
    case "response":
      if (e.isError === true) o.errors++;
      break;
    case "error":
      o.errors++;
      break;
  }
}

function peer(value: unknown): [string, string | undefined] | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { name, version } = value as { name?: unknown; version?: unknown };
  if (typeof name !== "string") return undefined;
  return [name, typeof version === "string" ? version : undefined];
}

/** The server part of a session log's name: `<time>_<server>_<id>.jsonl`. */
function serverLabel(path: string): string {
  const name = path.split(/[\\/]/).pop() ?? path;
  const m = /^[^_]+_(.+)_[^_]+?(\.\d+)?\.jsonl$/.exec(name);
  return m ? m[1] : name.replace(/\.jsonl$/, "");
}

function matches(o: SessionOverview, options: SessionOverviewOptions): boolean {
  if (options.since) {
    const at = Date.parse(o.end ?? "");
    if (!(at >= options.since.getTime())) return false;
  }
  const same = (a: string | undefined, b: string): boolean =>
    a !== undefined && a.toLowerCase() === b.toLowerCase();
  if (
    options.server !== undefined &&
    !same(o.server, options.server) && !same(o.label, options.server)
  ) return false;
  if (
    options.client !== undefined && !same(o.client, options.client)
  ) return false;
  return true;
}
