import assert from "node:assert/strict";
import { cliArgs, fixtureServer, tempDir } from "../_helpers.ts";
import {
  cli,
  isEcho,
  lineOf,
  record,
  signedSession,
  tampered,
} from "./_session_fixture.ts";
import { verify as independentVerify } from "./_independent_verifier.ts";
import { Sealer } from "../../lib/seal/seal.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Verdict {
  code: number;
  status: string;
  problems: { line: number; kind: string; severity: string }[];
}

/** Runs `mcp-audit verify --json` and the independent verifier; asserts they agree. */
async function verifyBoth(log: string, pubkey?: string): Promise<Verdict> {
  const run = await cli([
    "verify",
    "--json",
    ...(pubkey ? ["--pubkey", pubkey] : []),
    log,
  ]);
  assert.equal(run.stderr, "", "verify writes nothing on stderr");
  const report = JSON.parse(run.stdout);
  const problems = report.findings.filter((f: { severity: string }) =>
    f.severity !== "note"
  );
  const key = pubkey ? await loadIndependentKey(pubkey) : undefined;
  const other = await independentVerify(log, key);
  assert.equal(other.status, report.status, "both verifiers give one verdict");
  const firstFailure = problems.find((f: { severity: string }) =>
    f.severity === "failure"
  )?.line;
  assert.equal(
    other.failures[0],
    firstFailure,
    "both verifiers name the same first failing line",
  );
  assert.equal(
    run.code,
    { verified: 0, failed: 1, incomplete: 3, gap: 5 }[report.status as string],
  );
  return { code: run.code, status: report.status, problems };
}

async function loadIndependentKey(
  path: string,
): Promise<{ key: CryptoKey; id: string }> {
  const pem = await Deno.readTextFile(path);
  const der = Uint8Array.from(
    atob(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "")),
    (c) => c.charCodeAt(0),
  );
  const key = await crypto.subtle.importKey("spki", der, "Ed25519", true, [
    "verify",
  ]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", key));
  const id = [...new Uint8Array(await crypto.subtle.digest("SHA-256", raw))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return { key, id };
}

Deno.test("verify: a clean signed session verifies with the key, and says signatures were not checked without it", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  assert.ok(
    f.lines.filter((l) => l.includes('"kind":"checkpoint"')).length >= 3,
    "the session has several checkpoints",
  );
  const withKey = await verifyBoth(f.log, f.pub);
  assert.equal(withKey.status, "verified");
  assert.deepEqual(withKey.problems, []);

  const text = await cli(["verify", "--pubkey", f.pub, f.log]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /VERIFIED: 1 session\(s\).*signatures/);

  const noKey = await cli(["verify", f.log]);
  assert.equal(noKey.code, 0, "without a key the log still verifies");
  assert.match(noKey.stdout, /signatures not checked/);
  const required = await cli(["verify", "--require-signature", f.log]);
  assert.equal(required.code, 1, "--require-signature fails without a key");
});

Deno.test("verify: one changed byte of a result is reported at its line as edited", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const at = lineOf(f.lines, isEcho("bravo"));
  const lines = [...f.lines];
  lines[at - 1] = lines[at - 1].replace("bravo", "bravO");
  const v = await verifyBoth(await tampered(f, "edited", lines), f.pub);
  assert.equal(v.status, "failed");
  assert.deepEqual(v.problems[0], {
    ...v.problems[0],
    line: at,
    kind: "edited",
  });
  assert.ok(
    v.problems.some((p) => p.kind === "forged_checkpoint" && p.line > at),
    "the next checkpoint's root no longer matches",
  );
});

Deno.test("verify: a deleted event is reported at the line where it is missing", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const at = lineOf(f.lines, isEcho("alpha"));
  const lines = f.lines.filter((_, i) => i !== at - 1);
  const v = await verifyBoth(await tampered(f, "deleted", lines), f.pub);
  assert.equal(v.problems[0].line, at);
  assert.equal(v.problems[0].kind, "deleted");
});

