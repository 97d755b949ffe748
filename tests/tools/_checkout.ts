/**
 * Helpers for the tests that install mcp-audit as a user does: a copy of the
 * checkout to run tasks in (so a test never rewrites this checkout's `dist/`),
 * and the environment of a user whose home is a temporary directory.
 *
 * @module
 */

/** This checkout's root directory. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** What a copy leaves out: history, build output, the demo's output. */
const SKIP = new Set([".git", "dist", "demo-output", "node_modules", ".tools"]);

/** Copies the checkout's working tree (uncommitted files too) to `dest`. */
export async function copyCheckout(dest: string): Promise<void> {
  async function copy(from: string, to: string): Promise<void> {
    await Deno.mkdir(to, { recursive: true });
    for await (const entry of Deno.readDir(from)) {
      if (from === ROOT.replace(/\/$/, "") && SKIP.has(entry.name)) continue;
      const source = `${from}/${entry.name}`;
      if (entry.isDirectory) await copy(source, `${to}/${entry.name}`);
      else if (entry.isFile) await Deno.copyFile(source, `${to}/${entry.name}`);
    }
  }
  await copy(ROOT.replace(/\/$/, ""), dest);
}

/** Deno's cache directory as this process sees it (`deno info --json`). */
async function denoDir(): Promise<string> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(stdout)).denoDir;
}

/**
 * The environment of a user whose HOME is `home`, with nothing of ours set:
 * no XDG_DATA_HOME, XDG_STATE_HOME or MCP_AUDIT_* variables, unless given in
 * `extra`. Deno's and npm's caches stay where this process has them, so
 * nothing is downloaded again (CI warms npx's cache; Deno's lock is frozen).
 */
export async function userEnv(
  home: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const env = Deno.env.toObject();
  for (const name of Object.keys(env)) {
    if (/^(XDG_|MCP_AUDIT_)/.test(name)) delete env[name];
  }
  const realHome = env.HOME ?? home;
  return {
    ...env,
    DENO_DIR: env.DENO_DIR ?? await denoDir(),
    npm_config_cache: env.npm_config_cache ?? `${realHome}/.npm`,
    NO_COLOR: "1",
    HOME: home,
    ...extra,
  };
}

/** Runs a command to its end, with its output as text. */
export async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.env !== undefined,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}
