/**
 * Where logs live by default: one file per session in the user's state
 * directory, because MCP clients start servers from directories the user
 * does not choose. Also finds the latest session for commands given none.
 *
 * @module
 */

/** Environment variables and platform the default location depends on. */
export interface LogDirEnv {
  /** The operating system, as `Deno.build.os` names it. */
  os: typeof Deno.build.os;
  /** An environment variable's value, or `undefined` when it is not set. */
  get(name: string): string | undefined;
}

/** The process's own environment. */
function processEnv(): LogDirEnv {
  return { os: Deno.build.os, get: (name) => Deno.env.get(name) };
}

/**
 * The default log directory: `$XDG_STATE_HOME/mcp-audit` (else
 * `~/.local/state/mcp-audit`) on Linux, `~/Library/Logs/mcp-audit` on macOS,
 * `%LOCALAPPDATA%\mcp-audit\logs` on Windows. `MCP_AUDIT_LOG_DIR` overrides all.
 *
 * @example
 * ```ts
 * import { defaultLogDir } from "./log_path.ts";
 * import assert from "node:assert/strict";
 *
 * const env = { os: "linux" as const, get: (k: string) => ({ XDG_STATE_HOME: "/s" } as Record<string, string>)[k] };
 * assert.equal(defaultLogDir(env), "/s/mcp-audit");
 * ```
 */
export function defaultLogDir(env: LogDirEnv = processEnv()): string {
  const override = env.get("MCP_AUDIT_LOG_DIR");
  if (override) return override;
  if (env.os === "windows") {
    const base = env.get("LOCALAPPDATA") ??
      `${env.get("USERPROFILE") ?? "."}\\AppData\\Local`;
    return `${base}\\mcp-audit\\logs`;
  }
  const home = env.get("HOME") ?? ".";
  if (env.os === "darwin") return `${home}/Library/Logs/mcp-audit`;
  const state = env.get("XDG_STATE_HOME");
  return `${
    state && state.startsWith("/") ? state : `${home}/.local/state`
  }/mcp-audit`;
}

/**
 * A session's file name: start time and server name, safe on every platform,
 * so names sort by time: `2026-11-25T10-00-00-123Z_hr-server_1a2b3c4d.jsonl`.
 *
 * @example
 * ```ts
 * import { sessionLogName } from "./log_path.ts";
 * import assert from "node:assert/strict";
 *
 * const name = sessionLogName(["npx", "-y", "@acme/server"], new Date(0), "abcdef12-0000");
 * assert.equal(name, "1970-01-01T00-00-00-000Z_acme-server_abcdef12.jsonl");
 * const installed = ["node", "/usr/lib/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js", "/tmp"];
 * assert.match(sessionLogName(installed, new Date(0), "ab"), /_modelcontextprotocol-server-filesystem_ab\.jsonl$/);
 * assert.match(sessionLogName(["node", "/src/weather-mcp/build/index.js"], new Date(0), "ab"), /_weather-mcp_ab\.jsonl$/);
 * ```
 */
export function sessionLogName(
  command: string[],
  start: Date,
  session: string,
  name?: string,
): string {
  const time = start.toISOString().replace(/[:.]/g, "-");
  return `${time}_${serverLabel(name === undefined ? command : [name])}_${
    session.slice(0, 8)
  }.jsonl`;
}

/**
 * Creates the directory a log will be written in, when it does not exist
 * yet (mode 0700), and returns it; `undefined` when it existed or could
 * not be made (opening the log then says why). Callers say once that they
 * created it, since a mistyped `--log` directory would otherwise pass
 * unnoticed.
 *
 * @example
 * ```ts
 * import { ensureLogDir } from "./log_path.ts";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * assert.equal(await ensureLogDir(`${root}/new/a.jsonl`), `${root}/new`);
 * assert.equal(await ensureLogDir(`${root}/new/b.jsonl`), undefined);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function ensureLogDir(
  logPath: string,
): Promise<string | undefined> {
  const dir = logPath.replace(/[\\/][^\\/]*$/, "");
  if (!dir || dir === logPath) return undefined;
  try {
    await Deno.stat(dir);
    return undefined;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return undefined;
  }
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch {
    return undefined;
  }
}

/** Script names that say nothing of the server: its package or directory does. */
const GENERIC_SCRIPTS = new Set([
  "index",
  "main",
  "server",
  "cli",
  "bin",
  "start",
  "app",
  "mod",
]);
/** Build and source folders to look past for a server's name. */
const BUILD_DIRS = new Set([
  "dist",
  "build",
  "lib",
  "src",
  "bin",
  "out",
  "esm",
  "cjs",
]);

