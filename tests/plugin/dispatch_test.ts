import assert from "node:assert/strict";
import { Dispatcher, type Hook } from "../../lib/plugin/dispatch.ts";
import { definePlugin, type HookResult } from "../../lib/plugin/plugin.ts";
import type { JsonRpcMessageEvent } from "../../lib/audit/event.ts";

type Run = { event: JsonRpcMessageEvent; found: string[] };

function setup(
  options: { hookTimeoutMs?: number; maxTimeouts?: number },
): { dispatcher: Dispatcher<Run>; warnings: string[] } {
  const warnings: string[] = [];
  const dispatcher = new Dispatcher<Run>((run, plugin, found) => {
    for (const c of found.classes ?? []) run.found.push(`${plugin.name}:${c}`);
  }, { ...options, onWarning: (m) => warnings.push(m) });
  return { dispatcher, warnings };
}

function hook(name: string, call: (run: Run) => HookResult): Hook<Run> {
  return { plugin: definePlugin({ name, onMessage: () => {} }), call };
}

function run(seq: number): Run {
  return {
    event: {
      v: 1,
      seq,
      ts: "",
      session: "s",
      kind: "notification",
      dir: "c2s",
      bytes: 0,
      method: "x",
    },
    found: [],
  };
}

Deno.test("synchronous hooks run in order without a promise", () => {
  const { dispatcher } = setup({});
  const r = run(0);
  const out = dispatcher.dispatch([
    hook("a", () => ({ classes: ["A"] })),
    hook("b", () => undefined),
    hook("c", () => ({ classes: ["C"] })),
  ], r);
  assert.equal(out, undefined, "no microtask for synchronous plugins");
  assert.deepEqual(r.found, ["a:A", "c:C"]);
});

Deno.test("a hook that throws or rejects loses its findings, is noted on the event and reported once; the others run", async () => {
  const { dispatcher, warnings } = setup({});
  const hooks = [
    hook("throws", () => {
      throw new TypeError("bad");
    }),
    hook("rejects", () => Promise.reject(new Error("later"))),
    hook("fine", () => Promise.resolve({ classes: ["OK"] })),
  ];
  for (const seq of [0, 1]) {
    const r = run(seq);
    await dispatcher.dispatch(hooks, r);
    assert.deepEqual(r.found, ["fine:OK"]);
    assert.deepEqual(r.event.pluginErrors, [
      { plugin: "throws", error: "TypeError: bad" },
      { plugin: "rejects", error: "Error: later" },
    ]);
  }
  assert.equal(warnings.length, 2, "one warning per plugin, not per event");
  assert.match(
    warnings[0],
    /plugin "throws" failed \(TypeError: bad\) on event 0/,
  );
  dispatcher.warnOnce("throws", "a redaction failure of the same plugin");
  assert.equal(warnings.length, 2, "warnOnce shares the once");
});

Deno.test("a hook that never settles times out, and after maxTimeouts its plugin is switched off", async () => {
  const { dispatcher, warnings } = setup({ hookTimeoutMs: 20, maxTimeouts: 2 });
  let calls = 0;
  const hooks = [
    hook("hangs", () => {
      calls++;
      return new Promise(() => {});
    }),
    hook("after", () => ({ classes: ["X"] })),
  ];
  const errors: unknown[] = [];
  for (const seq of [0, 1, 2]) {
    const r = run(seq);
    await dispatcher.dispatch(hooks, r);
    assert.deepEqual(r.found, ["after:X"]);
    errors.push(r.event.pluginErrors);
  }
  const timedOut = [{
    plugin: "hangs",
    error: "timed out after 20 ms; its work on this event was dropped",
  }];
  assert.deepEqual(errors, [timedOut, timedOut, undefined]);
  assert.equal(calls, 2, "not called once switched off");
  assert.match(
    warnings.at(-1)!,
    /"hangs" timed out 2 times and is switched off/,
  );
});

Deno.test("a merge that throws on a hook's findings is that hook's failure, and the rest still run", async () => {
  const dispatcher = new Dispatcher<Run>((run, plugin) => {
    if (plugin.name === "odd") throw new RangeError("cannot merge");
    run.found.push(plugin.name);
  });
  const r = run(0);
  await dispatcher.dispatch([
    hook("odd", () => Promise.resolve({ classes: ["?"] })),
    hook("even", () => ({ classes: ["E"] })),
  ], r);
  assert.deepEqual(r.found, ["even"]);
  assert.deepEqual(r.event.pluginErrors, [{
    plugin: "odd",
    error: "RangeError: cannot merge",
  }]);
});
