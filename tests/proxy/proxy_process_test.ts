import assert from "node:assert/strict";
import {
  cliArgs,
  fixtureServer,
  readAll,
  readEvents,
  tempDir,
} from "../_helpers.ts";
import type { SessionEndEvent } from "../../lib/audit/event.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Proxy {
  child: Deno.ChildProcess;
  send(message: unknown): Promise<void>;
  /** Reads stdout until `count` complete lines arrived (or the stream ends). */
  lines(count: number): Promise<unknown[]>;
  closeInput(): Promise<void>;
  stderr(): Promise<string>;
}

/** The proxy, with `flags` and its log at `log`, in front of the scripted server. */
function proxyToScripted(
  log: string,
  flags: string[] = [],
  env: Record<string, string> = {},
): Proxy {
  return startProxy(
    [
      "proxy",
      ...flags,
      "--log",
      log,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ],
    env,
  );
}

function startProxy(args: string[], env: Record<string, string> = {}): Proxy {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  let buffered = "";
  const stderrText = readAll(child.stderr).then((b) => decoder.decode(b));
  return {
    child,
    async send(message: unknown): Promise<void> {
      await writer.write(encoder.encode(JSON.stringify(message) + "\n"));
    },
    async lines(count: number): Promise<unknown[]> {
      const out: unknown[] = [];
      while (out.length < count) {
        const nl = buffered.indexOf("\n");
        if (nl !== -1) {
          out.push(JSON.parse(buffered.slice(0, nl)));
          buffered = buffered.slice(nl + 1);
          continue;
        }
        const { value, done } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
      }
      return out;
    },
    async closeInput(): Promise<void> {
      await writer.close().catch(() => {});
    },
    async stderr(): Promise<string> {
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
      return await stderrText;
    },
  };
}

const init = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "raw-client", version: "1" },
  },
};
const call = (
  id: number,
  name: string,
  args: Record<string, unknown> = {},
) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

function sessionEnd(events: { kind: string }[]): SessionEndEvent {
  assert.equal(
    events.at(-1)?.kind,
    "checkpoint",
    "the log closes with the final checkpoint",
  );
  const end = events.at(-2) as SessionEndEvent;
  assert.equal(end.kind, "session_end", "session_end comes just before it");
  return end;
}

Deno.test("the server killed mid-call: the client sees end of stream, the proxy fails, the log names the unanswered call", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/crash.jsonl`;
  const proxy = proxyToScripted(log);
  await proxy.send(init);
  await proxy.send(call(1, "echo", { text: "before the crash" }));
  assert.equal((await proxy.lines(2)).length, 2);
  await proxy.send(call(2, "crash"));
  // End of stream: no more lines ever come.
  assert.deepEqual(await proxy.lines(1), []);
  const status = await proxy.child.status;
  await proxy.closeInput();
  await proxy.stderr();
  assert.equal(status.success, false);
  assert.equal(
    status.code,
    128 + 9,
    "the proxy mirrors a SIGKILLed server's status",
  );

  const { events } = await readEvents(log);
  const end = sessionEnd(events);
  assert.equal(end.reason, "server_exited");
  assert.equal(end.exit.signal, "SIGKILL");
  assert.match(end.failure ?? "", /killed by SIGKILL/);
  assert.match(end.failure ?? "", /tools\/call crash/);
  assert.deepEqual(end.pending.map((p) => [p.id, p.tool, p.cancelled]), [[
    2,
    "crash",
    false,
  ]]);
  const echoed = events.find((e) => e.kind === "response" && e.tool === "echo");
  assert.ok(echoed, "the events before the crash are all there");
});

Deno.test("a SIGKILLed proxy leaves a log whose complete lines are all valid JSON", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/killed.jsonl`;
  const proxy = proxyToScripted(log);
  await proxy.send(init);
  await proxy.lines(1);
  // Keep messages flowing while the proxy is killed.
  let id = 1;
  const pump = (async () => {
    try {
      while (true) {
        await proxy.send(
          call(id++, "echo", { text: "x".repeat(200 + (id % 500)) }),
        );
      }
    } catch {
      // The proxy is gone.
    }
  })();
  const drain = proxy.lines(Number.MAX_SAFE_INTEGER).catch(() => []);
  await new Promise((r) => setTimeout(r, 700));
  Deno.kill(proxy.child.pid, "SIGKILL");
  const status = await proxy.child.status;
  await pump;
  await drain;
  await proxy.stderr();
  assert.equal(status.signal, "SIGKILL");
  const text = await Deno.readTextFile(log);
  const lines = text.split("\n");
  const last = lines.pop()!;
  assert.ok(
    lines.length > 50,
    `events were logged while running (${lines.length})`,
  );
  lines.forEach((line, i) =>
    assert.doesNotThrow(() => JSON.parse(line), `line ${i + 1} is valid JSON`)
  );
  const seqs = lines.map((l) => JSON.parse(l).seq);
  seqs.forEach((s, i) =>
    assert.equal(s, i, "no event before the kill is missing")
  );
  if (last !== "") {
    assert.throws(
      () => JSON.parse(last),
      "only the line in flight may be partial",
    );
  }
  // Let the orphaned server see its stdin close and exit.
  await new Promise((r) => setTimeout(r, 100));
});