/** Flags whose value is a secret, however the launcher spells them. */
const SECRET_FLAG = /^--?[\w-]*(token|secret|pass|key|auth|cred)[\w-]*$/i;

/** A short, file-name-safe name for the server a command starts. */
function serverLabel(command: string[]): string {
  // For launchers (npx, uvx, deno run, node, python) the package or script names the server.
  const launchers = new Set([
    "npx",
    "npx.cmd",
    "uvx",
    "deno",
    "node",
    "bunx",
    "python",
    "python3",
    "pnpm",
    "yarn",
  ]);
  let pick = command[0] ?? "server";
  const first = basename(pick);
  if (launchers.has(first)) {
    // The file name is not redacted: never name a log after a flag's value
    // that may be a secret (`npx --token ghp_... server`) or an assignment.
    const rest = command.slice(1).filter((a, i, all) =>
      !a.startsWith("-") && a !== "run" && a !== "dlx" && !a.includes("=") &&
      !SECRET_FLAG.test(all[i - 1] ?? "")
    );
    if (rest.length > 0) pick = rest[0];
  }
  const label = scriptName(pick).replace(
    /^@/,
    "",
  )
    .replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40);
  return label || "server";
}

/**
 * What names a script: the package it sits in under `node_modules`
 * (`@scope/name` as `scope-name`), else its file name, or its folder's
 * when the file is called `index.js` and the like.
 */
function scriptName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  const modules = parts.lastIndexOf("node_modules");
  if (modules !== -1 && modules + 1 < parts.length - 1) {
    const scoped = parts[modules + 1].startsWith("@");
    return scoped
      ? `${parts[modules + 1]}-${parts[modules + 2] ?? ""}`
      : parts[modules + 1];
  }
  const file = basename(path).replace(/\.(ts|js|mjs|cjs|py|cmd|exe)$/, "");
  if (!GENERIC_SCRIPTS.has(file)) return file;
  const dirs = parts.slice(0, -1).filter((d) => !BUILD_DIRS.has(d));
  return dirs.at(-1) ?? file;
}

function basename(path: string): string {
  const parts = path.split(/[\\/]/);
  const last = parts.pop() ?? path;
  // Keep a package scope: "@acme/server" -> "acme-server".
  const scope = parts.length > 0 && parts[parts.length - 1].startsWith("@")
    ? parts[parts.length - 1] + "-"
    : "";
  return scope + last;
}

/** No log was given and none was found in the default directory. */
export class NoLogFoundError extends Error {
  /** Creates the error naming the directory searched. */
  constructor(dir: string, options?: ErrorOptions) {
    super(
      `No audit log given and none found in "${dir}". Pass a log file, or run "mcp-audit proxy" first to record a session.`,
      options,
    );
    this.name = "NoLogFoundError";
  }
}

/**
 * The newest `.jsonl` log in `dir` (see {@linkcode latestSession}).
 * Throws {@linkcode NoLogFoundError}.
 *
 * @example
 * ```ts
 * import { latestLog } from "./log_path.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const start = (ts: string) => `{"v":1,"seq":0,"ts":"${ts}","session":"s","kind":"session_start"}\n`;
 * await Deno.writeTextFile(`${dir}/2026-01-01T00-00-00-000Z_a_1.jsonl`, start("2026-02-01T00:00:00.000Z"));
 * await Deno.writeTextFile(`${dir}/2026-02-01T00-00-00-000Z_b_2.jsonl`, start("2026-01-01T00:00:00.000Z"));
 * assert.equal(await latestLog(dir), `${dir}/2026-01-01T00-00-00-000Z_a_1.jsonl`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function latestLog(
  dir: string = defaultLogDir(),
): Promise<string> {
  return (await latestSession(dir)).paths[0];
}

/**
 * The files of the newest session in `dir`: its log and, when it was
 * rotated, the later parts (`a.jsonl`, `a.2.jsonl`, ...), in order.
 * Throws {@linkcode NoLogFoundError}.
 *
 * @example
 * ```ts
 * import { latestLogs } from "./log_path.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * for (const name of ["2026-01-01T00_a_1.jsonl", "2026-02-01T00_b_2.jsonl", "2026-02-01T00_b_2.2.jsonl"]) {
 *   await Deno.writeTextFile(`${dir}/${name}`, "");
 * }
 * await Deno.utime(`${dir}/2026-01-01T00_a_1.jsonl`, 0, 0);
 * assert.deepEqual(await latestLogs(dir), [`${dir}/2026-02-01T00_b_2.jsonl`, `${dir}/2026-02-01T00_b_2.2.jsonl`]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function latestLogs(
  dir: string = defaultLogDir(),
): Promise<string[]> {
  return (await latestSession(dir)).paths;
}

/** The newest session in a directory, and what made it the newest. */
export interface LatestSession {
  /** Its files: the log and its rotated parts, in order. */
  paths: string[];
  /** The session id, from its `session_start`. */
  session?: string;
  /** Its start time, `session_start`'s `ts`. */
  start?: string;
  /** When its first file was last modified (ISO 8601). */
  modified?: string;
  /** What it was chosen by: its `session_start` (signed when the log is), or, without one, the file's modification time. */
  by: "session_start" | "modified";
}

