/**
 * The `annotations` plugin through the real proxy: what a server's tool
 * annotations say adds up with the starter config's name rules instead of
 * being dropped by them.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { RequestEvent } from "../../lib/audit/event.ts";
import { cliArgs, fixtureServer, readEvents, tempDir } from "../_helpers.ts";

const TOOLS = [
  {
    name: "write_file",
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      openWorldHint: false,
    },
  },
  { name: "read_file", annotations: { readOnlyHint: true } },
];

/** Runs the proxy with `config` in front of the scripted server listing TOOLS, lists and calls them. */
async function classesOf(
  dir: string,
  config: string,
): Promise<Map<string, string[]>> {
  const log = `${dir}/${crypto.randomUUID()}.jsonl`;
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--log",
      log,
      "--config",
      config,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    env: { TOOLS_JSON: JSON.stringify(TOOLS) },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const w = child.stdin.getWriter();
  const send = (m: unknown) =>
    w.write(new TextEncoder().encode(JSON.stringify(m) + "\n"));
  await send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "t", version: "1" },
    },
  });
  await send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  // The annotations are known once the list's answer has passed the proxy.
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes('"id":2')) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  await send({
    jsonrpc: "2.0",
    id: 3,
    method: "tools/call",
    params: { name: "write_file", arguments: { path: "/tmp/x" } },
  });
  await send({
    jsonrpc: "2.0",
    id: 4,
    method: "tools/call",
    params: { name: "read_file", arguments: { path: "/tmp/x" } },
  });
  await w.close();
  while (!(await reader.read()).done) { /* drain */ }
  assert.equal((await child.status).code, 0);
  const calls = (await readEvents(log)).events.filter((e): e is RequestEvent =>
    e.kind === "request" && e.method === "tools/call"
  );
  return new Map(
    calls.map((c) => [
      c.tool!,
      (c.classes ?? []).map((k) => `${k.label}<-${k.source}`),
    ]),
  );
}

Deno.test("the starter config's name rules and the server's annotations add up: write_file keeps DESTRUCTIVE", async () => {
  await using dir = await tempDir();
  const init = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["init"]),
    cwd: dir.path,
  }).output();
  assert.equal(init.code, 0);
  const classes = await classesOf(dir.path, `${dir.path}/mcp-audit.jsonc`);
  assert.deepEqual(classes.get("write_file"), [
    "WRITE<-sensitivity:tool",
    "DESTRUCTIVE<-annotations:destructiveHint",
  ]);
  // A label both say is there once, from the rule that said it first.
  assert.deepEqual(classes.get("read_file"), ["READ<-sensitivity:tool"]);
});

Deno.test("with defer, the annotations classify only calls no rule classified", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/defer.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      rules: { write: ["write_*"] },
      plugins: [
        "sensitivity",
        { use: "annotations", options: { defer: true } },
        "redact",
      ],
    }),
  );
  const classes = await classesOf(dir.path, config);
  assert.deepEqual(classes.get("write_file"), ["WRITE<-sensitivity:tool"]);
  assert.deepEqual(classes.get("read_file"), [
    "READ<-annotations:readOnlyHint",
  ]);
});