Deno.test("an unwritable log path stops the proxy with a clear error before the server starts", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/a-file`, "");
  const marker = `${dir.path}/server-started`;
  const log = `${dir.path}/a-file/session.jsonl`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--log",
      log,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    env: { MARKER: marker },
    stdin: "null",
  }).output();
  assert.equal(out.code, 1);
  assert.equal(out.stdout.length, 0, "nothing of ours on stdout");
  const stderr = decoder.decode(out.stderr);
  assert.match(
    stderr,
    /^mcp-audit: Cannot open the audit log ".*a-file\/session\.jsonl"/,
  );
  assert.match(stderr, /--log FILE/);
  await assert.rejects(
    Deno.stat(marker),
    Deno.errors.NotFound,
    "the server was never started",
  );
});

Deno.test("a server command that cannot be found names the command and the PATH searched", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--log",
      "/dev/null",
      "--",
      "no-such-mcp-server",
      "--stdio",
    ]),
    env: { PATH: "/usr/bin:/bin" },
    stdin: "null",
  }).output();
  assert.equal(out.code, 127);
  const stderr = decoder.decode(out.stderr);
  assert.match(stderr, /command "no-such-mcp-server" not found/);
  assert.match(stderr, /"\/usr\/bin", "\/bin"/);
  assert.match(stderr, /absolute path/);
});

Deno.test("the proxy exits with the server's own exit status", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/exit.jsonl`;
  const proxy = proxyToScripted(log);
  await proxy.send(init);
  await proxy.lines(1);
  await proxy.send(call(1, "exit", { code: 3 }));
  const status = await proxy.child.status;
  await proxy.closeInput();
  assert.match(await proxy.stderr(), /exited with code 3/);
  assert.equal(status.code, 3);
  const end = sessionEnd((await readEvents(log)).events);
  assert.equal(end.exit.code, 3);
  assert.match(end.failure ?? "", /exited with code 3/);
});

