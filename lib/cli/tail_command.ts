/**
 * `mcp-audit tail`: prints each tool call of a session as the proxy logs
 * it, and each finding the proxy logs live.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { readingFiles } from "./log_files.ts";
import { UsageError } from "./usage_error.ts";

/** The help of `mcp-audit tail`. */
export const TAIL_HELP =
  `Usage: ${NAME} tail [SESSION | --latest] [-f] [--dir DIR]

Prints one line per tool call of a session: the time of the request (local),
the tool, the labels plugins gave it (SENSITIVE purple, WRITE amber, READ
blue, as in the report), a short summary of its arguments, its result (ok,
tool error and error in red, cancelled, no answer) and how long it took; the
entities it touched follow on an indented line. A call is printed when its
answer is logged (a call never answered, when the session ends). A finding
the proxy logs (config "liveFindings": true) is printed as it is logged, on
a line of its own: FINDING, its severity (high red, medium amber, low blue),
its rule and title, and the seqs it rests on. Rotated parts of the log are
read in turn. A line the proxy is still writing is waited for.

SESSION is a log file, or a session id or its start (the 8 characters in
the log's file name and in "${NAME} sessions"). Without one, or with
--latest, the session that started last in the log directory.

Colour is on when stdout is a terminal and NO_COLOR is not set. Every string
that came from a server, a client or a plugin is shown with its control
characters and escape sequences escaped (\\u001b), never obeyed.

Options:
  -f, --follow   Keep printing calls as the proxy logs them, until the
                 session ends or its proxy is gone (Ctrl-C stops). With no
                 SESSION, wait for a session when there is none yet, and go
                 on to the next session when one ends.
  --latest       The session that started last (the default); with -f, stop
                 when it ends instead of going on to the next.
  --dir DIR      The log directory. Default: as for "${NAME} sessions".
  -h, --help     This help.

Exit status: 0 when done, 2 for a usage error, 4 when the log or directory
cannot be read, or SESSION matches no log (or more than one).`;

/**
 * Runs `mcp-audit tail` with its arguments and returns the exit status; a
 * bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { tailCommand, TAIL_HELP } from "./tail_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await tailCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [TAIL_HELP]);
 * ```
 */
export async function tailCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      follow: { type: "boolean", short: "f" },
      latest: { type: "boolean" },
      dir: { type: "string" },
    },
    TAIL_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new UsageError("tail takes one SESSION", TAIL_HELP);
  }
  if (positionals.length === 1 && values.latest) {
    throw new UsageError("give a SESSION or --latest, not both", TAIL_HELP);
  }
  const follow = values.follow === true;
  const { defaultLogDir, latestSession, NoLogFoundError } = await import(
    "../log/log_path.ts"
  );
  const { followLog } = await import("../log/log_follower.ts");
  const { ToolCallFeed } = await import("../evidence/tool_call_feed.ts");
  const { formatCall, formatFinding } = await import(
    "../evidence/tail_text.ts"
  );
  const { proxyRunning } = await import("../evidence/proxy_running.ts");
  const dir = values.dir ?? defaultLogDir();
  const colour = context.raw !== undefined && !Deno.env.get("NO_COLOR") &&
    Deno.stdout.isTerminal();
  const print = colour ? context.raw! : context.out;
  const latest = positionals.length === 0;

  async function pick(): Promise<string | number> {
    if (!latest) return await findSession(positionals[0], dir, context);
    try {
      return (await latestSession(dir)).paths[0];
    } catch (error) {
      if (!(error instanceof NoLogFoundError)) throw error;
      if (!follow) {
        context.err(error.message);
        return EXIT.unreadable;
      }
      return "";
    }
  }

  return await readingFiles(context, async () => {
    let shown: string | undefined;
    let waiting = false;
    while (true) {
      const first = await pick();
      if (typeof first === "number") return first;
      if (first === "" || first === shown) {
        // Nothing new yet: wait for the proxy to start a session.
        if (!waiting) {
          context.err(`waiting for a session in "${dir}" (Ctrl-C stops)`);
          waiting = true;
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
        continue;
      }
      waiting = false;
      shown = first;
      context.err(`tail of ${first}`);
      const feed = new ToolCallFeed();
      // A file the proxy appends to (`--log` of a fixed path) holds one
      // session after another: following ends when none is open.
      const open = new Set<string>();
      let ended = false;
      let proxyPid: number | undefined;
      await followLog(first, (record) => {
        if (record.kind === "session_start") {
          if (typeof record.session === "string") open.add(record.session);
          if (typeof record.proxyPid === "number") proxyPid = record.proxyPid;
        }
        for (const item of feed.add(record)) {
          if (item.kind === "end") {
            context.err(`session ${item.session} ended (${item.reason})`);
            open.delete(item.session);
            ended = true;
          } else if (item.kind === "finding") {
            print(formatFinding(item.finding, { colour }));
          } else {
            for (const line of formatCall(item.call, { colour })) print(line);
          }
        }
      }, {
        follow,
        // Nothing more will come once every session ended, or once the
        // proxy died (a crash or a kill writes no session_end).
        onIdle: () =>
          (ended && open.size === 0) ||
          (proxyPid !== undefined && !proxyRunning(proxyPid)),
      });
      if (follow && open.size > 0) {
        context.err(
          `the session's proxy (pid ${proxyPid}) is not running: it ended without a session_end`,
        );
      }
      if (!follow || !latest || values.latest) return EXIT.ok;
    }
  });
}

/** The first file of the log SESSION names: a path, or a session id's start. */
async function findSession(
  session: string,
  dir: string,
  context: Pick<CommandContext, "err">,
): Promise<string | number> {
  try {
    if ((await Deno.stat(session)).isFile) return session;
  } catch {
    // Not a file: a session id.
  }
  const { sessionFiles } = await import("../log/session_files.ts");
  const { NoLogFoundError } = await import("../log/log_path.ts");
  let groups: string[][];
  try {
    groups = await sessionFiles(dir);
  } catch (error) {
    if (!(error instanceof NoLogFoundError)) throw error;
    context.err(error.message);
    return EXIT.unreadable;
  }
  const prefix = session.slice(0, 8).toLowerCase();
  const found = groups.map((g) => g[0]).filter((p) => {
    const id = /_([^_]+)\.jsonl$/.exec(p)?.[1]?.toLowerCase();
    return id !== undefined && prefix.length > 0 && id.startsWith(prefix);
  });
  if (found.length === 1) return found[0];
  context.err(
    found.length === 0
      ? `no log of session "${session}" in "${dir}": "${NAME} sessions" lists them`
      : `"${session}" names ${found.length} sessions in "${dir}": give more of the id, or the log file`,
  );
  return EXIT.unreadable;
}
