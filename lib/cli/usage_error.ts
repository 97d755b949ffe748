/**
 * The one error for a command line that cannot be run as given. Commands
 * throw it; only `cli.ts` turns it into the message, the command's help
 * and exit status 2, so `main()` returns that status to a program that
 * embeds the CLI instead of ending the process.
 *
 * @module
 */

/**
 * A usage error: what was wrong with the command line, and the help of the
 * command it was given to.
 *
 * @example
 * ```ts
 * import { UsageError } from "./usage_error.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new UsageError('unknown option "--lgo"', "Usage: mcp-audit proxy ...");
 * assert.equal(error.name, "UsageError");
 * assert.match(error.help, /^Usage:/);
 * assert.equal(error.usage, "Usage: mcp-audit proxy ...");
 * ```
 */
export class UsageError extends Error {
  /** The help of the command the error is about; its usage lines are printed after the message. */
  readonly help: string;
  /** Creates the error with its message and the command's help. */
  constructor(message: string, help: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
    this.help = help;
  }

  /** The usage lines of the help: from the line that starts with "Usage:" to the next blank line. */
  get usage(): string {
    const lines = this.help.split("\n");
    const start = Math.max(0, lines.findIndex((l) => l.startsWith("Usage:")));
    const end = lines.indexOf("", start);
    return lines.slice(start, end === -1 ? undefined : end).join("\n");
  }
}
