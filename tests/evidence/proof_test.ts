import assert from "node:assert/strict";
import { tempDir } from "../_helpers.ts";
import {
  cli,
  isEcho,
  lineOf,
  record,
  signedSession,
} from "./_session_fixture.ts";

Deno.test("prove: an inclusion proof verifies with the key, and fails for an altered event or another key", async () => {
  await using dir = await tempDir();
  const f = await signedSession(dir.path);
  const at = lineOf(f.lines, isEcho("bravo"));
  const seq = JSON.parse(f.lines[at - 1]).seq;
  const bundlePath = `${f.dir}/proof.json`;
  const made = await cli([
    "prove",
    f.log,
    "--event",
    String(seq),
    "-o",
    bundlePath,
  ]);
  assert.equal(made.code, 0, made.stderr);
  assert.equal(
    (await Deno.stat(bundlePath)).mode! & 0o777,
    0o600,
    "the bundle holds a logged event: as private as the log",
  );
  const bundle = JSON.parse(await Deno.readTextFile(bundlePath));
  assert.equal(bundle.event, f.lines[at - 1], "the event's line, as logged");
  const checkpoint = JSON.parse(bundle.checkpoint);
  assert.equal(checkpoint.kind, "checkpoint");
  assert.ok(bundle.leafIndex < checkpoint.treeSize);
  assert.ok(
    f.lines.indexOf(bundle.checkpoint) > at - 1,
    "the first checkpoint after the event",
  );

  const ok = await cli(["verify-proof", bundlePath, "--pubkey", f.pub]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /VERIFIED: seq \d+ \(response echo\)/);

  const altered = `${f.dir}/altered.json`;
  await Deno.writeTextFile(
    altered,
    JSON.stringify({
      ...bundle,
      event: bundle.event.replace("bravo", "bravO"),
    }),
  );
  const bad = await cli(["verify-proof", altered, "--pubkey", f.pub]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /inclusion proof does not lead/);

  const other = await cli(["verify-proof", bundlePath, "--pubkey", f.otherPub]);
  assert.equal(other.code, 1);
  assert.match(other.stdout, /not with the given key/);

  const final = await cli([
    "prove",
    f.log,
    "--event",
    String(seq),
    "--final",
    "-o",
    `${f.dir}/final.json`,
  ]);
  assert.equal(final.code, 0);
  assert.equal(
    (await cli(["verify-proof", `${f.dir}/final.json`, "--pubkey", f.pub]))
      .code,
    0,
  );
  const checkpointSeq = JSON.parse(f.lines[at]).kind === "checkpoint"
    ? JSON.parse(f.lines[at]).seq
    : undefined;
  if (checkpointSeq !== undefined) {
    const none = await cli(["prove", f.log, "--event", String(checkpointSeq)]);
    assert.equal(none.code, 1, "a checkpoint is not a leaf");
  }
});

Deno.test("prove: every event of a rotated session is proved from any one of its parts, or from the parts given", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/rotated.jsonl`;
  const key = `${dir.path}/key`;
  assert.equal((await cli(["keygen", "--out", key])).code, 0);
  await record(log, ["--rotate", "1KiB", "--signing-key", `${key}.key`]);
  const parts = [log];
  for (let n = 2;; n++) {
    const part = log.replace(/\.jsonl$/, `.${n}.jsonl`);
    try {
      await Deno.stat(part);
    } catch {
      break;
    }
    parts.push(part);
  }
  assert.ok(parts.length >= 3, `the session was split (${parts.length})`);
  // Events (not checkpoints) with the part each is in.
  const events: { seq: number; part: string }[] = [];
  for (const part of parts) {
    for (const line of (await Deno.readTextFile(part)).split("\n")) {
      if (!line) continue;
      const e = JSON.parse(line);
      if (e.kind !== "checkpoint") events.push({ seq: e.seq, part });
    }
  }
  // The last event of the first part: its checkpoint is in the next part.
  const lastOfFirst = events.filter((e) => e.part === log).at(-1)!;
  const inSecond = events.find((e) => e.part === parts[1])!;
  for (
    const [event, args] of [
      [lastOfFirst, [log]],
      [inSecond, [parts[1]]],
      [inSecond, [...parts].reverse()],
    ] as const
  ) {
    const bundle = `${dir.path}/proof-${event.seq}-${args.length}.json`;
    const made = await cli([
      "prove",
      ...args,
      "--event",
      String(event.seq),
      "-o",
      bundle,
    ]);
    assert.equal(made.code, 0, made.stdout + made.stderr);
    if (args.length === 1) {
      assert.match(made.stderr, /other parts of the rotated log/);
    }
    const ok = await cli(["verify-proof", bundle, "--pubkey", `${key}.pub`]);
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal(
      JSON.parse(await Deno.readTextFile(bundle)).source.path,
      event.part,
    );
  }
});
