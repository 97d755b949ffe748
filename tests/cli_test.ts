// deno-lint-ignore-file no-console -- main() prints through the console; the test silences it while it runs in-process
/**
 * The command line as a user meets it: every subcommand answers `--help`,
 * a bad flag is a usage error with that command's usage and exit status
 * 2, and `main()` returns statuses to a program that embeds it instead of
 * ending its process.
 *
 * @module
 */
import assert from "node:assert/strict";
import { COMMANDS, main } from "../cli.ts";
import { cliArgs, fixtureServer } from "./_helpers.ts";

const decoder = new TextDecoder();

async function run(args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    stdin: "null",
  }).output();
}

Deno.test("every subcommand in the table answers --help with its own usage, and exits 0", async () => {
  const names = Object.keys(COMMANDS);
  assert.deepEqual(names.toSorted(), [
    "check",
    "hook",
    "init",
    "keygen",
    "pin",
    "policy",
    "prove",
    "proxy",
    "report",
    "sessions",
    "ship",
    "summary",
    "tail",
    "unwrap",
    "verify",
    "verify-proof",
    "wrap",
  ]);
  for (const name of names) {
    const out = await run([name, "--help"]);
    assert.equal(out.code, 0, `${name} --help exits 0`);
    assert.match(
      decoder.decode(out.stdout),
      new RegExp(`^Usage: mcp-audit ${name} `),
      `${name} --help prints its usage`,
    );
    assert.equal(decoder.decode(out.stderr), "");
  }
  const top = await run(["--help"]);
  assert.equal(top.code, 0);
  for (const name of names) {
    assert.match(decoder.decode(top.stdout), new RegExp(`mcp-audit ${name} `));
  }
});

Deno.test("an unknown flag to any subcommand exits 2 with the message and that command's usage on stderr", async () => {
  for (const name of Object.keys(COMMANDS)) {
    const out = await run([name, "--bogus"]);
    assert.equal(out.code, 2, `${name} --bogus exits 2`);
    const stderr = decoder.decode(out.stderr);
    assert.match(stderr, /^mcp-audit: .*--bogus/);
    assert.match(stderr, new RegExp(`Usage: mcp-audit ${name} `));
    assert.equal(decoder.decode(out.stdout), "");
  }
  const unknown = await run(["reprot"]);
  assert.equal(unknown.code, 2);
  assert.match(
    decoder.decode(unknown.stderr),
    /^mcp-audit: unknown command reprot \(did you mean report\?\)\nUsage:\n/,
  );
});

Deno.test("a mistyped flag gets one line naming the flag meant, the usage line and where the options are, not the whole help", async () => {
  const out = await run(["proxy", "--lgo", "x.jsonl", "--", "true"]);
  assert.equal(out.code, 2);
  assert.equal(
    decoder.decode(out.stderr),
    [
      "mcp-audit: unknown option --lgo (did you mean --log?)",
      "Usage: mcp-audit proxy [options] -- <server command> [args...]",
      '       mcp-audit proxy [options] --server "<server command line>"',
      "       mcp-audit proxy [options] --listen 127.0.0.1:PORT --upstream URL   (reverse proxy)",
      "       mcp-audit proxy [options] --upstream URL                           (stdio bridge)",
      'Run "mcp-audit proxy --help" for its options.',
      "",
    ].join("\n"),
  );
  const short = await run(["verify", "-x"]);
  assert.equal(short.code, 2);
  assert.match(decoder.decode(short.stderr), /^mcp-audit: unknown option -x\n/);
  const far = await run(["check", "--zzzzzz"]);
  assert.match(
    decoder.decode(far.stderr),
    /^mcp-audit: unknown option --zzzzzz\n/,
  );
  // A flag's value that looks like a flag is the value, not a mistyped flag.
  const valued = await run(["summary", "--json", "--", "--not-a-flag.jsonl"]);
  assert.doesNotMatch(decoder.decode(valued.stderr), /unknown option/);
});

Deno.test("--version prints the name and version", async () => {
  const out = await run(["--version"]);
  assert.equal(out.code, 0);
  assert.match(decoder.decode(out.stdout), /^mcp-audit \d+\.\d+\.\d+\n$/);
});

Deno.test("main() returns 2 on a usage error instead of ending the process that embeds it", async () => {
  // Deno.exit here would end the test runner, and this test with it.
  const quiet = { log: console.log, error: console.error };
  console.log = () => {};
  console.error = () => {};
  try {
    assert.equal(await main(["proxy", "--lgo", "x"]), 2);
    assert.equal(await main(["proxy"]), 2, "no server command");
    assert.equal(await main(["proxy", "--rotate", "1", "--", "true"]), 2);
    assert.equal(await main(["prove", "a.jsonl", "--event", "x"]), 2);
    assert.equal(await main([]), 2);
    assert.equal(await main(["reprot"]), 2);
    assert.equal(await main(["--version"]), 0);
  } finally {
    console.log = quiet.log;
    console.error = quiet.error;
  }
});

