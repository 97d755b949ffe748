/**
 * Config errors as a user meets them through the real CLI: in words, with
 * the line shown and a caret under the column, and every problem in the
 * file at once, before any server starts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../lib/config/config.ts";
import { cliArgs, tempDir } from "../_helpers.ts";

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