Deno.test("SIGTERM sent to the proxy reaches the server", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/term.jsonl`;
  const signalFile = `${dir.path}/signal`;
  const proxy = proxyToScripted(log, [], {
    SIGNAL_FILE: signalFile,
  });
  await proxy.send(init);
  await proxy.lines(1);
  Deno.kill(proxy.child.pid, "SIGTERM");
  const status = await proxy.child.status;
  await proxy.closeInput();
  await proxy.stderr();
  assert.equal(await Deno.readTextFile(signalFile), "SIGTERM");
  assert.equal(status.code, 0, "the server handled SIGTERM and exited 0");
  const end = sessionEnd((await readEvents(log)).events);
  assert.equal(end.reason, "signal");
});

Deno.test("when the client closes stdin, a server that ignores it is stopped with its children after the grace period", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/grace.jsonl`;
  const childPidFile = `${dir.path}/child.pid`;
  const proxy = proxyToScripted(log, ["--grace-ms", "300"], {
    IGNORE_EOF: "1",
    CHILD_PID_FILE: childPidFile,
  });
  await proxy.send(init);
  await proxy.send(call(1, "spawn_child"));
  await proxy.lines(2);
  const childPid = Number(await Deno.readTextFile(childPidFile));
  assert.ok(childPid > 0, "the server reported its child's pid");
  assert.ok(
    isAlive(childPid),
    `the server's child runs: ${procStat(childPid)}`,
  );
  await proxy.closeInput();
  const status = await proxy.child.status;
  await proxy.stderr();
  assert.equal(status.signal, null);
  assert.equal(
    status.code,
    143,
    "the server was stopped with SIGTERM and the proxy mirrors it",
  );
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(isAlive(childPid), false, "no orphan is left behind");
  const end = sessionEnd((await readEvents(log)).events);
  assert.equal(end.reason, "client_closed");
  assert.equal(
    end.failure,
    undefined,
    "stopping the server after the client left is not a failure",
  );
});

Deno.test("a server flooding stderr never stalls; stderr passes through and is logged up to its bound", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/stderr.jsonl`;
  const proxy = proxyToScripted(log, ["--quiet"]);
  await proxy.send(init);
  await proxy.send(call(1, "stderr_flood", { bytes: 8 * 1024 * 1024 }));
  const [, reply] = await proxy.lines(2) as {
    result: { content: { text: string }[] };
  }[];
  assert.equal(reply.result.content[0].text, "flooded");
  await proxy.closeInput();
  await proxy.child.status;
  const stderr = await proxy.stderr();
  assert.ok(stderr.length >= 8 * 1024 * 1024, "stderr passed through in full");
  const { events } = await readEvents(log);
  const logged = events.filter((e) => e.kind === "stderr").reduce(
    (n, e) => n + (e as { text: string }).text.length,
    0,
  );
  assert.equal(logged, 1024 * 1024, "the log keeps the first MiB of stderr");
  const end = sessionEnd(events);
  assert.ok(end.stderr.bytes >= 8 * 1024 * 1024);
  assert.equal(end.stderr.loggedBytes, 1024 * 1024);
});

Deno.test("the predecessor's --server form splits the command line like a shell", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/compat.jsonl`;
  const [deno, ...rest] = fixtureServer("scripted_server.ts");
  const line = [deno, ...rest].map((a) => `'${a}'`).join(" ");
  const proxy = startProxy([
    "proxy",
    "--log",
    log,
    "--sensitive-tools",
    "get_pay_info",
    "--write-tools",
    "submit_*",
    "--server",
    line,
  ]);
  await proxy.send(init);
  await proxy.send(call(1, "echo", { text: 'it\'s "quoted"' }));
  const [, reply] = await proxy.lines(2) as {
    result: { content: { text: string }[] };
  }[];
  assert.equal(reply.result.content[0].text, `it's "quoted"`);
  await proxy.closeInput();
  assert.equal((await proxy.child.status).code, 0);
  await proxy.stderr();
  const start = (await readEvents(log)).events[0] as {
    kind: string;
    command: string[];
  };
  assert.deepEqual(start.command, [deno, ...rest]);
});

function procStat(pid: number): string {
  const out = new Deno.Command("ps", {
    args: ["-o", "stat=", "-p", String(pid)],
  }).outputSync();
  return new TextDecoder().decode(out.stdout).trim();
}

/** Whether a process runs (a zombie waiting to be reaped does not count). Deno needs -A for /proc, so ask ps. */
function isAlive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== "" && !stat.startsWith("Z");
}

