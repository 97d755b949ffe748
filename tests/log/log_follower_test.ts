/**
 * The follower `tail` reads logs with: a line still being written is
 * waited for, never parsed half, and a new part is followed once it
 * appears.
 *
 * @module
 */
import assert from "node:assert/strict";
import { followLog } from "../../lib/log/log_follower.ts";
import { tempDir } from "../_helpers.ts";

function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error("timed out"));
      }
    }, 10);
  });
}

Deno.test("followLog waits for a half-written line and goes on to the next part of a rotated log", async () => {
  await using dir = await tempDir();
  const first = `${dir.path}/a.jsonl`;
  await Deno.writeTextFile(first, '{"seq":0}\n{"seq":1,"text":"hal');
  const seen: unknown[] = [];
  const stop = new AbortController();
  const following = followLog(first, (r) => {
    seen.push(r.seq);
    return r.seq === 3;
  }, { follow: true, pollMs: 20, signal: stop.signal });
  await until(() => seen.length === 1);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(seen, [0], "the half line is held back");
  await Deno.writeTextFile(first, 'f"}\n{"seq":2}\n', { append: true });
  await until(() => seen.length === 3);
  await Deno.writeTextFile(`${dir.path}/a.2.jsonl`, '{"seq":3}\n');
  await following;
  assert.deepEqual(seen, [0, 1, 2, 3]);
});
