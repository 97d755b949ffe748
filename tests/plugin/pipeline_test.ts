import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  cliArgs,
  EVERYTHING_SERVER,
  fixtureServer,
  HR_SERVER,
  readEvents,
  tempDir,
} from "../_helpers.ts";
import { Correlator } from "../../lib/audit/correlator.ts";
import { parseFrame } from "../../lib/wire/jsonrpc.ts";
import { Pipeline } from "../../lib/plugin/pipeline.ts";
import { definePlugin, type PluginFindings } from "../../lib/plugin/plugin.ts";
import type {
  AuditEvent,
  RequestEvent,
  ResponseEvent,
  SessionEndEvent,
} from "../../lib/audit/event.ts";

const decoder = new TextDecoder();
const DEMO_CONFIG =
  new URL("../../demo/mcp-audit.jsonc", import.meta.url).pathname;

async function session(
  proxyArgs: string[],
  server: string[],
  play: (client: Client) => Promise<void>,
): Promise<{ events: AuditEvent[]; stderr: string }> {
  const client = new Client({ name: "pipeline-test", version: "1.0.0" });
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: cliArgs(["proxy", "--quiet", ...proxyArgs, "--", ...server]),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on(
    "data",
    (chunk: Uint8Array) => (stderr += decoder.decode(chunk)),
  );
  await client.connect(transport);
  try {
    await play(client);
  } finally {
    await client.close();
  }
  const log = proxyArgs[proxyArgs.indexOf("--log") + 1];
  return { events: (await readEvents(log)).events, stderr };
}

const calls = (events: AuditEvent[]) =>
  events.filter((e) =>
    e.kind === "request" && e.method === "tools/call"
  ) as RequestEvent[];
const labels = (e: { classes?: { label: string }[] }) =>
  (e.classes ?? []).map((c) => c.label).sort();

Deno.test("the demo scenario comes out classified: pay info SENSITIVE, time-off WRITE, searches READ, ids from arguments and results", async () => {
  const { runAgentScenario } = await import("../../demo/agent.ts");
  await using dir = await tempDir();
  const log = `${dir.path}/hr.jsonl`;
  const { events } = await session(
    ["--config", DEMO_CONFIG, "--log", log],
    HR_SERVER,
    async (c) => {
      await runAgentScenario(c);
    },
  );
  const byTool = new Map(calls(events).map((c) => [c.tool, c]));
  assert.deepEqual(labels(byTool.get("get_pay_info")!), ["READ", "SENSITIVE"]);
  assert.equal(
    byTool.get("get_pay_info")!.classes![0].source,
    "sensitivity:tool",
  );
  assert.deepEqual(labels(byTool.get("submit_time_off")!), ["WRITE"]);
  assert.deepEqual(labels(byTool.get("search_employees")!), ["READ"]);

  // Employee ids found in the arguments of one call and in the results of another.
  const payRequest = calls(events).find((c) => c.tool === "get_pay_info")!;
  assert.deepEqual(
    payRequest.entities?.map((e) => [e.type, e.value, e.path]),
    [
      ["employee", "E003", "arguments.employee_id"],
      // The example plugin's directory gives the employee's department.
      ["department", "Engineering", "arguments.employee_id"],
    ],
  );
  const searchReply = events.find((e) =>
    e.kind === "response" && e.tool === "search_employees" &&
    e.entities?.some((x) => x.value === "E004")
  ) as ResponseEvent;
  assert.ok(searchReply, "ids are extracted from a search result");
  const fromResult = searchReply.entities!.filter((e) => e.type === "employee")
    .map((e) => e.value);
  assert.deepEqual(fromResult, ["E001", "E002", "E003", "E004"]);
  assert.ok(
    searchReply.entities!.every((e) =>
      e.path.startsWith("result") && e.tool === "search_employees"
    ),
  );
  // The response carries the request's classes, and the example plugin's own label.
  const payReply = events.find((e) =>
    e.kind === "response" && e.tool === "get_pay_info"
  ) as ResponseEvent;
  assert.deepEqual(labels(payReply), ["PAYROLL", "READ", "SENSITIVE"]);
  assert.ok(
    payReply.entities?.some((e) =>
      e.type === "department" || e.type === "employee"
    ),
  );

  const end = events.find((e) => e.kind === "session_end") as SessionEndEvent;
  assert.deepEqual(end.summary.toolClasses.SENSITIVE, ["get_pay_info"]);
  assert.deepEqual(end.summary.toolClasses.WRITE, ["submit_time_off"]);
  assert.ok(
    end.summary.entities.some((e) =>
      e.type === "employee" && e.value === "E007"
    ),
  );
  assert.ok(
    end.summary.entities.some((e) =>
      e.type === "time_off_request" && /^TO-1\d{3}$/.test(e.value)
    ),
  );
  assert.equal(end.summary.uniqueEntities, end.summary.entities.length);
  // Emails in results are redacted in the log.
  const raw = await Deno.readTextFile(log);
  assert.doesNotMatch(raw, /@example\.com/);
  assert.match(raw, /\[REDACTED:email:[0-9a-f]{8}\]/);
});

