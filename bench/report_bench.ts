/**
 * Report benchmark: renders a generated 100,000-event log and prints the
 * render time, peak RSS and HTML size as ratios against the targets of issue
 * 5 (under 5 s, under 500 MB RSS, under 60 MB of HTML), and the finding
 * rules alone over the same events against the read in the same run and
 * issue 19's 2 s target. Not a test.
 *
 * The log is generated first, then read and rendered in a fresh process, so
 * the RSS measured is the report's alone, as `mcp-audit report` would use.
 *
 *     deno run --allow-run --allow-read --allow-write --allow-env bench/report_bench.ts [EVENTS]
 *
 * @module
 */
import { readLog } from "../lib/log/log_reader.ts";
import { renderReport } from "../report/mod.ts";
import { findFindings } from "../lib/findings/find_findings.ts";
import { generateLog, writeLog } from "../tests/_log_fixture.ts";

const TARGETS = {
  seconds: 5,
  rssMb: 500,
  htmlMb: 60,
  findingsSeconds: 2,
} as const;

interface Measured {
  events: number;
  readSeconds: number;
  renderSeconds: number;
  /** The finding rules alone over the events (issue 19: under 2 s). */
  findingsSeconds: number;
  findings: number;
  peakRss: number;
  startRss: number;
  htmlBytes: number;
}

/** Reads and renders `log`, sampling RSS; runs in the child process. */
async function measure(log: string): Promise<Measured> {
  let peak = Deno.memoryUsage().rss;
  const startRss = peak;
  const sampler = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 5);
  const t0 = performance.now();
  const read = await readLog(log);
  const t1 = performance.now();
  peak = Math.max(peak, Deno.memoryUsage().rss);
  const html = renderReport(read.events, { sources: ["bench.jsonl"] });
  const t2 = performance.now();
  peak = Math.max(peak, Deno.memoryUsage().rss);
  const findings = findFindings(read.events).length;
  const t3 = performance.now();
  clearInterval(sampler);
  return {
    events: read.events.length,
    readSeconds: (t1 - t0) / 1000,
    renderSeconds: (t2 - t1) / 1000,
    findingsSeconds: (t3 - t2) / 1000,
    findings,
    peakRss: peak,
    startRss,
    htmlBytes: new TextEncoder().encode(html).length,
  };
}

if (Deno.args[0] === "--measure") {
  // deno-lint-ignore no-console
  console.log(JSON.stringify(await measure(Deno.args[1])));
} else {
  const wanted = Number(Deno.args[0] ?? 100_000);
  const dir = await Deno.makeTempDir({ prefix: "mcp-audit-bench-" });
  try {
    const log = `${dir}/bench.jsonl`;
    // Each call is a request and a reply; the session adds 9 more events.
    await writeLog(
      log,
      generateLog({ seed: 42, calls: Math.ceil((wanted - 9) / 2) }),
    );
    const logBytes = (await Deno.stat(log)).size;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        new URL(import.meta.url).pathname,
        "--measure",
        log,
      ],
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("The measuring process failed");
    const m = JSON.parse(new TextDecoder().decode(out.stdout)) as Measured;
    const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
    const ratio = (value: number, target: number, unit: string): string =>
      `${(value / target).toFixed(2)}x of the ${target} ${unit} target`;
    const total = m.readSeconds + m.renderSeconds;
    // deno-lint-ignore no-console
    console.log([
      `events:         ${m.events.toLocaleString("en-US")} (log ${
        mb(logBytes)
      } MB)`,
      `read log:       ${m.readSeconds.toFixed(2)} s`,
      `renderReport:   ${m.renderSeconds.toFixed(2)} s (${
        ratio(m.renderSeconds, TARGETS.seconds, "s")
      })`,
      `read + render:  ${total.toFixed(2)} s (${
        ratio(total, TARGETS.seconds, "s")
      })`,
      `findings:       ${
        m.findingsSeconds.toFixed(2)
      } s, ${m.findings} found (${
        (m.findingsSeconds / m.readSeconds).toFixed(2)
      }x the read; ${ratio(m.findingsSeconds, TARGETS.findingsSeconds, "s")})`,
      `peak RSS:       ${mb(m.peakRss)} MB (${
        ratio(m.peakRss / 1024 / 1024, TARGETS.rssMb, "MB")
      }; ${mb(m.startRss)} MB at start)`,
      `HTML size:      ${mb(m.htmlBytes)} MB (${
        ratio(m.htmlBytes / 1024 / 1024, TARGETS.htmlMb, "MB")
      })`,
    ].join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
