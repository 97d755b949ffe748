// deno-lint-ignore-file no-console -- a benchmark prints its results
/**
 * Hook latency benchmark: the time an agent waits for `mcp-audit hook`,
 * process start included, run from the bundle (`deno task bundle` ->
 * dist/mcp-audit.js, built first when missing) with `deno run` as the
 * installed launcher runs it. Each round runs a no-op hook (a script that
 * reads stdin and exits: the floor of any hook) and `mcp-audit hook
 * claude-code` on a PreToolUse and a PostToolUse of a shell command, in
 * the same run, with `mcp-audit --version` (the bundle's own start) beside
 * them, and prints p50 and p99 of each and their difference
 * against the target (p50 under 50 ms). Not a test.
 *
 *     deno run --allow-run --allow-read --allow-write --allow-env bench/hook_bench.ts [--rounds 40]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { PROXY_FLAGS } from "../tests/_helpers.ts";

const TARGET_P50_MS = 50;
const ROOT = new URL("../", import.meta.url).pathname;
const BUNDLE = `${ROOT}dist/mcp-audit.js`;

async function ensureBundle(): Promise<void> {
  try {
    await Deno.stat(BUNDLE);
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
): Promise<number> {
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { HOME: cwd, XDG_STATE_HOME: `${cwd}/state` },
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
  const base = { session_id: "bench", cwd: dir, hook_event_name: "PreToolUse" };
  const noops: number[] = [];
  const starts: number[] = [];
  const hooks: number[] = [];
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
    hooks.push(await timed(hook, JSON.stringify(call), dir));
    hooks.push(
      await timed(
        hook,
        JSON.stringify({
          ...call,
          hook_event_name: "PostToolUse",
          tool_response: { stdout: "1" },
        }),
        dir,
      ),
    );
  }
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
    `  mcp-audit hook      p50 ${p(hooks, 0.5)} ms   p99 ${p(hooks, 0.99)} ms`,
  );
  const added = percentile(hooks, 0.5) - percentile(noops, 0.5);
  console.log(
    `  added over no-op    p50 ${added.toFixed(1)} ms; ratio ${
      (percentile(hooks, 0.5) / percentile(noops, 0.5)).toFixed(2)
    }x`,
  );
  console.log(
    `  target: p50 under ${TARGET_P50_MS} ms: ${
      percentile(hooks, 0.5) < TARGET_P50_MS ? "met" : "NOT met"
    }`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
