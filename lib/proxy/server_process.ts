/**
 * The wrapped MCP server as a child process: finding its executable on PATH
 * (with PATHEXT on Windows, where `npx` is `npx.cmd`), starting it in a
 * process group of its own so that it and its children can be stopped
 * together, and passing signals on.
 *
 * @module
 */

/** The server command could not be found or started. */
export class CommandNotFoundError extends Error {
  /** The command as given. */
  readonly command: string;
  /** The directories searched. */
  readonly searched: string[];
  /** Creates the error for `command` after searching `searched`. */
  constructor(command: string, searched: string[], options?: ErrorOptions) {
    const where = command.includes("/") || command.includes("\\")
      ? `The path "${command}" does not exist or is not executable.`
      : `It is not in any PATH directory searched: ${
        searched.length
          ? searched.map((d) => `"${d}"`).join(", ")
          : "(PATH is empty)"
      }.`;
    super(
      `Cannot start the MCP server: command "${command}" not found. ${where} ` +
        `MCP clients often start servers with a minimal PATH: use an absolute path for the command, or set PATH in the client's "env" for this server.`,
      options,
    );
    this.name = "CommandNotFoundError";
    this.command = command;
    this.searched = searched;
  }
}

/** Environment the command lookup depends on. */
export interface LookupEnv {
  os: typeof Deno.build.os;
  get(name: string): string | undefined;
}

/**
 * Finds the executable for `command` the way a shell would: a name with a
 * path separator is used as is; a bare name is searched in PATH, trying each
 * PATHEXT extension on Windows. Throws {@linkcode CommandNotFoundError}.
 *
 * @example
 * ```ts
 * import { resolveCommand } from "./server_process.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(resolveCommand("sh").endsWith("/sh"));
 * assert.throws(() => resolveCommand("surely-not-a-command-xyz"), /not found/);
 * ```
 */
export function resolveCommand(
  command: string,
  env: LookupEnv = { os: Deno.build.os, get: (k) => Deno.env.get(k) },
): string {
  const windows = env.os === "windows";
  const sep = windows ? ";" : ":";
  const exts = windows
    ? (env.get("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean)
    : [""];
  const hasExt = windows && /\.[A-Za-z0-9]+$/.test(command);
  const candidates = (base: string): string[] =>
    hasExt || !windows
      ? [base]
      : [base, ...exts.map((e) => base + e.toLowerCase())];
  if (command.includes("/") || (windows && command.includes("\\"))) {
    for (const c of candidates(command)) if (isExecutable(c, windows)) return c;
    throw new CommandNotFoundError(command, []);
  }
  const dirs = (env.get("PATH") ?? env.get("Path") ?? "").split(sep).filter(
    Boolean,
  );
  for (const dir of dirs) {
    for (const c of candidates(`${dir}${windows ? "\\" : "/"}${command}`)) {
      if (isExecutable(c, windows)) return c;
    }
  }
  throw new CommandNotFoundError(command, dirs);
}

function isExecutable(path: string, windows: boolean): boolean {
  try {
    const info = Deno.statSync(path);
    if (!info.isFile) return false;
    return windows || info.mode === null || (info.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Variables of ours that the server never inherits: the redaction key
 * would let the server, and anything it runs, reverse the log's markers.
 */
export const WITHHELD_ENV: readonly string[] = ["MCP_AUDIT_REDACT_KEY"];

/**
 * The server's environment: ours with `extra` over it, less
 * {@linkcode WITHHELD_ENV}; `undefined` (inherit) when ours cannot be read,
 * as then no key can have been read from it either.
 *
 * @example
 * ```ts
 * import { serverEnv } from "./server_process.ts";
 * import assert from "node:assert/strict";
 *
 * Deno.env.set("MCP_AUDIT_REDACT_KEY", "k");
 * const env = serverEnv({ DEBUG: "1" });
 * assert.equal(env?.DEBUG, "1");
 * assert.equal(env?.MCP_AUDIT_REDACT_KEY, undefined);
 * assert.equal(env?.PATH, Deno.env.get("PATH"));
 * Deno.env.delete("MCP_AUDIT_REDACT_KEY");
 * ```
 */
export function serverEnv(
  extra: Record<string, string> = {},
): Record<string, string> | undefined {
  let env: Record<string, string>;
  try {
    env = { ...Deno.env.toObject(), ...extra };
  } catch {
    return undefined;
  }
  for (const name of WITHHELD_ENV) delete env[name];
  return env;
}

/** A started server. */
export interface ServerProcess {
  child: Deno.ChildProcess;
  /** The executable actually started. */
  executable: string;
  /** Sends a signal to the server and every process in its group. */
  signal(signal: Deno.Signal): void;
}

/**
 * Starts the server with piped stdio, in its own process group on Unix,
 * with our environment (and `env` over it) less {@linkcode WITHHELD_ENV}.
 * Windows `.cmd`/`.bat` files are run through `cmd.exe /c`.
 *
 * @example
 * ```ts
 * import { startServer } from "./server_process.ts";
 * import assert from "node:assert/strict";
 *
 * const server = startServer(["sh", "-c", "exit 3"]);
 * await server.child.stdin.close();
 * await server.child.stdout.cancel();
 * await server.child.stderr.cancel();
 * assert.equal((await server.child.status).code, 3);
 * ```
 */
export function startServer(
  command: string[],
  options: { env?: Record<string, string> } = {},
): ServerProcess {
  const [name, ...args] = command;
  if (name === undefined) {
    throw new TypeError('The server command is empty. Pass it after "--".');
  }
  const executable = resolveCommand(name);
  const windows = Deno.build.os === "windows";
  const viaCmd = windows && /\.(cmd|bat)$/i.test(executable);
  let child: Deno.ChildProcess;
  const env = serverEnv(options.env);
  try {
    child = new Deno.Command(viaCmd ? "cmd.exe" : executable, {
      args: viaCmd ? ["/d", "/s", "/c", executable, ...args] : args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      // A new process group on Unix, so the server's own children can be stopped with it.
      detached: !windows,
      ...(env === undefined ? { env: options.env } : { env, clearEnv: true }),
    }).spawn();
  } catch (error) {
    if (
      error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.PermissionDenied
    ) {
      throw new CommandNotFoundError(name, [], { cause: error });
    }
    throw error;
  }
  const pid = child.pid;
  return {
    child,
    executable,
    signal(signal: Deno.Signal): void {
      try {
        if (windows) child.kill(signal);
        else Deno.kill(-pid, signal);
      } catch {
        try {
          child.kill(signal);
        } catch {
          // Already gone.
        }
      }
    },
  };
}
