/**
 * Which files `wrap` touches. `--config PATH` edits the file given, at any
 * place, and `unwrap --config PATH` restores it byte for byte.
 * `mcp-audit wrap --all` run from inside a project: the user configs found
 * under HOME are wrapped, the project files of the current directory
 * (`.mcp.json`, `.cursor/mcp.json`, `.vscode/mcp.json`) are left byte for
 * byte as they were and are not in the table: they are usually checked in
 * and shared, so they are wrapped only when asked, with `--project DIR`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parse as parseJsonc } from "jsonc-parser";
import { cliArgs, tempDir } from "../_helpers.ts";

const DENO_DIR = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("HOME")}/${
    Deno.build.os === "darwin" ? "Library/Caches" : ".cache"
  }/deno`;

const STDIO =
  '{ "mcpServers": { "fs": { "command": "npx", "args": ["-y", "fs"] } } }\n';
const VSCODE =
  '{ "servers": { "fs": { "type": "stdio", "command": "npx", "args": ["-y", "fs"] } } }\n';

/** Runs the CLI in `cwd` with HOME at `home` and nothing else of the user's environment. */
async function cli(
  home: string,
  cwd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    cwd,
    clearEnv: true,
    env: {
      HOME: home,
      DENO_DIR,
      PATH: "/usr/bin:/bin",
      MCP_AUDIT_LOG_DIR: `${home}/logs`,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return {
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}

Deno.test("wrap --config PATH wraps the file given (the user file absent), and unwrap --config PATH restores it byte for byte", async () => {
  await using dir = await tempDir();
  const home = dir.path;
  const path = `${home}/elsewhere/cursor-mcp.json`;
  await Deno.mkdir(`${home}/elsewhere`);
  await Deno.writeTextFile(path, STDIO);
  const wrap = await cli(home, home, ["wrap", "cursor", "--config", path]);
  assert.equal(wrap.code, 0, wrap.stderr);
  assert.ok(wrap.stdout.includes(path), wrap.stdout);
  const fs = parseJsonc(await Deno.readTextFile(path)).mcpServers.fs;
  assert.deepEqual(fs.args.slice(-6), [
    "--name",
    "fs",
    "--",
    "npx",
    "-y",
    "fs",
  ]);
  await assert.rejects(Deno.stat(`${home}/.cursor`), Deno.errors.NotFound);
  const unwrap = await cli(home, home, ["unwrap", "cursor", "--config", path]);
  assert.equal(unwrap.code, 0, unwrap.stderr);
  assert.equal(await Deno.readTextFile(path), STDIO);
  const missing = await cli(home, home, [
    "wrap",
    "cursor",
    "--config",
    `${home}/nowhere.json`,
  ]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nowhere\.json: not found/);
});

Deno.test("wrap --all run inside a project wraps the user configs and leaves the project's files untouched", async () => {
  await using dir = await tempDir();
  const home = dir.path;
  const project = `${home}/app`;
  const files: Record<string, string> = {
    [`${home}/.cursor/mcp.json`]: STDIO,
    [`${project}/.mcp.json`]: STDIO,
    [`${project}/.cursor/mcp.json`]: STDIO,
    [`${project}/.vscode/mcp.json`]: VSCODE,
  };
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(path.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  const out = await cli(home, project, ["wrap", "--all"]);
  const stdout = out.stdout;
  assert.equal(out.code, 0, out.stderr);
  assert.match(
    stdout,
    new RegExp(`^cursor\\s+${home}/\\.cursor/mcp\\.json\\s+1\\s+0\\s+0$`, "m"),
  );
  assert.ok(!stdout.includes(project), stdout);
  const user = parseJsonc(await Deno.readTextFile(`${home}/.cursor/mcp.json`));
  assert.ok(
    user.mcpServers.fs.args.includes("proxy"),
    "the user file is wrapped",
  );
  for (const [path, text] of Object.entries(files)) {
    if (path.startsWith(project)) {
      assert.equal(await Deno.readTextFile(path), text, `${path} untouched`);
    }
  }
  assert.deepEqual(
    [...Deno.readDirSync(project)].map((e) => e.name).sort(),
    [".cursor", ".mcp.json", ".vscode"],
    "no backup or record in the project",
  );
});
