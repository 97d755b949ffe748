/**
 * The logs a reading command works on, and how it fails when they cannot
 * be read: shared by `verify`, `prove`, `summary` and `check`.
 *
 * @module
 */
import type { CommandContext } from "./command.ts";
import { EXIT } from "./exit_codes.ts";

/**
 * The logs named on the command line, in session order, or the latest
 * session's when none is named; the exit status when there is none.
 *
 * @example
 * ```ts
 * import { logArgs } from "./log_files.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(await logArgs(["a.2.jsonl", "a.jsonl"], { err: () => {} }), ["a.jsonl", "a.2.jsonl"]);
 * ```
 */
export async function logArgs(
  positionals: string[],
  context: Pick<CommandContext, "err">,
): Promise<string[] | number> {
  const { latestLogs, NoLogFoundError, orderLogFiles } = await import(
    "../log/log_path.ts"
  );
  if (positionals.length > 0) return orderLogFiles(positionals);
  try {
    return await latestLogs();
  } catch (error) {
    if (error instanceof NoLogFoundError) {
      context.err(error.message);
      return EXIT.unreadable;
    }
    throw error;
  }
}
/**
 * Runs `body`, turning unreadable logs and key files into exit status 4
 * with the reason on stderr.
 *
 * @example
 * ```ts
 * import { readingFiles } from "./log_files.ts";
 * import { LogReadError } from "../log/log_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const said: string[] = [];
 * const status = await readingFiles({ err: (t) => said.push(t) }, () => {
 *   throw new LogReadError("missing.jsonl", "not found");
 * });
 * assert.equal(status, 4);
 * assert.equal(said.length, 1);
 * ```
 */
export async function readingFiles(
  context: Pick<CommandContext, "err">,
  body: () => Promise<number>,
): Promise<number> {
  const { LogReadError } = await import("../log/log_reader.ts");
  const { KeyFileError } = await import("../seal/signing_key.ts");
  try {
    return await body();
  } catch (error) {
    if (error instanceof LogReadError || error instanceof KeyFileError) {
      context.err(error.message);
      return EXIT.unreadable;
    }
    throw error;
  }
}
