/**
 * Flags of the stdio proxy that the HTTP modes do not support yet are
 * refused with a usage error, never silently ignored.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCli } from "./_http_servers.ts";

Deno.test("--rotate with --upstream (bridge and reverse proxy) is a usage error (exit 2) naming the flag", async () => {
  for (
    const extra of [[], ["--listen", "127.0.0.1:0"]]
  ) {
    const r = await runCli([
      "proxy",
      "--upstream",
      "http://127.0.0.1:9/mcp",
      "--rotate",
      "1MB",
      ...extra,
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--rotate is not supported with --upstream/);
  }
});
