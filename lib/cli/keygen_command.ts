/**
 * `mcp-audit keygen`: writes a new Ed25519 key pair for signed checkpoints.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";

/** The help of `mcp-audit keygen`. */
export const KEYGEN_HELP = `Usage: ${NAME} keygen [--out PREFIX]

Writes a new Ed25519 key pair for signing log checkpoints: PREFIX.key (the
private key, PKCS#8 PEM, mode 0600) and PREFIX.pub (the public key, SPKI PEM).
Give the private key to "${NAME} proxy --signing-key PREFIX.key" (it is read
from the file, never from the command line, and never logged), and the public
key to whoever verifies logs.

Options:
  -o, --out PREFIX   File name prefix. Default: mcp-audit-signing
  -h, --help         This help.

Exit status: 0 on success, 1 when a file exists already, 2 for a usage error.`;

/**
 * Runs `mcp-audit keygen` with its arguments and returns the exit status;
 * a bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { keygenCommand, KEYGEN_HELP } from "./keygen_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await keygenCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [KEYGEN_HELP]);
 * ```
 */
export async function keygenCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      out: { type: "string", short: "o" },
    },
    KEYGEN_HELP,
    context,
  );
  if (!parsed) return EXIT.ok;
  const prefix = parsed.values.out ?? "mcp-audit-signing";
  const { generateKeyPair } = await import("../seal/signing_key.ts");
  const pair = await generateKeyPair();
  try {
    await Deno.writeTextFile(`${prefix}.key`, pair.privatePem, {
      mode: 0o600,
      createNew: true,
    });
    await Deno.chmod(`${prefix}.key`, 0o600).catch(() => {});
    await Deno.writeTextFile(`${prefix}.pub`, pair.publicPem, {
      createNew: true,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      context.err(
        `${prefix}.key or ${prefix}.pub already exists; choose another name with --out PREFIX.`,
      );
      return EXIT.failed;
    }
    throw error;
  }
  context.out(
    `Wrote ${prefix}.key (private, mode 0600: give it to the proxy with --signing-key) and ${prefix}.pub (public: give it to verifiers).`,
  );
  context.out(`Key id: ${pair.keyId}`);
  return EXIT.ok;
}
