// deno-lint-ignore-file no-console -- `deno task install` reports what it wrote and where
/**
 * `deno task install`: puts a working `mcp-audit` on the user's PATH from a
 * checkout. It copies the bundle (`dist/mcp-audit.js`, built by the `bundle`
 * task) to the user's data directory and writes a launcher that runs it with
 * the absolute path of the Deno running this script, so it works for a Deno
 * that came through `npx`, which puts no `deno` on PATH (a `deno install`ed
 * command runs `deno` and fails there with `exec: deno: not found`).
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { RUN_FLAGS } from "../lib/util/run_flags.ts";

/**
 * What the launcher runs the bundle with: the binary's permissions and V8
 * flag (the README's Permissions), after `--no-config`, so a `deno.json` in
 * the directory mcp-audit is run from is never read as the bundle's config.
 */
export const LAUNCHER_FLAGS: readonly string[] = [
  "--no-config",
  ...RUN_FLAGS,
];

/**
 * How the launcher runs the fast hook client (`mcp-audit-hook.js`, beside
 * the bundle) for `mcp-audit hook`: it needs no more, and `--allow-net` only
 * for the writer's Unix socket.
 */
const CLIENT_FLAGS: readonly string[] = [
  "--quiet",
  "--no-config",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-net",
];

/** Environment variables and platform the install locations depend on. */
export interface InstallEnv {
  /** The operating system, as `Deno.build.os` names it. */
  os: typeof Deno.build.os;
  /** An environment variable's value, or `undefined` when it is not set. */
  get(name: string): string | undefined;
}

/** Where an install puts its two files. */
export interface InstallPaths {
  /** The directory the bundle is copied to. */
  dataDir: string;
  /** The copied bundle. */
  bundle: string;
  /** The directory the launcher is written to. */
  binDir: string;
  /** The launcher: `mcp-audit`, or `mcp-audit.cmd` on Windows. */
  launcher: string;
}

/** The process's own environment. */
function processEnv(): InstallEnv {
  return { os: Deno.build.os, get: (name) => Deno.env.get(name) };
}

/**
 * Where the bundle and the launcher go: `$XDG_DATA_HOME/mcp-audit/` (else
 * `~/.local/share/mcp-audit/`) and `~/.local/bin/mcp-audit`; on Windows
 * `%LOCALAPPDATA%\mcp-audit\` and `%USERPROFILE%\.local\bin\mcp-audit.cmd`.
 * `MCP_AUDIT_INSTALL_DIR` picks the launcher's directory.
 *
 * @example
 * ```ts
 * import { installPaths } from "./install_launcher.ts";
 * import assert from "node:assert/strict";
 *
 * const vars: Record<string, string> = { HOME: "/home/ada" };
 * const paths = installPaths({ os: "linux", get: (k) => vars[k] });
 * assert.equal(paths.bundle, "/home/ada/.local/share/mcp-audit/mcp-audit.js");
 * assert.equal(paths.launcher, "/home/ada/.local/bin/mcp-audit");
 * ```
 */
export function installPaths(env: InstallEnv = processEnv()): InstallPaths {
  const override = env.get("MCP_AUDIT_INSTALL_DIR") || undefined;
  if (env.os === "windows") {
    const profile = env.get("USERPROFILE");
    const local = env.get("LOCALAPPDATA") ??
      (profile ? `${profile}\\AppData\\Local` : undefined);
    const binDir = override ??
      (profile ? `${profile}\\.local\\bin` : undefined);
    if (!local || !binDir) {
      throw new Error(
        "Cannot tell where to install mcp-audit: neither LOCALAPPDATA nor USERPROFILE is set; set USERPROFILE, or LOCALAPPDATA and MCP_AUDIT_INSTALL_DIR.",
      );
    }
    const dataDir = `${local}\\mcp-audit`;
    return {
      dataDir,
      bundle: `${dataDir}\\mcp-audit.js`,
      binDir,
      launcher: `${binDir}\\mcp-audit.cmd`,
    };
  }
  const home = env.get("HOME") || undefined;
  const xdg = env.get("XDG_DATA_HOME");
  // The XDG spec says a relative XDG_DATA_HOME is to be ignored.
  const data = xdg && xdg.startsWith("/")
    ? xdg
    : home && `${home}/.local/share`;
  const binDir = override ?? (home && `${home}/.local/bin`);
  if (!data || !binDir) {
    throw new Error(
      "Cannot tell where to install mcp-audit: HOME is not set; set HOME, or XDG_DATA_HOME and MCP_AUDIT_INSTALL_DIR.",
    );
  }
  const dataDir = `${data}/mcp-audit`;
  return {
    dataDir,
    bundle: `${dataDir}/mcp-audit.js`,
    binDir,
    launcher: `${binDir}/mcp-audit`,
  };
}