Deno.test("one table of exit codes: no log found and an unreadable log exit 4 from every command that reads logs, and --help prints the table", async () => {
  const empty = await Deno.makeTempDir({ prefix: "mcp-audit-nologs-" });
  try {
    for (const name of ["report", "summary", "verify", "check"]) {
      const extra = name === "check" ? ["--fail-on", "write"] : [];
      const none = await new Deno.Command(Deno.execPath(), {
        args: cliArgs([name, ...extra]),
        env: { MCP_AUDIT_LOG_DIR: empty },
        stdin: "null",
        cwd: empty,
      }).output();
      assert.equal(none.code, 4, `${name} with no log found exits 4`);
      assert.match(decoder.decode(none.stderr), /none found/);
      const missing = await run([name, `${empty}/missing.jsonl`, ...extra]);
      assert.equal(missing.code, 4, `${name} on a missing file exits 4`);
      assert.match(decoder.decode(missing.stderr), /missing\.jsonl/);
    }
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
  const help = decoder.decode((await run(["--help"])).stdout);
  assert.match(help, /Exit status, the same for every command:/);
  for (const code of [0, 1, 2, 3, 4, 127]) {
    assert.match(help, new RegExp(`^  ${code} +\\S`, "m"));
  }
});

Deno.test("names and ids from a log reach the terminal with their control characters escaped, never obeyed", async () => {
  const { AuditLogger } = await import("../mod.ts");
  const dir = await Deno.makeTempDir({ prefix: "mcp-audit-controls-" });
  try {
    const logPath = `${dir}/hostile.jsonl`;
    // A window title, a screen clear, a carriage return and a right-to-left override.
    const tool = "get\x1b]0;pwned\x07\x1b[2J\rdelete_all\u202egnp.exe";
    const log = await AuditLogger.open({
      logPath,
      writeTools: ["get*"],
      onWarning: () => {},
    });
    log.toolCall(tool, {}).error("boom\x1b[31m");
    await log.close();
    const commands = [
      ["summary", logPath],
      ["summary", logPath, "--json"],
      ["check", logPath, "--fail-on", "write,error"],
      ["verify", logPath],
    ];
    for (const args of commands) {
      const out = await run(args);
      const printed = decoder.decode(out.stdout) + decoder.decode(out.stderr);
      assert.doesNotMatch(
        printed,
        // deno-lint-ignore no-control-regex -- looking for control characters
        /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/,
        `${args[0]} prints no raw control character`,
      );
      if (args[0] !== "verify") {
        assert.match(printed, /get\\u001b\]0;pwned\\u0007/, args.join(" "));
      }
      if (args.includes("--json")) JSON.parse(decoder.decode(out.stdout));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("while proxying, a plugin's console output goes to stderr and the client's stdout carries only the server's messages", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mcp-audit-chatty-" });
  try {
    const config = `${dir}/mcp-audit.jsonc`;
    const plugin = new URL("./fixtures/chatty_plugin.ts", import.meta.url).href;
    await Deno.writeTextFile(config, JSON.stringify({ plugins: [plugin] }));
    const child = new Deno.Command(Deno.execPath(), {
      args: cliArgs([
        "proxy",
        "--quiet",
        "--log",
        `${dir}/log.jsonl`,
        "--config",
        config,
        "--",
        ...fixtureServer("scripted_server.ts"),
      ]),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    const lines = [
      {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-11-25",
          capabilities: {},
          clientInfo: { name: "t", version: "1" },
        },
      },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "echo", arguments: { text: "hi" } },
      },
    ];
    for (const line of lines) {
      await writer.write(new TextEncoder().encode(JSON.stringify(line) + "\n"));
    }
    // Wait for the answer to the call before closing, so the plugin has run.
    const reader = child.stdout.getReader();
    let stdout = "";
    while (!stdout.includes('"id":2')) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += decoder.decode(value);
    }
    await writer.close();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += decoder.decode(value);
    }
    const status = await child.status;
    const stderr = decoder.decode(
      await new Response(child.stderr).arrayBuffer(),
    );
    assert.equal(status.code, 0, stderr);
    assert.doesNotMatch(stdout, /chatty/);
    for (const line of stdout.split("\n").filter(Boolean)) {
      assert.equal(
        JSON.parse(line).jsonrpc,
        "2.0",
        "stdout holds JSON-RPC only",
      );
    }
    assert.match(stderr, /chatty plugin saw echo/);
    assert.match(stderr, /chatty info line/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("no command says OK about a file with no audit events: check, summary, verify, prove and report on README.md or an empty file exit 4 and say so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mcp-audit-noevents-" });
  try {
    const readme = new URL("../README.md", import.meta.url).pathname;
    const empty = `${dir}/empty.jsonl`;
    await Deno.writeTextFile(empty, "");
    for (const file of [readme, empty]) {
      for (
        const args of [
          ["check", file, "--fail-on", "write"],
          ["summary", file],
          ["summary", file, "--json"],
          ["verify", file],
          ["prove", file, "--event", "1"],
          ["report", file, "-o", `${dir}/r.html`],
        ]
      ) {
        const out = await run(args);
        assert.equal(out.code, 4, `${args.join(" ")} exits 4`);
        assert.match(
          decoder.decode(out.stderr),
          /no audit events in ".*(README\.md|empty\.jsonl)"/,
        );
        assert.doesNotMatch(decoder.decode(out.stdout), /OK|No sessions found/);
      }
    }
    await assert.rejects(Deno.stat(`${dir}/r.html`), "no report was written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
