/**
 * An MCP call seen by both an agent's hook and the proxy, with real
 * processes: `mcp-audit proxy --name hr` in front of the HR demo server
 * (stdio), driven over JSON-RPC, and a `mcp-audit hook claude-code` process
 * per documented PreToolUse/PostToolUse payload for `mcp__hr__get_employee`
 * of the same calls, both logs in one directory. `summary --json`, the
 * report and `check` then count each linked call once; a near miss (the
 * hook's arguments differ from the proxy's) stays two calls.
 */
import assert from "node:assert/strict";
import { cliArgs, HR_SERVER, tempDir } from "../_helpers.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  home: string,
  args: string[],
  stdin?: unknown,
): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    cwd: home,
    env: { HOME: home, XDG_STATE_HOME: `${home}/state` },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(stdin)));
    await writer.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** A running `mcp-audit proxy`, spoken to one JSON-RPC line at a time. */
class Proxy {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  #id = 0;

  constructor(home: string, args: string[]) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: cliArgs(["proxy", ...args]),
      cwd: home,
      env: { HOME: home, XDG_STATE_HOME: `${home}/state` },
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = lines(this.#child.stdout)[Symbol.asyncIterator]();
  }

  async request(method: string, params: unknown): Promise<unknown> {
    const id = ++this.#id;
    await this.send({ jsonrpc: "2.0", id, method, params });
    for (;;) {
      const next = await this.#lines.next();
      assert.ok(!next.done, `the proxy closed before answering ${method}`);
      const message = JSON.parse(next.value);
      if (message.id === id) return message;
    }
  }