Deno.test("verify: two swapped events are reported as reordered at the first of them", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const at = lineOf(f.lines, isEcho("alpha"));
  const lines = [...f.lines];
  [lines[at - 2], lines[at - 1]] = [lines[at - 1], lines[at - 2]];
  const v = await verifyBoth(await tampered(f, "swapped", lines), f.pub);
  assert.equal(v.problems[0].line, at - 1);
  assert.equal(v.problems[0].kind, "reordered");
});

Deno.test("verify: a forged event inserted with a correctly chained hash is reported as inserted", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const at = lineOf(f.lines, isEcho("alpha"));
  const previous = JSON.parse(f.lines[at - 1]);
  const request = lineOf(
    f.lines,
    (e) => e.kind === "request" && JSON.stringify(e.params).includes("alpha"),
  );
  const forged = JSON.parse(f.lines[request - 1]);
  delete forged.hash;
  forged.seq = previous.seq + 1;
  forged.params.arguments.text = "transfer all funds";
  // The forger knows the algorithm: the forged line extends the chain.
  const body = JSON.stringify(forged);
  const digest = new Uint8Array(
    await crypto.subtle.digest(
      "SHA-256",
      new Uint8Array([
        ...hexBytes(previous.hash),
        ...encoder.encode(body),
      ]),
    ),
  );
  const line = body.slice(0, -1) + `,"hash":"${toHex(digest)}"}`;
  const lines = [...f.lines.slice(0, at), line, ...f.lines.slice(at)];
  const v = await verifyBoth(await tampered(f, "inserted", lines), f.pub);
  assert.equal(v.problems[0].line, at + 1);
  assert.equal(v.problems[0].kind, "inserted");
});

Deno.test("verify: a chain and tree roots recomputed without the key fail only on the signatures", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const at = lineOf(f.lines, isEcho("bravo"));
  const lines = [...f.lines];
  lines[at - 1] = lines[at - 1].replaceAll("bravo", "delta");
  const resealed = await reseal(lines);
  const path = await tampered(f, "resealed", resealed);
  const firstCheckpointAfter =
    resealed.findIndex((l, i) => i >= at && l.includes('"kind":"checkpoint"')) +
    1;
  const v = await verifyBoth(path, f.pub);
  assert.equal(v.status, "failed");
  assert.deepEqual(
    [...new Set(v.problems.map((p) => p.kind))],
    ["bad_signature"],
    "chain and roots hold; the signatures do not",
  );
  assert.equal(v.problems[0].line, firstCheckpointAfter);
  // Without a key the rewrite is undetectable, as docs/evidence.md says.
  const noKey = await verifyBoth(path);
  assert.equal(noKey.status, "verified");
});

Deno.test("verify: a dropped session_end is reported; dropping the final checkpoint too looks like a crash", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const end = lineOf(f.lines, (e) => e.kind === "session_end");
  const withoutEnd = f.lines.filter((_, i) => i !== end - 1);
  const v = await verifyBoth(await tampered(f, "no-end", withoutEnd), f.pub);
  assert.equal(v.problems[0].line, end);
  assert.equal(v.problems[0].kind, "deleted");

  const cut = f.lines.slice(0, end - 1);
  const c = await verifyBoth(await tampered(f, "no-end-2", cut), f.pub);
  assert.equal(c.status, "incomplete");
  assert.equal(c.code, 3);
  assert.deepEqual(
    c.problems.map((p) => [p.line, p.kind]),
    [[end - 1, "missing_session_end"]],
  );
});

Deno.test("verify: a file cut mid-line reports the event in flight, not tampering", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const at = lineOf(f.lines, isEcho("charlie"));
  const text = f.lines.slice(0, at - 1).join("\n") + "\n" +
    f.lines[at - 1].slice(0, 40);
  const path = `${f.dir}/cut.jsonl`;
  await Deno.writeTextFile(path, text);
  const v = await verifyBoth(path, f.pub);
  assert.equal(v.status, "incomplete");
  assert.deepEqual(v.problems.map((p) => [p.line, p.kind]), [
    [at, "truncated_tail"],
    [at - 1, "missing_session_end"],
  ]);
  const run = await cli(["verify", "--pubkey", f.pub, path]);
  assert.match(run.stdout, /not evidence of tampering/);
});

