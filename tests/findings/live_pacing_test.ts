/**
 * Live findings' pace, on a clock the test moves: a source's first run
 * reads at most 256 events, and each later run waits until ten times what
 * it is expected to take has passed (the last run's time per event read,
 * times what the next will read), or `maxWaitMs`, so a small first run
 * does not let a large second one follow at once. The source here costs
 * a set time per event read and advances the clock by it.
 *
 * And the quiet, on the real clock and timers: a due run waits until no
 * event has come for `quietMs`, then reads the whole burst; one not due
 * yet comes when it is, with no further call; under a burst that never
 * lets up, runs come `maxWaitMs` apart.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Finding } from "../../lib/findings/finding.ts";
import {
  type FindingSource,
  LiveFindings,
  type LiveFindingsOptions,
} from "../../lib/findings/live_findings.ts";

/**
 * A clock, and a source whose run reads its events when the test calls
 * `finish`, as a worker does while the session goes on; a run costs
 * `msPerRead` for each event it reads (its new ones, and every event again
 * for the rules), by which `finish` moves the clock; and live findings
 * over it, with no least interval and `maxWaitMs`. `callAt` makes one call
 * at a time on the clock and gives the runs so far.
 */
function paced(msPerRead: number, maxWaitMs: number): {
  clock: { now: number };
  runs: number[];
  live: LiveFindings;
  finish(): Promise<void>;
  callAt(ms: number): number[];
} {
  const clock = { now: 0 };
  const runs: number[] = [];
  let given = 0;
  let finishing: (() => void) | undefined;
  const source: FindingSource = {
    label: "test rules",
    run(events): Promise<Finding[]> {
      given += events.length;
      runs.push(events.length);
      const cost = msPerRead * (events.length + given);
      return new Promise((resolve) => {
        finishing = () => {
          clock.now += cost;
          resolve([]);
        };
      });
    },
  };
  /** Ends the run in flight, and lets its result be taken. */
  async function finish(): Promise<void> {
    const f = finishing;
    finishing = undefined;
    f?.();
    await new Promise((r) => setTimeout(r, 0));
  }
  const live = new LiveFindings({
    sources: [source],
    intervalMs: 0,
    quietMs: 0,
    maxWaitMs,
    clock: () => clock.now,
  });
  function callAt(ms: number): number[] {
    clock.now = ms;
    call(live);
    return [...runs];
  }
  return { clock, runs, live, finish, callAt };
}

/** A first run of one call (2 events, 4 reads, 0.04 ms), and a burst of 1,000 events while it runs. */
async function firstRunThenBurst(
  { live, runs, finish }: ReturnType<typeof paced>,
): Promise<void> {
  call(live);
  for (let i = 0; i < 500; i++) call(live);
  await finish();
  assert.deepEqual(runs, [2]);
}

let seq = 0;

/** Observes a `tools/call` request; returns its seq. */
function request(live: LiveFindings): number {
  live.observe({
    seq: ++seq,
    session: "s",
    kind: "request",
    dir: "c2s",
    method: "tools/call",
    tool: "t",
    params: { name: "t", arguments: { n: seq } },
  });
  return seq;
}

/** Observes the reply to request `requestSeq`. */
function reply(live: LiveFindings, requestSeq: number): void {
  live.observe({
    seq: ++seq,
    session: "s",
    kind: "response",
    dir: "s2c",
    method: "tools/call",
    requestSeq,
    result: { content: [] },
  });
}

/** A call: its request and its reply. */
function call(live: LiveFindings): void {
  reply(live, request(live));
}

Deno.test("live findings: after a small first run, a burst is read when a tenth of the time allows it, not at once", async () => {
  const p = paced(0.01, 10_000);
  await firstRunThenBurst(p); // 0.01 ms a read.
  // The next run would read 2,006 (1,002 new events, and all again), about
  // 20 ms: not before 200 ms. Paced by the last run's 0.04 ms alone, it
  // would have started at 0.44 ms.
  assert.deepEqual(p.callAt(1), [2]);
  assert.deepEqual(p.callAt(150), [2]);
  assert.deepEqual(p.callAt(250), [2, 1_006]);
  await p.finish();
  await p.live.final();
  assert.deepEqual(p.runs, [2, 1_006]);
});

