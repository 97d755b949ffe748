/**
 * `deno task install` (tools/install_launcher.ts) as a user runs it, in a copy
 * of the checkout with HOME in a temporary directory: the launcher it writes
 * is a real command that runs mcp-audit with the Deno that installed it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { copyCheckout, ROOT, run, userEnv } from "./_checkout.ts";
import {
  fixtureServer,
  PROXY_FLAGS,
  readEvents,
  tempDir,
} from "../_helpers.ts";
import { VERSION } from "../../lib/util/version.ts";
import {
  LAUNCHER_FLAGS,
  launcherScript,
} from "../../tools/install_launcher.ts";

const unix = Deno.build.os !== "windows";

/** An MCP client's first words and one tool call, as NDJSON. */
const SESSION = [
  {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "install-test", version: "1" },
    },
  },
  {
    jsonrpc: "2.0",
    id: 2,
    method: "tools/call",
    params: { name: "echo", arguments: { text: "through the launcher" } },
  },
].map((m) => JSON.stringify(m) + "\n").join("");

Deno.test({
  name:
    "deno task install leaves a launcher in ~/.local/bin that runs --version, a proxy session whose log verifies, and hook through the fast hook client",
  ignore: !unix,
  async fn(): Promise<void> {
    await using dir = await tempDir();
    const checkout = `${dir.path}/mcp-audit`;
    const home = `${dir.path}/home`;
    await copyCheckout(checkout);
    await Deno.mkdir(home);
    const env = await userEnv(home, { SHELL: "/bin/bash" });

    const installed = await run(Deno.execPath(), ["task", "install"], {
      cwd: checkout,
      env,
    });
    assert.equal(installed.code, 0, installed.stderr);
    const launcher = `${home}/.local/bin/mcp-audit`;
    const bundle = `${home}/.local/share/mcp-audit/mcp-audit.js`;
    assert.match(installed.stdout, new RegExp(`copied .* to ${bundle}\n`));
    assert.match(
      installed.stdout,
      new RegExp(`wrote ${launcher}, which runs it with ${Deno.execPath()}\n`),
    );
    // Not on PATH: the exact line for the profile of the user's shell.
    assert.match(
      installed.stdout,
      /add this line to ~\/\.bashrc.*\n {2}export PATH="\$HOME\/\.local\/bin:\$PATH"\n/,
    );
    assert.deepEqual(
      await Deno.readFile(bundle),
      await Deno.readFile(`${checkout}/dist/mcp-audit.js`),
    );
    const text = await Deno.readTextFile(launcher);
    assert.ok(text.includes(`'${Deno.execPath()}' run`), text);

    // Run from a directory whose deno.json is not even JSON: the launcher
    // must not read it as the bundle's config.
    const work = `${dir.path}/work`;
    await Deno.mkdir(work);
    await Deno.writeTextFile(`${work}/deno.json`, "{ not json");
    const version = await run(launcher, ["--version"], { cwd: work, env });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), `mcp-audit ${VERSION}`);

    const keygen = await run(launcher, ["keygen", "--out", "audit"], {
      cwd: work,
      env,
    });
    assert.equal(keygen.code, 0, keygen.stderr);
    const proxy = await run(launcher, [
      "proxy",
      "--quiet",
      "--log",
      "session.jsonl",
      "--signing-key",
      "audit.key",
      "--",
      ...fixtureServer("scripted_server.ts"),
    ], { cwd: work, env, stdin: SESSION });
    assert.equal(proxy.code, 0, proxy.stderr);
    assert.match(proxy.stdout, /"id":2,"result":.*through the launcher/);
    const { events } = await readEvents(`${work}/session.jsonl`);
    assert.ok(
      events.some((e) => e.kind === "request" && e.tool === "echo"),
      "the tool call is in the log",
    );
    const verify = await run(
      launcher,
      ["verify", "session.jsonl", "--pubkey", "audit.pub"],
      { cwd: work, env },
    );
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /^VERIFIED: 1 session/m);

    // `hook` runs the fast hook client installed beside the bundle: it
    // records the event (through the full command, no writer running yet)
    // and starts the per-user writer, which only the client does.
    await Deno.stat(`${home}/.local/share/mcp-audit/mcp-audit-hook.js`);
    const hook = await run(
      launcher,
      ["hook", "claude-code", "--log", "hook.jsonl"],
      {
        cwd: work,
        env,
        stdin: JSON.stringify({
          session_id: "launcher",
          transcript_path: "/tmp/t.jsonl",
          cwd: work,
          hook_event_name: "SessionStart",
          source: "startup",
        }),
      },
    );
    assert.equal(hook.code, 0, hook.stderr);
    assert.ok(
      (await readEvents(`${work}/hook.jsonl`)).events.some((e) =>
        e.kind === "session_start"
      ),
    );
    const writers = `${home}/.local/state/mcp-audit`;
    let pid = 0;
    for (let i = 0; i < 600 && pid === 0; i++) {
      try {
        for await (const e of Deno.readDir(writers)) {
          if (e.name.startsWith("hookd-") && e.name.endsWith(".lock")) {
            pid = Number(
              (await Deno.readTextFile(`${writers}/${e.name}`)).trim(),
            ) || 0;
          }
        }
      } catch { /* not made yet */ }
      if (pid === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(pid > 0, "the hook client started the per-user writer");
    Deno.kill(pid, "SIGTERM");
  },
});

