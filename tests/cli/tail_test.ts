/**
 * `mcp-audit tail` as a user sees it: through a real pseudo-terminal
 * (util-linux `script`), while the real proxy is writing a log that
 * rotates, with colour on a terminal, off with NO_COLOR or a pipe, and a
 * hostile tool name shown escaped.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cliArgs, tempDir } from "../_helpers.ts";
import { firstLogs, LIVE_CONFIG, liveProxy, runCli } from "./_live_proxy.ts";

const HOSTILE = "evil\x1b]0;pwned\x07\x1b[2J";
const HOSTILE_SHOWN = "evil\\u001b]0;pwned\\u0007\\u001b[2J";

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Starts `command` in a pseudo-terminal; its output is what the terminal got. */
function inTerminal(command: string[], env: Record<string, string> = {}): {
  output(): string;
  until(text: string, ms: number): Promise<void>;
  status: Promise<Deno.CommandStatus>;
} {
  // A terminal user's environment: NO_COLOR only when the caller sets it
  // (CI exports it for everything else).
  const inherited = Deno.env.toObject();
  delete inherited.NO_COLOR;
  const child = new Deno.Command("script", {
    args: ["-q", "-e", "-c", command.map(shellQuote).join(" "), "/dev/null"],
    env: { ...inherited, ...env },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const reading = (async () => {
    for await (const chunk of child.stdout) {
      text += new TextDecoder().decode(chunk);
    }
  })();
  child.stderr.cancel();
  return {
    output: () => text,
    async until(expected: string, ms: number): Promise<void> {
      const deadline = Date.now() + ms;
      while (!text.includes(expected)) {
        if (Date.now() > deadline) {
          throw new Error(
            `"${expected}" not shown; the terminal got:\n${text}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    status: (async () => {
      const status = await child.status;
      await child.stdin.close().catch(() => {});
      await reading;
      return status;
    })(),
  };
}

Deno.test("tail -f shows each call in a terminal while the proxy writes, coloured as the report, across rotated parts, hostile names escaped; no colour with NO_COLOR or a pipe", async () => {
  await using dir = await tempDir();
  const logs = `${dir.path}/logs`;
  const config = `${dir.path}/mcp-audit.json`;
  await Deno.writeTextFile(config, JSON.stringify(LIVE_CONFIG));
  await using proxy = await liveProxy(logs, config, ["--rotate", "1KiB"]);
  const [log] = await firstLogs(logs);
  const tail = inTerminal([
    Deno.execPath(),
    ...cliArgs(["tail", "-f", "--dir", logs, log]),
  ]);
  await proxy.call("get_pay", { id: "E003" });
  await tail.until("E003", 20_000);
  await proxy.call(HOSTILE, { note: "x" });
  for (let i = 0; i < 4; i++) await proxy.call("send_mail", { to: `E10${i}` });
  // Shown while the session is still open, from a later part of the log.
  await tail.until("E103", 20_000);
  const parts = [...Deno.readDirSync(logs)].length;
  assert.ok(parts > 2, `the log rotated (${parts} files)`);
  await proxy.close();
  const status = await tail.status;
  assert.equal(status.code, 0, tail.output());
  const seen = tail.output();
  assert.ok(seen.includes("\x1b[35mSENSITIVE\x1b[0m"), "SENSITIVE in purple");
  assert.ok(seen.includes("\x1b[33mWRITE\x1b[0m"), "WRITE in amber");
  assert.ok(seen.includes("\x1b[31mtool error\x1b[0m"), "the error in red");
  assert.ok(seen.includes(HOSTILE_SHOWN), "the hostile name is shown escaped");
  assert.ok(!seen.includes("\x1b]0;pwned"), "and never reaches the terminal");
  assert.match(seen, /get_pay.*id="E003".*ok.*\d+ms\r?\n +employee E003\r?\n/);
  assert.equal(seen.match(/send_mail/g)?.length, 4, "each call once");
  assert.match(seen, /session .* ended \(client_closed\)/);

  const plain = inTerminal(
    [Deno.execPath(), ...cliArgs(["tail", "--dir", logs, log])],
    { NO_COLOR: "1" },
  );
  assert.equal((await plain.status).code, 0);
  assert.ok(plain.output().includes("SENSITIVE"));
  assert.ok(!plain.output().includes("\x1b["), "no colour with NO_COLOR");
  assert.ok(plain.output().includes(HOSTILE_SHOWN));

  const piped = await runCli(["tail", "--dir", logs]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(!piped.stdout.includes("\x1b"), "no colour into a pipe");
  assert.equal(
    piped.stdout.match(/send_mail/g)?.length,
    4,
    "--latest by default",
  );
  assert.ok(piped.stdout.includes(HOSTILE_SHOWN));

  // A session named by the start of its id, as "sessions" shows it.
  const id = /_([0-9a-f]{8})\.jsonl$/.exec(log)![1];
  const named = await runCli(["tail", "--dir", logs, id.slice(0, 6)]);
  assert.equal(named.code, 0, named.stderr);
  assert.equal(named.stdout, piped.stdout);
});

Deno.test("tail names a session it cannot find, exit 4", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/2026-01-01T00-00-00-000Z_hr_1a2b3c4d.jsonl`,
    "",
  );
  const result = await runCli(["tail", "--dir", dir.path, "ffff"]);
  assert.equal(result.code, 4);
  assert.match(result.stderr, /no log of session "ffff"/);
});

/** Starts `mcp-audit <args>` with its output piped, collected as it comes. */
function piped(args: string[]): {
  stdout(): string;
  stderr(): string;
  until(text: string, ms: number): Promise<void>;
  child: Deno.ChildProcess;
} {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  (async () => {
    for await (const c of child.stdout) out += new TextDecoder().decode(c);
  })();
  (async () => {
    for await (const c of child.stderr) err += new TextDecoder().decode(c);
  })();
  return {
    stdout: () => out,
    stderr: () => err,
    child,
    async until(expected: string, ms: number): Promise<void> {
      const deadline = Date.now() + ms;
      while (!out.includes(expected) && !err.includes(expected)) {
        if (Date.now() > deadline) {
          throw new Error(`"${expected}" not shown:\n${out}\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

Deno.test("tail -f without a SESSION waits for a session to start, and goes on to the next when it ends", async () => {
  await using dir = await tempDir();
  const logs = `${dir.path}/logs`;
  const config = `${dir.path}/mcp-audit.json`;
  await Deno.writeTextFile(config, JSON.stringify(LIVE_CONFIG));
  const tail = piped(["tail", "-f", "--dir", logs]);
  try {
    await tail.until("waiting for a session", 20_000);
    await using first = await liveProxy(logs, config);
    await first.call("get_pay", { id: "E001" });
    await tail.until("E001", 20_000);
    await first.close();
    await tail.until("ended (client_closed)", 20_000);
    await using second = await liveProxy(logs, config);
    await second.call("get_employee", { id: "E002" });
    await tail.until("E002", 20_000);
    assert.equal(tail.stdout().match(/get_pay/g)?.length, 1);
  } finally {
    tail.child.kill("SIGTERM");
    await tail.child.status;
  }
});

Deno.test("tail -f of a session whose proxy is killed stops and says so", async () => {
  await using dir = await tempDir();
  const logs = `${dir.path}/logs`;
  const config = `${dir.path}/mcp-audit.json`;
  await Deno.writeTextFile(config, JSON.stringify(LIVE_CONFIG));
  await using proxy = await liveProxy(logs, config);
  await proxy.call("get_pay", { id: "E001" });
  const [log] = await firstLogs(logs);
  const tail = piped(["tail", "-f", "--dir", logs, log]);
  await tail.until("E001", 20_000);
  await proxy.kill();
  const status = await tail.child.status;
  assert.equal(status.code, 0);
  assert.match(tail.stderr(), /proxy \(pid \d+\) is not running/);
});

Deno.test("tail reads every session of a log the proxy appended to, not only the first", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.json`;
  await Deno.writeTextFile(config, JSON.stringify(LIVE_CONFIG));
  const log = `${dir.path}/fixed.jsonl`;
  for (const id of ["E001", "E002"]) {
    await using proxy = await liveProxy(dir.path, config, ["--log", log]);
    await proxy.call("get_pay", { id });
  }
  const result = await runCli(["tail", log]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /E001[^]*E002/);
  assert.equal(result.stderr.match(/ended \(client_closed\)/g)?.length, 2);
});

Deno.test("tail -f prints a finding in a terminal as the proxy logs it live, coloured by severity, before the session ends", async () => {
  await using dir = await tempDir();
  const logs = `${dir.path}/logs`;
  const config = `${dir.path}/mcp-audit.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ ...LIVE_CONFIG, liveFindings: true }),
  );
  await using proxy = await liveProxy(logs, config);
  const [log] = await firstLogs(logs);
  const tail = inTerminal([
    Deno.execPath(),
    ...cliArgs(["tail", "-f", "--dir", logs, log]),
  ]);
  // An id no result or client message held, in a call that fails.
  await proxy.call("lookup_employee", { id: "E999" });
  await tail.until("unseen-identifier", 20_000);
  // Shown while the session is open: the call after it comes later.
  assert.ok(!tail.output().includes("E004"));
  await proxy.call("get_pay", { id: "E004" });
  await tail.until("E004", 20_000);
  await proxy.close();
  assert.equal((await tail.status).code, 0, tail.output());
  const seen = tail.output();
  assert.match(
    seen,
    // deno-lint-ignore no-control-regex
    /\x1b\[33mFINDING {2}medium\x1b\[0m {2}unseen-identifier: lookup_employee was called with employee "E999", which came from nowhere {2}\(seq \d+, \d+\)/,
  );
  assert.equal(seen.match(/FINDING/g)?.length, 1, "each finding once");
  const events = (await Deno.readTextFile(log)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  const finding = events.find((e) => e.kind === "finding");
  assert.ok(finding, "the proxy logged the finding");
  assert.ok(seen.includes(`(seq ${finding.seqs.join(", ")})`));
  // Without live findings in the config, tail has nothing of the kind to print.
  const plainConfig = `${dir.path}/plain.json`;
  await Deno.writeTextFile(plainConfig, JSON.stringify(LIVE_CONFIG));
  const plainLogs = `${dir.path}/plain`;
  await using plain = await liveProxy(plainLogs, plainConfig);
  await plain.call("lookup_employee", { id: "E999" });
  await plain.close();
  const result = await runCli(["tail", "--dir", plainLogs]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /lookup_employee/);
  assert.ok(!result.stdout.includes("FINDING"));
});
