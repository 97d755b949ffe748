/**
 * The config file's `secretHeaders`: header names the HTTP proxy treats as
 * credentials, like `--secret-header`. Real proxy process, real upstream
 * (server-everything over Streamable HTTP), real log bytes.
 */
import assert from "node:assert/strict";
import { cliArgs, tempDir } from "../_helpers.ts";
import { startEverything, startReverse } from "./_http_servers.ts";

const KEY = "cfgkey_5e1b7c90aa";

async function initializeThrough(url: string): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "x-tenant-key": KEY,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "secret-headers-test", version: "1" },
      },
    }),
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
}

async function logBytes(configText: string | undefined): Promise<string> {
  await using dir = await tempDir();
  await using upstream = await startEverything("streamableHttp");
  const log = `${dir.path}/http.jsonl`;
  const args = ["--log", log];
  if (configText !== undefined) {
    await Deno.writeTextFile(`${dir.path}/mcp-audit.jsonc`, configText);
    args.push("--config", `${dir.path}/mcp-audit.jsonc`);
  }
  await using proxy = await startReverse(upstream.url, args, {
    MCP_AUDIT_REDACT_KEY: "test-key",
  });
  await initializeThrough(proxy.url);
  await proxy.stop();
  return await Deno.readTextFile(log);
}

Deno.test("config secretHeaders: the named header is logged as a marker only; without the entry it is not logged at all", async (t) => {
  await t.step("with secretHeaders (any case) in the config", async () => {
    const bytes = await logBytes(
      '{\n  // credentials beyond the built-in ones\n  "secretHeaders": ["X-Tenant-Key"]\n}\n',
    );
    assert.ok(!bytes.includes(KEY), "the key is in the log in clear");
    assert.match(
      bytes,
      /"x-tenant-key":"\[REDACTED:secret:[0-9a-f]{8}\]"/,
    );
  });
  await t.step(
    "control: without the entry the header is no credential, so it is not logged",
    async () => {
      const bytes = await logBytes('{ "logDir": "unused" }\n');
      assert.ok(!bytes.includes(KEY), "the key is in the log in clear");
      assert.ok(
        !bytes.includes("x-tenant-key"),
        "the header is logged without a secretHeaders entry",
      );
      assert.ok(bytes.includes('"kind":"session_start"'), "nothing was logged");
    },
  );
});

Deno.test("config secretHeaders that is not a list of names is refused, naming the file and the key", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(config, '{\n  "secretHeaders": "X-Tenant-Key"\n}\n');
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--listen",
      "127.0.0.1:0",
      "--upstream",
      "http://127.0.0.1:9/mcp",
      "--config",
      config,
    ]),
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assert.notEqual(code, 0, text);
  assert.ok(text.includes(config), text);
  assert.match(text, /secretHeaders/);
});
