import assert from "node:assert/strict";
import {
  decodeMcpHeaderValue,
  mcpHeaders,
} from "../../lib/wire/mcp_headers.ts";
import { Redaction } from "../../lib/plugin/redaction.ts";
import { redactPlugin } from "../../plugins/redact.ts";
import { RequestEventSchema } from "../../lib/audit/event_schema.ts";
import type { RequestEvent } from "../../lib/audit/event.ts";
import { AuditSession } from "../../lib/session/audit_session.ts";
import { assembleAudit } from "../../lib/session/assembly.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";

Deno.test("the spec's encoding examples decode to their original values", () => {
  // streamable-http.mdx, "Value Encoding": original -> encoded header value.
  const examples: [string, string][] = [
    ["us-west1", "us-west1"],
    ["Hello, 世界", "=?base64?SGVsbG8sIOS4lueVjA==?="],
    [" padded ", "=?base64?IHBhZGRlZCA=?="],
    ["line1\nline2", "=?base64?bGluZTEKbGluZTI=?="],
    ["=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="],
  ];
  for (const [original, encoded] of examples) {
    assert.equal(decodeMcpHeaderValue(encoded), original);
  }
  // Invalid Base64 or UTF-8 inside the sentinel is not silently accepted.
  assert.equal(decodeMcpHeaderValue("=?base64?SGVsbG8?="), undefined);
  assert.equal(decodeMcpHeaderValue("=?base64?/w==?="), undefined); // 0xff
});

Deno.test("mcpHeaders takes only the MCP headers, case-insensitively, and names the malformed ones", () => {
  const got = mcpHeaders([
    ["mcp-method", "tools/call"],
    ["MCP-NAME", "=?base64?5pel5pys?="],
    ["Mcp-Param-Region", "us-west1"],
    ["Mcp-Param-Broken", "=?base64?***?="],
    ["Mcp-Session-Id", "abc"],
    ["Cookie", "a=b"],
  ]);
  assert.deepEqual(got, {
    method: "tools/call",
    name: "日本",
    params: { region: "us-west1", broken: "=?base64?***?=" },
    malformed: ["mcp-param-broken"],
  });
});

Deno.test("Mcp-Param-* values logged on a request are redacted as arguments are", async () => {
  const secret = "sk-ant-api03-" + "Zx9".repeat(20);
  const headers = mcpHeaders(
    new Headers({
      "MCP-Protocol-Version": "2026-07-28",
      "Mcp-Method": "tools/call",
      "Mcp-Name": "deploy",
      "Mcp-Param-Api-Key": "plain-looking-value-42",
      "Mcp-Param-Owner": "ana@example.com",
      "Mcp-Param-Note": `=?base64?${btoa(`token ${secret}`)}?=`,
      "Mcp-Param-Region": "us-west1",
    }),
  )!;
  const event: RequestEvent = {
    v: 1,
    seq: 0,
    ts: "2026-08-01T00:00:00.000Z",
    session: "s",
    kind: "request",
    dir: "c2s",
    bytes: 10,
    id: 1,
    method: "tools/call",
    tool: "deploy",
    params: {
      name: "deploy",
      arguments: {
        "api-key": "plain-looking-value-42",
        owner: "ana@example.com",
        note: `token ${secret}`,
        region: "us-west1",
      },
    },
    mcpHeaders: headers,
  };
  const redaction = new Redaction([redactPlugin({ key: "k" })], () => {});
  await redaction.message(event);
  const logged = JSON.stringify(event);
  for (const clear of ["plain-looking-value-42", "ana@example.com", secret]) {
    assert.equal(logged.includes(clear), false, `${clear} logged in clear`);
  }
  const args = (event.params as { arguments: Record<string, string> })
    .arguments;
  // Each header is redacted to the same marker as the argument it mirrors.
  assert.equal(event.mcpHeaders?.params?.["api-key"], args["api-key"]);
  assert.equal(event.mcpHeaders?.params?.owner, args.owner);
  assert.equal(event.mcpHeaders?.params?.note, args.note);
  assert.equal(event.mcpHeaders?.params?.region, "us-west1");
  assert.match(args.owner, /^\[REDACTED:email:[0-9a-f]{8}\]$/);
  assert.equal(RequestEventSchema.safeParse(event).success, true);
});

Deno.test("an audit session logs the MCP headers given with a message on its request event, redacted, and the log verifies", async () => {
  await using dir = await tempDir();
  const logPath = `${dir.path}/http.jsonl`;
  // The session as the proxy assembles it from the default config.
  const audit = await assembleAudit({ config: {}, stateDir: dir.path });
  const session = await AuditSession.open({ logPath, ...audit.session });
  session.start();
  const secret = "ghp_" + "A1b2C3d4E5".repeat(4);
  await session.message("c2s", {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "deploy", arguments: { token: secret, region: "eu" } },
  }, {
    mcpHeaders: mcpHeaders(
      new Headers({
        "Mcp-Method": "tools/call",
        "Mcp-Name": "deploy",
        "Mcp-Param-Token": secret,
        "Mcp-Param-Region": "eu",
      }),
    ),
  });
  await session.message("s2c", {
    jsonrpc: "2.0",
    id: 1,
    result: { resultType: "complete", content: [] },
  });
  await session.end({ reason: "client_closed" });
  const bytes = await Deno.readTextFile(logPath);
  assert.equal(bytes.includes(secret), false);
  const { events } = await readEvents(logPath);
  const request = events.find((e) => e.kind === "request") as RequestEvent;
  assert.equal(request.mcpHeaders?.method, "tools/call");
  assert.equal(request.mcpHeaders?.params?.region, "eu");
  assert.match(request.mcpHeaders?.params?.token ?? "", /^\[REDACTED:/);
  const verify = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["verify", logPath]),
    stdout: "null",
    stderr: "null",
  }).output();
  assert.equal(verify.code, 0);
});
