/**
 * `proxy --anchor URL`: each signed checkpoint is POSTed off the machine as
 * it is made, to a receiver of the test's own on 127.0.0.1 and to a real
 * ClickHouse's own HTTP interface; an endpoint that is down or failing
 * never holds up the relay and is counted; and a log cut below an anchored
 * size, shipped, is caught by central verify from the anchored heads, and a
 * range of rows deleted in the store is named seq to seq.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cli } from "../_recorded_session.ts";
import { cliArgs, fixtureServer, readAll, tempDir } from "../_helpers.ts";
import { startClickHouse } from "./_clickhouse.ts";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startEverything, startReverse } from "../http/_http_servers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Receiver extends AsyncDisposable {
  url: string;
  bodies: Record<string, unknown>[];
}

/** A POST receiver on 127.0.0.1 that answers `status(n)` to the n-th POST. */
function receiver(status: (n: number) => number = () => 200): Receiver {
  const bodies: Record<string, unknown>[] = [];
  let n = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen(): void {} },
    async (request) => {
      assert.equal(request.method, "POST");
      assert.equal(request.headers.get("x-anchor-token"), "t0ken");
      const text = await request.text();
      const code = status(n++);
      if (code === 200) bodies.push(JSON.parse(text));
      return new Response(code === 200 ? "ok" : "busy", { status: code });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/heads`,
    bodies,
    async [Symbol.asyncDispose](): Promise<void> {
      await server.shutdown();
    },
  };
}

interface Session {
  /** Sends one echo call and waits for its answer. */
  call(text: string): Promise<void>;
  /** Closes stdin and waits for the proxy's exit. */
  end(): Promise<{ code: number; stderr: string }>;
}

function startProxy(log: string, flags: string[]): Session {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--checkpoint-every",
      "2",
      "--log",
      log,
      ...flags,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { MCP_AUDIT_ANCHOR_HEADERS: "x-anchor-token=t0ken" },
  }).spawn();
  const stderr = readAll(child.stderr).then((b) => decoder.decode(b));
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  let id = 0;
  let seen = 0;
  const send = async (message: Record<string, unknown>): Promise<void> => {
    await writer.write(
      encoder.encode(JSON.stringify({ jsonrpc: "2.0", id, ...message }) + "\n"),
    );
    id++;
    while (seen < id) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the proxy closed stdout before answering");
      seen += value.filter((b) => b === 10).length;
    }
  };
  const started = send({
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "anchor-test", version: "1" },
    },
  });
  return {
    async call(text: string): Promise<void> {
      await started;
      await send({
        method: "tools/call",
        params: { name: "echo", arguments: { text } },
      });
    },
    async end(): Promise<{ code: number; stderr: string }> {
      await started;
      await writer.close();
      reader.releaseLock();
      await child.stdout.cancel();
      return { code: (await child.status).code, stderr: await stderr };
    },
  };
}

async function checkpointLines(
  log: string,
): Promise<Record<string, unknown>[]> {
  return (await Deno.readTextFile(log)).split("\n").filter(Boolean).map((l) =>
    JSON.parse(l)
  ).filter((r) => r.kind === "checkpoint");
}

/** `session_end.anchor` of the log, and how many checkpoints came before it. */
async function endCounts(
  log: string,
): Promise<{ anchor: Record<string, unknown>; before: number }> {
  const records = (await Deno.readTextFile(log)).split("\n").filter(Boolean)
    .map((l) => JSON.parse(l));
  const end = records.find((r) => r.kind === "session_end");
  assert.ok(end, "the log has a session_end");
  return {
    anchor: end.anchor,
    before: records.filter((r) => r.kind === "checkpoint" && r.seq < end.seq)
      .length,
  };
}

async function until(
  what: string,
  done: () => boolean | Promise<boolean>,
): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`never happened: ${what}`);
}

Deno.test("anchor: each signed checkpoint is POSTed as it is made, the same tree size, root and signature as in the log", async () => {
  await using tmp = await tempDir();
  await using anchor = receiver();
  assert.equal((await cli(["keygen", "--out", `${tmp.path}/k`])).code, 0);
  const log = `${tmp.path}/a.jsonl`;
  const proxy = startProxy(log, [
    "--signing-key",
    `${tmp.path}/k.key`,
    "--anchor",
    anchor.url,
  ]);
  await proxy.call("one");
  await proxy.call("two");
  // While the session is still open, its first checkpoint is already off the machine.
  await until(
    "the first checkpoint anchored",
    async () =>
      (await checkpointLines(log)).length > 0 && anchor.bodies.length > 0,
  );
  const first = anchor.bodies[0];
  const live = (await checkpointLines(log))[0];
  assert.equal(first.tree_size, live.treeSize);
  await proxy.call("three");
  const { code, stderr } = await proxy.end();
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "", "--quiet and nothing failed: nothing said");
  const lines = await checkpointLines(log);
  assert.ok(lines.length >= 2, `several checkpoints, got ${lines.length}`);
  assert.deepEqual(
    anchor.bodies.map((b) => [b.seq, b.tree_size, b.root, b.signature]),
    lines.map((l) => [l.seq, l.treeSize, l.root, l.signature]),
  );
  // The log records what was published before session_end (the last head
  // is written after it, so only stderr could count it).
  const { anchor: counts, before } = await endCounts(log);
  assert.ok(before >= 1);
  assert.deepEqual(counts, { published: before, failed: 0, dropped: 0 });
  for (const body of anchor.bodies) {
    assert.match(String(body.signature), /^[A-Za-z0-9+/=_-]{40,}$/);
    assert.equal(body.session, lines[0].session);
    assert.equal(typeof body.host, "string");
    assert.equal(JSON.parse(String(body.line)).root, body.root);
  }
});

Deno.test("anchor: an endpoint that is down or failing never holds up the relay; failures are counted and retried with the next checkpoint", async () => {
  await using tmp = await tempDir();
  // Down: nothing listens on the port.
  const port = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = (port.addr as Deno.NetAddr).port;
  port.close();
  const down = startProxy(`${tmp.path}/down.jsonl`, [
    "--anchor",
    `http://127.0.0.1:${closed}/heads`,
  ]);
  for (const text of ["a", "b", "c", "d"]) await down.call(text);
  const gone = await down.end();
  assert.equal(gone.code, 0, "the conversation went on");
  const heads = (await checkpointLines(`${tmp.path}/down.jsonl`)).length;
  assert.ok(heads >= 2);
  assert.match(
    gone.stderr,
    new RegExp(
      `^mcp-audit: anchor: 0 checkpoint\\(s\\) published to http://127\\.0\\.0\\.1:${closed}/heads, [1-9]\\d* failed POST\\(s\\), ${heads} never published \\(`,
      "m",
    ),
  );
  const downCounts = (await endCounts(`${tmp.path}/down.jsonl`)).anchor;
  assert.equal(downCounts.published, 0);
  assert.equal(downCounts.dropped, 0, "still queued at session_end");
  assert.ok(Number(downCounts.failed) >= 1, JSON.stringify(downCounts));
  assert.equal(typeof downCounts.error, "string");
  // Failing: the first two POSTs get 503; the heads are sent again after.
  await using flaky = receiver((n) => n < 2 ? 503 : 200);
  const log = `${tmp.path}/flaky.jsonl`;
  const proxy = startProxy(log, ["--anchor", flaky.url]);
  for (const text of ["a", "b", "c", "d", "e", "f"]) await proxy.call(text);
  const run = await proxy.end();
  assert.equal(run.code, 0);
  assert.match(
    run.stderr,
    /anchor: \d+ checkpoint\(s\) published to .*, 2 failed POST\(s\), 0 never published \(HTTP 503: busy\)/,
  );
  assert.deepEqual(
    flaky.bodies.map((b) => b.seq),
    (await checkpointLines(log)).map((l) => l.seq),
    "every head arrived once, in order",
  );
  const { anchor: flakyCounts, before } = await endCounts(log);
  assert.deepEqual(flakyCounts, {
    published: before,
    failed: 2,
    dropped: 0,
    error: "HTTP 503: busy",
  });
});

