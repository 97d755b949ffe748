import assert from "node:assert/strict";
import { cliArgs, fixtureServer, tempDir } from "../_helpers.ts";

const initialize =
  '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}\n';

/** Runs the real proxy in front of the scripted server for one request. */
async function proxy(
  args: string[],
): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      ...args,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(initialize));
  await writer.close();
  const { code, stderr } = await child.output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test({
  name:
    "--log refuses a symbolic link, naming the path and --follow-symlink, and writes through it with the flag",
  ignore: Deno.build.os === "windows",
  async fn(): Promise<void> {
    await using dir = await tempDir();
    const target = `${dir.path}/elsewhere.txt`;
    const link = `${dir.path}/audit.jsonl`;
    await Deno.writeTextFile(target, "someone else's file\n");
    await Deno.symlink(target, link);

    const refused = await proxy(["--log", link]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /symbolic link/);
    assert.ok(refused.stderr.includes(`"${link}"`), refused.stderr);
    assert.ok(refused.stderr.includes("--follow-symlink"), refused.stderr);
    assert.equal(await Deno.readTextFile(target), "someone else's file\n");

    const followed = await proxy(["--log", link, "--follow-symlink"]);
    assert.equal(followed.code, 0, followed.stderr);
    const written = await Deno.readTextFile(target);
    assert.ok(written.startsWith("someone else's file\n"));
    assert.match(written, /"kind":"session_start"/);
    assert.ok((await Deno.lstat(link)).isSymlink);
  },
});

Deno.test({
  name:
    "an existing log with a looser mode is made 0600, and the proxy says so",
  ignore: Deno.build.os === "windows",
  async fn(): Promise<void> {
    await using dir = await tempDir();
    const log = `${dir.path}/audit.jsonl`;
    await Deno.writeTextFile(log, "");
    await Deno.chmod(log, 0o644);

    const run = await proxy(["--log", log]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await Deno.stat(log)).mode! & 0o777, 0o600);
    assert.ok(
      run.stderr.includes(`"${log}" had mode 0644; it is now 0600`),
      run.stderr,
    );
    assert.match(await Deno.readTextFile(log), /"kind":"session_end"/);

    // Already 0600: nothing to say.
    const again = await proxy(["--log", log]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /mode/);
  },
});