/** The writer's gap record for lines `from` to `to` (0-based) of `lines`. */
function gapFor(
  lines: string[],
  from: number,
  to: number,
  extra: Record<string, unknown> = {},
): string {
  const first = JSON.parse(lines[from]);
  const last = JSON.parse(lines[to]);
  return JSON.stringify({
    v: 1,
    seq: first.seq,
    ts: first.ts,
    session: first.session,
    kind: "gap",
    lost: to - from + 1,
    fromSeq: first.seq,
    toSeq: last.seq,
    reason: "No space left on device (os error 28)",
    head: last.hash,
    ...extra,
  });
}

Deno.test("verify: lines the writer lost, recorded by its gap line, verify as a gap (exit 5), with the chain checked across it", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const from = lineOf(f.lines, isEcho("bravo")) - 2;
  const to = from + 3;
  assert.ok(
    f.lines.slice(from, to + 1).some((l) => l.includes('"checkpoint"')),
    "a checkpoint is among the lost lines",
  );
  const lost = [
    ...f.lines.slice(0, from),
    gapFor(f.lines, from, to),
    ...f.lines.slice(to + 1),
  ];
  const v = await verifyBoth(await tampered(f, "gap", lost), f.pub);
  assert.equal(v.status, "gap");
  assert.equal(v.code, 5);
  assert.deepEqual(v.problems.map((p) => [p.line, p.kind]), [
    [from + 1, "gap"],
  ]);
  const run = await cli(["verify", "--pubkey", f.pub, `${f.dir}/gap.jsonl`]);
  assert.match(run.stdout, /^GAP: .* recorded 4 event\(s\)/m);
  assert.doesNotMatch(run.stdout, /FAIL/);

  // The chain goes on from the gap's head: a head that is not the last
  // lost line's breaks it at the next line.
  const wrongHead = [
    ...f.lines.slice(0, from),
    gapFor(f.lines, from, to, { head: JSON.parse(f.lines[to - 1]).hash }),
    ...f.lines.slice(to + 1),
  ];
  const w = await verifyBoth(await tampered(f, "gap-head", wrongHead), f.pub);
  assert.equal(w.status, "failed");
  assert.equal(
    w.problems.find((p) => p.severity === "failure")?.line,
    from + 2,
  );
});

Deno.test("verify: a line cut short that the writer could not cut off, then its gap line saying so, is part of the gap", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const from = lineOf(f.lines, isEcho("bravo")) - 2;
  const to = from + 3;
  const torn = [
    ...f.lines.slice(0, from),
    f.lines[from].slice(0, 50),
    gapFor(f.lines, from, to, { torn: 50 }),
    ...f.lines.slice(to + 1),
  ];
  const v = await verifyBoth(await tampered(f, "torn", torn), f.pub);
  assert.equal(v.status, "gap");
  assert.deepEqual(v.problems.map((p) => [p.line, p.kind]), [
    [from + 1, "gap"],
    [from + 2, "gap"],
  ]);
});

Deno.test("verify: an older writer's gap line glued onto the line a full disk cut short is read, and is not tampering", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const from = lineOf(f.lines, isEcho("bravo")) - 2;
  const to = from + 3;
  const first = JSON.parse(f.lines[from]);
  const old = JSON.stringify({
    v: 1,
    seq: first.seq,
    ts: first.ts,
    session: first.session,
    kind: "gap",
    lost: to - from + 1,
    fromSeq: first.seq,
    reason: "No space left on device (os error 28)",
  });
  const glued = [
    ...f.lines.slice(0, from),
    f.lines[from].slice(0, 50) + old,
    ...f.lines.slice(to + 1),
  ];
  const path = await tampered(f, "glued", glued);
  const run = await cli(["verify", "--json", "--pubkey", f.pub, path]);
  const report = JSON.parse(run.stdout);
  assert.deepEqual(
    report.findings.filter((x: { severity: string }) => x.severity !== "note")
      .map((x: { line: number; kind: string }) => [x.line, x.kind]),
    [[from + 1, "truncated_tail"], [from + 1, "gap"]],
  );
  assert.equal(report.status, "incomplete");
  assert.equal(run.code, 3);
});

