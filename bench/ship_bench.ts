// deno-lint-ignore-file no-console -- a benchmark prints its results
/**
 * Ship benchmark: starts a local ClickHouse (Debian's clickhouse-server, on
 * 127.0.0.1, data in a temporary directory), writes a sealed, signed log of
 * `--events` lines with the proxy's own Sealer, and times in the same run:
 *
 * - `mcp-audit ship` of the log (a fresh process: local verification, rows,
 *   inserts through `@clickhouse/client`, cursor writes);
 * - `clickhouse-client --query "INSERT ... FORMAT JSONEachRow"` loading the
 *   same rows (made by the same `eventRow`) from a file: the database's own
 *   loader, the baseline.
 *
 * Prints events/s of each and the ratio against the target (at
 * least 0.5x of the loader). Not a test.
 *
 *     deno run --allow-run --allow-read --allow-write --allow-env --allow-net=127.0.0.1 bench/ship_bench.ts [--events 200000]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startClickHouse } from "../tests/fleet/_clickhouse.ts";
import { writeSealedSession } from "../tests/fleet/_fleet_logs.ts";
import { generateKeyPair, loadSigningKey } from "../lib/seal/signing_key.ts";
import { eventRow } from "../lib/fleet/event_row.ts";
import { cliArgs } from "../tests/_helpers.ts";

const TARGET = 0.5;

const { values } = parseArgs({
  args: Deno.args,
  options: { events: { type: "string", default: "200000" } },
});
const events = Number(values.events);
const dir = await Deno.makeTempDir({ prefix: "mcp-audit-ship-bench-" });
try {
  await using ch = await startClickHouse();
  const pair = await generateKeyPair();
  await Deno.writeTextFile(`${dir}/k.key`, pair.privatePem);
  const key = await loadSigningKey(`${dir}/k.key`);
  const log = `${dir}/bench.jsonl`;
  const lines = await writeSealedSession(log, {
    session: "bench-session",
    calls: Math.ceil(events / 2),
    key,
    every: 1000,
  });
  const bytes = (await Deno.stat(log)).size;
  // The same rows, as the loader's input.
  const origin = { host: "bench-host", user: "bench", file: log };
  const text = await Deno.readTextFile(log);
  const rows = text.split("\n").slice(0, -1).map((line, i) =>
    JSON.stringify(eventRow(line, JSON.parse(line), origin, i + 1))
  ).join("\n") + "\n";
  await Deno.writeTextFile(`${dir}/rows.jsonl`, rows);

  await Deno.mkdir(`${dir}/empty`);
  const init = await new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "ship",
      "--init",
      "--to",
      ch.url,
      "--database",
      "shipped",
      "--cursor-dir",
      `${dir}/c0`,
    ]),
    env: { MCP_AUDIT_LOG_DIR: `${dir}/empty` },
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!init.success) {
    throw new Error("mcp-audit ship --init failed");
  }
  // The loader's table: the same schema, in its own database.
  await ch.sql("CREATE DATABASE IF NOT EXISTS loaded");
  const ddl =
    (await ch.sql("SHOW CREATE TABLE shipped.mcp_audit_events FORMAT TSVRaw"))
      .trim();
  await ch.sql(
    ddl.replace("shipped.mcp_audit_events", "loaded.mcp_audit_events"),
  );

  // The database's own loader.
  let start = performance.now();
  const input = await Deno.open(`${dir}/rows.jsonl`);
  const loader = await new Deno.Command("clickhouse-client", {
    args: [
      "--host",
      "127.0.0.1",
      "--port",
      String(ch.tcpPort),
      "--query",
      "INSERT INTO loaded.mcp_audit_events FORMAT JSONEachRow",
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  await input.readable.pipeTo(loader.stdin);
  const loaded = await loader.status;
  const loaderMs = performance.now() - start;
  if (!loaded.success) {
    throw new Error("clickhouse-client failed");
  }

  // mcp-audit ship.
  start = performance.now();
  const ship = await new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "ship",
      "--to",
      ch.url,
      "--database",
      "shipped",
      "--cursor-dir",
      `${dir}/c1`,
      "--host-name",
      "bench-host",
      log,
    ]),
    stdout: "null",
    stderr: "inherit",
  }).output();
  const shipMs = performance.now() - start;
  if (!ship.success) {
    throw new Error("mcp-audit ship failed");
  }

  const count = async (db: string): Promise<number> =>
    Number(
      (await ch.sql(`SELECT count() FROM ${db}.mcp_audit_events FINAL`)).trim(),
    );
  const [shipped, byLoader] = [await count("shipped"), await count("loaded")];
  if (shipped !== lines || byLoader !== lines) {
    throw new Error(
      `row counts differ: ${shipped} shipped, ${byLoader} loaded, ${lines} lines`,
    );
  }
  const rate = (ms: number): number =>
    lines / (ms / 1000);
  const ratio = rate(shipMs) / rate(loaderMs);
  console.log(
    `ship bench: ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB, ClickHouse ${
      (await ch.sql("SELECT version()")).trim()
    }`,
  );
  console.log(
    `  clickhouse-client INSERT FORMAT JSONEachRow: ${
      rate(loaderMs).toFixed(0)
    } events/s (${loaderMs.toFixed(0)} ms)`,
  );
  console.log(
    `  mcp-audit ship (verify + insert + cursor):   ${
      rate(shipMs).toFixed(0)
    } events/s (${shipMs.toFixed(0)} ms)`,
  );
  console.log(
    `  ratio ${ratio.toFixed(2)}x of the loader (target >= ${TARGET}x): ${
      ratio >= TARGET ? "met" : "NOT met"
    }`,
  );
} finally {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
