/**
 * The fast path of `mcp-audit hook`: a program of a few hundred lines that
 * the agent's hook settings run (`wrap --hooks` installs it). Starting the
 * whole CLI costs a coding agent 150 ms and more on every tool call, most
 * of it loading modules; this client loads nothing but itself, hands the
 * hook's stdin, arguments and working directory to a per-user writer
 * (`mcp-audit hook --serve`, see `hook_server.ts`) over a Unix socket, and
 * prints its answer. When no writer answers it starts one, detached, for
 * the next call, and runs the full `mcp-audit hook` for this one, so no
 * event waits on the writer's start and none is lost. The writer is keyed
 * by the program, its version and build, and the environment variables
 * mcp-audit reads, so a different HOME or log directory gets its own.
 *
 *     deno run --quiet --no-config --allow-read --allow-write --allow-env --allow-run --allow-net dist/mcp-audit-hook.js hook claude-code

 * (`--allow-net` for the Unix socket; the client opens nothing else.)
 *
 * @module
 */
import { NAME, VERSION } from "../util/version.ts";
import { RUN_FLAGS } from "../util/run_flags.ts";

/** The environment variables the hook path reads: a writer serves one set of their values. */
export const HOOK_ENV_KEYS: readonly string[] = [
  "HOME",
  "USERPROFILE",
  "XDG_STATE_HOME",
  "XDG_RUNTIME_DIR",
  "LOCALAPPDATA",
  "USER",
  "LOGNAME",
  "USERNAME",
  "HOSTNAME",
  "COMPUTERNAME",
  "NO_COLOR",
];

/** Prefixes of more such variables (`MCP_AUDIT_LOG_DIR`, `MCP_AUDIT_REDACT_KEY`, OpenTelemetry's). */
const HOOK_ENV_PREFIXES = ["MCP_AUDIT_", "OTEL_"];

/** One request to the writer: what the hook process was given. */
export interface HookRequest {
  /** The protocol version. */
  v: 1;
  /** `mcp-audit hook`'s arguments (`<agent> [--log FILE] ...`). */
  argv: string[];
  /** The hook's working directory (the agent's project). */
  cwd: string;
  /** The hook's stdin: the agent's JSON. */
  input: string;
}

/** The writer's answer: what the hook process prints and exits with. */
export interface HookReply {
  /** For stdout. */
  stdout: string;
  /** For stderr, one line each. */
  stderr: string[];
  /** The exit status. */
  exit: number;
}

/** Where the full program is and how Deno runs it, next to this client. */
export interface HookProgram {
  /** The full CLI: `mcp-audit.js` beside the bundled client, or `cli.ts` in a checkout; the compiled binary itself. */
  script: string;
  /** Deno's options before the script. */
  denoArgs: string[];
  /** `script` is the compiled binary: it is run itself, not by Deno. */
  direct?: boolean;
}

/** The command line that runs `program` with `args`. */
function commandOf(
  program: HookProgram,
  args: string[],
): { command: string; args: string[] } {
  return program.direct
    ? { command: program.script, args: [...program.denoArgs, ...args] }
    : {
      command: Deno.execPath(),
      args: [...program.denoArgs, program.script, ...args],
    };
}

/**
 * The program that is running, as a {@linkcode HookProgram}: the compiled
 * binary, the bundle, or `cli.ts` of a checkout, so that the full
 * `mcp-audit hook` finds the same writer as the fast client beside it.
 *
 * @example
 * ```ts
 * import { selfHookProgram } from "./hook_client.ts";
 * import assert from "node:assert/strict";
 *
 * const binary = selfHookProgram("/opt/mcp-audit", "file:///tmp/x/cli.ts");
 * assert.deepEqual(binary, { script: "/opt/mcp-audit", denoArgs: [], direct: true });
 * assert.equal(selfHookProgram("/usr/bin/deno", "file:///opt/m/mcp-audit.js").script, "/opt/m/mcp-audit.js");
 * ```
 */
export function selfHookProgram(
  execPath: string = Deno.execPath(),
  mainModule: string = Deno.mainModule,
): HookProgram {
  const exe = execPath.split(/[\\/]/).pop()!.toLowerCase();
  if (exe !== "deno" && exe !== "deno.exe") {
    return { script: execPath, denoArgs: [], direct: true };
  }
  const main = new URL(mainModule);
  return main.pathname.endsWith(".js")
    ? hookProgram(new URL("./mcp-audit-hook.js", main))
    : hookProgram(new URL("./lib/hooks/hook_client.ts", main));
}

