/**
 * The code-freeze and support-desk scenarios start their proxy with the SDK's
 * small default environment and DENO_DIR, and nothing else of the caller's
 * environment: a real proxy, behind a shell that records what it was given.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runFreezeScenario } from "../demo/freeze.ts";
import { runSupportScenario } from "../demo/support.ts";
import { cliArgs, tempDir } from "./_helpers.ts";

/** The Deno cache this process uses, as `deno info` names it. */
async function denoDir(): Promise<string> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(stdout)).denoDir;
}
const MARKER = "MCP_AUDIT_TEST_NOT_FOR_THE_PROXY";

Deno.test("the freeze and support scenarios pass the proxy DENO_DIR and the SDK's defaults, not the rest of the environment", async () => {
  await using dir = await tempDir();
  const before = Deno.env.get("DENO_DIR");
  const DENO_DIR = before ?? await denoDir();
  Deno.env.set("DENO_DIR", DENO_DIR);
  Deno.env.set(MARKER, "1");
  try {
    for (
      const [name, run] of [
        ["freeze", runFreezeScenario],
        ["support", runSupportScenario],
      ] as const
    ) {
      const envFile = `${dir.path}/${name}.env`;
      // The shell records its environment, then becomes the real proxy.
      await run(
        [
          "/bin/sh",
          "-c",
          `env > '${envFile}'; exec "$0" "$@"`,
          Deno.execPath(),
          ...cliArgs(["proxy", "--quiet"]),
        ],
        `${dir.path}/${name}.jsonl`,
      );
      const env = new Map(
        (await Deno.readTextFile(envFile)).trim().split("\n").map((line) => {
          const at = line.indexOf("=");
          return [line.slice(0, at), line.slice(at + 1)];
        }),
      );
      assert.equal(env.get("DENO_DIR"), DENO_DIR, name);
      assert.equal(env.get("PATH"), Deno.env.get("PATH"), name);
      assert.equal(env.has(MARKER), false, name);
      const events = (await Deno.readTextFile(`${dir.path}/${name}.jsonl`))
        .trim().split("\n").map((l) => JSON.parse(l).kind);
      assert.ok(events.includes("session_end"), `${name}: the proxy ran`);
    }
  } finally {
    Deno.env.delete(MARKER);
    if (before === undefined) Deno.env.delete("DENO_DIR");
    else Deno.env.set("DENO_DIR", before);
  }
});
