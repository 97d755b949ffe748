/**
 * `mcp-audit check`: a CI gate that fails when a session did something forbidden.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { UsageError } from "./usage_error.ts";
import { EXIT } from "./exit_codes.ts";
import { logArgs, readingFiles } from "./log_files.ts";

/** The help of `mcp-audit check`. */
export const CHECK_HELP =
  `Usage: ${NAME} check [LOG...] --fail-on RULES [--pubkey FILE] [--json]

A gate for CI jobs that run agents: lists, with file, line, seq and tool,
every event the rules forbid, and fails when there is one. Without LOG, the
latest session in the default log directory: the one that started last by
its session_start (signed with the log, not the file name), named on stderr.

Rules (comma-separated):
  write          a tool call classified WRITE
  sensitive      a tool call classified SENSITIVE
  class:LABEL    a tool call with any other class label
  error          a JSON-RPC error response or a tool result with isError
  entity:TYPE    an event that touched an entity of TYPE (e.g. entity:ssn)
  unverified     the log does not verify ("${NAME} verify" would not exit 0),
                 or events come after the last signed checkpoint (a crash,
                 or a log rolled back and continued; listed with seq range)

Options:
  --fail-on RULES        The rules (required).
  --pubkey FILE          For unverified: check signatures with this key.
  --require-signature    For unverified: fail unless signatures are checked.
  --json                 Print the result as JSON.
  -h, --help             This help.

Exit status: 0 when nothing is forbidden; 1 when something is; 2 for a usage
error; 4 when a log or the key cannot be read.`;

/**
 * Runs `mcp-audit check` with its arguments and returns the exit status;
 * a bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { checkCommand, CHECK_HELP } from "./check_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await checkCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [CHECK_HELP]);
 * ```
 */
export async function checkCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      "fail-on": { type: "string" },
      pubkey: { type: "string" },
      "require-signature": { type: "boolean" },
      json: { type: "boolean" },
    },
    CHECK_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const { values } = parsed;
  const { checkLogs, formatCheckReport, parseFailOn } = await import(
    "../evidence/check.ts"
  );
  let rules;
  try {
    rules = parseFailOn(values["fail-on"] ?? "");
  } catch (error) {
    throw new UsageError((error as Error).message, CHECK_HELP);
  }
  const logs = await logArgs(parsed.positionals, context, { announce: true });
  if (typeof logs === "number") return logs;
  return await readingFiles(context, async () => {
    const { loadVerifyKey } = await import("../seal/signing_key.ts");
    const report = await checkLogs(logs, rules, {
      publicKey: values.pubkey ? await loadVerifyKey(values.pubkey) : undefined,
      requireSignature: values["require-signature"],
    });
    context.out(
      values.json ? JSON.stringify(report, null, 2) : formatCheckReport(report),
    );
    return report.ok ? EXIT.ok : EXIT.failed;
  });
}
