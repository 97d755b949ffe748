/**
 * The logs a reading command works on, and how it fails when they cannot
 * be read: shared by `verify`, `prove`, `summary` and `check`.
 *
 * @module
 */
import type { CommandContext } from "./command.ts";
import { EXIT } from "./exit_codes.ts";

/** Options for {@linkcode logArgs}. */
export interface LogArgsOptions {
  /**
   * Say on stderr which session and files were picked when no LOG is
   * given (the checking commands do: a gate must show what it checked).
   * @default {false}
   */
  announce?: boolean;
}

/**
 * The logs named on the command line, in session order, or the latest
 * session's when none is named (chosen by its signed start time, not by
 * file name; which session and files is said on stderr when asked); the
 * exit status (4, with the reason on stderr) when there is none, one cannot
 * be read, or one holds no audit event.
 *
 * @example
 * ```ts
 * import { logArgs } from "./log_files.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const event = '{"v":1,"seq":0,"kind":"session_start","session":"s"}\n';
 * await Deno.writeTextFile(`${dir}/a.jsonl`, event);
 * await Deno.writeTextFile(`${dir}/a.2.jsonl`, event);
 * await Deno.writeTextFile(`${dir}/README.md`, "# Not a log\n");
 * const said: string[] = [];
 * const err = (t: string) => said.push(t);
 * assert.deepEqual(await logArgs([`${dir}/a.2.jsonl`, `${dir}/a.jsonl`], { err }), [`${dir}/a.jsonl`, `${dir}/a.2.jsonl`]);
 * assert.equal(await logArgs([`${dir}/README.md`], { err }), 4);
 * assert.match(said[0], /^no audit events in /);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function logArgs(
  positionals: string[],
  context: Pick<CommandContext, "err">,
  options: LogArgsOptions = {},
): Promise<string[] | number> {
  const { latestSession, NoLogFoundError, orderLogFiles } = await import(
    "../log/log_path.ts"
  );
  const { hasAuditEvent, LogReadError, NoAuditEventsError } = await import(
    "../log/log_reader.ts"
  );
  try {
    let logs: string[];
    if (positionals.length > 0) logs = orderLogFiles(positionals);
    else {
      const latest = await latestSession();
      const when = latest.by === "session_start"
        ? `session ${latest.session}, started ${latest.start} (its session_start)`
        : `a file without a session_start, modified ${
          latest.modified ?? "at an unknown time"
        }`;
      if (options.announce) {
        context.err(
          `no LOG given: reading the latest session, ${when}, in ${
            latest.paths.map((p) => `"${p}"`).join(", ")
          }`,
        );
      }
      logs = latest.paths;
    }
    // A command that reads no event checks nothing: it must not say "OK".
    for (const log of logs) {
      if (!await hasAuditEvent(log)) throw new NoAuditEventsError(log);
    }
    return logs;
  } catch (error) {
    if (error instanceof NoLogFoundError || error instanceof LogReadError) {
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
