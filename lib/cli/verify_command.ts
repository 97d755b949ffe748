/**
 * `mcp-audit verify`: checks logs' hash chains, tree roots and signatures.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { logArgs, readingFiles } from "./log_files.ts";

/** The help of `mcp-audit verify`. */
export const VERIFY_HELP =
  `Usage: ${NAME} verify [LOG...] [--pubkey FILE] [--require-signature] [--json]

Checks every line of one or more audit logs: the hash chain of each session,
the Merkle tree root of every checkpoint and, with --pubkey, every
checkpoint's Ed25519 signature (docs/evidence.md). Lines are grouped by
session; a file may hold several sessions, and a session may continue in the
next file given. Reports, with file and line, every edited, inserted,
deleted or reordered line, forged checkpoint, checkpoint signed with another
key, truncated last line (the event in flight at a crash, not tampering),
lost events (gap lines), lines without a hash, and sessions without a
session_end. Without LOG, the latest session in the default log directory:
the one that started last by its session_start (signed with the log, not
the file name), named on stderr.

Without --pubkey, signatures cannot be checked: the output says so, and the
log still verifies when chains and roots hold (pass --require-signature to
fail instead). With --pubkey, an unsigned checkpoint or one signed with
another key fails.

Options:
  --pubkey FILE          The Ed25519 public key (PEM, from "${NAME} keygen").
  --require-signature    Fail unless every checkpoint's signature is checked.
  --json                 Print the report as JSON.
  -h, --help             This help.

Exit status: 0 when everything holds; 1 when something does not (tampering,
a forged or wrongly signed checkpoint, a required signature missing);
3 when nothing contradicts the log but it is incomplete (a session without
session_end, a truncated last line, lines without a hash); 5 when nothing
contradicts the log and nothing else is missing, but the writer recorded
events it could not write (gap lines: a write failed, e.g. the disk was
full; not tampering); 2 for a usage error; 4 when a log or the key cannot be
read.`;

/**
 * Runs `mcp-audit verify` with its arguments and returns the exit status;
 * a bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { verifyCommand, VERIFY_HELP } from "./verify_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await verifyCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [VERIFY_HELP]);
 * ```
 */
export async function verifyCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      pubkey: { type: "string" },
      "require-signature": { type: "boolean" },
      json: { type: "boolean" },
    },
    VERIFY_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const { values } = parsed;
  const logs = await logArgs(parsed.positionals, context, { announce: true });
  if (typeof logs === "number") return logs;
  return await readingFiles(context, async () => {
    const { loadVerifyKey } = await import("../seal/signing_key.ts");
    const { verifyLogs } = await import("../evidence/verify.ts");
    const { formatVerifyReport } = await import("../evidence/verify_text.ts");
    const report = await verifyLogs(logs, {
      publicKey: values.pubkey ? await loadVerifyKey(values.pubkey) : undefined,
      requireSignature: values["require-signature"],
    });
    context.out(
      values.json
        ? JSON.stringify(report, null, 2)
        : formatVerifyReport(report),
    );
    return report.status === "verified"
      ? EXIT.ok
      : report.status === "failed"
      ? EXIT.failed
      : report.status === "gap"
      ? EXIT.gap
      : EXIT.incomplete;
  });
}
