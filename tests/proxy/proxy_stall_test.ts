/**
 * The relay never waits on auditing: hostile texts for the built-in and
 * configured patterns, and plugins that are slow or never finish, through
 * the real CLI with `cat` as the server. Each test writes lines, reads back
 * every byte, closes stdin and waits for the exit; a watchdog kills a proxy
 * that has not exited after a minute (what the audit used to take for
 * these inputs was minutes to forever), so a stall fails the test rather
 * than hanging it. How much delay the audit adds is the bench's business.
 */
import assert from "node:assert/strict";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";
import type { AuditEvent, JsonRpcMessageEvent } from "../../lib/audit/event.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const fixtures = new URL("../fixtures/", import.meta.url).pathname;

/** Longer than any run of the proxy these tests make, by far. */
const WATCHDOG_MS = 60_000;

/** A `tools/call` line whose one argument is `text`. */
function call(id: number, text: string, tool = "note"): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: tool, arguments: { text } },
  }) + "\n";
}

interface Run {
  events: AuditEvent[];
  stderr: string;
  code: number;
}

/** Runs `mcp-audit proxy [args] -- cat`, writes `lines`, reads back everything, closes stdin. */
async function proxyCat(
  dir: string,
  args: string[],
  lines: string[],
): Promise<Run> {
  const log = `${dir}/log.jsonl`;
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(["proxy", "--no-seal", ...args, "--log", log, "--", "cat"]),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, WATCHDOG_MS);
  const input = encoder.encode(lines.join(""));
  const reading = new Response(child.stdout).arrayBuffer();
  const stderr = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  await writer.write(input).catch(() => {});
  await writer.close().catch(() => {});
  const out = new Uint8Array(await reading);
  const status = await child.status;
  clearTimeout(watchdog);
  assert.ok(!timedOut, "the proxy had not exited after a minute");
  assert.equal(out.length, input.length, "every byte came back");
  assert.deepEqual(out, input);
  return {
    events: (await readEvents(log)).events,
    stderr: await stderr,
    code: status.code,
  };
}

const messages = (events: AuditEvent[]): JsonRpcMessageEvent[] =>
  events.filter((e) =>
    e.kind === "request" || e.kind === "response" ||
    e.kind === "notification" || e.kind === "error"
  ) as JsonRpcMessageEvent[];

Deno.test("a 400 KB argument shaped like a.a.…@b.b.…1 is relayed whole and logged, with the default config", async () => {
  await using dir = await tempDir();
  const hostile = "a.".repeat(100_000) + "@" + "b.".repeat(100_000) + "1";
  // The built-in plugins with their defaults.
  await Deno.writeTextFile(`${dir.path}/mcp-audit.jsonc`, "{}");
  const r = await proxyCat(dir.path, [
    "--config",
    `${dir.path}/mcp-audit.jsonc`,
  ], [
    call(1, hostile),
    call(2, "write to ana@example.com"),
  ]);
  assert.equal(r.code, 0);
  const logged = messages(r.events);
  // Each line twice: the client's request, and cat's echo of it, as a request of the server's.
  assert.equal(logged.length, 4);
  assert.equal(logged.filter((e) => e.pluginErrors).length, 0);
  const second = JSON.stringify(logged.filter((e) => e.dir === "c2s")[1]);
  assert.match(second, /\[REDACTED:email:[0-9a-f]{8}\]/);
  assert.doesNotMatch(second, /ana@example\.com/);
});

Deno.test("configured extractors such as (a+)+$ run in linear time: short and long hostile texts are relayed and audited", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      entities: [
        { type: "nested", pattern: "(a+)+$" },
        { type: "words", pattern: "^(\\w+\\s?)*$" },
        { type: "alt", pattern: "(a|aa)+b" },
        { type: "mark", pattern: "\\bMARK-\\d+\\b" },
      ],
      rules: {
        arguments: [{ label: "X", pattern: "(x+x+)+y" }],
        // As a regular expression, polynomial in a long tool name's length.
        write: ["a*a*a*a*a*b"],
      },
    }),
  );
  const short = "a".repeat(40) + "!";
  const long = "a".repeat(50_000) + "!";
  const r = await proxyCat(dir.path, ["--config", config], [
    call(1, short),
    call(2, long),
    call(3, `${"x".repeat(5000)} MARK-7`),
    call(4, "", "a".repeat(5000)),
  ]);
  const logged = messages(r.events).filter((e) => e.dir === "c2s");
  assert.equal(logged.length, 4);
  assert.deepEqual(
    logged.map((e) => e.pluginErrors ?? []),
    [[], [], [], []],
  );
  assert.deepEqual(
    (logged[2].entities ?? []).map((e) => `${e.type}:${e.value}`),
    ["mark:MARK-7"],
  );
});

