/**
 * `mcp-audit sessions`: lists the sessions in the log directory.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { readingFiles } from "./log_files.ts";
import { parseSince } from "./since.ts";

/** The help of `mcp-audit sessions`. */
export const SESSIONS_HELP =
  `Usage: ${NAME} sessions [--since SPAN] [--server NAME] [--client NAME] [--json] [--dir DIR]

Lists the sessions in the log directory, newest first: when each started,
how long it ran, client and server (from the handshake; the server's name
from the log's file name before one), transport (stdio unless the log says
otherwise), tool calls, calls labelled WRITE, calls labelled SENSITIVE,
errors (error responses and tool results with isError), its state (running:
no session_end yet and its proxy still runs; ended; stopped: no session_end
and no proxy, so it crashed or was killed), and the quick LOG CHECK.

The LOG CHECK hashes only the end of each log: the line before the last
checkpoint, that checkpoint and every line after it (for a finished session:
its session_end and final checkpoint, or the whole session before its first
checkpoint), and checks that they chain, that the checkpoint's head is the
hash of the line before it and that its treeSize counts the lines before it.
It does not check the lines before, the Merkle roots or the signatures ("ok,
signed" means a signature is there, not that it was checked): run
"${NAME} verify LOG" for the full check. It says ok, FAILED (explained
below the table), unsealed (lines without hashes), gap (the writer lost
lines) or truncated (the last line was cut short).

Options:
  --since SPAN    Only sessions with an event in the last SPAN (90s, 30m,
                  24h, 7d, 2w) or since a date (2026-06-01T09:00:00Z).
  --server NAME   Only sessions with this server (handshake name or the log
                  file's server name; case ignored).
  --client NAME   Only sessions with this client (handshake name).
  --json          Print the sessions as JSON (every field, the log files too).
  --dir DIR       The log directory. Default: $MCP_AUDIT_LOG_DIR, else
                  ~/.local/state/mcp-audit (Linux), ~/Library/Logs/mcp-audit
                  (macOS), %LOCALAPPDATA%\\mcp-audit\\logs (Windows).
  -h, --help      This help.

Exit status: 0 when listed (also when none matches: it says so on stderr),
2 for a usage error, 4 when the directory or a log cannot be read.`;

/**
 * Runs `mcp-audit sessions` with its arguments and returns the exit
 * status; a bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { sessionsCommand, SESSIONS_HELP } from "./sessions_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await sessionsCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [SESSIONS_HELP]);
 * ```
 */
export async function sessionsCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      since: { type: "string" },
      server: { type: "string" },
      client: { type: "string" },
      json: { type: "boolean" },
      dir: { type: "string" },
    },
    SESSIONS_HELP,
    context,
  );
  if (!parsed) return EXIT.ok;
  const { values } = parsed;
  const since = values.since === undefined
    ? undefined
    : parseSince(values.since, SESSIONS_HELP, new Date());
  const { defaultLogDir, NoLogFoundError } = await import(
    "../log/log_path.ts"
  );
  const dir = values.dir ?? defaultLogDir();
  return await readingFiles(context, async () => {
    const { sessionOverviews } = await import(
      "../evidence/session_overview.ts"
    );
    let sessions;
    try {
      sessions = await sessionOverviews(dir, {
        since,
        server: values.server,
        client: values.client,
      });
    } catch (error) {
      if (!(error instanceof NoLogFoundError)) throw error;
      context.err(
        `cannot read the log directory "${dir}": run "${NAME} proxy" to record a session, or pass --dir`,
      );
      return EXIT.unreadable;
    }
    if (values.json) {
      context.out(JSON.stringify(sessions, null, 2));
      return EXIT.ok;
    }
    if (sessions.length === 0) {
      context.err(`no session in "${dir}" matches`);
      return EXIT.ok;
    }
    const { formatSessionTable } = await import(
      "../evidence/session_table.ts"
    );
    context.out(formatSessionTable(sessions));
    return EXIT.ok;
  });
}
