// deno-lint-ignore-file no-console -- a benchmark prints its results
/**
 * Verify benchmark: seals a generated log of about 1 GB in-process (the
 * proxy's own Sealer, signed checkpoints every 1000 events), then times
 * `mcp-audit verify --pubkey` on it in a fresh process and prints MB/s and
 * peak RSS against the target of issue 6 (100 MB/s, constant memory). Not
 * a test.
 *
 *     deno run --allow-run --allow-read --allow-write --allow-env bench/verify_bench.ts [--mb 1000] [--keep DIR]
 *
 * `--keep DIR` writes the log and keys into DIR and leaves them there; a
 * later run with the same DIR and size reuses them (for profiling).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { seeded } from "../tests/_seeded.ts";
import { Sealer } from "../lib/seal/seal.ts";
import { SEAL_SUFFIX } from "../lib/seal/sealed_line.ts";
import { generateKeyPair, loadSigningKey } from "../lib/seal/signing_key.ts";
import { cliArgs } from "../tests/_helpers.ts";

const TARGET_MB_S = 100;
const CHECKPOINT_EVERY = 1000;
const FLUSH_BYTES = 16 * 1024 * 1024;

/** Seals about `mb` MB of request/response events into `path`. */
async function generate(
  path: string,
  mb: number,
  keyPath: string,
): Promise<{ bytes: number; lines: number }> {
  const session = "bench-0000-4000-8000-000000000000";
  const sealer = new Sealer(session, {
    signingKey: await loadSigningKey(keyPath),
  });
  const random = seeded(6);
  const encoder = new TextEncoder();
  const file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const target = mb * 1_000_000;
  let bytes = 0;
  let lines = 0;
  let seq = 0;
  /** Sealed lines not yet written, and their length. */
  let sealed: Uint8Array[] = [];
  let pending = 0;
  /** Events not yet sealed: sealed in runs, as the log thread does. */
  let unsealed: string[] = [];
  let unsealedLength = 0;
  const ts = "2026-11-25T10:00:00.000Z";
  const head = (kind: string): string =>
    `{"v":1,"seq":${seq++},"ts":"${ts}","session":"${session}","kind":"${kind}"`;
  async function flush(): Promise<void> {
    sealRun();
    const chunk = new Uint8Array(pending);
    let at = 0;
    for (const line of sealed) {
      chunk.set(line, at);
      at += line.length;
    }
    sealed = [];
    pending = 0;
    let offset = 0;
    while (offset < chunk.length) {
      offset += await file.write(chunk.subarray(offset));
    }
    bytes += chunk.length;
  }
  /** Seals the events waiting in `unsealed`, four at a time in the lanes. */
  function sealRun(): void {
    if (unsealed.length === 0) return;
    const run = encoder.encode(unsealed.join(""));
    const ends: number[] = [];
    let end = 0;
    for (const line of unsealed) ends.push(end += encoder.encode(line).length);
    push(sealer.seal(run, { ends }));
    unsealed = [];
    unsealedLength = 0;
  }
  function push(bytes: Uint8Array): void {
    sealed.push(bytes);
    pending += bytes.length;
  }
  function add(line: string): void {
    unsealed.push(line);
    unsealedLength += line.length + SEAL_SUFFIX - 1; // As sealed.
    lines++;
    if (unsealed.length === 256) sealRun();
  }
  /** Lines that need the sealer's state wait for the events before them. */
  function addSealed(line: () => string, leaf = true): void {
    sealRun();
    push(sealer.seal(encoder.encode(line()), { leaf }));
    lines++;
  }
  async function checkpoint(): Promise<void> {
    sealRun();
    const cp = await sealer.checkpoint();
    addSealed(
      () => `${head("checkpoint")},${JSON.stringify(cp).slice(1, -1)}}\n`,
      false,
    );
  }
  add(
    `${
      head("session_start")
    },"command":["bench"],"proxyPid":1,"cwd":"/","proxy":{"name":"mcp-audit","version":"bench"},"chainStart":"${sealer.start}"}\n`,
  );
  let id = 0;
  while (bytes + pending + unsealedLength < target) {
    const words = Array.from(
      { length: 10 + Math.floor(random() * 60) },
      () => Math.floor(random() * 1e6).toString(36),
    ).join(" ");
    id++;
    add(
      `${
        head("request")
      },"dir":"c2s","bytes":120,"id":${id},"method":"tools/call","params":{"name":"search","arguments":{"query":"${
        words.slice(0, 40)
      }"}},"tool":"search"}\n`,
    );
    add(
      `${
        head("response")
      },"dir":"s2c","bytes":${words.length},"id":${id},"method":"tools/call","tool":"search","requestSeq":${
        seq - 2
      },"durationMs":3,"result":{"content":[{"type":"text","text":"${words}"}]}}\n`,
    );
    if (sealer.sinceCheckpoint + unsealed.length >= CHECKPOINT_EVERY) {
      await checkpoint();
    }
    if (pending >= FLUSH_BYTES) await flush();
  }
  addSealed(() =>
    `${
      head("session_end")
    },"reason":"client_closed","exit":{"code":0,"signal":null},"summary":{"toolCalls":${id},"tools":{"search":${id}},"toolClasses":{},"entities":[],"uniqueEntities":0,"errors":0,"messages":{"c2s":${id},"s2c":${id}},"invalid":0,"durationMs":1},"pending":[],"stderr":{"bytes":0,"loggedBytes":0},"chain":{"head":"${sealer.head}","events":${
      seq - 1
    }}}\n`
  );
  await checkpoint();
  await flush();
  file.close();
  return { bytes, lines };
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    mb: { type: "string", default: "1000" },
    keep: { type: "string" },
  },
});
const mb = Number(values.mb);
if (!(mb > 0)) {
  throw new RangeError(`--mb takes a positive number, got "${values.mb}".`);
}
const keep = values.keep;
if (keep) await Deno.mkdir(keep, { recursive: true });
const dir = keep ??
  await Deno.makeTempDir({ prefix: "mcp-audit-verify-bench-" });