Deno.test("a secret in an argument never reaches the log file, while the server and client see it unchanged", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/secret.jsonl`;
  const secrets = [
    "sk-ant-api03-" + "Q".repeat(40),
    "ghp_" + "a1B2".repeat(10),
    "AKIAIOSFODNN7EXAMPLE",
    "4111 1111 1111 1111",
    "hunter2-correct-horse",
    "alice.secret@example.org",
  ];
  const message = `key ${secrets[0]} gh ${secrets[1]} aws ${secrets[2]} card ${
    secrets[3]
  } mail ${secrets[5]}`;
  let echoed = "";
  await session(["--log", log], EVERYTHING_SERVER, async (c) => {
    const result = await c.callTool({
      name: "echo",
      arguments: { message, password: secrets[4] },
    });
    echoed = (result.content as { text: string }[])[0].text;
  });
  assert.equal(
    echoed,
    `Echo: ${message}`,
    "redaction never touches the forwarded traffic",
  );
  const bytes = await Deno.readFile(log);
  const text = decoder.decode(bytes);
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `the log does not hold "${secret}"`);
  }
  for (
    const type of [
      "anthropic_key",
      "github_token",
      "aws_access_key",
      "card",
      "password",
      "email",
    ]
  ) {
    assert.match(
      text,
      new RegExp(`\\[REDACTED:${type}:[0-9a-f]{8}\\]`),
      `a ${type} marker is logged`,
    );
  }
  // The same value gets the same marker in the request and in the echoed result.
  const marker = text.match(/\[REDACTED:anthropic_key:[0-9a-f]{8}\]/)![0];
  assert.equal(text.split(marker).length - 1, 2);
});

Deno.test("a plugin that throws or hangs is isolated: the conversation goes on and the failure is noted", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/failing.jsonl`;
  const config = `${dir.path}/mcp-audit.jsonc`;
  const fixtures = new URL("../fixtures/", import.meta.url).pathname;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      rules: { sensitive: ["echo"] },
      hookTimeoutMs: 200,
      plugins: [
        "sensitivity",
        `${fixtures}failing_plugins.ts`,
        `${fixtures}hanging_plugin.ts`,
        "redact",
      ],
    }),
  );
  const replies: string[] = [];
  const { events, stderr } = await session(
    ["--config", config, "--log", log],
    fixtureServer("scripted_server.ts"),
    async (c) => {
      for (let i = 0; i < 4; i++) {
        const r = await c.callTool({
          name: "echo",
          arguments: { text: `call ${i}` },
        });
        replies.push((r.content as { text: string }[])[0].text);
      }
    },
  );
  assert.deepEqual(replies, ["call 0", "call 1", "call 2", "call 3"]);
  const requests = calls(events);
  assert.equal(requests.length, 4);
  assert.deepEqual(
    labels(requests[0]),
    ["SENSITIVE"],
    "the healthy plugin's findings are kept",
  );
  assert.deepEqual(requests[0].pluginErrors?.map((p) => p.plugin), [
    "throws",
    "hangs",
  ]);
  assert.match(requests[0].pluginErrors![0].error, /boom from a plugin/);
  // In its own worker, whose watchdog restarts it.
  assert.match(
    requests[0].pluginErrors![1].error,
    /did not answer within 200 ms; its work on this event was dropped and its worker restarted/,
  );
  assert.equal(
    stderr.match(/plugin "throws" failed/g)?.length,
    1,
    "reported once on stderr",
  );
  assert.match(stderr, /plugin "hangs" timed out 3 times and is switched off/);
  assert.deepEqual(
    requests[3].pluginErrors?.map((p) => p.plugin),
    ["throws"],
    "the hanging plugin was switched off",
  );
});