/**
 * The newest session in `dir`: the one whose `session_start` (the first
 * line of its file; its `ts` is covered by the checkpoints' signatures)
 * started last, or, for a file without one, whose file was modified last.
 * Not by file name: a name is what anyone can change, and an old, clean
 * log copied to a later name must not stand in for the latest session.
 * Throws {@linkcode NoLogFoundError}.
 *
 * @example
 * ```ts
 * import { latestSession } from "./log_path.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/2099-01-01_old.jsonl`,
 *   '{"v":1,"seq":0,"ts":"2026-01-01T00:00:00.000Z","session":"old","kind":"session_start"}\n');
 * await Deno.writeTextFile(`${dir}/2026-06-01_new.jsonl`,
 *   '{"v":1,"seq":0,"ts":"2026-06-01T00:00:00.000Z","session":"new","kind":"session_start"}\n');
 * const latest = await latestSession(dir);
 * assert.equal(latest.session, "new");
 * assert.equal(latest.by, "session_start");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function latestSession(
  dir: string = defaultLogDir(),
  options: LatestSessionOptions = {},
): Promise<LatestSession> {
  const names: string[] = [];
  const label = options.server === undefined
    ? undefined
    : serverLabel([options.server]);
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (
        entry.isFile && entry.name.endsWith(".jsonl") &&
        (label === undefined || labelOf(entry.name) === label)
      ) names.push(entry.name);
    }
  } catch (error) {
    throw new NoLogFoundError(dir, { cause: error });
  }
  const part = /^(.*)\.(\d+)\.jsonl$/;
  const firsts = names.filter((n) => {
    const m = part.exec(n);
    return !m || !names.includes(`${m[1]}.jsonl`);
  }).sort();
  if (firsts.length === 0) throw new NoLogFoundError(dir);
  const sep = dir.includes("\\") && !dir.includes("/") ? "\\" : "/";
  let best:
    | { name: string; at: number; start?: SessionStart; mtime?: Date }
    | undefined;
  for (const name of firsts) {
    const path = `${dir}${sep}${name}`;
    const start = await readSessionStart(path);
    const mtime = start ? undefined : await modified(path);
    const at = start?.at ?? mtime?.getTime() ?? 0;
    // Later wins; at the same time, the later name (the list is sorted).
    if (!best || at >= best.at) best = { name, at, start, mtime };
  }
  const first = best!.name;
  const base = first.slice(0, -".jsonl".length);
  const parts = names.map((n) => ({ n, m: part.exec(n) }))
    .filter(({ m }) => m && m[1] === base)
    .sort((a, b) => Number(a.m![2]) - Number(b.m![2]))
    .map(({ n }) => n);
  const paths = [first, ...parts].map((n) => `${dir}${sep}${n}`);
  const mtime = best!.mtime ?? await modified(paths[0]);
  return {
    paths,
    session: best!.start?.session,
    start: best!.start?.ts,
    modified: mtime?.toISOString(),
    by: best!.start ? "session_start" : "modified",
  };
}

/** Options for {@linkcode latestSession}. */
export interface LatestSessionOptions {
  /**
   * Only sessions of the server that `mcp-audit proxy --name` gave this
   * name (their files are named after it). @default {every session}
   */
  server?: string;
}

/** The server label in a log's name: `<time>_<label>_<id>.jsonl` (or `.N.jsonl`). */
function labelOf(name: string): string {
  const base = name.replace(/(\.\d+)?\.jsonl$/, "");
  const rest = base.slice(base.indexOf("_") + 1);
  return rest.slice(0, rest.lastIndexOf("_"));
}

interface SessionStart {
  session: string;
  ts: string;
  at: number;
}