try {
  const log = `${dir}/bench-${mb}.jsonl`;
  let bytes = 0;
  const reused = keep ? await reusable(dir, log) : undefined;
  if (reused !== undefined) {
    bytes = reused;
    console.log(`reusing ${log}, ${(bytes / 1e6).toFixed(0)} MB`);
  } else {
    const pair = await generateKeyPair();
    await Deno.writeTextFile(`${dir}/k.key`, pair.privatePem);
    await Deno.writeTextFile(`${dir}/k.pub`, pair.publicPem);
    const g0 = performance.now();
    const generated = await generate(log, mb, `${dir}/k.key`);
    bytes = generated.bytes;
    const genSeconds = (performance.now() - g0) / 1000;
    console.log(
      `generated ${(bytes / 1e6).toFixed(0)} MB, ${generated.lines} lines in ${
        genSeconds.toFixed(1)
      } s`,
    );
  }
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(["verify", "--json", "--pubkey", `${dir}/k.pub`, log]),
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // Peak RSS of the verifier, sampled with ps while it runs (Deno reads
  // other processes' /proc entries only with --allow-all).
  let peakKb = 0;
  let running = true;
  const sampling = (async () => {
    while (running) {
      try {
        const ps = await new Deno.Command("ps", {
          args: ["-o", "rss=", "-p", String(child.pid)],
          stdout: "piped",
          stderr: "null",
        }).output();
        const kb = Number(new TextDecoder().decode(ps.stdout).trim());
        if (kb > 0) peakKb = Math.max(peakKb, kb);
      } catch {
        // No ps on this system: RSS is not reported.
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const out = await child.output();
  running = false;
  await sampling;
  const seconds = (performance.now() - t0) / 1000;
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  const rate = bytes / 1e6 / seconds;
  console.log(
    `verify: ${report.status} (exit ${out.code}), ${seconds.toFixed(2)} s, ${
      rate.toFixed(0)
    } MB/s = ${
      (rate / TARGET_MB_S).toFixed(2)
    }x the target of ${TARGET_MB_S} MB/s; peak RSS ${
      peakKb ? `${(peakKb / 1024).toFixed(0)} MB` : "n/a"
    } (sampled every 100 ms)`,
  );
  if (out.code !== 0) Deno.exitCode = 1;
} finally {
  if (!keep) await Deno.remove(dir, { recursive: true });
}

/** The size of a log kept by an earlier run with its key, or undefined. */
async function reusable(
  dir: string,
  log: string,
): Promise<number | undefined> {
  try {
    await Deno.stat(`${dir}/k.pub`);
    return (await Deno.stat(log)).size;
  } catch {
    return undefined;
  }
}
