/**
 * The exit statuses of every subcommand, in one table, so that the same
 * outcome exits the same way whichever command reports it.
 *
 * @module
 */

/**
 * Exit statuses.
 *
 * @example
 * ```ts
 * import { EXIT } from "./exit_codes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(EXIT.usage, 2);
 * ```
 */
export const EXIT = {
  /** Success; for `check` and `verify`, nothing was found wrong. */
  ok: 0,
  /** Something was found wrong (tampering, a forbidden call, a proof that fails). */
  failed: 1,
  /** The proxy could not start: the log, the config, a plugin or a key cannot be used. */
  startup: 1,
  /** The command line cannot be run as given. */
  usage: 2,
  /** Nothing contradicts the log, but it is incomplete. */
  incomplete: 3,
  /** A log, a bundle or a key cannot be read. */
  unreadable: 4,
  /** The server command was not found. */
  notFound: 127,
} as const;
