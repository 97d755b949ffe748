import assert from "node:assert/strict";
import { cliArgs, readAll, tempDir } from "../_helpers.ts";
import type {
  AuditEvent,
  ResponseEvent,
  SessionEndEvent,
} from "../../lib/audit/event.ts";
import { parseFrame } from "../../lib/wire/jsonrpc.ts";
import { mayHoldInexactNumber } from "../../lib/wire/raw_number.ts";

const encoder = new TextEncoder();

/**
 * Runs the real proxy (sealed, with its log thread) in front of `sed`,
 * which answers each `"method":"ping"` request by rewriting it into a
 * response with the same bytes for its id, and echoes every other line.
 */
async function proxyThroughSed(
  lines: string[],
): Promise<{ log: string; stdout: string; verify: string }> {
  await using dir = await tempDir();
  const log = `${dir.path}/exact.jsonl`;
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--log",
      log,
      "--",
      "sed",
      "-u",
      's/"method":"ping"/"result":{"n":1e400,"big":12345678901234567890123}/',
    ]),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const output = readAll(child.stdout);
  const writer = child.stdin.getWriter();
  await writer.write(encoder.encode(lines.map((l) => l + "\n").join("")));
  await writer.close();
  const stdout = new TextDecoder().decode(await output);
  assert.equal((await child.status).code, 0);
  const verified = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["verify", log]),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const verify = new TextDecoder().decode(verified.stdout) +
    new TextDecoder().decode(verified.stderr);
  assert.equal(verified.code, 0, verify);
  return { log: await Deno.readTextFile(log), stdout, verify };
}

Deno.test("ids past 2^53 pair exactly and numbers a double cannot hold are logged digit for digit", async () => {
  const a = '{"jsonrpc":"2.0","id":12345678901234567890,"method":"ping"}';
  const b = '{"jsonrpc":"2.0","id":12345678901234567891,"method":"ping"}';
  // Echoed by sed as a request from the server: pending both ways at the end.
  const c =
    '{"jsonrpc":"2.0","id":98765432109876543210,"method":"tools/list","params":{"x":1e-400,"y":0.1,"z":9007199254740993}}';
  const { log, stdout } = await proxyThroughSed([a, b, c]);
  // The relay is untouched.
  assert.ok(stdout.includes('"id":12345678901234567890,"result"'));

  const lines = log.trimEnd().split("\n");
  // Valid JSON throughout (a JavaScript reader rounds the big numbers).
  const events = lines.map((l) => JSON.parse(l) as AuditEvent);
  const line = (kind: string, dir: string, id: string): string => {
    const found = lines.find((l) =>
      l.includes(`"kind":"${kind}","dir":"${dir}"`) &&
      l.includes(`"id":${id},`)
    );
    assert.ok(found, `no ${kind} ${dir} line with id ${id}:\n${log}`);
    return found;
  };
  const seqOf = (l: string): number => (JSON.parse(l) as AuditEvent).seq;
  const reqA = line("request", "c2s", "12345678901234567890");
  const reqB = line("request", "c2s", "12345678901234567891");
  const resA = JSON.parse(
    line("response", "s2c", "12345678901234567890"),
  ) as ResponseEvent;
  const resB = JSON.parse(
    line("response", "s2c", "12345678901234567891"),
  ) as ResponseEvent;
  // Each response pairs with its own request, not with the other one.
  assert.equal(resA.requestSeq, seqOf(reqA));
  assert.equal(resB.requestSeq, seqOf(reqB));
  // Numbers in payloads keep their token; never null, never rounded.
  assert.ok(
    log.includes('"result":{"n":1e400,"big":12345678901234567890123}'),
    log,
  );
  assert.ok(
    log.includes('"params":{"x":1e-400,"y":0.1,"z":9007199254740993}'),
    log,
  );
  // The unanswered request is pending with its exact id in session_end,
  // which the log thread writes (the id survives the trip to the worker).
  const endLine = lines.find((l) => l.includes('"kind":"session_end"'))!;
  assert.ok(endLine.includes('"id":98765432109876543210,'), endLine);
  const end = events.find((e) => e.kind === "session_end") as SessionEndEvent;
  assert.equal(end.pending.length, 2);
});

