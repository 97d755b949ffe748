/**
 * Config errors as a user meets them through the real CLI: in words, with
 * the line shown and a caret under the column, and every problem in the
 * file at once, before any server starts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../lib/config/config.ts";
import { cliArgs, fixtureServer, tempDir } from "../_helpers.ts";

async function proxyWithConfig(
  dir: string,
  text: string,
): Promise<{ code: number; stderr: string }> {
  const config = `${dir}/mcp-audit.jsonc`;
  await Deno.writeTextFile(config, text);
  const marker = `${dir}/server-started`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--log",
      `${dir}/log.jsonl`,
      "--config",
      config,
      "--",
      "touch",
      marker,
    ]),
    stdin: "null",
  }).output();
  await assert.rejects(Deno.stat(marker), "the server was never started");
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("a JSONC syntax error is told in words, with the line and a caret under the column", async () => {
  await using dir = await tempDir();
  const { code, stderr } = await proxyWithConfig(
    dir.path,
    '{\n  "rules": {\n    "sensitive": ["a"]\n    "write": ["b"]\n  }\n}\n',
  );
  assert.equal(code, 1);
  assert.equal(
    stderr,
    `mcp-audit: ${dir.path}/mcp-audit.jsonc:4:5: not valid JSONC: expected a comma. Fix the syntax there.\n` +
      '  4 |     "write": ["b"]\n' +
      "    |     ^\n",
  );
  assert.doesNotMatch(stderr, /CommaExpected/);
});

Deno.test("every problem in a config is reported at once, in the order of the file, each at its line", async () => {
  await using dir = await tempDir();
  const { code, stderr } = await proxyWithConfig(
    dir.path,
    [
      "{",
      '  "rules": { "sensitiv": [] },',
      '  "entities": [{ "type": "x", "patern": "a" }],',
      '  "maxPayloadBytes": "big"',
      "}",
    ].join("\n"),
  );
  assert.equal(code, 1);
  const file = `${dir.path}/mcp-audit.jsonc`;
  assert.match(stderr, new RegExp(`^mcp-audit: 3 problems in ${file}:\n`));
  const heads = stderr.split("\n").filter((l) => l.startsWith(file));
  assert.deepEqual(heads.map((l) => l.slice(file.length).split(": ")[0]), [
    ":2:14",
    ":3:31",
    ":4:22",
  ]);
  assert.match(heads[0], /"rules\.sensitiv": unknown key "sensitiv"/);
  assert.match(heads[1], /"entities\.0\.patern": unknown key "patern"/);
  // The misspelt key's rightly spelt twin is not reported missing as well.
  assert.doesNotMatch(stderr, /entities\.0\.pattern"/);
  assert.match(heads[2], /"maxPayloadBytes": .*expected number/);
  assert.match(
    stderr,
    /\n {2}3 \| {3}"entities": \[\{ "type": "x", "patern": "a" \}\],\n {4}\| {31}\^\n/,
  );
});

Deno.test("ConfigError lists its problems for programs", () => {
  try {
    parseConfig('{ "rules": { "read": 1, "write": 2 } }', "two.jsonc");
    assert.fail("the config is not valid");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.problems.length, 2);
    assert.deepEqual([error.line, error.column], [1, 22]);
    assert.deepEqual(error.problems.map((p) => p.column), [22, 34]);
  }
});

Deno.test("the server can come from the config's server key or MCP_AUDIT_SERVER, for launchers that take -- for themselves", async () => {
  await using dir = await tempDir();
  const [deno, ...args] = fixtureServer("scripted_server.ts");
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ server: { command: deno, args } }),
  );
  const run = async (
    extra: string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number; command: string[] }> => {
    const log = `${dir.path}/${crypto.randomUUID()}.jsonl`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: cliArgs(["proxy", "--quiet", "--log", log, ...extra]),
      env,
      stdin: "null",
    }).output();
    const start = JSON.parse((await Deno.readTextFile(log)).split("\n")[0]);
    return { code: out.code, command: start.command };
  };
  const fromConfig = await run(["--config", config]);
  assert.equal(fromConfig.code, 0);
  assert.deepEqual(fromConfig.command, [deno, ...args]);

  const line = [deno, ...args].map((a) => `'${a}'`).join(" ");
  const fromEnv = await run([], { MCP_AUDIT_SERVER: line });
  assert.equal(fromEnv.code, 0);
  assert.deepEqual(fromEnv.command, [deno, ...args]);

  // What comes after "--" wins over both.
  const given = await run(["--config", config, "--", "true"], {
    MCP_AUDIT_SERVER: line,
  });
  assert.deepEqual(given.command, ["true"]);
});

Deno.test("a config or plugin path that is no small regular file (/dev/zero) stops with a clear error instead of reading without end", async () => {
  await using dir = await tempDir();
  const proxy = async (
    config: string,
  ): Promise<{ code: number; stderr: string }> => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: cliArgs([
        "proxy",
        "--log",
        `${dir.path}/l.jsonl`,
        "--config",
        config,
        "--",
        "true",
      ]),
      stdin: "null",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  const zero = await proxy("/dev/zero");
  assert.equal(zero.code, 1);
  assert.match(zero.stderr, /\/dev\/zero: the file is over 1048576 bytes/);
  const big = `${dir.path}/big.jsonc`;
  await Deno.writeTextFile(big, `{ "$schema": "${"x".repeat(1024 * 1024)}" }`);
  assert.match((await proxy(big)).stderr, /the file is over 1048576 bytes/);
  const pluginZero = `${dir.path}/plugin-zero.jsonc`;
  await Deno.writeTextFile(
    pluginZero,
    JSON.stringify({ plugins: ["/dev/zero"] }),
  );
  const plugin = await proxy(pluginZero);
  assert.equal(plugin.code, 1);
  assert.match(
    plugin.stderr,
    /Cannot load plugin "\/dev\/zero": .*not a regular file/,
  );
});

Deno.test("a regular expression that does not compile is reported at its line, in sections and plugin options alike, before any server starts", async () => {
  await using dir = await tempDir();
  const { code, stderr } = await proxyWithConfig(
    dir.path,
    [
      "{",
      '  "rules": { "arguments": [{ "label": "X", "key": "q", "pattern": "(" }] },',
      '  "entities": [{ "type": "t", "pattern": "[a-" }],',
      '  "plugins": ["sensitivity", { "use": "entities", "options": { "extractors": [{ "type": "a", "pattern": "*x" }] } }]',
      "}",
    ].join("\n"),
  );
  assert.equal(code, 1);
  const file = `${dir.path}/mcp-audit.jsonc`;
  assert.match(stderr, new RegExp(`^mcp-audit: 3 problems in ${file}:\n`));
  assert.match(
    stderr,
    new RegExp(
      `${file}:2:67: "rules\\.arguments\\.0\\.pattern": .*not a valid regular expression.*Unterminated group`,
    ),
  );
  assert.match(
    stderr,
    new RegExp(
      `${file}:3:42: "entities\\.0\\.pattern": .*not a valid regular expression.*Unterminated character class`,
    ),
  );
  assert.match(
    stderr,
    /:4:\d+: "plugins\.1\.options\.extractors\.0\.pattern": not a valid regular expression \(Nothing to repeat\)/,
  );
  assert.doesNotMatch(stderr, /Cannot load plugin/);
});
