/**
 * A disk that fills up mid-session, through the real proxy on a small
 * tmpfs: every line in the file stays whole, the gap record names exactly
 * the seqs that are not in the file, and `verify` reports a gap (exit 5),
 * never tampering.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cliArgs, fixtureServer, tempDir } from "../_helpers.ts";
import { cli } from "../evidence/_session_fixture.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Mounts a 256 KiB tmpfs on `dir`; the reason when that is refused. */
async function mountSmallDisk(dir: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return out.success ? undefined : decoder.decode(out.stderr).trim();
  } catch (error) {
    return String(error);
  }
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir] }).output();
}

/** Writes `path` until the disk is full. */
async function fillDisk(path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true });
  const chunk = new Uint8Array(4096);
  try {
    for (;;) await file.write(chunk);
  } catch {
    // ENOSPC: full.
  } finally {
    file.close();
  }
}

Deno.test("a disk that fills mid-session leaves whole lines, an exact gap record, and verifies as a gap, not tampering", async () => {
  await using tmp = await tempDir();
  const disk = `${tmp.path}/disk`;
  await Deno.mkdir(disk);
  const refused = await mountSmallDisk(disk);
  if (refused !== undefined) {
    // deno-lint-ignore no-console -- the reason a skipped test was skipped
    console.log(`skipped: cannot mount a tmpfs (${refused})`);
    return;
  }
  try {
    assert.equal((await cli(["keygen", "--out", `${tmp.path}/k`])).code, 0);
    const log = `${disk}/session.jsonl`;
    const child = new Deno.Command(Deno.execPath(), {
      args: cliArgs([
        "proxy",
        "--quiet",
        "--checkpoint-every",
        "7",
        "--signing-key",
        `${tmp.path}/k.key`,
        "--log",
        log,
        "--",
        ...fixtureServer("scripted_server.ts"),
      ]),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let stderr = "";
    const stderrDone = (async () => {
      for await (const chunk of child.stderr) {
        stderr += decoder.decode(chunk, { stream: true });
      }
    })();
    const writer = child.stdin.getWriter();
    const reader = child.stdout.getReader();
    let id = 0;
    let pending = "";
    const call = async (method: string, params: unknown): Promise<void> => {
      const m = { jsonrpc: "2.0", id: id++, method, params };
      await writer.write(encoder.encode(JSON.stringify(m) + "\n"));
      while (!pending.includes("\n")) {
        const { value, done } = await reader.read();
        assert.ok(!done, "the proxy answers");
        pending += decoder.decode(value);
      }
      pending = pending.slice(pending.indexOf("\n") + 1);
    };
    const echo = (n: number): Promise<void> =>
      call("tools/call", {
        name: "echo",
        arguments: { text: `call ${n} ${"x".repeat(300)}` },
      });
    await call("initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "disk-full-test", version: "1" },
    });
    for (let n = 0; n < 20; n++) await echo(n);
    await fillDisk(`${disk}/filler`);
    // Calls until the writer says a write failed (it goes on relaying).
    let n = 20;
    while (!stderr.includes("failed") && n < 2000) await echo(n++);
    assert.match(stderr, /writing the audit log .* failed/);
    for (let i = 0; i < 5; i++) await echo(n++);
    await Deno.remove(`${disk}/filler`);
    for (let i = 0; i < 20; i++) await echo(n++);
    await writer.close();
    reader.releaseLock();
    await child.stdout.cancel();
    const status = await child.status;
    await stderrDone;
    assert.equal(status.code, 0, stderr);
    assert.match(stderr, /works again/);

    const text = await Deno.readTextFile(log);
    assert.ok(text.endsWith("\n"), "the file ends with a whole line");
    const lines = text.slice(0, -1).split("\n");
    const events = lines.map((l, i) => {
      try {
        return JSON.parse(l);
      } catch {
        assert.fail(`line ${i + 1} is not whole: ${l.slice(0, 80)}...`);
      }
    });
    const gaps = events.filter((e) => e.kind === "gap");
    assert.ok(gaps.length >= 1, "a gap record was written");
    const present = new Set(
      events.filter((e) => e.kind !== "gap").map((e) => e.seq),
    );
    const lost = new Set<number>();
    for (const g of gaps) {
      assert.equal(g.lost, g.toSeq - g.fromSeq + 1, "lost counts the range");
      for (let s = g.fromSeq; s <= g.toSeq; s++) lost.add(s);
    }
    const last = Math.max(...present);
    for (let s = 0; s <= last; s++) {
      assert.ok(
        present.has(s) !== lost.has(s),
        `seq ${s} is either in the file or in a gap record, not ${
          present.has(s) ? "both" : "neither"
        }`,
      );
    }

    const verify = await cli(["verify", log, "--pubkey", `${tmp.path}/k.pub`]);
    assert.equal(verify.code, 5, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /GAP/);
    const json = JSON.parse(
      (await cli(["verify", log, "--pubkey", `${tmp.path}/k.pub`, "--json"]))
        .stdout,
    );
    assert.equal(json.status, "gap");
    assert.deepEqual(
      json.findings.filter((f: { severity: string }) => f.severity !== "note")
        .map((f: { kind: string }) => f.kind),
      gaps.map(() => "gap"),
    );
  } finally {
    await unmount(disk);
  }
});
