import assert from "node:assert/strict";
import { seeded } from "../_seeded.ts";
import { concat } from "../../lib/util/_bytes.ts";
import { cliArgs, readAll, readEvents, sha256, tempDir } from "../_helpers.ts";
import type { InvalidEvent, RequestEvent } from "../../lib/audit/event.ts";

const encoder = new TextEncoder();

Deno.test("bytes pass through unchanged both ways: random chunking, a 20 MB line, garbage, invalid UTF-8, CRLF", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/bytes.jsonl`;
  const received = `${dir.path}/received-by-server`;
  const big = JSON.stringify({
    jsonrpc: "2.0",
    id: "big",
    method: "tools/call",
    params: {
      name: "upload",
      arguments: { blob: "A".repeat(20 * 1024 * 1024) },
    },
  });
  const parts: Uint8Array[] = [
    encoder.encode(
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}\n',
    ),
    encoder.encode(
      '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"crlf"}}}\r\n',
    ),
    encoder.encode("this is not json\n"),
    encoder.encode("\n\n   \n"),
    new Uint8Array([
      0x7b,
      0x22,
      0x61,
      0x22,
      0x3a,
      0x22,
      0xff,
      0xfe,
      0xc3,
      0x28,
      0x22,
      0x7d,
      0x0a,
    ]), // {"a":"<invalid UTF-8>"}
    encoder.encode(
      '[{"jsonrpc":"2.0","id":3,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"}]\n',
    ),
    encoder.encode(
      '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"ünïcødé ✓ 🚀","arguments":{}}}\n',
    ),
    encoder.encode(big + "\n"),
    encoder.encode('{"jsonrpc":"2.0","id":5,"method":"tools/list"}'), // no final newline
  ];
  const input = concat(parts);

  // The server is `tee`: it records what reached it and echoes it back.
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(["proxy", "--quiet", "--log", log, "--", "tee", received]),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const output = readAll(child.stdout);
  const writer = child.stdin.getWriter();
  const random = seeded(42);
  for (let offset = 0; offset < input.length;) {
    // Mostly small chunks, sometimes large ones, split anywhere (inside UTF-8 sequences too).
    const size = random() < 0.9
      ? 1 + Math.floor(random() * 300)
      : 1 + Math.floor(random() * 4 * 1024 * 1024);
    await writer.write(input.slice(offset, offset + size));
    offset += size;
  }
  await writer.close();
  const [echoed, status] = [await output, await child.status];
  assert.equal(status.code, 0);

  const expected = await sha256(input);
  assert.equal(
    await sha256(await Deno.readFile(received)),
    expected,
    "the server received exactly the client's bytes",
  );
  assert.equal(echoed.length, input.length);
  assert.equal(
    await sha256(echoed),
    expected,
    "the client received exactly the server's bytes",
  );

  const { events } = await readEvents(log);
  const invalid = events.filter((e) => e.kind === "invalid") as InvalidEvent[];
  // Each bad line is logged once per direction.
  assert.deepEqual(
    invalid.filter((e) => e.dir === "c2s").map((e) => e.reason),
    ["invalid_json", "invalid_utf8"],
  );
  assert.deepEqual(
    invalid.filter((e) => e.dir === "s2c").map((e) => e.reason),
    ["invalid_json", "invalid_utf8"],
  );
  assert.equal(invalid[0].excerpt, "this is not json");
  const c2s = events.filter((e) =>
    e.kind === "request" && e.dir === "c2s"
  ) as RequestEvent[];
  assert.deepEqual(
    c2s.map((e) => e.id),
    [1, 2, 3, 4, "big", 5],
    "blank lines skipped, batch split, last line kept",
  );
  assert.deepEqual(c2s[2].batch, { index: 0, size: 2 });
  assert.equal(c2s[3].tool, "ünïcødé ✓ 🚀");
  const bigEvent = c2s[4];
  assert.equal(
    bigEvent.tool,
    "upload",
    "the 20 MB request is still parsed for what the audit needs",
  );
  const truncated = bigEvent.params as {
    $truncated: boolean;
    bytes: number;
    sha256: string;
  };
  assert.equal(truncated.$truncated, true);
  assert.equal(truncated.bytes, encoder.encode(big).length);
  assert.equal(
    truncated.sha256,
    await sha256(encoder.encode(big)),
    "the hash is over the exact wire bytes",
  );
  const logSize = (await Deno.stat(log)).size;
  assert.ok(logSize < 200_000, `the log stays small (${logSize} bytes)`);
});

Deno.test("bytes are forwarded as they arrive, without waiting for the end of the line", async () => {
  await using dir = await tempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--log",
      `${dir.path}/partial.jsonl`,
      "--",
      "cat",
    ]),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  await writer.write(encoder.encode('{"jsonrpc":"2.0","id":1,"met'));
  const first = await reader.read();
  assert.equal(
    new TextDecoder().decode(first.value),
    '{"jsonrpc":"2.0","id":1,"met',
    "half a line came through",
  );
  await writer.write(encoder.encode('hod":"ping"}\n'));
  const second = await reader.read();
  assert.equal(new TextDecoder().decode(second.value), 'hod":"ping"}\n');
  await writer.close();
  reader.releaseLock();
  await child.stdout.cancel();
  assert.equal((await child.status).code, 0);
  const { events } = await readEvents(`${dir.path}/partial.jsonl`);
  assert.deepEqual(
    (events.filter((e) => e.kind === "request") as RequestEvent[]).map((e) =>
      `${e.dir} ${e.method}`
    ),
    ["c2s ping", "s2c ping"],
  );
});
