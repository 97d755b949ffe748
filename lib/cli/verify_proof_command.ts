/**
 * `mcp-audit verify-proof`: checks an inclusion proof bundle.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { UsageError } from "./usage_error.ts";
import { EXIT } from "./exit_codes.ts";
import { readingFiles } from "./log_files.ts";

/** The help of `mcp-audit verify-proof`. */
export const VERIFY_PROOF_HELP =
  `Usage: ${NAME} verify-proof BUNDLE --pubkey FILE [--json]

Checks a proof bundle from "${NAME} prove": recomputes the event's leaf hash
from its line's canonical bytes, follows the inclusion proof to the
checkpoint's root, and checks the checkpoint's signature and key id with the
public key. A file holding a JSON array of bundles (a finding's events,
from "${NAME} prove --event 3,4,9") is checked bundle by bundle, and proves
its events only when every bundle does.

Options:
  --pubkey FILE   The Ed25519 public key (PEM, from "${NAME} keygen"); required.
  --json          Print the result as JSON.
  -h, --help      This help.

Exit status: 0 when the bundle proves its event (every bundle of a list,
and the list is not empty); 1 when it does not; 2 for a
usage error; 4 when the bundle or the key cannot be read.`;

/**
 * Runs `mcp-audit verify-proof` with its arguments and returns the exit status;
 * a bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { verifyProofCommand, VERIFY_PROOF_HELP } from "./verify_proof_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await verifyProofCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [VERIFY_PROOF_HELP]);
 * ```
 */
export async function verifyProofCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      pubkey: { type: "string" },
      json: { type: "boolean" },
    },
    VERIFY_PROOF_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new UsageError("give one BUNDLE", VERIFY_PROOF_HELP);
  }
  if (!values.pubkey) {
    throw new UsageError(
      "--pubkey is required: a proof is only as good as the checkpoint's signature",
      VERIFY_PROOF_HELP,
    );
  }
  const pubkey = values.pubkey;
  return await readingFiles(context, async () => {
    const { loadVerifyKey } = await import("../seal/signing_key.ts");
    const { verifyProof } = await import("../evidence/proof.ts");
    let bundle: unknown;
    try {
      bundle = JSON.parse(await Deno.readTextFile(positionals[0]));
    } catch (error) {
      context.err(
        `Cannot read the proof bundle "${positionals[0]}": ${
          (error as Error).message
        }. Pass the JSON file "${NAME} prove" wrote.`,
      );
      return EXIT.unreadable;
    }
    const key = await loadVerifyKey(pubkey);
    if (Array.isArray(bundle)) {
      // A finding's events, proved together ("prove --event 3,4,9").
      const checks = [];
      for (const b of bundle) checks.push(await verifyProof(b, key));
      const ok = checks.length > 0 &&
        checks.every((c) => c.problems.length === 0);
      if (values.json) {
        context.out(JSON.stringify({ ok, proofs: checks }, null, 2));
        return ok ? EXIT.ok : EXIT.failed;
      }
      if (checks.length === 0) {
        context.out("FAILED: the file holds an empty list: nothing to prove");
        return EXIT.failed;
      }
      checks.forEach((check, i) => {
        if (check.problems.length === 0) {
          context.out(
            `VERIFIED: seq ${check.seq} (${check.kind}${
              check.tool ? ` ${check.tool}` : ""
            }) of session ${check.session} is in the signed checkpoint of ${check.treeSize} events (key ${check.keyId})`,
          );
        } else {
          for (const p of check.problems) {
            context.out(`FAIL: bundle ${i + 1}: ${p}`);
          }
        }
      });
      context.out(
        ok
          ? `VERIFIED: all ${checks.length} events are proved`
          : `FAILED: ${
            checks.filter((c) => c.problems.length > 0).length
          } of ${checks.length} bundles do not prove their event`,
      );
      return ok ? EXIT.ok : EXIT.failed;
    }
    const check = await verifyProof(bundle, key);
    const ok = check.problems.length === 0;
    if (values.json) {
      context.out(JSON.stringify({ ok, ...check }, null, 2));
    } else if (ok) {
      context.out(
        `VERIFIED: seq ${check.seq} (${check.kind}${
          check.tool ? ` ${check.tool}` : ""
        }) of session ${check.session} is in the signed checkpoint of ${check.treeSize} events (key ${check.keyId})`,
      );
    } else {
      for (const p of check.problems) context.out(`FAIL: ${p}`);
      context.out(`FAILED: the bundle does not prove its event`);
    }
    return ok ? EXIT.ok : EXIT.failed;
  });
}
