/**
 * `mcp-audit prove`: writes an inclusion proof for one event.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { UsageError } from "./usage_error.ts";
import { EXIT } from "./exit_codes.ts";
import { logArgs, readingFiles } from "./log_files.ts";
import {
  openStore,
  STORE_FLAGS,
  STORE_FLAGS_HELP,
  storeOptions,
} from "./store_flags.ts";

/** The help of `mcp-audit prove`. */
export const PROVE_HELP =
  `Usage: ${NAME} prove [LOG...] --event SEQ [--session ID] [--final] [-o BUNDLE]
       ${NAME} prove --from http://HOST:8123 --session ID --event SEQ [--final] [-o BUNDLE]

Writes a proof bundle for one event (docs/evidence.md): its line, its leaf
index, and its RFC 6962 inclusion proof against the first checkpoint after
it (or, with --final, the session's last checkpoint), with that checkpoint's
line. A reviewer checks it with "${NAME} verify-proof BUNDLE --pubkey FILE"
without seeing the rest of the session. The parts of a rotated log
(a.jsonl, a.2.jsonl, ...) are read together: give any of them, and the
others are found by name beside it. Without LOG, the latest session in the
default log directory, named on stderr. With --from, the session's lines
are read back from the central ClickHouse (see "${NAME} ship") and the
bundle is made from them as stored: the same bundle, checked the same way.

A finding's events are proved together: --event 3,4,9 writes one file
holding a JSON array of their bundles ("${NAME} report" and "${NAME} summary"
show this command for each finding); verify-proof checks them all.

Options:
  --event SEQ       The event's seq (required); SEQ,SEQ,... for several.
  --session ID      The session, when the log holds more than one.
  --final           Prove against the session's last checkpoint.
  -o, --output FILE Where to write the bundle. Default: proof-<SEQ>.json
                    (proof-<FIRST>-<LAST>.json for several)
  --from URL        Read the session from this ClickHouse (--session required).
${STORE_FLAGS_HELP}
  -h, --help        This help.

Exit status: 0 when the bundle is written; 1 when the event or a checkpoint
covering it is not in the log (or the store); 2 for a usage error; 4 when the
log or the store cannot be read.`;

/**
 * Runs `mcp-audit prove` with its arguments and returns the exit status;
 * a bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { proveCommand, PROVE_HELP } from "./prove_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await proveCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [PROVE_HELP]);
 * ```
 */
export async function proveCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      event: { type: "string" },
      session: { type: "string" },
      final: { type: "boolean" },
      output: { type: "string", short: "o" },
      from: { type: "string" },
      ...STORE_FLAGS,
    },
    PROVE_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const { values, positionals } = parsed;
  const seqs = (values.event ?? "").split(",").map((s) => s.trim()).map(
    Number,
  );
  if (
    values.event === undefined ||
    seqs.some((seq) => !Number.isInteger(seq) || seq < 0) ||
    !/\d/.test(values.event)
  ) {
    throw new UsageError(
      `--event takes the event's seq, a whole number, or seqs separated by commas (3,4,9), got "${
        values.event ?? ""
      }"`,
      PROVE_HELP,
    );
  }
  const unique = [...new Set(seqs)];
  const seq: number | number[] = unique.length === 1 ? unique[0] : unique;
  if (values.from !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError(
        `--from reads the central store: do not give LOG files (got "${
          positionals[0]
        }")`,
        PROVE_HELP,
      );
    }
    if (values.session === undefined) {
      throw new UsageError("--from needs --session ID", PROVE_HELP);
    }
    const store = await openStore(
      storeOptions(values.from, values, PROVE_HELP),
      PROVE_HELP,
    );
    const { StoreError } = await import("../fleet/clickhouse_store.ts");
    const { proveCentral } = await import("../fleet/central_proof.ts");
    try {
      return await writeBundle(
        (seq) =>
          proveCentral(store, {
            session: values.session!,
            seq,
            final: values.final,
          }),
        seq,
        values.output,
        context,
      );
    } catch (error) {
      if (error instanceof StoreError) {
        context.err(error.message);
        return EXIT.unreadable;
      }
      throw error;
    } finally {
      await store.close();
    }
  }
  const given = await logArgs(positionals, context, { announce: true });
  if (typeof given === "number") return given;
  const { logParts, orderLogFiles } = await import("../log/log_path.ts");
  const logs = orderLogFiles([
    ...new Set((await Promise.all(given.map(logParts))).flat()),
  ]);
  const found = logs.filter((p) => !given.includes(p));
  if (found.length > 0) {
    context.err(
      `reading the other parts of the rotated log too: ${
        found.map((p) => `"${p}"`).join(", ")
      }`,
    );
  }
  return await readingFiles(context, async () => {
    const { buildProof } = await import("../evidence/proof.ts");
    return await writeBundle(
      (seq) =>
        buildProof(logs, {
          seq,
          session: values.session,
          final: values.final,
        }),
      seq,
      values.output,
      context,
    );
  });
}

/**
 * Makes the bundle and writes it (0600); for several seqs, a JSON array of
 * their bundles in one file. A `ProofError` is said on stderr (status 1).
 */
async function writeBundle(
  make: (seq: number) => Promise<import("../evidence/proof.ts").ProofBundle>,
  seq: number | number[],
  output: string | undefined,
  context: CommandContext,
): Promise<number> {
  const { ProofError } = await import("../evidence/proof.ts");
  try {
    const seqs = typeof seq === "number" ? [seq] : seq;
    const bundles = [];
    for (const s of seqs) bundles.push(await make(s));
    const path = output ??
      (typeof seq === "number"
        ? `proof-${seq}.json`
        : `proof-${seqs[0]}-${seqs[seqs.length - 1]}.json`);
    // The bundle holds logged events: as private as the log (0600).
    await Deno.writeTextFile(
      path,
      JSON.stringify(typeof seq === "number" ? bundles[0] : bundles, null, 2) +
        "\n",
      { mode: 0o600 },
    );
    await Deno.chmod(path, 0o600).catch(() => {});
    if (typeof seq === "number") {
      const bundle = bundles[0];
      context.out(
        `Wrote ${path}: seq ${seq} (leaf ${bundle.leafIndex}) in the tree of ${bundle.treeSize} at ${
          bundle.source?.checkpointPath ?? bundle.source?.path
        }:${bundle.source?.checkpointLine}`,
      );
    } else {
      context.out(
        `Wrote ${path}: the proofs of ${seqs.length} events (seq ${
          seqs.join(", ")
        }) of session ${bundles[0].session}`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ProofError) {
      context.err(error.message);
      return EXIT.failed;
    }
    throw error;
  }
}