Deno.test("a server's own tool annotations classify its calls when no rule says otherwise", async () => {
  const { runAgentScenario } = await import("../../demo/agent.ts");
  await using dir = await tempDir();
  const log = `${dir.path}/annotated.jsonl`;
  const config = `${dir.path}/empty.jsonc`;
  await Deno.writeTextFile(
    config,
    `{ "rules": { "sensitive": ["get_pay_info"] } }`,
  );
  const { events } = await session(
    ["--config", config, "--log", log],
    HR_SERVER,
    async (c) => {
      await runAgentScenario(c);
    },
  );
  const byTool = new Map(calls(events).map((c) => [c.tool, c]));
  assert.deepEqual(byTool.get("search_employees")!.classes, [{
    label: "READ",
    source: "annotations:readOnlyHint",
  }]);
  assert.deepEqual(byTool.get("submit_time_off")!.classes, [{
    label: "WRITE",
    source: "annotations:readOnlyHint=false",
  }]);
  assert.deepEqual(byTool.get("get_pay_info")!.classes, [
    { label: "SENSITIVE", source: "sensitivity:tool" },
    { label: "READ", source: "annotations:readOnlyHint" },
  ]);
});

Deno.test("--sensitive-tools and --write-tools override the config's lists", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/flags.jsonl`;
  const config = `${dir.path}/c.jsonc`;
  await Deno.writeTextFile(
    config,
    `{ "rules": { "sensitive": ["nothing"], "write": ["nothing"] }, "annotations": false }`,
  );
  const { events } = await session(
    [
      "--config",
      config,
      "--sensitive-tools",
      "ech*",
      "--write-tools",
      "echo,other",
      "--log",
      log,
    ],
    fixtureServer("scripted_server.ts"),
    async (c) => {
      await c.callTool({ name: "echo", arguments: { text: "x" } });
    },
  );
  assert.deepEqual(labels(calls(events)[0]), ["SENSITIVE", "WRITE"]);
});

async function proxyWith(
  config: string,
  dir: string,
): Promise<{ code: number; stderr: string; started: boolean }> {
  const marker = `${dir}/started`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--config",
      config,
      "--log",
      `${dir}/x.jsonl`,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    env: { MARKER: marker },
    stdin: "null",
  }).output();
  const started = await Deno.stat(marker).then(() => true, () => false);
  return { code: out.code, stderr: decoder.decode(out.stderr), started };
}

Deno.test("bad configs stop the proxy before the server starts, naming the file, line, column and key", async (t) => {
  await using dir = await tempDir();
  const cases: [string, string, RegExp][] = [
    [
      "syntax",
      `{\n  "rules": {\n    "sensitive": ["a" "b"]\n  }\n}`,
      /syntax\.jsonc:3:23: not valid JSONC: expected a comma/,
    ],
    [
      "unknown-key",
      `{\n  // comment\n  "rules": {\n    "sensitiv": ["a"],\n  },\n}`,
      /unknown-key\.jsonc:4:5: "rules\.sensitiv": unknown key "sensitiv"/,
    ],
    [
      "misspelt-key",
      `{\n  "entities": [\n    { "type": "employee", "patern": "E\\\\d+" }\n  ]\n}`,
      /misspelt-key\.jsonc:3:27: "entities\.0\.patern": unknown key "patern"/,
    ],
    [
      "wrong-type",
      `{\n  "entities": [\n    { "type": "employee", "pattern": 42 }\n  ]\n}`,
      /wrong-type\.jsonc:3:38: "entities\.0\.pattern": .*expected string/,
    ],
    [
      "bad-plugin",
      `{ "plugins": ["sensitivity", "./no_such_plugin.ts"] }`,
      /Cannot load plugin "\.\/no_such_plugin\.ts": importing .* failed/,
    ],
    [
      "bad-builtin",
      `{ "plugins": ["sensitivty"] }`,
      /Cannot load plugin "sensitivty": no built-in or compiled-in plugin has that name/,
    ],
  ];
  for (const [name, text, expected] of cases) {
    await t.step(name, async () => {
      const config = `${dir.path}/${name}.jsonc`;
      await Deno.writeTextFile(config, text);
      const result = await proxyWith(config, dir.path);
      assert.equal(result.code, 1);
      assert.match(result.stderr, expected);
      assert.equal(result.started, false, "the server was never started");
    });
  }
  await t.step("missing file", async () => {
    const result = await proxyWith(`${dir.path}/nope.jsonc`, dir.path);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /nope\.jsonc: cannot read the config file/);
  });
});