Deno.test("verify: checkpoints signed with another key are rejected, unsigned ones fail with --pubkey", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const first = lineOf(f.lines, (e) => e.kind === "checkpoint");
  const v = await verifyBoth(f.log, f.otherPub);
  assert.equal(v.status, "failed");
  assert.equal(v.problems[0].line, first);
  assert.equal(v.problems[0].kind, "wrong_key");

  const unsigned = `${f.dir}/unsigned.jsonl`;
  await record(unsigned, []);
  assert.equal((await verifyBoth(unsigned)).status, "verified");
  const u = await verifyBoth(unsigned, f.pub);
  assert.equal(u.problems[0].kind, "unsigned_checkpoint");
});

Deno.test("verify: several sessions in one file are checked apart; the latest log is used when none is given", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const both = `${f.dir}/both.jsonl`;
  await record(both, ["--signing-key", f.key]);
  await record(both, ["--signing-key", f.key]);
  const v = await verifyBoth(both, f.pub);
  assert.equal(v.status, "verified");
  const report = JSON.parse(
    (await cli(["verify", "--json", "--pubkey", f.pub, both])).stdout,
  );
  assert.equal(report.sessions.length, 2);

  const logDir = `${f.dir}/logs`;
  await Deno.mkdir(logDir);
  await Deno.copyFile(f.log, `${logDir}/2026-01-01T00-00-00-000Z_x_1.jsonl`);
  const latest = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["verify", "--pubkey", f.pub]),
    env: { MCP_AUDIT_LOG_DIR: logDir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(latest.code, 0);
  assert.match(decoder.decode(latest.stdout), /2026-01-01T00-00-00-000Z_x_1/);
});

/** Seals one serialised line (ending in a newline) and returns it as text. */
function sealText(sealer: Sealer, line: string, leaf = true): string {
  return decoder.decode(sealer.seal(encoder.encode(line), { leaf }));
}

async function reseal(lines: string[]): Promise<string[]> {
  const session = JSON.parse(lines[0]).session;
  const sealer = new Sealer(session);
  const out: string[] = [];
  for (const line of lines) {
    const e = JSON.parse(line);
    let body = line.replace(/,"hash":"[0-9a-f]{64}"\}$/, "}");
    if (e.kind === "checkpoint") {
      const cp = await sealer.checkpoint();
      body = body.replace(/"treeSize":\d+/, `"treeSize":${cp.treeSize}`)
        .replace(/"root":"[0-9a-f]+"/, `"root":"${cp.root}"`)
        .replace(/"head":"[0-9a-f]+"/, `"head":"${cp.head}"`);
    } else if (e.kind === "session_end") {
      body = body.replace(
        /"chain":\{"head":"[0-9a-f]+"/,
        `"chain":{"head":"${sealer.head}"`,
      );
    }
    out.push(
      sealText(sealer, body + "\n", e.kind !== "checkpoint").slice(0, -1),
    );
  }
  return out;
}