  async send(message: unknown): Promise<void> {
    await this.#writer.write(
      new TextEncoder().encode(JSON.stringify(message) + "\n"),
    );
  }

  async close(): Promise<number> {
    await this.#writer.close();
    for (;;) if ((await this.#lines.next()).done) break;
    return (await this.#child.status).code;
  }
}

async function* lines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let at;
    while ((at = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
    }
  }
}

const claude = {
  session_id: "cc-link",
  transcript_path: "/tmp/t.jsonl",
  cwd: "/work/app",
};

/** The documented Claude Code payloads of one MCP call, around `call`. */
async function hookedCall(
  home: string,
  hookLog: string,
  toolUseId: string,
  hookArgs: Record<string, unknown>,
  call: () => Promise<{ result?: { content?: unknown; isError?: boolean } }>,
): Promise<void> {
  const tool = "mcp__hr__get_employee";
  const pre = await run(home, ["hook", "claude-code", "--log", hookLog], {
    ...claude,
    hook_event_name: "PreToolUse",
    tool_name: tool,
    tool_input: hookArgs,
    tool_use_id: toolUseId,
  });
  assert.equal(pre.code, 0, pre.stderr);
  const answer = await call();
  const post = await run(
    home,
    ["hook", "claude-code", "--log", hookLog],
    answer.result?.isError
      ? {
        ...claude,
        hook_event_name: "PostToolUseFailure",
        tool_name: tool,
        tool_input: hookArgs,
        tool_use_id: toolUseId,
        error: JSON.stringify(answer.result.content),
        is_interrupt: false,
      }
      : {
        ...claude,
        hook_event_name: "PostToolUse",
        tool_name: tool,
        tool_input: hookArgs,
        tool_response: answer.result?.content,
        tool_use_id: toolUseId,
      },
  );
  assert.equal(post.code, 0, post.stderr);
}

interface SummaryJson {
  session: string;
  summary: { toolCalls: number; errors: number; tools: Record<string, number> };
  findings: { rule: string }[];
  countedByProxy?: { hook: { seq: number }; proxy: { seq: number } }[];
  seenByHook?: { hook: { seq: number }; proxy: { seq: number } }[];
}

Deno.test("a call seen by a real hook and a real proxy counts once in summary, report, check and findings; a near miss counts twice", async () => {
  await using dir = await tempDir();
  const home = dir.path;
  const logs = `${home}/logs`;
  await Deno.mkdir(logs);
  const proxyLog = `${logs}/proxy.jsonl`;
  const hookLog = `${logs}/hook.jsonl`;
  const start = await run(home, ["hook", "claude-code", "--log", hookLog], {
    ...claude,
    hook_event_name: "SessionStart",
    source: "startup",
  });
  assert.equal(start.code, 0, start.stderr);
  const proxy = new Proxy(home, [
    "--name",
    "hr",
    "--log",
    proxyLog,
    "--",
    ...HR_SERVER,
  ]);
  await proxy.request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "claude-code", version: "2.1.0" },
  });
  await proxy.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  const callTool = (args: Record<string, unknown>) => () =>
    proxy.request("tools/call", {
      name: "get_employee",
      arguments: args,
    }) as Promise<{ result?: { content?: unknown; isError?: boolean } }>;
  // 1. The same call, seen by both.
  await hookedCall(
    home,
    hookLog,
    "toolu_1",
    { employee_id: "E003" },
    callTool({ employee_id: "E003" }),
  );
  // 2. A near miss: the hook's arguments are not the proxy's.
  await hookedCall(
    home,
    hookLog,
    "toolu_2",
    { employee_id: "E001" },
    callTool({ employee_id: "E002" }),
  );
  // 3. A failing call, seen by both: one error, one finding.
  const failing = await callTool({ employee_id: "E999" });
  await hookedCall(
    home,
    hookLog,
    "toolu_3",
    { employee_id: "E999" },
    async () => {
      const answer = await failing();
      assert.equal(answer.result?.isError, true, "E999 is an unknown employee");
      return answer;
    },
  );
  const end = await run(home, ["hook", "claude-code", "--log", hookLog], {
    ...claude,
    hook_event_name: "SessionEnd",
    reason: "other",
  });
  assert.equal(end.code, 0, end.stderr);
  assert.equal(await proxy.close(), 0);

  const proxyStart = JSON.parse(
    (await Deno.readTextFile(proxyLog)).split("\n")[0],
  );
  assert.equal(proxyStart.serverName, "hr");
  for (const log of [proxyLog, hookLog]) {
    const verified = await run(home, ["verify", log]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  }

  // summary --json: 3 calls on the proxy's side, 1 left on the hook's (the near miss).
  const summary = await run(home, ["summary", "--json", proxyLog, hookLog]);
  assert.equal(summary.code, 0, summary.stderr);
  const sessions = JSON.parse(summary.stdout) as SummaryJson[];
  const hookSession = sessions.find((s) =>
    s.session.startsWith("claude-code:")
  )!;
  const proxySession = sessions.find((s) => s !== hookSession)!;
  assert.equal(proxySession.summary.toolCalls, 3);
  assert.equal(hookSession.summary.toolCalls, 1);
  assert.equal(
    sessions.reduce((n, s) => n + s.summary.toolCalls, 0),
    4,
    "two linked calls and a near miss (two calls): four, not six",
  );
  assert.deepEqual(hookSession.summary.tools, { "mcp__hr__get_employee": 1 });
  assert.equal(hookSession.countedByProxy?.length, 2);
  assert.equal(proxySession.seenByHook?.length, 2);
  assert.equal(proxySession.summary.errors, 1);
  assert.equal(
    hookSession.summary.errors,
    0,
    "the hook's failure is the proxy's error",
  );
  const unseen = sessions.flatMap((s) => s.findings)
    .filter((f) => f.rule === "unseen-identifier");
  assert.equal(
    unseen.length,
    1,
    "E999's finding is made once, in the proxy's session",
  );
  const text = await run(home, ["summary", proxyLog, hookLog]);
  assert.match(
    text.stdout,
    /tool calls: {6}1 \(and 2 MCP call\(s\) the proxy saw too/,
  );

  // The report: 4 calls, one row per call, the linked ones marked with the hook's events.
  const html = `${home}/report.html`;
  const report = await run(home, ["report", proxyLog, hookLog, "-o", html]);
  assert.equal(report.code, 0, report.stderr);
  const page = await Deno.readTextFile(html);
  assert.match(page, /data-metric="toolCalls" data-value="4"/);
  // The hook's session_end counted 3 calls; less the 2 linked, it agrees with its events.
  assert.doesNotMatch(page, /summary says/);
  assert.match(
    page,
    /2 MCP call\(s\) the proxy saw too, counted in its session/,
  );
  const data = JSON.parse(
    /<script type="application\/json" id="report-data">([^<]*)<\/script>/
      .exec(page)![1],
  ) as { rows: { k: string; m?: string; hk?: number[]; q: number }[] };
  const calls = data.rows.filter((r) =>
    r.k === "request" && r.m === "tools/call"
  );
  assert.equal(calls.length, 4);
  const marked = calls.filter((r) => r.hk !== undefined);
  assert.equal(marked.length, 2);
  const links = proxySession.seenByHook!;
  assert.deepEqual(
    marked.map((r) => [r.q, r.hk![1]]).sort(),
    links.map((l) => [l.proxy.seq, l.hook.seq]).sort(),
  );

  // check: the failing call offends once, at the proxy's event, naming the hook's.
  const check = await run(home, [
    "check",
    "--fail-on",
    "error",
    proxyLog,
    hookLog,
  ]);
  assert.equal(check.code, 1, check.stdout + check.stderr);
  const offences = check.stdout.split("\n").filter((l) =>
    l.includes(": error: ")
  );
  assert.equal(offences.length, 1, check.stdout);
  assert.match(
    offences[0],
    /proxy\.jsonl:\d+: .*seen by the agent's hook too: session claude-code:cc-link seq \d+/,
  );
});
