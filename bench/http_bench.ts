// deno-lint-ignore-file no-console -- the bench main prints its table
/**
 * HTTP benchmark: the reverse proxy and the stdio bridge, run exactly as
 * a user runs them (the CLI as a subprocess), each figure beside a
 * baseline measured in the same run. Not a test: it never fails the build.
 *
 * 1. Added latency of a small `tools/call` (p50, p99): an SDK Streamable
 *    HTTP client through `mcp-audit proxy --listen` against the same
 *    client straight to the upstream (`bench/_http_upstream.ts`).
 * 2. Calls per second over one session and over 8 concurrent sessions,
 *    proxied against direct.
 * 3. The stdio bridge (`mcp-audit proxy --upstream`) against `supergateway
 *    --streamableHttp` (npm, the same bridging without an audit): latency
 *    p50 and calls per second of an SDK stdio client through each.
 * 4. Peak RSS of the reverse proxy with 8 sessions each fetching 1 MiB
 *    results, against its peak after small calls only.
 * 5. CPU time per call (user + system, from /proc) of the reverse proxy
 *    and of each bridge over the latency runs: a figure that a loaded
 *    machine disturbs far less than wall-clock time.
 *
 *     deno task bench:http [--quick] [--only reverse|bridge] [--profile DIR]
 *
 * `--profile DIR` runs the reverse proxy and the bridge with `--cpu-prof`
 * and leaves their V8 CPU profiles in DIR (for Chrome DevTools).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { PROXY_FLAGS } from "../tests/_helpers.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const UPSTREAM = new URL("./_http_upstream.ts", import.meta.url).pathname;
const SUPERGATEWAY = "npm:supergateway@4.0.0";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    only: { type: "string" },
    profile: { type: "string" },
  },
});
// `--only reverse` or `--only bridge`: just those rows (the others take minutes).
const runReverse = values.only !== "bridge";
const runBridge = values.only !== "reverse";
const scale = values.quick ? 0.1 : 1;
const CALLS = Math.max(50, Math.round(1000 * scale));
const PROFILE = values.profile
  ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`]
  : [];

async function spawnUntil(
  argv: string[],
  ready: RegExp,
  cwd: string,
): Promise<{ child: Deno.ChildProcess; match: RegExpMatchArray }> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const reader = child.stderr.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${argv.join(" ")} did not start:\n${text}`);
    text += decoder.decode(value, { stream: true });
    const match = text.match(ready);
    if (match) {
      // Keep draining stderr so the child never blocks on it.
      (async () => {
        while (!(await reader.read()).done);
      })().catch(() => {});
      return { child, match };
    }
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function httpClient(url: string): Promise<Client> {
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** Latencies (ms) of `n` sequential small calls, after a warm-up. */
async function latencies(client: Client, n: number): Promise<number[]> {
  for (let i = 0; i < 20; i++) {
    await client.callTool({ name: "echo", arguments: { text: "warm" } });
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await client.callTool({ name: "echo", arguments: { text: `call ${i}` } });
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

/** Calls per second over `sessions` concurrent clients, after a warm-up. */
async function throughput(
  connect: () => Promise<Client>,
  sessions: number,
  total: number,
): Promise<number> {
  const clients: Client[] = await Promise.all(
    Array.from({ length: sessions }, () => connect()),
  );
  const each = Math.ceil(total / sessions);
  // The same warm-up as {@linkcode latencies}, for every subject alike: the
  // rate is the steady one, start-up and JIT warm-up left out.
  await Promise.all(clients.map(async (client) => {
    for (let i = 0; i < 20; i++) {
      await client.callTool({ name: "echo", arguments: { text: "warm" } });
    }
  }));
  const t0 = performance.now();
  await Promise.all(clients.map(async (client) => {
    for (let i = 0; i < each; i++) {
      await client.callTool({ name: "echo", arguments: { text: `t${i}` } });
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  return (each * sessions) / seconds;
}

/** The CPU time (user + system, ms) the process has used so far; NaN when /proc cannot tell. */
async function cpuMs(pid: number | null | undefined): Promise<number> {
  if (!pid) return NaN;
  const out = await new Deno.Command("cat", {
    args: [`/proc/${pid}/stat`],
    stdout: "piped",
    stderr: "null",
  }).output();
  // The fields after the command name (which may hold spaces) in its parentheses.
  const text = new TextDecoder().decode(out.stdout);
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15, in clock ticks (100 a second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000;
}

/** The process's peak resident set so far (VmHWM; Deno wants --allow-all to read /proc itself). */
async function peakRss(pid: number): Promise<number> {
  const out = await new Deno.Command("grep", {
    args: ["VmHWM", `/proc/${pid}/status`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const m = /VmHWM:\s+(\d+) kB/.exec(new TextDecoder().decode(out.stdout));
  return m ? Number(m[1]) * 1024 : NaN;
}

const dir = await Deno.makeTempDir({ prefix: "mcp-audit-http-bench-" });
const rows: string[][] = [];
const children: Deno.ChildProcess[] = [];
try {
  const upstream = await spawnUntil(
    [Deno.execPath(), "run", "--quiet", "--allow-net=127.0.0.1", UPSTREAM],
    /listening on (\d+)/,
    dir,
  );
  children.push(upstream.child);
  const upstreamUrl = `http://127.0.0.1:${upstream.match[1]}/mcp`;
  const proxy = await spawnUntil(
    [
      Deno.execPath(),
      "run",
      "--quiet",
      ...PROXY_FLAGS,
      ...PROFILE,
      CLI,
      "proxy",
      "--listen",
      "127.0.0.1:0",
      "--upstream",
      upstreamUrl,
      "--log",
      `${dir}/reverse.jsonl`,
      "--quiet",
    ],
    /listening on (http:\/\/\S+),/,
    dir,
  );
  children.push(proxy.child);
  const proxyUrl = proxy.match[1];

  if (runReverse) {
    // 1. Latency.
    const direct = await httpClient(upstreamUrl);
    const proxied = await httpClient(proxyUrl);
    const d = await latencies(direct, CALLS);
    const cpu0 = await cpuMs(proxy.child.pid);
    const p = await latencies(proxied, CALLS);
    const proxyCpu = (await cpuMs(proxy.child.pid) - cpu0) / (CALLS + 20);
    await direct.close();
    await proxied.close();
    const rssSmall = await peakRss(proxy.child.pid);
    for (const q of [0.5, 0.99]) {
      const name = q === 0.5 ? "p50" : "p99";
      rows.push([
        `reverse proxy: small tools/call latency ${name}`,
        `${percentile(p, q).toFixed(2)} ms`,
        `direct ${percentile(d, q).toFixed(2)} ms`,
        `added ${(percentile(p, q) - percentile(d, q)).toFixed(2)} ms`,
      ]);
    }
    rows.push([
      "reverse proxy: CPU per small tools/call",
      `${proxyCpu.toFixed(3)} ms`,
      "",
      "",
    ]);

    // 2. Throughput, 1 and 8 sessions.
    for (const sessions of [1, 8]) {
      const base = await throughput(
        () => httpClient(upstreamUrl),
        sessions,
        CALLS,
      );
      const ours = await throughput(
        () => httpClient(proxyUrl),
        sessions,
        CALLS,
      );
      rows.push([
        `reverse proxy: calls/s over ${sessions} session(s)`,
        `${ours.toFixed(0)}/s`,
        `direct ${base.toFixed(0)}/s`,
        `ratio ${(ours / base).toFixed(2)}`,
      ]);
    }

    // 4. Peak RSS with 8 sessions fetching 1 MiB results.
    const big: Client[] = await Promise.all(
      Array.from({ length: 8 }, () => httpClient(proxyUrl)),
    );
    const rounds = Math.max(2, Math.round(10 * scale));
    await Promise.all(big.map(async (client) => {
      for (let i = 0; i < rounds; i++) {
        await client.callTool({ name: "big", arguments: {} });
      }
    }));
    await Promise.all(big.map((c) => c.close()));
    const rssBig = await peakRss(proxy.child.pid);
    rows.push([
      `reverse proxy: peak RSS, 8 sessions x ${rounds} x 1 MiB results`,
      `${(rssBig / 2 ** 20).toFixed(0)} MiB`,
      `after small calls ${(rssSmall / 2 ** 20).toFixed(0)} MiB`,
      `ratio ${(rssBig / rssSmall).toFixed(2)}`,
    ]);
  }

  // 3. The bridge against supergateway.
  if (runBridge) {
    const pids = new Map<Client, number | null>();
    const stdioClient = async (args: string[]): Promise<Client> => {
      const client = new Client({ name: "bench", version: "1.0.0" });
      const transport = new StdioClientTransport({
        command: Deno.execPath(),
        args,
        cwd: dir,
        stderr: "ignore",
      });
      await client.connect(transport);
      pids.set(client, transport.pid);
      return client;
    };
    /** Latencies as {@linkcode latencies}, and the CPU ms per call of the client's server. */
    const measured = async (
      client: Client,
    ): Promise<{ sorted: number[]; cpu: number }> => {
      const before = await cpuMs(pids.get(client));
      const sorted = await latencies(client, CALLS);
      const cpu = (await cpuMs(pids.get(client)) - before) / (CALLS + 20);
      return { sorted, cpu };
    };
    const bridgeArgs = [
      "run",
      "--quiet",
      ...PROXY_FLAGS,
      ...PROFILE,
      CLI,
      "proxy",
      "--upstream",
      upstreamUrl,
      "--log",
      `${dir}/bridge.jsonl`,
      "--quiet",
    ];
    const gatewayArgs = [
      "run",
      "--quiet",
      "--no-lock",
      "-A",
      SUPERGATEWAY,
      "--streamableHttp",
      upstreamUrl,
      "--logLevel",
      "none",
    ];
    const ourBridge = await stdioClient(bridgeArgs);
    const gateway = await stdioClient(gatewayArgs);
    const { sorted: b, cpu: bCpu } = await measured(ourBridge);
    const { sorted: g, cpu: gCpu } = await measured(gateway);
    await ourBridge.close();
    await gateway.close();
    rows.push([
      "stdio bridge: small tools/call latency p50",
      `${percentile(b, 0.5).toFixed(2)} ms`,
      `supergateway ${percentile(g, 0.5).toFixed(2)} ms`,
      `ratio ${
        (percentile(b, 0.5) / percentile(g, 0.5)).toFixed(2)
      } (target <= 1.0)`,
    ]);
    rows.push([
      "stdio bridge: CPU per small tools/call",
      `${bCpu.toFixed(3)} ms`,
      `supergateway ${gCpu.toFixed(3)} ms`,
      `ratio ${(bCpu / gCpu).toFixed(2)}`,
    ]);
    const bt = await throughput(() => stdioClient(bridgeArgs), 1, CALLS);
    const gt = await throughput(() => stdioClient(gatewayArgs), 1, CALLS);
    rows.push([
      "stdio bridge: calls/s over 1 session",
      `${bt.toFixed(0)}/s`,
      `supergateway ${gt.toFixed(0)}/s`,
      `ratio ${(bt / gt).toFixed(2)} (target >= 1.0)`,
    ]);
  }
} finally {
  for (const child of children) {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

const widths = [0, 1, 2, 3].map((i) =>
  Math.max(...rows.map((r) => (r[i] ?? "").length))
);
console.log("\nHTTP transports (mcp-audit proxy --listen / --upstream)\n");
for (const row of rows) {
  console.log(row.map((c, i) => c.padEnd(widths[i])).join("  "));
}
