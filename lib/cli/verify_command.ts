/**
 * `mcp-audit verify`: checks logs' hash chains, tree roots and signatures.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { logArgs, readingFiles } from "./log_files.ts";
import { UsageError } from "./usage_error.ts";
import {
  durationMs,
  openStore,
  STORE_FLAGS,
  STORE_FLAGS_HELP,
  storeOptions,
} from "./store_flags.ts";

/** The help of `mcp-audit verify`. */
export const VERIFY_HELP =
  `Usage: ${NAME} verify [LOG...] [--pubkey FILE] [--require-signature] [--json]
       ${NAME} verify --from http://HOST:8123 (--session ID | --since 7d) [--pubkey FILE]

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

With --from, the sessions are read back from the central ClickHouse that
"${NAME} ship" fills: each session's stored lines are checked in seq order by
the same verifier, every checkpoint shipped to the checkpoints table is
checked against the Merkle root the stored events give at its tree size
(and its signature), and every column against the line it came from. A row
edited, deleted or inserted in the store is named by session and seq.

Options:
  --pubkey FILE          The Ed25519 public key (PEM, from "${NAME} keygen").
  --from URL             Verify sessions in this ClickHouse (see "${NAME} ship").
  --session ID           With --from: a session to verify (repeatable).
  --since DURATION       With --from: every session with rows this recent (7d, 12h, 30m).
  --silent-after DURATION
                         With --from: a session with no session_end that shipped
                         nothing for this long is reported as gone silent
                         (its machine stopped shipping). Default: 15m.
${STORE_FLAGS_HELP}
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
      from: { type: "string" },
      session: { type: "string", multiple: true },
      since: { type: "string" },
      "silent-after": { type: "string" },
      ...STORE_FLAGS,
    },
    VERIFY_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const { values } = parsed;
  if (values.from !== undefined) {
    return await verifyCentralStore(
      values.from,
      parsed.positionals,
      values,
      context,
    );
  }
  if (values.session || values.since) {
    throw new UsageError("--session and --since need --from URL", VERIFY_HELP);
  }
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
    return exitStatus(report.status);
  });
}

/** `verify --from`: the sessions in a central store. */
async function verifyCentralStore(
  url: string,
  positionals: string[],
  values: {
    pubkey?: string;
    "require-signature"?: boolean;
    json?: boolean;
    session?: string[];
    since?: string;
    "silent-after"?: string;
    database?: string;
    user?: string;
    "password-env"?: string;
  },
  context: CommandContext,
): Promise<number> {
  if (positionals.length > 0) {
    throw new UsageError(
      `--from reads the central store: do not give LOG files (got "${
        positionals[0]
      }")`,
      VERIFY_HELP,
    );
  }
  if (!values.session && !values.since) {
    throw new UsageError(
      "--from needs --session ID or --since DURATION",
      VERIFY_HELP,
    );
  }
  const sinceMs = values.since === undefined
    ? undefined
    : durationMs(values.since, VERIFY_HELP);
  const options = storeOptions(url, values, VERIFY_HELP);
  const { StoreError } = await import("../fleet/clickhouse_store.ts");
  const { verifyCentral, formatCentralReport } = await import(
    "../fleet/central_verify.ts"
  );
  const store = await openStore(options, VERIFY_HELP);
  try {
    return await readingFiles(context, async () => {
      const { loadVerifyKey } = await import("../seal/signing_key.ts");
      const report = await verifyCentral(store, {
        sessions: values.session,
        sinceMs,
        publicKey: values.pubkey
          ? await loadVerifyKey(values.pubkey)
          : undefined,
        requireSignature: values["require-signature"],
        silentAfterMs: values["silent-after"] === undefined
          ? undefined
          : durationMs(values["silent-after"], VERIFY_HELP),
      });
      if (
        report.sessions.length === 0 &&
        report.findings.every((f) => f.severity === "note")
      ) {
        context.err(
          `no session in ${report.store} matches: nothing was checked. Ship logs with "${NAME} ship", or widen --since.`,
        );
        return EXIT.unreadable;
      }
      context.out(
        values.json
          ? JSON.stringify(report, null, 2)
          : formatCentralReport(report),
      );
      return exitStatus(report.status);
    });
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

/** The exit status of a verification, local or central: 0, 1, 5 (gap) or 3 (incomplete). */
function exitStatus(
  status: "verified" | "failed" | "gap" | "incomplete",
): number {
  return status === "verified"
    ? EXIT.ok
    : status === "failed"
    ? EXIT.failed
    : status === "gap"
    ? EXIT.gap
    : EXIT.incomplete;
}
