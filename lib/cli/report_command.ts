/**
 * `mcp-audit report`: renders the HTML report of one or more logs.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { logArgs, readingFiles } from "./log_files.ts";
import { UsageError } from "./usage_error.ts";
import { parseSince } from "./since.ts";
import { durationMs, openStore, storeOptions } from "./store_flags.ts";

/** The help of `mcp-audit report`. */
export const REPORT_HELP =
  `Usage: ${NAME} report [LOG...] [-o FILE] [--pubkey FILE] [--no-verify] [--config FILE]
       ${NAME} report --since SPAN [--server NAME] [--client NAME] [--dir DIR] [-o FILE]
       ${NAME} report --from http://HOST:8123 --since 7d [--server NAME] [--user U] [--host H] [-o FILE]

Renders one self-contained HTML file (no network at view time) from one or
more audit logs; several sessions merge into one report. Without LOG, the
latest session in the default log directory is used. With --since, --server
or --client, every session in the log directory that matches (as
"${NAME} sessions" lists them) goes into one report: "what did my agents do
today" is "${NAME} report --since 24h".

The logs are verified first, with the same checks as "${NAME} verify", and
the page opens with the verdict: verified and signed (with --pubkey, naming
the key's fingerprint), verified with signatures not checked (no --pubkey),
verified but unsigned, incomplete (a session still running or ended without
a session_end), or failed (tampered: the lines are named and their events
marked in the timeline). A report is written in every case. The findings
come first, the ones the proxy logged live merged in, each with the
"${NAME} prove" command for its events' inclusion proofs and, for a
sealed log, a link that downloads the file that command writes.

With --from, a fleet report from the central ClickHouse that "${NAME} ship"
fills, aggregated there (the store is never loaded whole): the sessions
active since --since, per host and user; the tools used across the fleet
with their classes; the entities touched, and by whom; each shipped file's
local verification. --server, --user and --host keep only the sessions of
that server (by its name in the handshake), user or host.

Options:
  -o, --output FILE   Where to write the report. Default: report.html
  --from URL          A fleet report from this ClickHouse.
  --user U            With --from: only sessions run by user U.
  --host H            With --from: only sessions run on host H.
  --database D        With --from: the ClickHouse database. Default: mcp_audit
  --db-user U         With --from: the ClickHouse user. Default: default
  --password-env VAR  With --from: read the ClickHouse password from VAR.
  --pubkey FILE       Check the checkpoints' Ed25519 signatures with this
                      public key (PEM, from "${NAME} keygen"), as verify does.
  --no-verify         Do not verify (faster on a large log); the page says
                      the log was not verified.
  --config FILE       The config the proxy used (default ./mcp-audit.jsonc if
                      present): its "findings" settings (rules off,
                      severities, thresholds, scope) apply to the findings.
  --since SPAN        Every session with an event in the last SPAN (90s, 30m,
                      24h, 7d, 2w) or since a date (2026-06-01T09:00:00Z).
  --server NAME       Only sessions with this server (handshake name or the
                      log file's server name; case ignored).
  --client NAME       Only sessions with this client (handshake name).
                      With --from, --since defaults to 7d and --server names
                      the server in the handshake; --client is not offered.
  --dir DIR           The log directory for --since, --server and --client.
                      Default: as for "${NAME} sessions".
  -h, --help          This help.

Exit status: 0 when the report was written (the log verified, is incomplete,
or was not verified); 1 when it was written but the log failed verification
(tampering, a forged or wrongly signed checkpoint), so that CI notices;
2 for a usage error; 4 when a log or the key cannot be read, none is found,
or a log holds no audit events, or no session matches --since, --server or
--client (then nothing is written).`;

/**
 * Runs `mcp-audit report` with its arguments and returns the exit status;
 * a bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { reportCommand, REPORT_HELP } from "./report_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await reportCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [REPORT_HELP]);
 * ```
 */
