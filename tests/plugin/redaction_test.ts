/**
 * Redaction has no holes by shape: for each place a secret can sit in the
 * traffic or around it (depth, size, keys, names, ids, `_meta`, the
 * handshake, the command line, results and errors, text, stderr, numbers),
 * the real proxy runs in front of `fixtures/raw_server.ts`, a known secret
 * is planted there, and the log file's raw bytes must not hold it, while
 * the bytes relayed each way are exactly those sent.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { cliArgs, fixtureServer, tempDir } from "../_helpers.ts";
import { luhnValid } from "../../plugins/redact.ts";

const decoder = new TextDecoder();

/** What one audited session left: the log's raw text, what the client got, what the server got. */
interface Audited {
  log: string;
  stdout: string;
  received: string;
}

/** Options for {@linkcode audited}. */
interface AuditedOptions {
  /** Arguments of the server command, after the fixture's path. */
  serverArgs?: string[];
  /** Environment of the proxy (the server inherits what the proxy passes on). */
  env?: Record<string, string>;
}

/**
 * Runs the proxy in front of the raw server, writes `lines` to it one by
 * one (each request that expects an answer is answered before the next is
 * written), closes its stdin and returns what was logged and relayed.
 */
async function audited(
  lines: string[],
  options: AuditedOptions = {},
): Promise<Audited> {
  await using dir = await tempDir();
  const log = `${dir.path}/audit.jsonl`;
  const received = `${dir.path}/received`;
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--log",
      log,
      "--",
      ...fixtureServer("raw_server.ts", ...(options.serverArgs ?? [])),
    ]),
    env: { RECEIVED: received, ...options.env },
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  let stdout = "";
  let answers = 0;
  for (const line of lines) {
    await writer.write(new TextEncoder().encode(line + "\n"));
    const m = JSON.parse(line);
    if (m.id === undefined || String(m.method).startsWith("noreply/")) continue;
    answers++;
    while (stdout.split("\n").length - 1 < answers) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the proxy ended before answer ${answers}`);
      stdout += decoder.decode(value, { stream: true });
    }
  }
  await writer.close();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    stdout += decoder.decode(r.value, { stream: true });
  }
  assert.equal((await child.status).code, 0);
  return {
    log: await Deno.readTextFile(log),
    stdout,
    received: await Deno.readTextFile(received).catch(() => ""),
  };
}

/**
 * Asserts that none of `secrets` is anywhere in the log, and that the
 * client's lines reached the server as sent. A secret of digits only (a
 * PIN) counts where no other digit or letter touches it: a 4-digit PIN is
 * inside some of the log's hex hashes by chance (one CI run failed so),
 * and that is not the PIN.
 */
function assertHidden(run: Audited, lines: string[], secrets: string[]): void {
  for (const secret of secrets) {
    const found = /^\d+$/.test(secret)
      ? new RegExp(`(?<![0-9A-Za-z])${secret}(?![0-9A-Za-z])`).test(run.log)
      : run.log.includes(secret);
    assert.ok(!found, `the log holds "${secret.slice(0, 80)}" in clear`);
  }
  assert.equal(run.received, lines.map((l) => l + "\n").join(""));
}

function request(id: unknown, method: string, params?: unknown): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params });
}

function call(id: unknown, name: string, args: unknown): string {
  return request(id, "tools/call", { name, arguments: args });
}

/** A request to the raw server to write `line` back, as it is. */
function replyWith(id: number, line: unknown): string {
  return call(id, "reply", { line: JSON.stringify(line) });
}

/** A GitHub token unlike any other, so that finding it means it leaked. */
function token(tag: string): string {
  return `ghp_${tag}${"Xq7Lm2Rt9Kw4Zp8Vn3Bj6".repeat(3)}`.slice(0, 40);
}

Deno.test("a secret nested deeper than any walk goes is not logged, and a very deep value neither overflows the stack nor logs raw", async () => {
  const secret = token("Deep");
  let deep: unknown = { note: secret };
  for (let i = 0; i < 100; i++) deep = { a: deep };
  const deeper = `${"[".repeat(5000)}"${token("Deeper")}"${"]".repeat(5000)}`;
  const lines = [
    call(1, "echo", { deep }),
    `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"x":${deeper}}}}`,
  ];
  const run = await audited(lines);
  assertHidden(run, lines, [secret, token("Deeper")]);
  assert.match(run.log, /\[WITHHELD:depth\]/);
  assert.match(run.log, /"kind":"request","dir":"c2s","bytes":\d+,"id":2,/);
});

Deno.test("a message over the skim size has its preview redacted: escaped secrets, password-keyed values and keys of the raw text", async () => {
  const password = "Opaque-Big-Pass-7731";
  const escaped = "gh\\u0070_" + token("Esc").slice(4);
  const pad = "x".repeat(600 * 1024);
  const lines = [
    `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"password":"${password}","note":"mail leakbig\\u0040example.com ${escaped}","pad":"${pad}"}}}`,
    replyWith(2, {
      jsonrpc: "2.0",
      id: 2,
      result: { structuredContent: { password: "Opaque-Big-Reply-88" }, pad },
    }),
  ];
  const run = await audited(lines);
  assertHidden(run, lines, [
    password,
    "leakbig",
    "Opaque-Big-Reply-88",
    token("Esc").slice(4),
  ]);
  assert.ok(run.stdout.includes("Opaque-Big-Reply-88"), "the reply is relayed");
  // Still a preview, of redacted text.
  assert.match(run.log, /"preview":"\{\\"jsonrpc\\":\\"2.0\\",\\"id\\":1,/);
  assert.match(run.log, /\\"password\\":\\"\[REDACTED:password:[0-9a-f]{8}\]/);
});

Deno.test("a secret in an object key is not logged, nor in the paths built from it", async () => {
  const lines = [
    call(1, "echo", {
      [token("Key")]: "value",
      nested: { "keyleak@example.com": 1, list: [{ [token("Key2")]: true }] },
    }),
  ];
  const run = await audited(lines);
  assertHidden(run, lines, [
    token("Key"),
    token("Key2"),
    "keyleak@example.com",
  ]);
});

Deno.test("a secret as a tool name, a method name or a string id is not logged, nor in pending requests or the summary", async () => {
  const lines = [
    call(token("Id1"), token("Tool"), {}),
    request(token("Id2"), `noreply/${token("Method")}`, {}),
    JSON.stringify({
      jsonrpc: "2.0",
      method: `notifications/${token("Note")}`,
    }),
  ];
  const run = await audited(lines);
  assertHidden(run, lines, [
    token("Id1"),
    token("Tool"),
    token("Id2"),
    token("Method"),
    token("Note"),
  ]);
  assert.ok(run.stdout.includes(token("Id1")), "the reply's id is relayed");
});

Deno.test("a secret in _meta baggage is not logged under the trace, nor a _meta clientInfo in the handshake", async () => {
  const lines = [
    call(1, "echo", {
      _unused: 0,
    }).replace(
      '"arguments"',
      `"_meta":${
        JSON.stringify({
          traceparent:
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          baggage: "tenant=acme,api_key=BagSecret9f3k2LmQ",
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": {
            name: `agent ${token("Meta")}`,
          },
        })
      },"arguments"`,
    ),
  ];
  const run = await audited(lines);
  assertHidden(run, lines, ["BagSecret9f3k2LmQ", token("Meta")]);
  assert.match(run.log, /"kind":"handshake"/);
  assert.match(run.log, /"trace":\{"traceparent":"00-0af7/);
});

Deno.test("a secret in clientInfo is not logged in the handshake event or in session_end", async () => {
  const lines = [
    request(1, "initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: {
        name: `agent ${token("Client")}`,
        version: "1.0",
        title: "run by clientleak@example.com",
      },
    }),
  ];
  const run = await audited(lines);
  assertHidden(run, lines, [token("Client"), "clientleak@example.com"]);
  assert.match(
    run.log,
    /"kind":"handshake".*"client":\{"name":"agent \[REDACTED:github_token:/,
  );
});

Deno.test("secrets on the server command line are not logged in session_start", async () => {
  const serverArgs = [
    "--token",
    token("Cmd"),
    "--password",
    "CmdPass-Opaque-4411",
    "--api-key=ApiKeyOpaque77x",
    "DB_PASSWORD=EnvPassOpaque",
  ];
  const lines = [call(1, "echo", {})];
  const run = await audited(lines, { serverArgs });
  assertHidden(run, lines, [
    token("Cmd"),
    "CmdPass-Opaque-4411",
    "ApiKeyOpaque77x",
    "EnvPassOpaque",
  ]);
  assert.match(run.log, /"--password","\[REDACTED:password:/);
});

Deno.test("values under password-like keys outside arguments are not logged: structuredContent, error.data", async () => {
  const lines = [
    replyWith(1, {
      jsonrpc: "2.0",
      id: 1,
      result: {
        content: [],
        structuredContent: { account: { password: "StructPass-Opaque-1" } },
      },
    }),
    replyWith(2, {
      jsonrpc: "2.0",
      id: 2,
      error: {
        code: -32000,
        message: "failed",
        data: { credentials: { user: "u", secret: "DataSecretOpaque-2" } },
      },
    }),
  ];
  const run = await audited(lines);
  assertHidden(run, lines, ["StructPass-Opaque-1", "DataSecretOpaque-2"]);
  assert.ok(run.stdout.includes("StructPass-Opaque-1"));
  assert.ok(run.stdout.includes("DataSecretOpaque-2"));
});

Deno.test('password= and "api_key": in result text are not logged', async () => {
  const text =
    'connected with password=TextPassOpaque9; config {"api_key": "TextKeyOpaque3"} pwd: TextPwdOpaque5';
  const lines = [
    replyWith(1, {
      jsonrpc: "2.0",
      id: 1,
      result: { content: [{ type: "text", text }] },
    }),
  ];
  const run = await audited(lines);
  assertHidden(run, lines, [
    "TextPassOpaque9",
    "TextKeyOpaque3",
    "TextPwdOpaque5",
  ]);
  assert.ok(run.stdout.includes(JSON.stringify(text)));
});

Deno.test("a secret split across two stderr writes is not logged, nor a private key written in two parts", async () => {
  const split = token("Split");
  const lines = [
    // In base64, so that the request holds no part in clear.
    call(1, "stderr", {
      parts: [
        `connecting with ${split.slice(0, 20)}`,
        `${split.slice(20)} now\n`,
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCPemBody1\n",
        "BKcwggSjAgEAAoIBAQC7PemBody2\n-----END PRIVATE KEY-----\ndone\n",
      ].map((part) => btoa(part)),
    }),
  ];
  const run = await audited(lines);
  assertHidden(run, lines, [
    split.slice(0, 20),
    split.slice(20),
    "PemBody1",
    "PemBody2",
  ]);
  assert.match(
    run.log,
    /"kind":"stderr","text":"connecting with \[REDACTED:github_token:[0-9a-f]{8}\] now\\n"/,
  );
});

Deno.test("a card number sent as a JSON number is not logged, either way", async () => {
  const card = 4539148803436467;
  assert.ok(luhnValid(String(card)));
  const lines = [
    call(1, "echo", { amount: 12, cardNumber: card }),
    replyWith(2, {
      jsonrpc: "2.0",
      id: 2,
      result: { content: [], structuredContent: { card } },
    }),
  ];
  const run = await audited(lines);
  assertHidden(run, lines, [String(card)]);
  assert.match(run.log, /"cardNumber":"\[REDACTED:card:[0-9a-f]{8}\]"/);
});

Deno.test("the server does not inherit the redaction key, and a PIN's marker cannot be reversed with it", async () => {
  const key = "test-redaction-key-0123456789abcdef";
  const lines = [
    call(1, "env", { name: "MCP_AUDIT_REDACT_KEY" }),
    call(2, "echo", { pin: "4821" }),
  ];
  const run = await audited(lines, { env: { MCP_AUDIT_REDACT_KEY: key } });
  assert.match(run.stdout, /"text":"\(unset\)"/);
  const tag = run.log.match(/"pin":"\[REDACTED:secret:([0-9a-f]{8})\]"/)?.[1];
  assert.ok(tag, "the PIN is redacted");
  for (let pin = 0; pin < 10000; pin++) {
    const guess = String(pin).padStart(4, "0");
    const hash = createHmac("sha256", key).update(guess).digest("hex");
    assert.notEqual(hash.slice(0, 8), tag, `the marker reverses to ${guess}`);
  }
  assertHidden(run, lines, ["4821"]);
});