Deno.test("anchor: heads anchored into ClickHouse catch a log cut below an anchored size and shipped; a range of seq deleted in the store is named as a gap", async () => {
  await using ch = await startClickHouse();
  await using tmp = await tempDir();
  const DB = "anchor_test";
  assert.equal((await cli(["keygen", "--out", `${tmp.path}/k`])).code, 0);
  const empty = `${tmp.path}/empty`;
  await Deno.mkdir(empty);
  const init = await cli([
    "ship",
    "--init",
    "--to",
    ch.url,
    "--database",
    DB,
    "--cursor-dir",
    `${tmp.path}/c0`,
    `${empty}/none.jsonl`,
  ]);
  assert.equal(
    Number((await ch.sql(`EXISTS TABLE ${DB}.mcp_audit_checkpoints`)).trim()),
    1,
    init.stderr,
  );
  const insert = `${ch.url}/?query=${
    encodeURIComponent(
      `INSERT INTO ${DB}.mcp_audit_checkpoints FORMAT JSONEachRow`,
    )
  }`;
  const log = `${tmp.path}/m/cut.jsonl`;
  await Deno.mkdir(`${tmp.path}/m`);
  const proxy = startProxy(log, [
    "--signing-key",
    `${tmp.path}/k.key`,
    "--anchor",
    insert,
  ]);
  for (const text of ["a", "b", "c", "d", "e", "f"]) await proxy.call(text);
  const run = await proxy.end();
  assert.equal(run.code, 0, run.stderr);
  const lines = (await Deno.readTextFile(log)).split("\n").filter(Boolean);
  const records = lines.map((l) => JSON.parse(l));
  const session = String(records[0].session);
  const heads = records.filter((r) => r.kind === "checkpoint");
  const anchored = Number(
    (await ch.sql(
      `SELECT count() FROM ${DB}.mcp_audit_checkpoints FINAL WHERE session = '${session}'`,
    )).trim(),
  );
  assert.equal(anchored, heads.length, "every head is in the store");
  // The edge log is cut just after its first checkpoint (a valid prefix,
  // as a machine that deletes its newest entries would leave it).
  const keep = records.findIndex((r) => r.kind === "checkpoint") + 1;
  const lastHead = heads[heads.length - 1];
  assert.ok(keep < lines.length - 2);
  await Deno.writeTextFile(log, lines.slice(0, keep).join("\n") + "\n");
  const shipped = await cli([
    "ship",
    "--to",
    ch.url,
    "--database",
    DB,
    "--cursor-dir",
    `${tmp.path}/c1`,
    log,
  ]);
  assert.equal(shipped.code, 0, shipped.stderr);
  const verify = await cli([
    "verify",
    "--from",
    ch.url,
    "--database",
    DB,
    "--session",
    session,
    "--pubkey",
    `${tmp.path}/k.pub`,
  ]);
  assert.equal(verify.code, 1, verify.stdout);
  assert.match(
    verify.stdout,
    new RegExp(
      `FAIL deleted: checkpoint seq ${lastHead.seq} of the checkpoints table covers ${lastHead.treeSize} events, but the events table holds only \\d+ for this session`,
    ),
  );

  // A second session, anchored and shipped whole, then a range of its rows
  // deleted in the store: central verify names the gap, seq to seq.
  const whole = `${tmp.path}/m/whole.jsonl`;
  const second = startProxy(whole, [
    "--signing-key",
    `${tmp.path}/k.key`,
    "--anchor",
    insert,
  ]);
  for (const text of ["g", "h", "i", "j"]) await second.call(text);
  assert.equal((await second.end()).code, 0);
  const other = String(
    JSON.parse((await Deno.readTextFile(whole)).split("\n")[0]).session,
  );
  const full = await cli([
    "ship",
    "--to",
    ch.url,
    "--database",
    DB,
    "--cursor-dir",
    `${tmp.path}/c2`,
    whole,
  ]);
  assert.equal(full.code, 0, full.stderr);
  const clean = await cli([
    "verify",
    "--from",
    ch.url,
    "--database",
    DB,
    "--session",
    other,
    "--pubkey",
    `${tmp.path}/k.pub`,
  ]);
  assert.equal(clean.code, 0, clean.stdout);
  await ch.sql(
    `ALTER TABLE ${DB}.mcp_audit_events DELETE WHERE session = '${other}' AND seq >= 3 AND seq <= 5`,
  );
  await until(
    "the mutation applied",
    async () =>
      (await ch.sql(
        `SELECT count() FROM ${DB}.mcp_audit_events FINAL WHERE session = '${other}' AND seq >= 3 AND seq <= 5`,
      )).trim() === "0",
  );
  const gap = await cli([
    "verify",
    "--from",
    ch.url,
    "--database",
    DB,
    "--session",
    other,
    "--pubkey",
    `${tmp.path}/k.pub`,
  ]);
  assert.equal(gap.code, 1, gap.stdout);
  assert.match(
    gap.stdout,
    new RegExp(
      `^session ${other} seq 6: FAIL deleted: the lines with seq 3 to 5 are missing before the row with seq 6`,
      "m",
    ),
  );
});

