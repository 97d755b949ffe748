// deno-lint-ignore-file no-console -- a benchmark prints its results
/**
 * Hook latency benchmark: the time an agent waits for `mcp-audit hook`,
 * process start included, run from the bundle (`deno task bundle` ->
 * dist/mcp-audit.js, built first when missing) with `deno run` as the
 * installed launcher runs it. Each round runs a no-op hook (a script that
 * reads stdin and exits: the floor of any hook) and `mcp-audit hook
 * claude-code` on a PreToolUse and a PostToolUse of a shell command (with
 * no writer running for its state directory, and again with the writer
 * running, which the full command then hands the event to), in the same
 * run, with `mcp-audit --version` (the bundle's own start) beside
 * them, and the fast hook client that `wrap --hooks` installs
 * (dist/mcp-audit-hook.js, talking to the per-user writer `hook --serve`,
 * started by the warm-up call and stopped at the end), and the launcher
 * that `deno task install` writes running `mcp-audit hook` (which it hands
 * to the fast client), and prints p50 and
 * p99 of each and their difference against the target (p50 under
 * 50 ms, the no-op measured in the same run). Not a test.
 *
 *     deno run --allow-run --allow-read --allow-write --allow-env bench/hook_bench.ts [--rounds 40]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { PROXY_FLAGS } from "../tests/_helpers.ts";
import { launcherScript } from "../tools/install_launcher.ts";

const TARGET_P50_MS = 50;
const ROOT = new URL("../", import.meta.url).pathname;
const BUNDLE = `${ROOT}dist/mcp-audit.js`;
const CLIENT = `${ROOT}dist/mcp-audit-hook.js`;

async function ensureBundle(): Promise<void> {
  try {
    await Deno.stat(BUNDLE);
    await Deno.stat(CLIENT);
  } catch {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "bundle"],
      cwd: ROOT,
    }).output();
    if (!out.success) throw new Error("deno task bundle failed");
  }
}

async function timed(
  args: string[],
  input: string,
  cwd: string,
  stateHome = `${cwd}/state`,
  command = Deno.execPath(),
): Promise<number> {
  const start = performance.now();
  const child = new Deno.Command(command, {
    args,
    cwd,
    env: { HOME: cwd, XDG_STATE_HOME: stateHome },
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  const ms = performance.now() - start;
  if (!out.success) {
    throw new Error(new TextDecoder().decode(out.stderr));
  }
  return ms;
}

/** The writer's socket, once the warm-up's writer listens. */
async function waitForSocket(dir: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    try {
      for await (const e of Deno.readDir(dir)) {
        if (e.name.startsWith("hookd-") && e.name.endsWith(".sock")) {
          return `${dir}/${e.name}`;
        }
      }
    } catch { /* not made yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no hook writer started in "${dir}"`);
}

/** Stops the writer by the pid its lock file holds. */
async function stopWriter(socket: string): Promise<void> {
  const lock = socket.replace(/\.sock$/, ".lock");
  const pid = Number((await Deno.readTextFile(lock)).trim());
  if (pid > 0) Deno.kill(pid, "SIGTERM");
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const { values } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string", default: "40" } },
});
const rounds = Number(values.rounds);
await ensureBundle();
const dir = await Deno.makeTempDir({ prefix: "mcp-audit-hook-bench-" });
try {
  const noop = `${dir}/noop.js`;
  await Deno.writeTextFile(
    noop,
    "await new Response(Deno.stdin.readable).text();\n",
  );
  const log = `${dir}/bench.jsonl`;
  const hook = [
    "run",
    "--quiet",
    ...PROXY_FLAGS,
    BUNDLE,
    "hook",
    "claude-code",
    "--log",
    log,
  ];
  const hookViaWriter = [...hook.slice(0, -1), `${dir}/full.jsonl`];
  const client = [
    "run",
    "--quiet",
    "--no-config",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-net",
    CLIENT,
    "hook",
    "claude-code",
    "--log",
    `${dir}/client.jsonl`,
  ];
  const writers = `${dir}/state/mcp-audit`;
  // The warm-up: no writer answers, so this starts one (and records itself).
  await timed(
    client,
    JSON.stringify({ session_id: "warm", hook_event_name: "SessionStart" }),
    dir,
  );
  const socket = await waitForSocket(writers);
  const base = { session_id: "bench", cwd: dir, hook_event_name: "PreToolUse" };
  const noops: number[] = [];
  const starts: number[] = [];
  const hooks: number[] = [];
  const viaWriter: number[] = [];
  const launched: number[] = [];
  // The launcher `deno task install` writes, for the bundle in dist/.
  const launcher = `${dir}/mcp-audit`;
  await Deno.writeTextFile(launcher, launcherScript(Deno.execPath(), BUNDLE));
  await Deno.chmod(launcher, 0o755);
  const launcherHook = [
    "hook",
    "claude-code",
    "--log",
    `${dir}/launcher.jsonl`,
  ];
  const fast: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const call = {
      ...base,
      tool_name: "Bash",
      tool_input: { command: `psql -c 'select ${i}' && rm -rf /tmp/x${i}` },
      tool_use_id: `toolu_${i}`,
    };
    noops.push(
      await timed(["run", "--quiet", noop], JSON.stringify(call), dir),
    );
    starts.push(
      await timed(
        ["run", "--quiet", ...PROXY_FLAGS, BUNDLE, "--version"],
        "",
        dir,
      ),
    );
    const post = JSON.stringify({
      ...call,
      hook_event_name: "PostToolUse",
      tool_response: { stdout: "1" },
    });
    // Another state directory: another writer key, and no writer there.
    hooks.push(await timed(hook, JSON.stringify(call), dir, `${dir}/state-x`));
    hooks.push(await timed(hook, post, dir, `${dir}/state-x`));
    // The full command with the writer running: it hands the event over.
    viaWriter.push(
      await timed(
        hookViaWriter,
        JSON.stringify({ ...call, session_id: "full" }),
        dir,
      ),
    );
    viaWriter.push(
      await timed(hookViaWriter, post.replace('"bench"', '"full"'), dir),
    );
    launched.push(
      await timed(
        launcherHook,
        JSON.stringify({ ...call, session_id: "l" }),
        dir,
        undefined,
        launcher,
      ),
    );
    fast.push(await timed(client, JSON.stringify(call), dir));
    fast.push(await timed(client, post, dir));
  }
  const recorded = (await Deno.readTextFile(`${dir}/client.jsonl`))
    .split("\n").filter((l) =>
      l.includes(`"session":"claude-code:bench"`) &&
      l.includes(`"kind":"re`)
    ).length;
  if (recorded !== 2 * rounds) {
    throw new Error(
      `the fast hook client recorded ${recorded} of ${2 * rounds} events`,
    );
  }
  const full = (await Deno.readTextFile(`${dir}/full.jsonl`)).split("\n")
    .filter((l) => l.includes(`"kind":"re`)).length;
  if (full !== 2 * rounds) {
    throw new Error(
      `the full command via the writer recorded ${full} of ${
        2 * rounds
      } events`,
    );
  }
  await stopWriter(socket);
  const p = (xs: number[], q: number): string => percentile(xs, q).toFixed(1);
  console.log(
    `hook latency, ${rounds} rounds (process start included, bundle via deno run)`,
  );
  console.log(
    `  no-op hook          p50 ${p(noops, 0.5)} ms   p99 ${p(noops, 0.99)} ms`,
  );
  console.log(
    `  mcp-audit --version p50 ${p(starts, 0.5)} ms   p99 ${
      p(starts, 0.99)
    } ms (the bundle's own start)`,
  );
  console.log(
    `  mcp-audit hook      p50 ${p(hooks, 0.5)} ms   p99 ${
      p(hooks, 0.99)
    } ms (no writer running)`,
  );
  console.log(
    `  mcp-audit hook      p50 ${p(viaWriter, 0.5)} ms   p99 ${
      p(viaWriter, 0.99)
    } ms (the writer running: the full command hands the event over)`,
  );
  console.log(
    `  launcher mcp-audit hook p50 ${p(launched, 0.5)} ms   p99 ${
      p(launched, 0.99)
    } ms (the installed launcher: it runs the fast client; the writer running)`,
  );
  console.log(
    `  fast hook client    p50 ${p(fast, 0.5)} ms   p99 ${
      p(fast, 0.99)
    } ms (wrap --hooks installs it; the writer was running)`,
  );
  const added = percentile(fast, 0.5) - percentile(noops, 0.5);
  console.log(
    `  full hook over no-op p50 ${
      (percentile(hooks, 0.5) - percentile(noops, 0.5)).toFixed(1)
    } ms; ratio ${
      (percentile(hooks, 0.5) / percentile(noops, 0.5)).toFixed(2)
    }x`,
  );
  console.log(
    `  fast client over no-op p50 ${added.toFixed(1)} ms; ratio ${
      (percentile(fast, 0.5) / percentile(noops, 0.5)).toFixed(2)
    }x`,
  );
  console.log(
    `  target (installed hook, fast client): p50 under ${TARGET_P50_MS} ms: ${
      percentile(fast, 0.5) < TARGET_P50_MS ? "met" : "NOT met"
    }`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