function fromFileUrl(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows" ? path.slice(1) : path;
}

/**
 * The full program beside a client at `clientUrl`: the bundle
 * `mcp-audit.js` next to `mcp-audit-hook.js`, else `cli.ts` of the
 * checkout (with its deno.json for the import map).
 *
 * @example
 * ```ts
 * import { hookProgram } from "./hook_client.ts";
 * import assert from "node:assert/strict";
 *
 * const bundled = hookProgram(new URL("file:///opt/m/mcp-audit-hook.js"));
 * assert.equal(bundled.script, "/opt/m/mcp-audit.js");
 * assert.ok(bundled.denoArgs.includes("--no-config"));
 * assert.match(hookProgram(new URL("file:///src/lib/hooks/hook_client.ts")).script, /\/src\/cli\.ts$/);
 * ```
 */
export function hookProgram(clientUrl: URL): HookProgram {
  if (clientUrl.pathname.endsWith(".js")) {
    return {
      script: fromFileUrl(new URL("./mcp-audit.js", clientUrl)),
      denoArgs: ["run", "--quiet", "--no-config", ...RUN_FLAGS],
    };
  }
  return {
    script: fromFileUrl(new URL("../../cli.ts", clientUrl)),
    denoArgs: [
      "run",
      "--quiet",
      `--config=${fromFileUrl(new URL("../../deno.json", clientUrl))}`,
      ...RUN_FLAGS,
    ],
  };
}

/** FNV-1a, 2 x 32 bits: a short, stable name for a key (not a secret). */
function fnv(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}

/**
 * The writer's key: the program, its build (modification time), the
 * version and the values of the environment variables mcp-audit reads.
 *
 * @example
 * ```ts
 * import { hookServerKey } from "./hook_client.ts";
 * import assert from "node:assert/strict";
 *
 * const a = hookServerKey("/p/mcp-audit.js", 1, { HOME: "/home/ada" });
 * assert.equal(a, hookServerKey("/p/mcp-audit.js", 1, { HOME: "/home/ada", PWD: "/x" }));
 * assert.notEqual(a, hookServerKey("/p/mcp-audit.js", 1, { HOME: "/home/bob" }));
 * assert.notEqual(a, hookServerKey("/p/mcp-audit.js", 2, { HOME: "/home/ada" }));
 * ```
 */
export function hookServerKey(
  script: string,
  built: number,
  env: Readonly<Record<string, string>>,
): string {
  const picked = Object.keys(env)
    .filter((k) =>
      HOOK_ENV_KEYS.includes(k) ||
      HOOK_ENV_PREFIXES.some((p) => k.startsWith(p))
    )
    .sort()
    .map((k) => `${k}=${env[k]}`);
  return fnv([VERSION, script, String(built), ...picked].join("\0"));
}

/**
 * The directory of the writers' sockets: `$XDG_RUNTIME_DIR/mcp-audit`,
 * else `$XDG_STATE_HOME/mcp-audit` or `~/.local/state/mcp-audit`
 * (private to the user: created 0700).
 *
 * @example
 * ```ts
 * import { hookSocketDir } from "./hook_client.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hookSocketDir({ HOME: "/home/ada" }), "/home/ada/.local/state/mcp-audit");
 * assert.equal(hookSocketDir({ HOME: "/h", XDG_RUNTIME_DIR: "/run/user/1" }), "/run/user/1/mcp-audit");
 * ```
 */
export function hookSocketDir(
  env: Readonly<Record<string, string>>,
): string | undefined {
  const base = env.XDG_RUNTIME_DIR ?? env.XDG_STATE_HOME ??
    (env.HOME ? `${env.HOME}/.local/state` : undefined);
  return base ? `${base}/${NAME}` : undefined;
}

/** How long a client lets a starting writer be before it starts another (ms). */
const START_MARK_MS = 10_000;

async function ask(socket: string, request: HookRequest): Promise<HookReply> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  try {
    const bytes = new TextEncoder().encode(JSON.stringify(request) + "\n");
    for (let at = 0; at < bytes.length;) {
      at += await conn.write(bytes.subarray(at));
    }
    await conn.closeWrite();
    const text = await new Response(conn.readable).text();
    const reply = JSON.parse(text) as HookReply;
    if (typeof reply?.exit !== "number") throw new Error("no reply");
    return reply;
  } finally {
    try {
      conn.close();
    } catch { /* closed by the readable already */ }
  }
}

