import assert from "node:assert/strict";
import {
  appendSealed,
  HookLogError,
  readHookLog,
  STALE_LOCK_MS,
  withLogLock,
} from "../../lib/hooks/hook_log.ts";
import { tempDir } from "../_helpers.ts";

const event = (seq: number, text: string) => ({
  v: 1 as const,
  seq,
  ts: "2026-01-01T00:00:00.000Z",
  session: "s",
  kind: "stderr" as const,
  text,
});

Deno.test("a lock left by a killed hook is broken once stale; a fresh one is waited for", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/a.jsonl`;
  await Deno.writeTextFile(`${log}.lock`, "12345\n");
  const old = new Date(Date.now() - STALE_LOCK_MS - 5_000);
  await Deno.utime(`${log}.lock`, old, old);
  assert.equal(
    await withLogLock(log, () => Promise.resolve("got it")),
    "got it",
  );
  await assert.rejects(() => Deno.stat(`${log}.lock`), Deno.errors.NotFound);
  await Deno.writeTextFile(`${log}.lock`, "12345\n");
  await assert.rejects(
    () => withLogLock(log, () => Promise.resolve("never"), { timeoutMs: 200 }),
    HookLogError,
  );
});

Deno.test("the chain is resumed from the log, and a changed line stops the append instead of extending a broken chain", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/a.jsonl`;
  const first = await readHookLog(log, "s");
  await appendSealed(log, first, [event(0, "one")]);
  const second = await readHookLog(log, "s");
  assert.equal(second.nextSeq, 2);
  assert.equal(second.sealer.head, first.sealer.head);
  await appendSealed(log, second, [event(2, "two")]);
  const text = await Deno.readTextFile(log);
  await Deno.writeTextFile(log, text.replace('"one"', '"0ne"'));
  await assert.rejects(() => readHookLog(log, "s"), /line 1 .*was changed/);
});