export async function reportCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      output: { type: "string", short: "o" },
      pubkey: { type: "string" },
      "no-verify": { type: "boolean" },
      since: { type: "string" },
      server: { type: "string" },
      client: { type: "string" },
      dir: { type: "string" },
      from: { type: "string" },
      user: { type: "string" },
      host: { type: "string" },
      database: { type: "string" },
      "db-user": { type: "string" },
      "password-env": { type: "string" },
      config: { type: "string" },
    },
    REPORT_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const { values } = parsed;
  if (values.from !== undefined) {
    for (const flag of ["client", "dir"] as const) {
      if (values[flag] !== undefined) {
        throw new UsageError(
          `--${flag} reads the local log directory: it cannot be used with --from`,
          REPORT_HELP,
        );
      }
    }
    if (parsed.positionals.length > 0) {
      throw new UsageError(
        `--from reads the central store: do not give LOG files (got "${
          parsed.positionals[0]
        }")`,
        REPORT_HELP,
      );
    }
    return await fleetReportCommand(values.from, values, context);
  }
  for (const flag of ["user", "host"] as const) {
    if (values[flag] !== undefined) {
      throw new UsageError(`--${flag} needs --from URL`, REPORT_HELP);
    }
  }
  if (values.pubkey !== undefined && values["no-verify"]) {
    throw new UsageError(
      "--pubkey and --no-verify cannot be used together: the key is used only to verify",
      REPORT_HELP,
    );
  }
  const picking = values.since !== undefined ||
    values.server !== undefined || values.client !== undefined;
  if (picking && parsed.positionals.length > 0) {
    throw new UsageError(
      "give LOG files or --since/--server/--client, not both",
      REPORT_HELP,
    );
  }
  if (values.dir !== undefined && !picking) {
    throw new UsageError(
      "--dir is for --since, --server and --client",
      REPORT_HELP,
    );
  }
  const logs = picking
    ? await matchingLogs({
      since: values.since === undefined
        ? undefined
        : parseSince(values.since, REPORT_HELP, new Date()),
      server: values.server,
      client: values.client,
      dir: values.dir,
    }, context)
    : await logArgs(parsed.positionals, context);
  if (typeof logs === "number") return logs;
  const { configFindingRules } = await import("./config_finding_rules.ts");
  const findingRules = await configFindingRules(values.config, REPORT_HELP);
  return await readingFiles(context, async () => {
    const { loadVerifyKey } = await import("../seal/signing_key.ts");
    const { writeReport } = await import("../../report/write_report.ts");
    const result = await writeReport(
      logs,
      values.output ?? "report.html",
      {
        verify: !values["no-verify"],
        publicKey: values.pubkey
          ? await loadVerifyKey(values.pubkey)
          : undefined,
        findingRules,
      },
    );
    for (const s of result.skipped) {
      context.err(`skipped ${s.path}:${s.line}: ${s.reason}`);
    }
    const v = result.verification;
    context.out(
      `Report written to ${result.outPath} (${result.events} events from ${logs.length} log(s)); ${
        v === undefined
          ? "not verified (--no-verify)"
          : v.status === "verified"
          ? v.signatures === "checked"
            ? `verified and signed (key ${v.keyId})`
            : v.signatures === "not_checked"
            ? "verified; signed, signature not checked (no --pubkey)"
            : "verified, unsigned"
          : v.status === "failed"
          ? "FAILED verification"
          : "incomplete (not everything could be checked)"
      }`,
    );
    if (v?.status !== "failed") return EXIT.ok;
    for (const f of v.findings) {
      if (f.severity === "failure") {
        context.err(`${f.path}${f.line > 0 ? `:${f.line}` : ""}: ${f.message}`);
      }
    }
    context.err(
      `the log failed verification; the report shows it at the top and marks the events`,
    );
    return EXIT.failed;
  });
}

/**
 * The log files of every session in the directory that matches, oldest
 * session first, said on stderr; the exit status 4 when none matches or the
 * directory cannot be read.
 */
async function matchingLogs(
  pick: { since?: Date; server?: string; client?: string; dir?: string },
  context: Pick<CommandContext, "err">,
): Promise<string[] | number> {
  const { defaultLogDir, NoLogFoundError } = await import(
    "../log/log_path.ts"
  );
  const { sessionOverviews } = await import(
    "../evidence/session_overview.ts"
  );
  const { LogReadError } = await import("../log/log_reader.ts");
  const dir = pick.dir ?? defaultLogDir();
  let sessions;
  try {
    sessions = await sessionOverviews(dir, pick);
  } catch (error) {
    if (error instanceof NoLogFoundError || error instanceof LogReadError) {
      context.err(error.message);
      return EXIT.unreadable;
    }
    throw error;
  }
  if (sessions.length === 0) {
    context.err(
      `no session in "${dir}" matches; "${NAME} sessions --dir ${dir}" lists them`,
    );
    return EXIT.unreadable;
  }
  context.err(
    `${sessions.length} session(s) in "${dir}": ${
      sessions.map((s) => s.session.slice(0, 8)).join(", ")
    }`,
  );
  return [...new Set(sessions.reverse().flatMap((s) => s.paths))];
}

/** `report --from`: the fleet report from a central store. */
async function fleetReportCommand(
  url: string,
  values: {
    output?: string;
    since?: string;
    server?: string;
    user?: string;
    host?: string;
    database?: string;
    "db-user"?: string;
    "password-env"?: string;
  },
  context: CommandContext,
): Promise<number> {
  const sinceMs = durationMs(values.since ?? "7d", REPORT_HELP);
  const options = storeOptions(url, {
    database: values.database,
    user: values["db-user"],
    "password-env": values["password-env"],
  }, REPORT_HELP);
  const { StoreError } = await import("../fleet/clickhouse_store.ts");
  const { fleetReport } = await import("../fleet/fleet_report.ts");
  const { fleetPage } = await import("../fleet/fleet_page.ts");
  const store = await openStore(options, REPORT_HELP);
  try {
    const report = await fleetReport(store, {
      sinceMs,
      server: values.server,
      user: values.user,
      host: values.host,
    });
    const out = values.output ?? "report.html";
    await Deno.writeTextFile(out, fleetPage(report));
    const t = report.totals;
    context.out(
      `Fleet report written to ${out}: ${t.sessions} session(s) on ${t.hosts} host(s) by ${t.users} user(s), ${t.toolCalls} tool call(s), ${t.errors} error(s), from ${report.store}`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof StoreError) {
      context.err(error.message);
      return EXIT.failed;
    }
    throw error;
  } finally {
    await store.close();
  }
}
