/**
 * The machine's name as mcp-audit records it (a shipped row's `host`, an
 * anchored checkpoint's), read without needing `--allow-sys`.
 *
 * @module
 */

/**
 * The machine's name: `HOSTNAME`, else `/etc/hostname`, else
 * `COMPUTERNAME` (Windows), else `"unknown"`.
 *
 * @example
 * ```ts
 * import { hostName } from "./host_name.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof await hostName(), "string");
 * ```
 */
export async function hostName(): Promise<string> {
  const env = Deno.env.get("HOSTNAME");
  if (env) return env;
  try {
    return (await Deno.readTextFile("/etc/hostname")).trim() || "unknown";
  } catch {
    return Deno.env.get("COMPUTERNAME") ?? "unknown";
  }
}
