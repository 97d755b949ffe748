/**
 * Whether a session is still being written: its `session_start` names the
 * proxy's pid, and a live `mcp-audit proxy` with that pid is still writing
 * it. Used by `verify` (a session without `session_end` is running, not
 * crashed), `sessions` and `tail`.
 *
 * @module
 */

/**
 * Whether the proxy that wrote a session runs still: a live process with
 * that pid whose command line is an `mcp-audit proxy` (so a reused pid of
 * another program does not count), read from /proc or, where that is not
 * there or not allowed, from `ps`.
 *
 * @example
 * ```ts
 * import { proxyRunning } from "./proxy_running.ts";
 * import assert from "node:assert/strict";
 *
 * // This process is a test runner, not a proxy.
 * assert.equal(proxyRunning(Deno.pid), false);
 * assert.equal(proxyRunning(undefined), false);
 * assert.equal(proxyRunning(-1), false);
 * ```
 */
export function proxyRunning(pid: number | undefined): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  let args: string[];
  try {
    args = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
  } catch (error) {
    // No such process; but Deno may refuse /proc without --allow-all: ask ps.
    if (error instanceof Deno.errors.NotFound) return false;
    try {
      const out = new Deno.Command("ps", {
        args: ["-p", String(pid), "-o", "command="],
        stdout: "piped",
        stderr: "null",
      }).outputSync();
      args = new TextDecoder().decode(out.stdout).trim().split(/\s+/);
    } catch {
      return false;
    }
  }
  return args.includes("proxy") &&
    args.some((a) => /mcp-audit|cli\.ts$/.test(a));
}