Deno.test("mcp-audit init writes a commented starter config and its schema, which the proxy accepts", async () => {
  await using dir = await tempDir();
  const init = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["init"]),
    cwd: dir.path,
  }).output();
  assert.equal(init.code, 0);
  const text = await Deno.readTextFile(`${dir.path}/mcp-audit.jsonc`);
  assert.match(text, /^\/\/ mcp-audit classifier config/);
  assert.match(text, /"\$schema": "\.\/mcp-audit\.schema\.json"/);
  const schema = JSON.parse(
    await Deno.readTextFile(`${dir.path}/mcp-audit.schema.json`),
  );
  assert.ok(schema.properties.rules);
  const again = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["init"]),
    cwd: dir.path,
  }).output();
  assert.equal(again.code, 1, "an existing config is not overwritten");
  // The proxy picks up ./mcp-audit.jsonc from its working directory.
  const proxy = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--log",
      "s.jsonl",
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    cwd: dir.path,
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = proxy.stdin.getWriter();
  await w.write(new TextEncoder().encode(
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_user","arguments":{"query":"DROP TABLE x"}}}\n',
  ));
  await w.close();
  await proxy.stdout.cancel();
  assert.equal((await proxy.status).code, 0);
  const { events } = await readEvents(`${dir.path}/s.jsonl`);
  assert.deepEqual(labels(calls(events)[0]), ["WRITE"]);
  assert.match(
    calls(events)[0].classes!.map((c) => c.source).join(" "),
    /sensitivity:tool/,
  );
});

Deno.test("a reply carries the classes of the request it answers, also when a request id is reused", async () => {
  // Tags each request by its argument; at the reply it only looks.
  const seen: unknown[] = [];
  const pipeline = new Pipeline([definePlugin({
    name: "tag",
    onToolCall(call): PluginFindings | undefined {
      if (call.phase === "response") {
        seen.push(call.arguments);
        return undefined;
      }
      return { classes: [(call.arguments as { label: string }).label] };
    },
  })]);
  const correlator = new Correlator({ session: "s" });
  const events: AuditEvent[] = [];
  let seq = 0;
  const send = async (dir: "c2s" | "s2c", line: string): Promise<void> => {
    const bytes = new TextEncoder().encode(line);
    const frame = { bytes, length: bytes.length };
    for (const e of correlator.frame(dir, frame, parseFrame(frame))) {
      e.seq = seq++;
      await pipeline.process(e);
      events.push(e);
    }
  };
  const call = (id: number, label: string) =>
    `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"t","arguments":{"label":"${label}"}}}`;
  const reply = (id: number) =>
    `{"jsonrpc":"2.0","id":${id},"result":{"content":[]}}`;
  await send("c2s", call(1, "FIRST"));
  await send("c2s", call(2, "OTHER"));
  // Id 1 again before its answer: the correlator pairs the answer with this one.
  await send("c2s", call(1, "SECOND"));
  await send("s2c", reply(1));
  await send("s2c", reply(2));
  // A second answer to id 1 answers nothing that is still open.
  await send("s2c", reply(1));
  const replies = events.filter((e) => e.kind === "response");
  assert.deepEqual(replies.map(labels), [["SECOND"], ["OTHER"], []]);
  assert.deepEqual(seen, [{ label: "SECOND" }, { label: "OTHER" }]);
});

Deno.test("at the response, hooks see the request's arguments as the client sent them, though the logged request is redacted", async () => {
  const seen: unknown[] = [];
  const pipeline = new Pipeline([
    definePlugin({
      name: "look",
      onToolCall(call): undefined {
        seen.push([call.phase, call.arguments]);
      },
    }),
    definePlugin({
      name: "hide",
      redact: (s) => (s === "hunter2" ? "[secret]" : undefined),
    }),
  ]);
  const correlator = new Correlator({ session: "s" });
  const events: AuditEvent[] = [];
  for (
    const [dir, line] of [
      [
        "c2s",
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"login","arguments":{"password":"hunter2"}}}',
      ],
      ["s2c", '{"jsonrpc":"2.0","id":1,"result":{"content":[]}}'],
    ] as const
  ) {
    const bytes = new TextEncoder().encode(line);
    const frame = { bytes, length: bytes.length };
    for (const e of correlator.frame(dir, frame, parseFrame(frame))) {
      await pipeline.process(e);
      events.push(e);
    }
  }
  assert.deepEqual(seen, [
    ["request", { password: "hunter2" }],
    ["response", { password: "hunter2" }],
  ]);
  assert.deepEqual((events[0] as RequestEvent).params, {
    name: "login",
    arguments: { password: "[secret]" },
  });
  assert.doesNotMatch(JSON.stringify(events), /hunter2/);
});
