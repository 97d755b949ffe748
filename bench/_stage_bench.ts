// deno-lint-ignore-file no-console -- a bench main prints its table
/**
 * Times each stage of the proxy's audit path in isolation, in-process, on
 * the same generated messages as `proxy_bench.ts`: LineSplitter, the two
 * halves of parseFrame (strict UTF-8 decode, JSON.parse), Correlator,
 * toLogLine and LogWriter, then the whole tap as the proxy wires it. Use it
 * to find where a missed proxy target goes; every message is audited twice
 * (once per direction), as through `cat`.
 *
 *     deno run --allow-read --allow-write bench/_stage_bench.ts [--quick]
 *
 * @module
 */
import { type Frame, LineSplitter } from "../lib/wire/line_splitter.ts";
import { parseFrame } from "../lib/wire/jsonrpc.ts";
import { type CorrelatedEvent, Correlator } from "../lib/audit/correlator.ts";
import { toLogLine } from "../lib/log/log_line.ts";
import { LogWriter } from "../lib/log/log_writer.ts";
import { AuditSink } from "../lib/session/audit_sink.ts";
import { LocalLog } from "../lib/log/event_log.ts";
import { messages, type Workload } from "./_workload.ts";

const MB = 1024 * 1024;
/** What a pipe read usually hands the proxy. */
const READ_BYTES = 64 * 1024;

/** Re-cuts a workload into pipe-sized reads, each a fresh buffer as Deno gives. */
function* reads(workload: Workload): Iterable<Uint8Array> {
  for (const chunk of workload.chunks()) {
    for (let at = 0; at < chunk.length; at += READ_BYTES) {
      yield chunk.slice(at, at + READ_BYTES);
    }
  }
}

/** How far down the audit path a pass goes. */
type Depth =
  | "split"
  | "decode"
  | "decode-lenient"
  | "parse"
  | "correlate"
  | "logline"
  | "write"
  | "sink";

/**
 * Streams the input through the audit path down to `depth`, once per
 * direction, keeping nothing: a stage's cost is the difference between two
 * passes, so no stage is charged for garbage another one holds on to.
 */
async function pass(
  input: Uint8Array[],
  depth: Depth,
  log: string,
): Promise<number> {
  const strict = new TextDecoder("utf-8", { fatal: true });
  const lenient = new TextDecoder();
  const correlator = new Correlator({ session: crypto.randomUUID() });
  await Deno.remove(log).catch(() => {});
  const writer = depth === "write" || depth === "sink"
    ? await LogWriter.open(log, { session: "s" })
    : undefined;
  const sink = depth === "sink" && writer
    ? new AuditSink(new LocalLog(writer), {})
    : undefined;
  let sinkhole = 0;
  const t0 = performance.now();
  for (const dir of ["c2s", "s2c"] as const) {
    let wait: Promise<void> | undefined;
    const onFrame = (f: Frame): void => {
      switch (depth) {
        case "split":
          sinkhole += f.length;
          return;
        case "decode":
          sinkhole += strict.decode(f.bytes).length;
          return;
        case "decode-lenient":
          sinkhole += lenient.decode(f.bytes).length;
          return;
      }
      const parsed = parseFrame(f);
      if (depth === "parse") {
        sinkhole += parsed.type.length;
        return;
      }
      for (const e of correlator.frame(dir, f, parsed)) {
        if (depth === "correlate") sinkhole += e.seq;
        else if (depth === "logline") sinkhole += toLogLine(e).length;
        else if (depth === "write") {
          wait = writer!.write(e.seq, toLogLine(e)) ?? wait;
        } else wait = sink!.accept(e as CorrelatedEvent) ?? wait;
      }
    };
    const splitter = new LineSplitter(onFrame);
    for (const chunk of input) {
      wait = undefined;
      splitter.push(chunk);
      if (wait) await wait;
    }
    splitter.end();
  }
  await sink?.drain();
  await writer?.close();
  if (sinkhole < 0) throw new Error("unreachable");
  return performance.now() - t0;
}

async function stages(
  label: string,
  workload: Workload,
  dir: string,
): Promise<void> {
  const input = [...reads(workload)];
  const n = workload.messages * 2; // both directions
  const bytes = workload.bytes * 2;
  const log = `${dir}/${label}.jsonl`;
  const depths: Depth[] = [
    "split",
    "decode",
    "decode-lenient",
    "parse",
    "correlate",
    "logline",
    "write",
    "sink",
  ];
  const t: Partial<Record<Depth, number>> = {};
  for (const d of depths) {
    t[d] = await pass(input, d, log); // warm-up, then the best of three
    for (let i = 0; i < 2; i++) {
      t[d] = Math.min(t[d]!, await pass(input, d, log));
    }
  }
  const logBytes = (await Deno.stat(log)).size;
  const ms = (d: Depth): number => t[d]!;
  const rows: [string, number][] = [
    ["LineSplitter", ms("split")],
    ["  decode, fatal TextDecoder", ms("decode") - ms("split")],
    ["  (alt: non-fatal TextDecoder)", ms("decode-lenient") - ms("split")],
    ["  JSON.parse + sort (rest)", ms("parse") - ms("decode")],
    ["parseFrame", ms("parse") - ms("split")],
    ["Correlator.frame", ms("correlate") - ms("parse")],
    ["toLogLine", ms("logline") - ms("correlate")],
    ["LogWriter", ms("write") - ms("logline")],
    ["AuditSink (vs calling writer)", ms("sink") - ms("write")],
  ];
  console.log(
    `\n${label}: ${n.toLocaleString()} frames, ${
      (bytes / MB).toFixed(0)
    } MB audited, log ${(logBytes / MB).toFixed(0)} MB`,
  );
  const total = ms("sink");
  for (
    const [name, v] of [
      ...rows,
      ["whole audit path", total] as [string, number],
    ]
  ) {
    const share = name.startsWith("  ")
      ? ""
      : `${(100 * v / total).toFixed(0)}%`;
    console.log(
      `${name.padEnd(32)} ${v.toFixed(0).padStart(6)} ms ${share.padStart(4)} ${
        (1000 * v / n).toFixed(2).padStart(8)
      } us/frame  ${
        v > 0.5
          ? `${
            Math.round(n / (v / 1000)).toLocaleString().padStart(10)
          } frames/s  ${(bytes / MB / (v / 1000)).toFixed(0).padStart(5)} MB/s`
          : ""
      }`,
    );
  }
}

if (import.meta.main) {
  const scale = Deno.args.includes("--quick") ? 10 : 1;
  const dir = await Deno.makeTempDir({ prefix: "mcp-audit-stage-bench-" });
  try {
    await stages("1KB", messages(Math.round(50_000 / scale), 1024, 256), dir);
    await stages("1MB", messages(Math.round(64 / scale), MB, 4), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
