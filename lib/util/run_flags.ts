/**
 * The permissions and V8 flags mcp-audit runs with: the compiled binary's,
 * the installed launcher's, a wrapped client entry's and the hook client's
 * (the README's Permissions). One list, so the four cannot drift apart.
 *
 * @module
 */

/**
 * The `deno run` flags of the full program.
 *
 * @example
 * ```ts
 * import { RUN_FLAGS } from "./run_flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(RUN_FLAGS.includes("--allow-net"));
 * ```
 */
export const RUN_FLAGS: readonly string[] = [
  "--allow-run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--v8-flags=--no-allocation-site-pretenuring,--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks,--regexp-backtracks-before-fallback=1000",
];