Deno.test("live findings: when events outpace a tenth of the time, a source runs every maxWaitMs", async () => {
  const p = paced(0.01, 100);
  await firstRunThenBurst(p);
  assert.deepEqual(p.callAt(99), [2]);
  assert.deepEqual(p.callAt(101), [2, 1_004]);
  await p.finish();
  await p.live.final();
});

Deno.test("live findings: the first run reads the first 256 events; the next reads the rest, and the session's end all that is left", async () => {
  const { clock, runs, live, finish } = paced(0.001, 10_000);
  // 300 requests before any reply, as a client that sends a batch gets.
  const requests: number[] = [];
  for (let i = 0; i < 300; i++) requests.push(request(live));
  reply(live, requests[0]);
  assert.deepEqual(runs, [256]);
  await finish();
  clock.now = 1_000;
  reply(live, requests[1]);
  assert.deepEqual(runs, [256, 46]);
  await finish();
  for (const r of requests.slice(2)) reply(live, r);
  const ending = live.final();
  await finish();
  await ending;
  assert.deepEqual(runs, [256, 46, 298]);
  assert.equal(runs.reduce((a, b) => a + b), 600, "every event read once");
});

/**
 * Live findings over a source that answers at once and notes how many
 * events each run read, on the real clock and timers (unless `options`
 * gives a clock), with `quietMs`.
 */
function quiet(
  options: LiveFindingsOptions & { quietMs: number },
): { live: LiveFindings; runs: number[]; at: number[] } {
  const runs: number[] = [];
  const at: number[] = [];
  const live = new LiveFindings({
    sources: [{
      label: "test rules",
      run(events): Finding[] {
        runs.push(events.length);
        at.push(performance.now());
        return [];
      },
    }],
    maxWaitMs: 10_000,
    intervalMs: 0,
    ...options,
  });
  return { live, runs, at };
}

/** Waits until `runs` has `n` runs (a timer's run), for at most 5 s. */
async function runsReach(runs: number[], n: number): Promise<void> {
  for (let waited = 0; runs.length < n; waited += 5) {
    assert.ok(waited < 5_000, `${runs.length} runs, not ${n}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("live findings: a due run waits until no event has come for quietMs, so it reads the whole burst after it", async () => {
  const { live, runs } = quiet({ quietMs: 20 });
  // A burst: the calls come back to back, with no time for a timer.
  for (let i = 0; i < 100; i++) call(live);
  assert.deepEqual(runs, [], "no run during the burst");
  await runsReach(runs, 1);
  assert.deepEqual(runs, [200], "one run, of every event of the burst");
  await live.final();
  assert.deepEqual(runs, [200], "nothing left for the end");
});

Deno.test("live findings: events that keep coming put a quiet run off until they stop", async () => {
  const { live, runs } = quiet({ quietMs: 250 });
  // A call every 5 ms or so for 150 ms: never 250 ms without an event.
  for (let i = 0; i < 30; i++) {
    call(live);
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(runs, [], `no run while calls come (call ${i})`);
  }
  await runsReach(runs, 1);
  assert.deepEqual(runs, [60]);
  await live.final();
});

Deno.test("live findings: once quiet, a run that was not due yet comes when it is due, with no further call", async () => {
  const { live, runs, at } = quiet({ quietMs: 5, intervalMs: 100 });
  call(live);
  await runsReach(runs, 1);
  // Within 100 ms of the first run: not due when the session goes quiet.
  call(live);
  await runsReach(runs, 2);
  assert.deepEqual(runs, [2, 2]);
  assert.ok(at[1] - at[0] >= 99, `${at[1] - at[0]} ms apart`);
  await live.final();
});

Deno.test("live findings: under a burst that never lets up, a source runs maxWaitMs after its last run, the first from the start", async () => {
  const clock = { now: 0 };
  const { live, runs } = quiet({
    quietMs: 1_000,
    maxWaitMs: 100,
    clock: () => clock.now,
  });
  for (; clock.now < 99; clock.now++) call(live);
  assert.deepEqual(runs, []);
  clock.now = 100;
  call(live);
  assert.deepEqual(runs, [200], "the first at 100 ms");
  for (; clock.now < 199; clock.now++) call(live);
  assert.deepEqual(runs, [200]);
  clock.now = 200;
  call(live);
  assert.deepEqual(runs, [200, 200], "the next 100 ms after it");
  await live.final();
});
