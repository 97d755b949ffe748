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

/** The help of `mcp-audit report`. */
export const REPORT_HELP =
  `Usage: ${NAME} report [LOG...] [-o FILE] [--pubkey FILE] [--no-verify]
       ${NAME} report --since SPAN [--server NAME] [--client NAME] [--dir DIR] [-o FILE]

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
marked in the timeline). A report is written in every case.

Options:
  -o, --output FILE   Where to write the report. Default: report.html
  --pubkey FILE       Check the checkpoints' Ed25519 signatures with this
                      public key (PEM, from "${NAME} keygen"), as verify does.
  --no-verify         Do not verify (faster on a large log); the page says
                      the log was not verified.
  --since SPAN        Every session with an event in the last SPAN (90s, 30m,
                      24h, 7d, 2w) or since a date (2026-06-01T09:00:00Z).
  --server NAME       Only sessions with this server (handshake name or the
                      log file's server name; case ignored).
  --client NAME       Only sessions with this client (handshake name).
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
    },
    REPORT_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const { values } = parsed;
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
