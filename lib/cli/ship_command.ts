/**
 * `mcp-audit ship`: sends logs to a central ClickHouse (lib/fleet/).
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { UsageError } from "./usage_error.ts";
import { EXIT } from "./exit_codes.ts";
import { readingFiles } from "./log_files.ts";
import {
  openStore,
  STORE_FLAGS,
  STORE_FLAGS_HELP,
  storeOptions,
} from "./store_flags.ts";
import { hostName } from "../util/host_name.ts";

/** The help of `mcp-audit ship`. */
export const SHIP_HELP =
  `Usage: ${NAME} ship --to http://HOST:8123 [--database D] [--user U --password-env VAR]
       [--init] [--follow] [FILES...]

Sends every session in the log directory (or the FILES given, with the later
parts of a rotated log) to ClickHouse: each line as a row of the events
table, each checkpoint also as a row of the checkpoints table, and each
file's local verification result as a row of the files table (a log that
fails verification is shipped, and recorded as failing). Each log's chain is
verified first. Delivery is at least once and idempotent on (session, seq):
the tables are ReplacingMergeTree and every query reads them with FINAL.
A cursor per file records what ClickHouse acknowledged: a killed ship
resumes there. A server that is down, slow or rejecting is retried with
backoff. Local logs are only read, never changed.

Options:
  --to URL              ClickHouse's HTTP interface (required).
${STORE_FLAGS_HELP}
  --init                Create the database and tables first (if missing).
  --follow              Keep shipping live sessions as they grow and rotate,
                        until interrupted.
  --interval SECONDS    How often --follow looks for new lines. Default: 1
  --batch N             Lines per insert (fewer past 16 MB). Default: 20000
  --retries N           Tries after a failure before giving up. Default: 8
                        (with --follow: no limit)
  --cursor-dir DIR      Where cursors are kept. Default: .ship/ in the log directory
  --host-name H         The machine recorded with each row. Default: $HOSTNAME,
                        else /etc/hostname
  --user-name U         The user recorded with each row. Default: $USER
  --pubkey FILE         Check checkpoint signatures in the local verification.
  -h, --help            This help.

Exit status: 0 when everything was shipped and verified (or is incomplete
only: a live session); 1 when ClickHouse could not take the rows after the
retries, or a shipped log failed verification; 2 for a usage error; 4 when a
log cannot be read.`;

function positive(
  value: string | undefined,
  name: string,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(
      `--${name} must be a positive number, not "${value}"`,
      SHIP_HELP,
    );
  }
  return n;
}

/**
 * Runs `mcp-audit ship` with its arguments and returns the exit status; a
 * bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { shipCommand, SHIP_HELP } from "./ship_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await shipCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [SHIP_HELP]);
 * ```
 */
export async function shipCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      to: { type: "string" },
      ...STORE_FLAGS,
      init: { type: "boolean" },
      follow: { type: "boolean" },
      interval: { type: "string" },
      batch: { type: "string" },
      retries: { type: "string" },
      "cursor-dir": { type: "string" },
      "host-name": { type: "string" },
      "user-name": { type: "string" },
      pubkey: { type: "string" },
    },
    SHIP_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const { values, positionals } = parsed;
  if (!values.to) throw new UsageError("--to URL is required", SHIP_HELP);
  const batch = Math.floor(positive(values.batch, "batch", 20000));
  const interval = positive(values.interval, "interval", 1);
  const retries = values.retries === undefined
    ? (values.follow ? Infinity : 8)
    : Number(values.retries);
  if (!Number.isInteger(retries) && retries !== Infinity || retries < 0) {
    throw new UsageError(
      `--retries must be a whole number, not "${values.retries}"`,
      SHIP_HELP,
    );
  }
  const { StoreError } = await import("../fleet/clickhouse_store.ts");
  const { shipLogs, ShipError } = await import("../fleet/ship.ts");
  const { defaultLogDir } = await import("../log/log_path.ts");
  const store = await openStore({
    ...storeOptions(values.to, values, SHIP_HELP),
    retries,
    onRetry: (attempt, delay, error) =>
      context.err(
        `ClickHouse did not answer (${
          error instanceof Error ? error.message.trim() : String(error)
        }); try ${attempt + 1} in ${(delay / 1000).toFixed(1)} s`,
      ),
  }, SHIP_HELP);
  const dir = defaultLogDir();
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  if (values.follow) {
    Deno.addSignalListener("SIGINT", stop);
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
  }
  let failedVerification = 0;
  try {
    return await readingFiles(context, async () => {
      if (values.init) {
        await store.init();
        context.out(`schema ready in ${store.label}`);
      }
      const { loadVerifyKey } = await import("../seal/signing_key.ts");
      const result = await shipLogs({
        store,
        files: positionals,
        dir,
        cursorDir: values["cursor-dir"] ?? `${dir}/.ship`,
        host: values["host-name"] ?? await hostName(),
        user: values["user-name"] ?? Deno.env.get("USER") ??
          Deno.env.get("LOGNAME") ?? Deno.env.get("USERNAME") ?? "unknown",
        batchLines: batch,
        follow: values.follow,
        intervalMs: interval * 1000,
        signal: controller.signal,
        publicKey: values.pubkey
          ? await loadVerifyKey(values.pubkey)
          : undefined,
        onFile(file): void {
          if (file.lines > 0 || !values.follow) {
            context.out(
              `"${file.path}": ${file.lines} line(s) shipped, ${file.acknowledged} acknowledged in all; verified locally: ${file.status}`,
            );
          }
          if (file.status === "failed") {
            failedVerification++;
            context.err(
              `"${file.path}" failed verification and was shipped with that result recorded: ${
                file.problems.slice(0, 3).join("; ")
              }`,
            );
          }
        },
      });
      if (result.files.length === 0 && !values.follow) {
        if (values.init) return EXIT.ok;
        context.err(
          `no logs to ship in "${dir}": give the log files as arguments, or set MCP_AUDIT_LOG_DIR`,
        );
        return EXIT.unreadable;
      }
      context.out(
        `shipped ${result.lines} line(s) to ${store.label}`,
      );
      return failedVerification > 0 ? EXIT.failed : EXIT.ok;
    });
  } catch (error) {
    if (error instanceof StoreError || error instanceof ShipError) {
      context.err(error.message);
      return EXIT.failed;
    }
    throw error;
  } finally {
    if (values.follow) {
      Deno.removeSignalListener("SIGINT", stop);
      if (Deno.build.os !== "windows") {
        Deno.removeSignalListener("SIGTERM", stop);
      }
    }
    await store.close();
  }
}