/** The `session_start` on the first line of `path`, when there is one. */
async function readSessionStart(
  path: string,
): Promise<SessionStart | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return undefined;
  }
  try {
    // A session_start is small: its line fits in the first 64 KiB.
    const buffer = new Uint8Array(64 * 1024);
    let filled = 0;
    while (filled < buffer.length) {
      const n = await file.read(buffer.subarray(filled));
      if (n === null) break;
      filled += n;
      if (buffer.subarray(0, filled).includes(0x0a)) break;
    }
    const end = buffer.subarray(0, filled).indexOf(0x0a);
    if (end < 0) return undefined;
    const record = JSON.parse(
      new TextDecoder().decode(buffer.subarray(0, end)),
    );
    const at = Date.parse(record?.ts);
    if (
      record?.kind !== "session_start" || typeof record.session !== "string" ||
      typeof record.ts !== "string" || !Number.isFinite(at)
    ) {
      return undefined;
    }
    return { session: record.session, ts: record.ts, at };
  } catch {
    return undefined;
  } finally {
    file.close();
  }
}

async function modified(path: string): Promise<Date | undefined> {
  try {
    return (await Deno.stat(path)).mtime ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every part of the rotated log that `path` belongs to, found by name in
 * its directory, in order: for `d/a.jsonl` or `d/a.2.jsonl`, `d/a.jsonl`,
 * `d/a.2.jsonl`, `d/a.3.jsonl`, ... (those that exist). A path whose
 * directory cannot be read is returned alone.
 *
 * @example
 * ```ts
 * import { logParts } from "./log_path.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * for (const name of ["a.jsonl", "a.2.jsonl", "a.10.jsonl", "ab.jsonl", "b.2.jsonl"]) {
 *   await Deno.writeTextFile(`${dir}/${name}`, "");
 * }
 * const all = [`${dir}/a.jsonl`, `${dir}/a.2.jsonl`, `${dir}/a.10.jsonl`];
 * assert.deepEqual(await logParts(`${dir}/a.2.jsonl`), all);
 * assert.deepEqual(await logParts(`${dir}/a.jsonl`), all);
 * // Without its first file, a part is a log of its own.
 * assert.deepEqual(await logParts(`${dir}/b.2.jsonl`), [`${dir}/b.2.jsonl`]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function logParts(path: string): Promise<string[]> {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = cut >= 0 ? path.slice(0, cut) : ".";
  const prefix = cut >= 0 ? path.slice(0, cut + 1) : "";
  const name = path.slice(cut + 1);
  const names = new Set<string>();
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile) names.add(entry.name);
    }
  } catch {
    return [path];
  }
  const part = /^(.*)\.(\d+)\.jsonl$/.exec(name);
  const base = part && names.has(`${part[1]}.jsonl`)
    ? part[1]
    : name.endsWith(".jsonl")
    ? name.slice(0, -".jsonl".length)
    : undefined;
  if (base === undefined || !names.has(`${base}.jsonl`)) return [path];
  const parts = [...names].map((n) => /^(.*)\.(\d+)\.jsonl$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === base)
    .sort((a, b) => Number(a[2]) - Number(b[2]))
    .map((m) => m[0]);
  return [`${base}.jsonl`, ...parts].map((n) => prefix + n);
}

/**
 * Puts the parts of rotated logs in order (`a.jsonl`, `a.2.jsonl`, ...,
 * `a.10.jsonl`), whatever order a shell glob gave them in; other files keep
 * their place relative to each other.
 *
 * @example
 * ```ts
 * import { orderLogFiles } from "./log_path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   orderLogFiles(["s.10.jsonl", "s.2.jsonl", "other.jsonl", "s.jsonl"]),
 *   ["s.jsonl", "s.2.jsonl", "s.10.jsonl", "other.jsonl"],
 * );
 * ```
 */
export function orderLogFiles(paths: readonly string[]): string[] {
  const part = /^(.*)\.(\d+)\.jsonl$/;
  const keyOf = (p: string): { base: string; n: number } => {
    const m = part.exec(p);
    if (m && paths.includes(`${m[1]}.jsonl`)) {
      return { base: m[1], n: Number(m[2]) };
    }
    return { base: p.replace(/\.jsonl$/, ""), n: 1 };
  };
  const firstIndex = new Map<string, number>();
  paths.forEach((p, i) => {
    const { base } = keyOf(p);
    if (!firstIndex.has(base)) firstIndex.set(base, i);
  });
  return [...paths].sort((a, b) => {
    const ka = keyOf(a);
    const kb = keyOf(b);
    if (ka.base !== kb.base) {
      return firstIndex.get(ka.base)! - firstIndex.get(kb.base)!;
    }
    return ka.n - kb.n;
  });
}