Deno.test({
  name:
    "a second install replaces the first, in the directories MCP_AUDIT_INSTALL_DIR and XDG_DATA_HOME name, and gives no PATH advice when the directory is on PATH",
  ignore: !unix,
  async fn(): Promise<void> {
    await using dir = await tempDir();
    const checkout = `${dir.path}/mcp-audit`;
    await copyCheckout(checkout);
    const bin = `${dir.path}/my bin`;
    const env = await userEnv(`${dir.path}/home`, {
      MCP_AUDIT_INSTALL_DIR: bin,
      XDG_DATA_HOME: `${dir.path}/data`,
      PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`,
    });
    const bundle = `${dir.path}/data/mcp-audit/mcp-audit.js`;
    const first = await run(Deno.execPath(), ["task", "install"], {
      cwd: checkout,
      env,
    });
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stdout, /replaced|not on your PATH/);

    // An old install: another bundle, and a launcher that prints "old".
    await Deno.writeTextFile(bundle, "console.log('old bundle')");
    await Deno.writeTextFile(`${bin}/mcp-audit`, "#!/bin/sh\necho old\n");
    const second = await run(Deno.execPath(), ["task", "install"], {
      cwd: checkout,
      env,
    });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /replaced the earlier install/);
    assert.doesNotMatch(second.stdout, /not on your PATH/);
    assert.deepEqual(
      await Deno.readFile(bundle),
      await Deno.readFile(`${checkout}/dist/mcp-audit.js`),
    );
    const entries = [] as string[];
    for await (const e of Deno.readDir(bin)) entries.push(e.name);
    assert.deepEqual(entries, ["mcp-audit"], "no half-written file is left");

    // Found on PATH by its name, as an MCP client or a shell finds it.
    const version = await run("mcp-audit", ["--version"], {
      cwd: dir.path,
      env,
    });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), `mcp-audit ${VERSION}`);
  },
});

Deno.test({
  name:
    "a launcher whose Deno is gone exits 127 and says to run the install again",
  ignore: !unix,
  async fn(): Promise<void> {
    await using dir = await tempDir();
    const launcher = `${dir.path}/mcp-audit`;
    await Deno.writeTextFile(
      launcher,
      launcherScript(`${dir.path}/gone/deno`, `${dir.path}/mcp-audit.js`),
    );
    const { code, stderr } = await run("sh", [launcher, "--version"]);
    assert.equal(code, 127);
    assert.match(
      stderr,
      /the Deno this launcher runs, ".*\/gone\/deno", is gone .*run "npx -y deno@\S+ task install" in an mcp-audit checkout again/,
    );
  },
});

Deno.test("the launcher runs the bundle with the permissions and V8 flag the tests run the proxy with, and no project config", () => {
  assert.deepEqual(LAUNCHER_FLAGS, ["--no-config", ...PROXY_FLAGS]);
  const text = launcherScript("/d/deno", "/b/mcp-audit.js", "windows");
  assert.match(
    text,
    /^"\/d\/deno" run --no-config --allow-run .* "\/b\/mcp-audit\.js" %\*\r$/m,
  );
});

Deno.test("the install tool's JSDoc examples run", async () => {
  const { code, stdout, stderr } = await run(Deno.execPath(), [
    "test",
    "--doc",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "tools/install_launcher.ts",
  ], { cwd: ROOT, env: { ...Deno.env.toObject(), NO_COLOR: "1" } });
  assert.equal(code, 0, stdout + stderr);
  assert.match(stdout, /ok \| 4 passed/);
});
