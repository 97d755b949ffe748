/**
 * The exit statuses of every subcommand, in one table, so that the same
 * outcome exits the same way whichever command reports it; `--help` and
 * the README print the same table.
 *
 * @module
 */

/**
 * Exit statuses by meaning.
 *
 * @example
 * ```ts
 * import { EXIT } from "./exit_codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(EXIT.usage, 2);
 * assert.equal(EXIT.unreadable, 4);
 * assert.equal(EXIT.gap, 5);
 * ```
 */
export const EXIT = {
  /** Success; for the checking commands, nothing was found wrong. */
  ok: 0,
  /** Something was found wrong, or the command could not do its job. */
  failed: 1,
  /** The command line cannot be run as given. */
  usage: 2,
  /** Nothing contradicts the log, but it is incomplete. */
  incomplete: 3,
  /** A log, bundle or key cannot be read, or holds no audit events. */
  unreadable: 4,
  /**
   * Nothing contradicts the log and nothing else is missing, but the
   * writer recorded events it could not write (a full disk): `gap` lines.
   */
  gap: 5,
  /** The server command was not found. */
  notFound: 127,
} as const;

/**
 * The table of {@linkcode EXIT} in words, as `mcp-audit --help` prints it.
 *
 * @example
 * ```ts
 * import { EXIT_STATUS_HELP } from "./exit_codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(EXIT_STATUS_HELP, /^ {2}4 {4}a log, a bundle or a key cannot be read/m);
 * ```
 */
export const EXIT_STATUS_HELP: string =
  `Exit status, the same for every command:
  ${EXIT.ok}    success; for verify, check, verify-proof and report, nothing was found wrong
  ${EXIT.failed}    something was found wrong (tampering, a forbidden call, a proof that
       fails), or the command could not do its job (a file exists already; the
       proxy's log, config, plugin or key cannot be used, so no server was started)
  ${EXIT.usage}    a usage error
  ${EXIT.incomplete}    verify: nothing contradicts the log, but it is incomplete
  ${EXIT.unreadable}    a log, a bundle or a key cannot be read, none was found, or a file
       holds no audit events
  ${EXIT.gap}    verify: nothing contradicts the log and nothing else is missing, but the
       writer recorded events it could not write (a write failed, e.g. the disk
       was full: the log's gap lines); not tampering, but those events are lost
  ${EXIT.notFound}  proxy: the server command was not found
The proxy otherwise exits with the server's own status (128+N when killed by signal N).`;