function hexBytes(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g)!, (h) => parseInt(h, 16));
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("rotation: the parts of a rotated log verify together, in any order given, and fail when one is missing", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/rotated.jsonl`;
  const key = `${dir.path}/key`;
  assert.equal((await cli(["keygen", "--out", key])).code, 0);
  await record(log, ["--rotate", "1KiB", "--signing-key", `${key}.key`]);
  const parts = [...Deno.readDirSync(dir.path)].map((e) => e.name).filter((n) =>
    n.startsWith("rotated")
  );
  assert.ok(parts.length >= 3, `the session was split (${parts.join(", ")})`);
  // A shell glob's order (rotated.2 ... before rotated.jsonl) is put right.
  const globbed = parts.sort().map((n) => `${dir.path}/${n}`);
  for (const part of globbed) {
    assert.ok(Deno.statSync(part).size > 0, `${part} is not empty`);
  }
  const all = await cli(["verify", "--pubkey", `${key}.pub`, ...globbed]);
  assert.equal(all.code, 0, all.stdout + all.stderr);
  assert.match(all.stdout, /VERIFIED/);
  const missing = globbed.filter((p) => !p.endsWith("rotated.2.jsonl"));
  const broken = await cli(["verify", "--pubkey", `${key}.pub`, ...missing]);
  assert.equal(broken.code, 1, "a missing part fails verification");
  assert.match(broken.stdout, /FAIL/);
  const summary = await cli(["summary", "--json", ...globbed]);
  assert.equal(summary.code, 0);
  const [session] = JSON.parse(summary.stdout);
  assert.equal(
    session.paths.length,
    parts.length,
    "one session over every part",
  );
  assert.equal(session.summary.toolCalls, 3);
});

Deno.test("verify: tree roots of a 300-event session checkpointed at uneven counts hold, and an event inside a full 64-leaf subtree is caught", async () => {
  await using dir = await tempDir();
  const session = "tree-0000";
  const sealer = new Sealer(session);
  const lines: string[] = [];
  let seq = 0;
  const head = (kind: string): string =>
    `{"v":1,"seq":${seq++},"ts":"t","session":"${session}","kind":"${kind}"`;
  async function checkpoint(): Promise<void> {
    const cp = await sealer.checkpoint();
    lines.push(
      sealText(
        sealer,
        `${
          head("checkpoint")
        },"treeSize":${cp.treeSize},"root":"${cp.root}","head":"${cp.head}"}\n`,
        false,
      ).trimEnd(),
    );
  }
  lines.push(
    sealText(sealer, `${head("session_start")},"server":{"command":"x"}}\n`)
      .trimEnd(),
  );
  const checkpointsAt = new Set([1, 63, 64, 65, 128, 200, 257]);
  for (let i = 1; i < 300; i++) {
    lines.push(
      sealText(sealer, `${head("request")},"method":"m${i}"}\n`).trimEnd(),
    );
    if (checkpointsAt.has(sealer.treeSize)) await checkpoint();
  }
  lines.push(sealText(sealer, `${head("session_end")}}\n`).trimEnd());
  await checkpoint();
  const log = `${dir.path}/tree.jsonl`;
  await Deno.writeTextFile(log, lines.join("\n") + "\n");
  assert.equal((await verifyBoth(log)).status, "verified");

  const at = lines.findIndex((l) => l.includes('"method":"m100"'));
  const edited = `${dir.path}/edited.jsonl`;
  await Deno.writeTextFile(
    edited,
    lines.map((l, i) => i === at ? l.replace('"m100"', '"m1OO"') : l).join(
      "\n",
    ) + "\n",
  );
  const verdict = await verifyBoth(edited);
  assert.equal(verdict.status, "failed");
  assert.deepEqual(verdict.problems[0], {
    ...verdict.problems[0],
    line: at + 1,
    kind: "edited",
  });
});

Deno.test("verify tells a session still being written (its proxy runs) from one whose proxy died", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/live.jsonl`;
  const proxy = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--log",
      log,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    for (let i = 0; i < 400; i++) {
      const text = await Deno.readTextFile(log).catch(() => "");
      if (text.includes('"session_start"')) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const verify = async (): Promise<{ code: number; out: string }> => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: cliArgs(["verify", log]),
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: out.code, out: decoder.decode(out.stdout) };
    };
    const live = await verify();
    assert.equal(live.code, 3);
    assert.match(
      live.out,
      /is still being written: its proxy \(pid \d+\) is running/,
    );
    assert.doesNotMatch(live.out, /crashed or was killed/);
    proxy.kill("SIGKILL");
    await proxy.status;
    const dead = await verify();
    assert.equal(dead.code, 3);
    assert.match(dead.out, /the proxy crashed or was killed/);
  } finally {
    try {
      proxy.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await proxy.status;
  }
});