Deno.test("anchor: with --upstream (the stdio bridge) and --listen (the reverse proxy), each HTTP session's checkpoints are published, and counted in its session_end", async () => {
  await using tmp = await tempDir();
  await using upstream = await startEverything("streamableHttp");
  const env = { MCP_AUDIT_ANCHOR_HEADERS: "x-anchor-token=t0ken" };
  const heads = (bodies: Record<string, unknown>[], session: unknown) =>
    bodies.filter((b) => b.session === session).map((b) => b.seq);
  // The stdio bridge: one session.
  {
    await using anchor = receiver();
    const log = `${tmp.path}/bridge.jsonl`;
    const client = new Client({ name: "anchor-bridge", version: "1" });
    await client.connect(
      new StdioClientTransport({
        command: Deno.execPath(),
        args: cliArgs([
          "proxy",
          "--quiet",
          "--checkpoint-every",
          "2",
          "--upstream",
          upstream.url,
          "--log",
          log,
          "--anchor",
          anchor.url,
        ]),
        env: { ...Deno.env.toObject(), ...env },
        stderr: "pipe",
      }),
    );
    for (const message of ["a", "b", "c"]) {
      await client.callTool({ name: "echo", arguments: { message } });
    }
    await client.close();
    await until(
      "the bridge's last head anchored",
      async () => {
        const lines = await checkpointLines(log).catch(() => []);
        const ended = (await Deno.readTextFile(log)).includes("session_end");
        return ended && lines.length > 0 &&
          anchor.bodies.length === lines.length;
      },
    );
    const lines = await checkpointLines(log);
    assert.ok(lines.length >= 2, `${lines.length} checkpoints`);
    assert.deepEqual(
      anchor.bodies.map((b) => [b.seq, b.tree_size, b.root]),
      lines.map((l) => [l.seq, l.treeSize, l.root]),
    );
    const { anchor: counts, before } = await endCounts(log);
    assert.deepEqual(counts, { published: before, failed: 0, dropped: 0 });
  }
  // The reverse proxy: two sessions, each with its own log and heads.
  {
    await using anchor = receiver();
    const logDir = `${tmp.path}/reverse`;
    await Deno.mkdir(logDir);
    const reverse = await startReverse(upstream.url, [
      "--quiet",
      "--checkpoint-every",
      "2",
      "--anchor",
      anchor.url,
    ], { MCP_AUDIT_LOG_DIR: logDir, ...env });
    for (const name of ["first", "second"]) {
      const client = new Client({ name, version: "1" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(reverse.url)),
      );
      for (const message of ["a", "b", "c"]) {
        await client.callTool({ name: "echo", arguments: { message } });
      }
      await client.close();
    }
    const status = await reverse.stop();
    assert.equal(status.code, 0, reverse.stderr());
    const logs: string[] = [];
    for await (const entry of Deno.readDir(logDir)) {
      if (entry.name.endsWith(".jsonl")) logs.push(`${logDir}/${entry.name}`);
    }
    assert.equal(logs.length, 2, logs.join(", "));
    for (const log of logs) {
      const lines = await checkpointLines(log);
      assert.ok(lines.length >= 2, `${log}: ${lines.length} checkpoints`);
      assert.deepEqual(
        heads(anchor.bodies, lines[0].session),
        lines.map((l) => l.seq),
        "every head of the session arrived once, in order",
      );
      const { anchor: counts, before } = await endCounts(log);
      assert.deepEqual(counts, { published: before, failed: 0, dropped: 0 });
    }
    assert.equal(
      anchor.bodies.length,
      (await Promise.all(logs.map(checkpointLines))).flat().length,
    );
  }
});
