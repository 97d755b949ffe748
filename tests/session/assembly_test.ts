/**
 * The one assembly: the CLI's proxy and the API's `auditTransport`, given
 * the same `mcp-audit.jsonc`, run the same plugins and seal the same way,
 * signing key and checkpoint interval included, even when the config sits
 * in a directory whose name has a space.
 *
 * @module
 */
import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  type AuditEvent,
  auditTransport,
  type CheckpointEvent,
  loadVerifyKey,
  type RequestEvent,
  verifyLogs,
} from "../../mod.ts";
import { generateKeyPair } from "../../lib/seal/signing_key.ts";
import {
  AGENT_NAME,
  AGENT_VERSION,
  runAgentScenario,
} from "../../demo/agent.ts";
import { startHrServer } from "../../demo/hr_server.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";
import {
  completeLog,
  scenarioThroughProxy,
  withRedactKey,
} from "../_hr_scenario.ts";

const REDACT_KEY = "assembly-test-redaction-key";

/** A config with a signing key beside it, in a directory named with a space. */
async function signedConfig(root: string): Promise<
  { config: string; publicKey: string; keyId: string }
> {
  const dir = `${root}/team configs`;
  await Deno.mkdir(`${dir}/keys`, { recursive: true });
  const pair = await generateKeyPair();
  await Deno.writeTextFile(`${dir}/keys/audit.key`, pair.privatePem, {
    mode: 0o600,
  });
  await Deno.writeTextFile(`${dir}/keys/audit.pub`, pair.publicPem);
  const config = `${dir}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    `{
      // Relative to this file's directory.
      "signing": { "key": "./keys/audit.key", "checkpointEvery": 4 },
      "rules": { "sensitive": ["get_pay_*"], "write": ["submit_*"] }
    }`,
  );
  return { config, publicKey: `${dir}/keys/audit.pub`, keyId: pair.keyId };
}

async function throughProxy(log: string, config: string): Promise<void> {
  await scenarioThroughProxy(log, config, REDACT_KEY);
  await completeLog(log);
}

async function throughApi(log: string, config: string): Promise<void> {
  await withRedactKey(REDACT_KEY, async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = await startHrServer(serverSide);
    const transport = auditTransport(clientSide, { logPath: log, config });
    const client = new Client({ name: AGENT_NAME, version: AGENT_VERSION });
    await client.connect(transport);
    await runAgentScenario(client);
    await client.close();
    await transport.ended;
    await server.close();
  });
}

function checkpoints(events: AuditEvent[]): CheckpointEvent[] {
  return events.filter((e): e is CheckpointEvent => e.kind === "checkpoint");
}

function toolClasses(events: AuditEvent[]): [string, string[]][] {
  return events.filter((e): e is RequestEvent =>
    e.kind === "request" && e.method === "tools/call"
  ).map((e) => [e.tool ?? "", (e.classes ?? []).map((c) => c.label)]);
}

Deno.test("the proxy and auditTransport given one config (in a directory with a space) sign with its key, checkpoint at its interval and classify alike", async () => {
  await using dir = await tempDir();
  const { config, publicKey, keyId } = await signedConfig(dir.path);
  const proxyLog = `${dir.path}/proxy.jsonl`;
  const apiLog = `${dir.path}/api.jsonl`;
  await throughProxy(proxyLog, config);
  await throughApi(apiLog, config);

  const proxied = (await readEvents(proxyLog)).events;
  const inProcess = (await readEvents(apiLog)).events;
  for (const events of [proxied, inProcess]) {
    const marks = checkpoints(events);
    // Every 4 events and one at the end: far more than the default 1000 would give.
    assert.ok(marks.length >= 5, `${marks.length} checkpoints`);
    for (const mark of marks) {
      assert.equal(mark.keyId, keyId, "signed with the config's key");
      assert.ok(mark.signature);
    }
  }
  assert.equal(
    checkpoints(proxied).length,
    checkpoints(inProcess).length,
    "the same checkpoint interval both ways",
  );
  const classes = toolClasses(inProcess);
  assert.deepEqual(classes, toolClasses(proxied));
  assert.ok(
    classes.some(([tool, labels]) =>
      tool === "get_pay_info" && labels.includes("SENSITIVE")
    ),
  );

  const report = await verifyLogs([proxyLog, apiLog], {
    publicKey: await loadVerifyKey(publicKey),
    requireSignature: true,
  });
  assert.equal(report.status, "verified");
  assert.equal(report.sessions.length, 2);
  for (const session of report.sessions) {
    assert.equal(session.verifiedSignatures, session.checkpoints);
  }
});

Deno.test("--signing-key on the command line wins over the config's signing.key", async () => {
  await using dir = await tempDir();
  const { config, keyId } = await signedConfig(dir.path);
  const other = await generateKeyPair();
  const otherKey = `${dir.path}/other key.pem`;
  await Deno.writeTextFile(otherKey, other.privatePem, { mode: 0o600 });
  const log = `${dir.path}/flag.jsonl`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--log",
      log,
      "--config",
      config,
      "--signing-key",
      otherKey,
      "--",
      "true",
    ]),
    stdin: "null",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const marks = checkpoints((await readEvents(log)).events);
  assert.ok(marks.length > 0);
  for (const mark of marks) {
    assert.equal(mark.keyId, other.keyId);
    assert.notEqual(mark.keyId, keyId);
  }
});
