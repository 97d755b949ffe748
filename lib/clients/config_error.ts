/**
 * Why `wrap` or `unwrap` refused a config file: it does not parse, a
 * running client holds it locked, or an entry is wrapped by another tool.
 * Nothing is written when one is thrown.
 *
 * @module
 */

/**
 * A config file that `wrap` or `unwrap` will not change; the message names
 * the file (and line and column, or the entry) and what to do.
 *
 * @example
 * ```ts
 * import { ClientConfigError } from "./config_error.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ClientConfigError("/h/.cursor/mcp.json:3:7: Expected a comma. Fix the file, then run wrap again.");
 * assert.equal(error.name, "ClientConfigError");
 * ```
 */
export class ClientConfigError extends Error {
  /** Creates the error with its whole message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ClientConfigError";
  }
}

/**
 * Line and column (1-based) of `offset` in `text`.
 *
 * @example
 * ```ts
 * import { lineColumn } from "./config_error.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(lineColumn("ab\ncd", 4), { line: 2, column: 2 });
 * ```
 */
export function lineColumn(
  text: string,
  offset: number,
): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}
