/**
 * `mcp-audit report`: renders the HTML report of one or more logs.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { logArgs, readingFiles } from "./log_files.ts";

/** The help of `mcp-audit report`. */
export const REPORT_HELP = `Usage: ${NAME} report [LOG...] [-o FILE]

Renders one self-contained HTML file (no network at view time) from one or
more audit logs; several sessions merge into one report. Without LOG, the
latest session in the default log directory is used.

Options:
  -o, --output FILE   Where to write the report. Default: report.html
  -h, --help          This help.

Exit status: 0 on success, 2 for a usage error, 4 when a log cannot be read
or none is found.`;

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
    },
    REPORT_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const logs = await logArgs(parsed.positionals, context);
  if (typeof logs === "number") return logs;
  return await readingFiles(context, async () => {
    const { writeReport } = await import("../../report/write_report.ts");
    const result = await writeReport(
      logs,
      parsed.values.output ?? "report.html",
    );
    for (const s of result.skipped) {
      context.err(`skipped ${s.path}:${s.line}: ${s.reason}`);
    }
    context.out(
      `Report written to ${result.outPath} (${result.events} events from ${logs.length} log(s))`,
    );
    return EXIT.ok;
  });
}