Deno.test("a pattern the linear-time engine cannot run is refused at config load, naming the file, line and key", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    `{\n  "entities": [\n    { "type": "twice", "pattern": "(\\\\w+) \\\\1" }\n  ]\n}\n`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["proxy", "--config", config, "--", "cat"]),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  const stderr = decoder.decode(out.stderr);
  assert.match(stderr, /mcp-audit\.jsonc:3:\d+: "entities\.0\.pattern"/);
  assert.match(stderr, /back-reference/);
  assert.equal(out.stdout.length, 0);
});

Deno.test("a slow async plugin neither throttles a flood nor holds the exit past the grace period; events it could not finish say why", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ plugins: [`${fixtures}slow_plugin.ts`, "redact"] }),
  );
  // More lines than the audit queue holds (10,000 events), each of which
  // the plugin takes 50 ms over: 9 minutes at the plugin's pace.
  const lines = Array.from(
    { length: 11_000 },
    (_, i) => call(i, `note ${i}`),
  );
  const r = await proxyCat(
    dir.path,
    ["--config", config, "--grace-ms", "200"],
    lines,
  );
  const logged = messages(r.events);
  assert.equal(logged.length, 22_000, "every message is logged");
  const reasons = new Set(
    logged.flatMap((e) => (e.pluginErrors ?? []).map((f) => f.error)),
  );
  assert.ok(
    [...reasons].some((m) =>
      /^had not answered when the audit queue was full; its work on this event was dropped$/
        .test(m)
    ),
    [...reasons].join("\n"),
  );
  assert.ok(
    logged.every((e) => !e.pluginErrors || e.pluginErrors[0].plugin === "slow"),
  );
});

Deno.test("an event whose redaction did not finish is logged without its payload in clear: size and SHA-256 only, and why", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      plugins: ["redact", `${fixtures}failing_redactor.ts`],
    }),
  );
  const secret = "tell nobody: hunter2-HUNTER2";
  const r = await proxyCat(dir.path, ["--config", config], [
    call(1, `${secret} BREAK`),
    call(2, "plain"),
  ]);
  const text = await Deno.readTextFile(`${dir.path}/log.jsonl`);
  assert.doesNotMatch(text, /hunter2/);
  const [first, second] = messages(r.events).filter((e) =>
    e.dir === "c2s"
  ) as (JsonRpcMessageEvent & { params?: unknown })[];
  const params = first.params as Record<string, unknown>;
  assert.equal(params.$withheld, true);
  assert.match(String(params.sha256), /^[0-9a-f]{64}$/);
  assert.equal(typeof params.bytes, "number");
  assert.match(
    String(params.reason),
    /redaction by "breaks" did not finish \(its redact hook threw \(Error: cannot redact this\)\): the payload is withheld/,
  );
  assert.equal(first.pluginErrors?.[0].plugin, "breaks");
  assert.deepEqual(
    (second.params as { arguments: unknown }).arguments,
    { text: "plain" },
  );
  assert.match(r.stderr, /"breaks"/);
});

Deno.test("a plugin hook stuck in a synchronous loop does not stop the relay: its events are logged without its work, and why", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      plugins: ["sensitivity", `${fixtures}spinning_plugin.ts`, "redact"],
      rules: { write: ["note"] },
      hookTimeoutMs: 1000,
    }),
  );
  const r = await proxyCat(dir.path, [
    "--config",
    config,
    "--grace-ms",
    "10000",
  ], [
    call(1, "SPIN please, and mail ana@example.com"),
    call(2, "no spin here"),
  ]);
  const [first, second] = messages(r.events).filter((e) => e.dir === "c2s");
  assert.deepEqual(first.classes?.map((c) => c.label), ["WRITE"]);
  assert.equal(first.pluginErrors?.[0].plugin, "spinner");
  assert.match(
    first.pluginErrors![0].error,
    /^did not answer within 1000 ms; its work on this event was dropped and its worker restarted$/,
  );
  // The redaction after it still ran.
  assert.doesNotMatch(JSON.stringify(first), /ana@example\.com/);
  // The plugin's worker was replaced: the next event has its work.
  assert.deepEqual(second.classes?.map((c) => c.label).sort(), [
    "SPUN",
    "WRITE",
  ]);
  assert.equal(second.pluginErrors, undefined);
});
