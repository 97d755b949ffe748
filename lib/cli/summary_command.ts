/**
 * `mcp-audit summary`: prints each session's summary.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { logArgs, readingFiles } from "./log_files.ts";

/** The help of `mcp-audit summary`. */
export const SUMMARY_HELP =
  `Usage: ${NAME} summary [LOG...] [--config FILE] [--json]

Prints each session's summary: tool calls, tools with their classes, errors,
unique entities by type, durations, and which events (seq range, count) no
signed checkpoint covers: they are counted, but no signature vouches for them,
and the findings (most severe first; README "Findings"), each followed by the
"${NAME} prove" command that writes the inclusion proofs of its events (and of
the finding event the proxy logged for it, with "liveFindings"); findings the
proxy logged live are merged in, once. An MCP call that an agent's hook and
the proxy both logged counts once, in the proxy's session ("seenByHook"); the
hook's session lists it under "countedByProxy" and leaves it out of its
numbers. Taken from the session's session_end
when it has one; otherwise computed from its events. Without LOG, the
latest session in the default log directory (the one that started last by
its session_start, not by file name), named on stderr.

Options:
  --config FILE  The config the proxy used (default ./mcp-audit.jsonc if
                 present): its "findings" settings (rules off, severities,
                 thresholds, scope) apply to the findings.
  --json         Print the summaries as JSON.
  -h, --help     This help.

Exit status: 0 on success, 2 for a usage error, 4 when a log cannot be read.`;

/**
 * Runs `mcp-audit summary` with its arguments and returns the exit status;
 * a bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { summaryCommand, SUMMARY_HELP } from "./summary_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await summaryCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [SUMMARY_HELP]);
 * ```
 */
export async function summaryCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      json: { type: "boolean" },
      config: { type: "string" },
    },
    SUMMARY_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const { configFindingRules } = await import("./config_finding_rules.ts");
  const findingRules = await configFindingRules(
    parsed.values.config,
    SUMMARY_HELP,
  );
  const logs = await logArgs(parsed.positionals, context, { announce: true });
  if (typeof logs === "number") return logs;
  return await readingFiles(context, async () => {
    const { formatSummaries, summarizeLogs } = await import(
      "../evidence/summary_text.ts"
    );
    const sessions = await summarizeLogs(logs, { findingRules });
    context.out(
      parsed.values.json
        ? JSON.stringify(sessions, null, 2)
        : formatSummaries(sessions),
    );
    return EXIT.ok;
  });
}