/** Starts a writer, detached, unless another client started one just now. */
async function startServer(
  program: HookProgram,
  dir: string,
  key: string,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const mark = `${dir}/hookd-${key}.starting`;
  try {
    const file = await Deno.open(mark, { createNew: true, write: true });
    file.close();
  } catch {
    const age = Date.now() -
      ((await Deno.stat(mark).catch(() => null))?.mtime?.getTime() ?? 0);
    if (age < START_MARK_MS) return;
    await Deno.remove(mark).catch(() => {});
    return;
  }
  const run = commandOf(program, ["hook", "--serve", `${dir}/hookd-${key}`]);
  const child = new Deno.Command(run.command, {
    args: run.args,
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
}

/** The full `mcp-audit hook` in a child process: the slow path, always right. */
async function runFull(
  program: HookProgram,
  argv: string[],
  input: string,
): Promise<number> {
  const run = commandOf(program, ["hook", ...argv]);
  const child = new Deno.Command(run.command, {
    args: run.args,
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  return (await child.status).code;
}

/** Options for {@linkcode runHookClient}. */
export interface HookClientOptions {
  /** The full program. Default: beside this module ({@linkcode hookProgram}). */
  program?: HookProgram;
}

/**
 * Runs one hook event through the per-user writer (started when none
 * answers; the full command records this event meanwhile) and returns the
 * exit status, having printed the answer.
 *
 * @example Help is the full command's (a writer is never asked for it)
 * ```ts ignore
 * import { runHookClient } from "./hook_client.ts";
 *
 * Deno.exit(await runHookClient(Deno.args));
 * ```
 */
export async function runHookClient(
  argv: string[],
  options: HookClientOptions = {},
): Promise<number> {
  const program = options.program ?? hookProgram(new URL(import.meta.url));
  // Installed as `<client> hook <agent>`, like the full command's line.
  if (argv[0] === "hook") argv = argv.slice(1);
  const input = argv.some((a) => a === "-h" || a === "--help")
    ? ""
    : await new Response(Deno.stdin.readable).text();
  const reply = input === ""
    ? undefined
    : await askHookWriter(program, argv, input, { start: true });
  if (!reply) return await runFull(program, argv, input);
  await printHookReply(reply);
  return reply.exit;
}

/** Options for {@linkcode askHookWriter}. */
export interface AskHookWriterOptions {
  /** When no writer answers, start one, detached, for the next event. */
  start?: boolean;
}

/**
 * Hands one hook event (`mcp-audit hook`'s arguments and its stdin) to the
 * per-user writer of `program` and returns its answer, or `undefined` when
 * no writer answers (none on Windows); with `start`, one is then started
 * for the next event. The caller records this event itself then.
 *
 * @example No writer in a fresh state directory
 * ```ts ignore
 * import { askHookWriter, selfHookProgram } from "./hook_client.ts";
 *
 * const reply = await askHookWriter(selfHookProgram(), ["claude-code"], "{}");
 * console.log(reply === undefined ? "record it here" : reply.stdout);
 * ```
 */
export async function askHookWriter(
  program: HookProgram,
  argv: string[],
  input: string,
  options: AskHookWriterOptions = {},
): Promise<HookReply | undefined> {
  const env = Deno.env.toObject();
  const dir = Deno.build.os === "windows" ? undefined : hookSocketDir(env);
  const built = dir
    ? (await Deno.stat(program.script).catch(() => null))?.mtime?.getTime()
    : undefined;
  if (!dir || built === undefined) return undefined;
  const key = hookServerKey(program.script, built, env);
  try {
    return await ask(`${dir}/hookd-${key}.sock`, {
      v: 1,
      argv,
      cwd: Deno.cwd(),
      input,
    });
  } catch {
    if (options.start) await startServer(program, dir, key).catch(() => {});
    return undefined;
  }
}

/**
 * Prints a writer's answer as the hook process's own: stdout as it is,
 * each stderr line, then the caller exits with `reply.exit`.
 *
 * @example
 * ```ts ignore
 * import { printHookReply } from "./hook_client.ts";
 *
 * await printHookReply({ stdout: "", stderr: [], exit: 0 });
 * ```
 */
export async function printHookReply(reply: HookReply): Promise<void> {
  const encoder = new TextEncoder();
  if (reply.stdout) await Deno.stdout.write(encoder.encode(reply.stdout));
  for (const line of reply.stderr ?? []) {
    await Deno.stderr.write(encoder.encode(`${line}\n`));
  }
}

if (import.meta.main) {
  Deno.exit(await runHookClient(Deno.args));
}