/** A word for sh, in single quotes. */
function shQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The launcher's text: a `sh` script (a `.cmd` batch file on Windows) that
 * runs `deno run` {@linkcode LAUNCHER_FLAGS} on the bundle with the absolute
 * Deno path given, passing every argument on, and says what to do when that
 * Deno is gone (npm's cache cleared). On Unix, `hook` runs the fast hook
 * client beside the bundle instead, when it is installed: it hands the
 * event to the per-user writer, or runs the bundle's full command.
 *
 * @example
 * ```ts
 * import { launcherScript } from "./install_launcher.ts";
 * import assert from "node:assert/strict";
 *
 * const text = launcherScript("/opt/deno", "/data/mcp-audit.js", "linux");
 * assert.ok(text.startsWith("#!/bin/sh\n"));
 * assert.match(text, /^exec '\/opt\/deno' run --no-config .* '\/data\/mcp-audit.js' "\$@"$/m);
 * assert.match(text, /^  exec '\/opt\/deno' run --quiet --no-config .* '\/data\/mcp-audit-hook.js' "\$@"$/m);
 * ```
 */
export function launcherScript(
  deno: string,
  bundle: string,
  os: typeof Deno.build.os = Deno.build.os,
): string {
  const again =
    `run "npx -y deno@${Deno.version.deno} task install" in an mcp-audit checkout again`;
  const client = bundle.replace(/mcp-audit\.js$/, "mcp-audit-hook.js");
  if (os === "windows") {
    return [
      "@echo off",
      "rem mcp-audit, written by `deno task install`: runs the bundle with the Deno that installed it.",
      `if not exist "${deno}" (`,
      `  echo mcp-audit: the Deno this launcher runs, "${deno}", is gone; ${again}. 1>&2`,
      "  exit /b 127",
      ")",
      `"${deno}" run ${LAUNCHER_FLAGS.join(" ")} "${bundle}" %*`,
      "",
    ].join("\r\n");
  }
  return [
    "#!/bin/sh",
    "# mcp-audit, written by `deno task install`: runs the bundle with the Deno",
    "# that installed it (by absolute path: a Deno from npx is not on PATH).",
    `if [ ! -x ${shQuote(deno)} ]; then`,
    `  echo ${
      shQuote(
        `mcp-audit: the Deno this launcher runs, "${deno}", is gone (npm's cache cleared?); ${again}.`,
      )
    } >&2`,
    "  exit 127",
    "fi",
    "# `mcp-audit hook`: the fast hook client beside the bundle, when it is there.",
    `if [ "$1" = hook ] && [ "$2" != --serve ] && [ -f ${
      shQuote(client)
    } ]; then`,
    `  exec ${shQuote(deno)} run ${CLIENT_FLAGS.join(" ")} ${
      shQuote(client)
    } "$@"`,
    "fi",
    `exec ${shQuote(deno)} run ${LAUNCHER_FLAGS.join(" ")} ${
      shQuote(bundle)
    } "$@"`,
    "",
  ].join("\n");
}

/**
 * When `binDir` is not on `PATH`: the shell profile to edit and the exact
 * line to add to it (for PowerShell on Windows); `undefined` when it is on
 * PATH already.
 *
 * @example
 * ```ts
 * import { pathAdvice } from "./install_launcher.ts";
 * import assert from "node:assert/strict";
 *
 * const vars: Record<string, string> = { HOME: "/home/ada", SHELL: "/bin/zsh", PATH: "/usr/bin" };
 * const env = { os: "linux" as const, get: (k: string) => vars[k] };
 * assert.deepEqual(pathAdvice("/home/ada/.local/bin", env), {
 *   profile: "~/.zshrc",
 *   line: 'export PATH="$HOME/.local/bin:$PATH"',
 * });
 * vars.PATH = "/home/ada/.local/bin:/usr/bin";
 * assert.equal(pathAdvice("/home/ada/.local/bin", env), undefined);
 * ```
 */
export function pathAdvice(
  binDir: string,
  env: InstallEnv = processEnv(),
): { profile: string; line: string } | undefined {
  const windows = env.os === "windows";
  const strip = (dir: string): string => dir.replace(/[\\/]+$/, "");
  const same = (a: string, b: string): boolean =>
    windows
      ? strip(a).toLowerCase() === strip(b).toLowerCase()
      : strip(a) === strip(b);
  const entries = (env.get("PATH") ?? env.get("Path") ?? "")
    .split(windows ? ";" : ":");
  if (entries.some((entry) => entry !== "" && same(entry, binDir))) {
    return undefined;
  }
  if (windows) {
    return {
      profile: "PowerShell (once; new terminals then have it)",
      line:
        `[Environment]::SetEnvironmentVariable("Path", [Environment]::GetEnvironmentVariable("Path", "User") + ";${binDir}", "User")`,
    };
  }
  const home = env.get("HOME");
  const dir = home && binDir.startsWith(`${home}/`)
    ? `$HOME/${binDir.slice(home.length + 1).replace(/[\\"$`]/g, "\\$&")}`
    : binDir.replace(/[\\"$`]/g, "\\$&");
  const shell = (env.get("SHELL") ?? "").split("/").pop();
  if (shell === "fish") {
    return {
      profile: "~/.config/fish/config.fish",
      line: `fish_add_path "${dir}"`,
    };
  }
  const profile = shell === "zsh"
    ? "~/.zshrc"
    : shell === "bash"
    ? (env.os === "darwin" ? "~/.bash_profile" : "~/.bashrc")
    : "~/.profile";
  return { profile, line: `export PATH="${dir}:$PATH"` };
}

/** Writes a file next to its final place, then renames it there in one step. */
async function replaceFile(
  path: string,
  data: Uint8Array,
  mode: number,
): Promise<void> {
  const next = `${path}.new`;
  await Deno.writeFile(next, data, { mode });
  if (Deno.build.os !== "windows") await Deno.chmod(next, mode);
  await Deno.rename(next, path);
}

function toUrl(source: string | URL): URL {
  return source instanceof URL ? source : pathToFileURL(source);
}

/** What {@linkcode install} did. */
export interface InstallResult extends InstallPaths {
  /** The Deno the launcher runs. */
  deno: string;
  /** Whether an earlier install was replaced. */
  replaced: boolean;
}

/**
 * Copies `source` (the bundle) to {@linkcode installPaths}' `bundle` and
 * writes the launcher for `deno`, replacing an earlier install; each file is
 * moved into place in one step, so a running mcp-audit never sees half of one.
 *
 * @example
 * ```ts
 * import { install } from "./install_launcher.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/b.js`, "console.log('hi')");
 * const vars: Record<string, string> = { HOME: dir };
 * const env = { os: Deno.build.os, get: (k: string) => vars[k] };
 * const first = await install(`${dir}/b.js`, Deno.execPath(), env);
 * assert.equal(first.replaced, false);
 * assert.equal(await Deno.readTextFile(first.bundle), "console.log('hi')");
 * assert.equal((await install(`${dir}/b.js`, Deno.execPath(), env)).replaced, true);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function install(
  source: string | URL,
  deno: string,
  env: InstallEnv = processEnv(),
): Promise<InstallResult> {
  const paths = installPaths(env);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(source);
  } catch (cause) {
    throw new Error(
      `Cannot read the bundle "${String(source)}": ${
        (cause as Error).message
      }; build it with "deno task bundle" (the install task does so first).`,
      { cause },
    );
  }
  const replaced = await Deno.stat(paths.launcher).then(
    () => true,
    () => false,
  );
  for (const dir of [paths.dataDir, paths.binDir]) {
    try {
      await Deno.mkdir(dir, { recursive: true });
    } catch (cause) {
      throw new Error(
        `Cannot create "${dir}": ${
          (cause as Error).message
        }; set MCP_AUDIT_INSTALL_DIR (launcher) or XDG_DATA_HOME (bundle) to a writable directory.`,
        { cause },
      );
    }
  }
  await replaceFile(paths.bundle, bytes, 0o644);
  // The fast hook client, when built beside the bundle: `wrap --hooks` installs it.
  const client = await Deno.readFile(
    new URL("./mcp-audit-hook.js", toUrl(source)),
  ).catch(() => undefined);
  if (client) {
    await replaceFile(
      paths.bundle.replace(/mcp-audit\.js$/, "mcp-audit-hook.js"),
      client,
      0o644,
    );
  }
  const launcher = launcherScript(deno, paths.bundle, env.os);
  await replaceFile(paths.launcher, new TextEncoder().encode(launcher), 0o755);
  return { ...paths, deno, replaced };
}

/** `deno task install`: installs `dist/mcp-audit.js` and says where. */
async function main(): Promise<number> {
  const source = new URL("../dist/mcp-audit.js", import.meta.url);
  let result: InstallResult;
  try {
    result = await install(source, Deno.execPath());
  } catch (error) {
    console.error(`mcp-audit install: ${(error as Error).message}`);
    return 1;
  }
  const say = (line: string): void => console.log(`mcp-audit install: ${line}`);
  say(
    `${
      result.replaced ? "replaced the earlier install: " : ""
    }copied dist/mcp-audit.js to ${result.bundle}`,
  );
  say(`wrote ${result.launcher}, which runs it with ${result.deno}`);
  const advice = pathAdvice(result.binDir);
  if (advice) {
    say(
      `${result.binDir} is not on your PATH; add this line to ${advice.profile}, then open a new terminal:`,
    );
    console.log(`  ${advice.line}`);
    say(
      `or give MCP clients the full path ${result.launcher} (they start servers with a minimal PATH anyway)`,
    );
  } else {
    say(`try it: mcp-audit --help`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