Deno.test("--rotate splits the log into files whose sequence and hash chain continue across them", async () => {
  const { createHash } = await import("node:crypto");
  await using dir = await tempDir();
  const log = `${dir.path}/rotated.jsonl`;
  const proxy = proxyToScripted(log, ["--quiet", "--rotate", "64KB"]);
  await proxy.send(init);
  for (let i = 1; i <= 150; i++) {
    await proxy.send(
      call(i, "echo", { text: `message ${i} ${"x".repeat(400)}` }),
    );
  }
  assert.equal((await proxy.lines(151)).length, 151);
  await proxy.closeInput();
  assert.equal((await proxy.child.status).code, 0);
  await proxy.stderr();
  const names = [...Deno.readDirSync(dir.path)].map((e) => e.name).filter((n) =>
    n.startsWith("rotated")
  );
  const parts = names.map((n) =>
    Number(/^rotated(?:\.(\d+))?\.jsonl$/.exec(n)?.[1] ?? 1)
  ).sort((a, b) => a - b);
  assert.ok(
    parts.length >= 3,
    `several files were written (${names.join(", ")})`,
  );
  assert.deepEqual(
    parts,
    parts.map((_, i) => i + 1),
    "parts are numbered without holes",
  );
  const lines: string[] = [];
  for (const n of parts) {
    const text = await Deno.readTextFile(
      n === 1 ? log : `${dir.path}/rotated.${n}.jsonl`,
    );
    assert.ok(text.endsWith("\n"), "no line is split between files");
    lines.push(...text.trimEnd().split("\n"));
  }
  // One session, sequence numbers without gaps, and one hash chain across every file.
  let head = createHash("sha256").update(
    `mcp-audit chain v1 ${JSON.parse(lines[0]).session}`,
  ).digest();
  lines.forEach((line, i) => {
    const m = /^(.*),"hash":"([0-9a-f]{64})"\}$/.exec(line)!;
    assert.ok(m, `line ${i + 1} is sealed`);
    assert.equal(JSON.parse(line).seq, i);
    const leaf = createHash("sha256").update(new Uint8Array([0])).update(
      `${m[1]}}`,
    ).digest();
    head = createHash("sha256").update(head).update(leaf).digest();
    assert.equal(
      head.toString("hex"),
      m[2],
      `line ${i + 1} continues the chain`,
    );
  });
  assert.equal(JSON.parse(lines.at(-1)!).kind, "checkpoint");
});

Deno.test("sequence numbers follow line order even with checkpoints between a response and its handshake", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/order.jsonl`;
  // A fragment left by a crashed session: the next session must start on a line of its own.
  await Deno.writeTextFile(log, '{"v":1,"seq":41,"kind":"req');
  const proxy = proxyToScripted(log, ["--quiet", "--checkpoint-every", "2"]);
  await proxy.send(init);
  for (let i = 1; i <= 5; i++) {
    await proxy.send(call(i, "echo", { text: `n${i}` }));
  }
  await proxy.lines(6);
  await proxy.closeInput();
  assert.equal((await proxy.child.status).code, 0);
  await proxy.stderr();
  const [fragment, ...lines] = (await Deno.readTextFile(log)).trimEnd().split(
    "\n",
  );
  assert.equal(
    fragment,
    '{"v":1,"seq":41,"kind":"req',
    "the fragment keeps its own line",
  );
  const events = lines.map((l) => JSON.parse(l));
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i),
    "seq is the line's position",
  );
  assert.ok(
    events.filter((e) => e.kind === "checkpoint").length >= 5,
    "checkpoints came every two events",
  );
  for (
    const e of events.filter((e) =>
      e.kind === "response" && e.requestSeq !== undefined
    )
  ) {
    const request = events[e.requestSeq];
    assert.equal(request.kind, "request");
    assert.equal(
      request.id,
      e.id,
      "requestSeq points at the request it answers",
    );
  }
});