Deno.test("a message with duplicate keys is logged with which keys repeat, and where", async () => {
  const { log } = await proxyThroughSed([
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read","arguments":{"path":"a","path":"/etc/shadow"}},"method":"tools/call"}',
    '[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x","params":{"a":{"b" :1,"b":2,"b":3}}}]',
    '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"x","arguments":{"text":"{\\"k\\":1,\\"k\\":2}"}}}',
  ]);
  const events = log.trimEnd().split("\n").map((l) =>
    JSON.parse(l) as AuditEvent & { duplicateKeys?: unknown }
  );
  const c2s = events.filter((e) => "dir" in e && e.dir === "c2s");
  const request1 = c2s.find((e) => e.kind === "request" && e.id === 1)!;
  assert.deepEqual(request1.duplicateKeys, [
    { path: "params.arguments", key: "path" },
    { path: "", key: "method" },
  ]);
  // The logged value is the last one, as JSON.parse keeps.
  assert.equal(
    (request1 as { params: { arguments: { path: string } } }).params.arguments
      .path,
    "/etc/shadow",
  );
  // In a batch, paths start at the element; a key seen three times is listed once.
  const notification = c2s.find((e) => e.kind === "notification")!;
  assert.deepEqual(notification.duplicateKeys, [{
    path: "params.a",
    key: "b",
  }]);
  const ping = c2s.find((e) => e.kind === "request" && e.id === 2)!;
  assert.equal(ping.duplicateKeys, undefined);
  // Repeated keys inside a string are text, not keys.
  const request3 = c2s.find((e) => e.kind === "request" && e.id === 3)!;
  assert.equal(request3.duplicateKeys, undefined);
});

Deno.test("the fast check for inexact numbers agrees with a full parse on generated numbers", () => {
  // A wrong fast path would let a rounded number through: compare the
  // check with what JSON.parse does to each token.
  let seed = 7;
  const random = (): number =>
    (seed = (seed * 48271) % 2147483647) / 2147483647;
  const digits = (n: number): string =>
    Array.from({ length: n }, () => Math.floor(random() * 10)).join("");
  for (let i = 0; i < 5000; i++) {
    const int = "1" + digits(Math.floor(random() * 22));
    const token = (random() < 0.3 ? "-" : "") +
      (random() < 0.5 ? int : `0.${digits(1 + Math.floor(random() * 20))}`) +
      (random() < 0.3 ? `e${Math.floor(random() * 700) - 350}` : "");
    // As an array element (after "[" or ",") and as a member (after ":").
    const payload = i % 2 === 0 ? `{"list":[1,${token}]}` : `{"v":${token}}`;
    const text = `{"jsonrpc":"2.0","id":1,"result":${payload}}`;
    const roundTrips = sameValue(token, String(JSON.parse(token)));
    assert.equal(mayHoldInexactNumber(text), !roundTrips, token);
    const bytes = encoder.encode(text);
    const parsed = parseFrame({ bytes, length: bytes.length });
    assert.ok(
      parsed.type === "messages" && parsed.messages[0].type === "response",
    );
    const logged = JSON.stringify(parsed.messages[0].result);
    // What the log writes is the token itself when JSON.parse would round it.
    if (!roundTrips) assert.equal(logged, payload);
    else assert.equal(logged, JSON.stringify(JSON.parse(payload)));
  }
});

/** Whether two decimal texts denote the same value (exactly, by BigInt arithmetic). */
function sameValue(a: string, b: string): boolean {
  const norm = (t: string): string => {
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(t);
    if (!m) return t;
    const digits = (m[2] + (m[3] ?? "")).replace(/^0+/, "");
    if (digits === "") return "0";
    const exp = Number(m[4] ?? 0) - (m[3] ?? "").length;
    const trimmed = digits.replace(/0+$/, "");
    return `${m[1]}${trimmed}e${exp + digits.length - trimmed.length}`;
  };
  return norm(a) === norm(b);
}
