/**
 * `mcp-audit ship` and `verify --from` against a real ClickHouse on
 * 127.0.0.1: two "machines" (log directories) ship their sessions, a ship
 * killed mid-way resumes with exact row counts, duplicates never count
 * twice, and rows edited, deleted or inserted in the store are named by
 * central verify.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cli, recordSession } from "../_recorded_session.ts";
import { cliArgs, sha256, tempDir } from "../_helpers.ts";
import { startClickHouse } from "./_clickhouse.ts";
import { writeSealedSession } from "./_fleet_logs.ts";
import { loadSigningKey } from "../../lib/seal/signing_key.ts";

const DB = "fleet_test";

async function files(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".jsonl")) names.push(`${dir}/${e.name}`);
  }
  return names.sort();
}

async function lineCount(paths: string[]): Promise<number> {
  let n = 0;
  for (const p of paths) {
    n += (await Deno.readTextFile(p)).split("\n").length - 1;
  }
  return n;
}

async function hashes(paths: string[]): Promise<string[]> {
  return await Promise.all(
    paths.map(async (p) => await sha256(await Deno.readFile(p))),
  );
}

Deno.test("ship and central verify against a real ClickHouse", async (t) => {
  await using ch = await startClickHouse();
  await using tmp = await tempDir();
  const count = async (where = "1", final = true): Promise<number> =>
    Number(
      (await ch.sql(
        `SELECT count() FROM ${DB}.mcp_audit_events ${
          final ? "FINAL" : ""
        } WHERE ${where}`,
      )).trim(),
    );
  assert.equal((await cli(["keygen", "--out", `${tmp.path}/k`])).code, 0);
  const key = await loadSigningKey(`${tmp.path}/k.key`);
  const machineA = `${tmp.path}/a`;
  const machineB = `${tmp.path}/b`;
  await Deno.mkdir(machineA);
  await Deno.mkdir(machineB);
  // Machine A: two real sessions recorded through the proxy, signed.
  await recordSession(`${machineA}/one.jsonl`, {
    texts: ["alpha", "bravo", "charlie"],
    proxyArgs: ["--signing-key", `${tmp.path}/k.key`],
  });
  await recordSession(`${machineA}/two.jsonl`, {
    texts: ["delta"],
    proxyArgs: ["--signing-key", `${tmp.path}/k.key`],
  });
  // Machine B: one real session and a long one, both signed.
  await recordSession(`${machineB}/three.jsonl`, {
    texts: ["echo"],
    proxyArgs: ["--signing-key", `${tmp.path}/k.key`],
  });
  const longLines = await writeSealedSession(`${machineB}/long.jsonl`, {
    session: "long-session",
    calls: 1500,
    key,
  });
  const aFiles = await files(machineA);
  const bFiles = await files(machineB);
  const before = await hashes([...aFiles, ...bFiles]);
  const aLines = await lineCount(aFiles);
  const bLines = await lineCount(bFiles);
  const to = ["--to", ch.url, "--database", DB];

  await t.step(
    "a store that is not there is retried, then fails saying so",
    async () => {
      const port = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const closed = (port.addr as Deno.NetAddr).port;
      port.close();
      const run = await cli([
        "ship",
        "--to",
        `http://127.0.0.1:${closed}`,
        "--retries",
        "2",
        "--cursor-dir",
        `${tmp.path}/cursors-none`,
        ...aFiles,
      ]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /try 2 in 0\.3 s/);
      assert.match(
        run.stderr,
        /did not accept .* after 3 tries: .*nothing was lost/,
      );
    },
  );

  await t.step(
    "before --init, the store says to create the schema",
    async () => {
      const run = await cli([
        "ship",
        ...to,
        "--cursor-dir",
        `${tmp.path}/c0`,
        ...aFiles,
      ]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /ship --init --to/);
    },
  );

  await t.step("machine A ships its log directory", async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: cliArgs([
        "ship",
        "--init",
        ...to,
        "--host-name",
        "machine-a",
        "--user-name",
        "alice",
        "--cursor-dir",
        `${tmp.path}/ca`,
      ]),
      env: { MCP_AUDIT_LOG_DIR: machineA },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(stdout, new RegExp(`shipped ${aLines} line\\(s\\)`));
    assert.equal(await count("host = 'machine-a' AND user = 'alice'"), aLines);
  });

  await t.step(
    "machine B's ship killed mid-way resumes: nothing lost, nothing doubled",
    async () => {
      const args = [
        "ship",
        ...to,
        "--host-name",
        "machine-b",
        "--user-name",
        "bob",
        "--batch",
        "50",
        "--cursor-dir",
        `${tmp.path}/cb`,
        ...bFiles,
      ];
      const child = new Deno.Command(Deno.execPath(), {
        args: cliArgs(args),
        stdout: "null",
        stderr: "null",
      }).spawn();
      // Kill it once some of the long log, not all, is acknowledged.
      const deadline = Date.now() + 30_000;
      let shipped = 0;
      while (Date.now() < deadline) {
        shipped = await count("session = 'long-session'", false);
        if (shipped >= 200) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill("SIGKILL");
      await child.status;
      const partial = await count("host = 'machine-b'");
      assert.ok(
        partial > 0 && partial < bLines,
        `killed mid-way: ${partial} of ${bLines}`,
      );
      const again = await cli(args);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await count("host = 'machine-b'"), bLines);
      assert.equal(await count("session = 'long-session'"), longLines);
      assert.equal(await count(), aLines + bLines);
      // Shipping again sends nothing: the cursors hold.
      const third = await cli(args);
      assert.match(third.stdout, /shipped 0 line\(s\)/);
    },
  );

  await t.step(
    "a full redelivery doubles stored rows but never the rows queries see",
    async () => {
      const run = await cli([
        "ship",
        ...to,
        "--host-name",
        "machine-a",
        "--user-name",
        "alice",
        "--cursor-dir",
        `${tmp.path}/ca-fresh`,
        ...aFiles,
      ]);
      assert.equal(run.code, 0, run.stderr);
      // Every line of machine A went again (the merge may or may not have
      // folded the copies yet: FINAL counts them once either way).
      assert.match(run.stdout, new RegExp(`shipped ${aLines} line\\(s\\)`));
      assert.equal(await count(), aLines + bLines);
      const checkpoints = Number((await ch.sql(
        `SELECT count() FROM ${DB}.mcp_audit_checkpoints FINAL`,
      )).trim());
      const local = [...aFiles, ...bFiles].map(async (p) =>
        (await Deno.readTextFile(p)).split("\n").filter((l) =>
          l.includes('"kind":"checkpoint"')
        ).length
      );
      assert.equal(
        checkpoints,
        (await Promise.all(local)).reduce((a, b) => a + b, 0),
      );
    },
  );

  await t.step("shipping never changed the local logs", async () => {
    assert.deepEqual(await hashes([...aFiles, ...bFiles]), before);
  });

  const verify = (...args: string[]) =>
    cli([
      "verify",
      "--from",
      ch.url,
      "--database",
      DB,
      "--pubkey",
      `${tmp.path}/k.pub`,
      ...args,
    ]);

  await t.step(
    "central verify recomputes every session from the stored lines",
    async () => {
      const run = await verify("--since", "7d");
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(
        run.stdout,
        /^VERIFIED: 4 session\(s\), \d+ rows .*signatures checked/m,
      );
    },
  );

  await t.step(
    "prove --from makes the local bundle from the stored lines, and verify-proof checks it",
    async () => {
      const central = `${tmp.path}/central-proof.json`;
      const run = await cli([
        "prove",
        "--from",
        ch.url,
        "--database",
        DB,
        "--session",
        "long-session",
        "--event",
        "700",
        "-o",
        central,
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        /seq 700 \(leaf \d+\) in the tree of \d+ at .*mcp_audit_events session long-session/,
      );
      const local = `${tmp.path}/local-proof.json`;
      const own = await cli([
        "prove",
        `${machineB}/long.jsonl`,
        "--event",
        "700",
        "-o",
        local,
      ]);
      assert.equal(own.code, 0, own.stderr);
      const { source: _a, ...fromStore } = JSON.parse(
        await Deno.readTextFile(central),
      );
      const { source: _b, ...fromFile } = JSON.parse(
        await Deno.readTextFile(local),
      );
      assert.deepEqual(fromStore, fromFile);
      const checked = await cli([
        "verify-proof",
        central,
        "--pubkey",
        `${tmp.path}/k.pub`,
      ]);
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);
      const missing = await cli([
        "prove",
        "--from",
        ch.url,
        "--database",
        DB,
        "--session",
        "no-such-session",
        "--event",
        "1",
        "-o",
        `${tmp.path}/none.json`,
      ]);
      assert.equal(missing.code, 1);
      assert.match(
        missing.stderr,
        /no-such-session has no rows in .*ship it first/,
      );
    },
  );

  await t.step(
    "the fleet report, aggregated in ClickHouse, adds up to the local summaries",
    async () => {
      // The local summaries of every session, summed.
      const local = JSON.parse(
        (await cli(["summary", "--json", ...aFiles, ...bFiles])).stdout,
      ) as {
        summary: {
          toolCalls: number;
          errors: number;
          tools: Record<string, number>;
          toolClasses: Record<string, string[]>;
          entities: { type: string; value: string }[];
        };
      }[];
      assert.equal(local.length, 4);
      const calls = local.reduce((n, s) => n + s.summary.toolCalls, 0);
      const errors = local.reduce((n, s) => n + s.summary.errors, 0);
      const perTool = new Map<string, number>();
      const classes = new Map<string, Set<string>>();
      const entities = new Set<string>();
      for (const { summary } of local) {
        for (const [tool, n] of Object.entries(summary.tools)) {
          perTool.set(tool, (perTool.get(tool) ?? 0) + n);
        }
        for (const [label, tools] of Object.entries(summary.toolClasses)) {
          for (const tool of tools) {
            if (!classes.has(tool)) classes.set(tool, new Set());
            classes.get(tool)!.add(label);
          }
        }
        for (const e of summary.entities) entities.add(`${e.type}:${e.value}`);
      }
      assert.ok(
        calls > 1500 && errors > 0 && entities.size > 0,
        "the fixture has calls, errors and entities",
      );
      const out = `${tmp.path}/fleet.html`;
      const run = await cli([
        "report",
        "--from",
        ch.url,
        "--database",
        DB,
        "--since",
        "7d",
        "-o",
        out,
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /4 session\(s\) on 2 host\(s\) by 2 user\(s\)/);
      // What the page shows, read in a browser.
      const { Browser } = await import("../_chromium.ts");
      const browser = await Browser.launch();
      try {
        const page = await browser.newPage();
        await page.open(out);
        const shown = await page.evaluate<
          { stats: Record<string, number>; tables: string[][][] }
        >(`(() => ({
        stats: Object.fromEntries([...document.querySelectorAll("[data-stat]")].map((e) => [e.dataset.stat, Number(e.querySelector("b").textContent)])),
        tables: [...document.querySelectorAll("table")].map((t) => [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent))),
      }))()`);
        assert.equal(shown.stats["sessions"], 4);
        assert.equal(shown.stats["tool calls"], calls);
        assert.equal(shown.stats["errors"], errors);
        assert.equal(shown.stats["entities"], entities.size);
        const [hosts, tools, touched] = shown.tables;
        assert.deepEqual(
          hosts.map((r) => [r[0], r[1], Number(r[2]), Number(r[3])]),
          [
            [
              "machine-a",
              "alice",
              2,
              local.slice(0, 2).reduce((n, s) => n + s.summary.toolCalls, 0),
            ],
            [
              "machine-b",
              "bob",
              2,
              local.slice(2).reduce((n, s) => n + s.summary.toolCalls, 0),
            ],
          ],
        );
        assert.deepEqual(
          new Map(tools.map((r) => [r[0], Number(r[1])])),
          perTool,
        );
        for (const r of tools) {
          assert.deepEqual(
            r[4] === "" ? [] : r[4].split(", "),
            [...(classes.get(r[0]) ?? [])].sort(),
            `classes of ${r[0]}`,
          );
        }
        assert.deepEqual(new Set(touched.map((r) => r[0])), entities);
        assert.ok(
          touched.every((r) => r[3] === "bob" && r[4] === "machine-b"),
          "who touched them",
        );
      } finally {
        await browser.close();
      }
      // The filters keep only the matching sessions.
      for (
        const [flag, value, sessions] of [["--host", "machine-a", 2], [
          "--user",
          "bob",
          2,
        ], ["--server", "scripted", 3]] as const
      ) {
        const filtered = await cli([
          "report",
          "--from",
          ch.url,
          "--database",
          DB,
          "--since",
          "7d",
          flag,
          value,
          "-o",
          out,
        ]);
        assert.equal(filtered.code, 0, filtered.stderr);
        assert.match(
          filtered.stdout,
          new RegExp(`: ${sessions} session\\(s\\)`),
          `${flag} ${value}`,
        );
      }
    },
  );

  const sessionOf = async (file: string): Promise<string> =>
    JSON.parse((await Deno.readTextFile(file)).split("\n")[0]).session;
  const one = await sessionOf(`${machineA}/one.jsonl`);
  const two = await sessionOf(`${machineA}/two.jsonl`);
  const three = await sessionOf(`${machineB}/three.jsonl`);
  const columns =
    "session, seq, ts, kind, direction, method, tool, classes, entities, error, duration_ms, host, user";

  await t.step(
    "the fleet page counts the live findings and the guard's denials per host and user, as the local logs and summaries do",
    async () => {
      const machineE = `${tmp.path}/e`;
      await Deno.mkdir(machineE);
      // Live findings on, and a policy that denies every echo: four alike
      // calls make a repeated-call finding in each session.
      const policy = `${tmp.path}/policy.jsonc`;
      await Deno.writeTextFile(
        policy,
        JSON.stringify({
          liveFindings: true,
          policy: {
            mode: "enforce",
            rules: [{
              id: "no-echo",
              tool: "echo",
              action: "deny",
              reason: "not here",
            }],
          },
        }),
      );
      const guarded = [`${machineE}/guarded.jsonl`, `${machineE}/again.jsonl`];
      for (const [i, log] of guarded.entries()) {
        await recordSession(log, {
          texts: new Array(4 + i).fill(`same ${i}`),
          proxyArgs: ["--config", policy],
        });
      }
      const local = (await Promise.all(
        guarded.map((log) => Deno.readTextFile(log)),
      )).join("").split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const denied =
        local.filter((e) =>
          e.kind === "decision" && e.action === "deny" && e.mode === "enforce"
        ).length;
      assert.equal(denied, 9, "the policy denied every call");
      // The sum of the local summaries' findings.
      const summaries = JSON.parse(
        (await cli(["summary", "--json", "--config", policy, ...guarded]))
          .stdout,
      ) as { findings: { rule: string }[] }[];
      const findings = summaries.reduce((n, s) => n + s.findings.length, 0);
      assert.ok(findings >= 2, `a finding in each session, got ${findings}`);
      assert.equal(
        local.filter((e) => e.kind === "finding").length,
        findings,
        "the live findings are those the local summaries find",
      );
      const shipped = await cli([
        "ship",
        ...to,
        "--host-name",
        "machine-e",
        "--user-name",
        "erin",
        "--cursor-dir",
        `${tmp.path}/ce`,
        ...guarded,
      ]);
      assert.equal(shipped.code, 0, shipped.stderr);
      const out = `${tmp.path}/fleet-e.html`;
      const run = await cli([
        "report",
        "--from",
        ch.url,
        "--database",
        DB,
        "--since",
        "7d",
        "--host",
        "machine-e",
        "-o",
        out,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const { Browser } = await import("../_chromium.ts");
      const browser = await Browser.launch();
      try {
        const page = await browser.newPage();
        await page.open(out);
        const rows = await page.evaluate<string[][]>(
          `[...document.querySelector("table").tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent))`,
        );
        assert.deepEqual(rows, [[
          "machine-e",
          "erin",
          "2",
          rows[0][3],
          rows[0][4],
          String(findings),
          String(denied),
        ]]);
      } finally {
        await browser.close();
      }
      await ch.sql(
        `ALTER TABLE ${DB}.mcp_audit_events DELETE WHERE host = 'machine-e'`,
      );
      await ch.sql(
        `ALTER TABLE ${DB}.mcp_audit_checkpoints DELETE WHERE host = 'machine-e'`,
      );
      for (
        let i = 0;
        i < 200 && await count(`host = 'machine-e'`, false) > 0;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  );

  await t.step(
    "anchored heads: consistency proofs hold; a head that goes backwards is named; a silent machine is reported",
    async () => {
      const clean = await verify("--session", "long-session");
      assert.equal(clean.code, 0, clean.stdout);
      const m = /and (\d+) consistency proof\(s\) between them hold/.exec(
        clean.stdout,
      );
      assert.ok(m && Number(m[1]) > 10, clean.stdout);
      // A machine that cut its log and anchored a smaller head afterwards:
      // the head's root is the true root at that size, so only the order tells.
      const rows = (await ch.sql(
        `SELECT tree_size, root FROM ${DB}.mcp_audit_checkpoints FINAL WHERE session = 'long-session' ORDER BY seq LIMIT 1 FORMAT TSV`,
      )).trim().split("\t");
      await ch.sql(
        `INSERT INTO ${DB}.mcp_audit_checkpoints SELECT session, 999999, ts, ${
          rows[0]
        }, '${
          rows[1]
        }', head, key_id, signature, host, user, line FROM ${DB}.mcp_audit_checkpoints FINAL WHERE session = 'long-session' ORDER BY seq LIMIT 1`,
      );
      const rewound = await verify("--session", "long-session");
      assert.equal(rewound.code, 1);
      assert.match(
        rewound.stdout,
        /seq 999999: FAIL deleted: the anchored heads at checkpoint seq \d+ \(\d+ events\) and seq 999999 \(\d+ events\) go backwards/,
      );
      await ch.sql(
        `ALTER TABLE ${DB}.mcp_audit_checkpoints DELETE WHERE seq = 999999`,
      );
      // A session whose machine stopped shipping before its end (rows a minute old).
      const cut = `${tmp.path}/silent.jsonl`;
      await writeSealedSession(cut, {
        session: "silent-session",
        calls: 20,
        key,
      });
      const lines = (await Deno.readTextFile(cut)).split("\n").filter(Boolean);
      await Deno.writeTextFile(cut, lines.slice(0, 30).join("\n") + "\n");
      const shipped = await cli([
        "ship",
        ...to,
        "--host-name",
        "machine-d",
        "--user-name",
        "dora",
        "--cursor-dir",
        `${tmp.path}/cd`,
        cut,
      ]);
      assert.equal(shipped.code, 0, shipped.stderr);
      const quiet = await verify(
        "--session",
        "silent-session",
        "--silent-after",
        "10s",
      );
      assert.equal(quiet.code, 3, quiet.stdout);
      assert.match(
        quiet.stdout,
        /session silent-session has gone silent: host machine-d \(user dora\) shipped nothing for it since \S+ \(\d+ min, more than 0 min\) and it has no session_end/,
      );
      const patient = await verify(
        "--session",
        "silent-session",
        "--silent-after",
        "1h",
      );
      assert.doesNotMatch(patient.stdout, /gone silent/);
      await ch.sql(
        `ALTER TABLE ${DB}.mcp_audit_events DELETE WHERE session = 'silent-session'`,
      );
      await ch.sql(
        `ALTER TABLE ${DB}.mcp_audit_checkpoints DELETE WHERE session = 'silent-session'`,
      );
    },
  );

  await t.step("a row edited in the store is named", async () => {
    // ReplacingMergeTree keeps the last row inserted for (session, seq).
    await ch.sql(
      `INSERT INTO ${DB}.mcp_audit_events SELECT ${columns}, replaceAll(line, 'bravo', 'BRAVO'), file, line_no FROM ${DB}.mcp_audit_events FINAL WHERE session = '${one}' AND kind = 'request' AND line LIKE '%bravo%'`,
    );
    const seq = (await ch.sql(
      `SELECT seq FROM ${DB}.mcp_audit_events FINAL WHERE session = '${one}' AND line LIKE '%BRAVO%'`,
    )).trim();
    const run = await verify("--session", one);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      new RegExp(
        `^session ${one} seq ${seq}: FAIL edited: the row with seq ${seq} \\(seq ${seq}, request\\) does not match its hash`,
        "m",
      ),
    );
    assert.match(
      run.stdout,
      /FAIL forged_checkpoint: checkpoint seq \d+ of the checkpoints table records root/,
    );
  });

  await t.step("a column edited apart from its line is named", async () => {
    await ch.sql(
      `INSERT INTO ${DB}.mcp_audit_events SELECT session, seq, ts, kind, direction, method, 'harmless', classes, entities, error, duration_ms, host, user, line, file, line_no FROM ${DB}.mcp_audit_events FINAL WHERE session = '${three}' AND kind = 'request' AND tool = 'echo'`,
    );
    const run = await verify("--session", three);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      /FAIL edited: the row with seq \d+ has tool = "harmless", but its line says "echo"/,
    );
  });

  await t.step("a row deleted from the store is named", async () => {
    await ch.sql(
      `ALTER TABLE ${DB}.mcp_audit_events DELETE WHERE session = '${two}' AND seq = 5`,
    );
    for (
      let i = 0;
      i < 200 && await count(`session = '${two}' AND seq = 5`) > 0;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const run = await verify("--session", two);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      new RegExp(
        `^session ${two} seq 6: FAIL deleted: the line with seq 5 is missing before the row with seq 6: deleted`,
        "m",
      ),
    );
  });

  await t.step(
    "events cut off a session's end are caught by the shipped checkpoints",
    async () => {
      await ch.sql(
        `ALTER TABLE ${DB}.mcp_audit_events DELETE WHERE session = 'long-session' AND seq >= 1000`,
      );
      for (
        let i = 0;
        i < 200 && await count(`session = 'long-session' AND seq >= 1000`) > 0;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const run = await verify("--session", "long-session");
      assert.equal(run.code, 1);
      assert.match(
        run.stdout,
        /FAIL deleted: checkpoint seq \d+ of the checkpoints table covers \d+ events, but the events table holds only \d+ for this session/,
      );
    },
  );

  await t.step("a row inserted into the store is named", async () => {
    const last = Number((await ch.sql(
      `SELECT max(seq) FROM ${DB}.mcp_audit_events FINAL WHERE session = '${three}'`,
    )).trim());
    const added = last + 1;
    // A copy of the request at seq 5 under a new seq, after the session's end.
    await ch.sql(
      `INSERT INTO ${DB}.mcp_audit_events SELECT session, ${added}, ts, kind, direction, method, 'echo', classes, entities, error, duration_ms, host, user, replaceAll(line, '"seq":5,', '"seq":${added},'), file, line_no FROM ${DB}.mcp_audit_events FINAL WHERE session = '${three}' AND seq = 5`,
    );
    const run = await verify("--session", three);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      new RegExp(
        `^session ${three} seq ${added}: FAIL after_session_end: the row with seq ${added} \\(seq ${added}, request\\) comes after the session's end`,
        "m",
      ),
    );
  });

  await t.step(
    "a log that fails verification is shipped, with its result recorded",
    async () => {
      const lines = (await Deno.readTextFile(`${machineA}/one.jsonl`)).split(
        "\n",
      );
      lines[6] = lines[6].replace("charlie", "CHARLIE").replace(
        "alpha",
        "ALPHA",
      );
      const bad = `${tmp.path}/tampered.jsonl`;
      await Deno.writeTextFile(
        bad,
        lines.join("\n").replaceAll(one, "tampered-one"),
      );
      const run = await cli([
        "ship",
        ...to,
        "--host-name",
        "machine-c",
        "--cursor-dir",
        `${tmp.path}/cc`,
        bad,
      ]);
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /failed verification and was shipped with that result recorded/,
      );
      const row = (await ch.sql(
        `SELECT status FROM ${DB}.mcp_audit_files FINAL WHERE host = 'machine-c' FORMAT TSV`,
      )).trim();
      assert.equal(row, "failed");
    },
  );
  await t.step(
    "--follow ships a live session as it grows and across rotation",
    async () => {
      const dir = `${tmp.path}/live`;
      await Deno.mkdir(dir);
      const whole = `${tmp.path}/whole.jsonl`;
      const total = await writeSealedSession(whole, {
        session: "live-session",
        calls: 100,
        key,
      });
      const lines = (await Deno.readTextFile(whole)).split("\n").slice(0, -1);
      const live = `${dir}/live.jsonl`;
      // The first part, with half a line at its end (a write in progress).
      await Deno.writeTextFile(
        live,
        lines.slice(0, 60).join("\n") + "\n" + lines[60].slice(0, 30),
      );
      const db = ["--to", ch.url, "--database", "follow_test"];
      const child = new Deno.Command(Deno.execPath(), {
        args: cliArgs([
          "ship",
          "--init",
          ...db,
          "--follow",
          "--interval",
          "0.1",
          "--cursor-dir",
          `${tmp.path}/cf`,
          "--host-name",
          "live-host",
        ]),
        env: { MCP_AUDIT_LOG_DIR: dir },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const rows = async (): Promise<number> =>
        Number(
          (await ch.sql(
            `SELECT count() FROM follow_test.mcp_audit_events FINAL`,
          ).catch(() => "0")).trim(),
        );
      const until = async (n: number): Promise<void> => {
        const deadline = Date.now() + 20_000;
        while (await rows() !== n && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(await rows(), n);
      };
      await until(60); // The half line waits.
      // The line completes and more follow; then the log rotates to live.2.jsonl.
      await Deno.writeTextFile(
        live,
        lines[60].slice(30) + "\n" + lines.slice(61, 150).join("\n") + "\n",
        { append: true },
      );
      await until(150);
      await Deno.writeTextFile(
        `${dir}/live.2.jsonl`,
        lines.slice(150).join("\n") + "\n",
      );
      await until(total);
      child.kill("SIGTERM");
      const status = await child.status;
      await child.stdout.cancel();
      await child.stderr.cancel();
      assert.equal(status.code, 0);
      const run = await cli([
        "verify",
        "--from",
        ch.url,
        "--database",
        "follow_test",
        "--session",
        "live-session",
        "--pubkey",
        `${tmp.path}/k.pub`,
      ]);
      assert.equal(run.code, 0, run.stdout);
      assert.match(
        run.stdout,
        new RegExp(`^VERIFIED: 1 session\\(s\\), ${total} rows`, "m"),
      );
    },
  );
});
