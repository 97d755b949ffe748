/**
 * `mcp-audit hook` as the agents run it: a real process per hook event,
 * each agent's documented payloads on stdin, a temporary HOME, and the log
 * checked by `mcp-audit verify`.
 */
import assert from "node:assert/strict";
import type {
  AuditEvent,
  RequestEvent,
  ResponseEvent,
} from "../../lib/audit/event.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function hook(
  home: string,
  agent: string,
  payload: unknown,
  extra: string[] = [],
): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(["hook", agent, ...extra]),
    cwd: home,
    env: { HOME: home, XDG_STATE_HOME: `${home}/state` },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(payload)));
  await writer.close();
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

async function verify(home: string, log: string): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["verify", log]),
    cwd: home,
    env: { HOME: home },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Every response answers the request with its id, earlier in the log. */
function assertPaired(events: AuditEvent[]): void {
  const requests = events.filter((e): e is RequestEvent =>
    e.kind === "request"
  );
  const responses = events.filter((e): e is ResponseEvent =>
    e.kind === "response"
  );
  assert.ok(responses.length > 0);
  for (const r of responses) {
    const request = requests.find((q) => q.seq === r.requestSeq);
    assert.ok(request, `response seq ${r.seq} has its request`);
    assert.equal(request.id, r.id);
  }
  for (const q of requests) {
    assert.equal(
      responses.filter((r) => r.requestSeq === q.seq).length,
      1,
      `request ${q.id} is answered once`,
    );
  }
}

const claude = {
  session_id: "cc-1",
  transcript_path: "/tmp/t.jsonl",
  cwd: "/work/app",
  permission_mode: "default",
};

Deno.test("hook claude-code: a session's shell, edit, MCP and failing tool calls are paired, classed and verify", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/cc.jsonl`;
  const events: unknown[] = [
    { ...claude, hook_event_name: "SessionStart", source: "startup" },
    {
      ...claude,
      hook_event_name: "UserPromptSubmit",
      prompt: "clean up, my token is ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    },
    {
      ...claude,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "rm -rf /srv/app", description: "clean" },
      tool_use_id: "toolu_1",
    },
    {
      ...claude,
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "rm -rf /srv/app" },
      tool_response: { stdout: "", stderr: "", interrupted: false },
      tool_use_id: "toolu_1",
    },
    {
      ...claude,
      hook_event_name: "PreToolUse",
      tool_name: "Edit",
      tool_input: {
        file_path: "/work/app/main.ts",
        old_string: "a",
        new_string: "b",
      },
      tool_use_id: "toolu_2",
    },
    {
      ...claude,
      hook_event_name: "PostToolUse",
      tool_name: "Edit",
      tool_input: { file_path: "/work/app/main.ts" },
      tool_response: { filePath: "/work/app/main.ts", success: true },
      tool_use_id: "toolu_2",
    },
    {
      ...claude,
      hook_event_name: "PreToolUse",
      tool_name: "mcp__github__create_issue",
      tool_input: { title: "x" },
      tool_use_id: "toolu_3",
    },
    {
      ...claude,
      hook_event_name: "PostToolUse",
      tool_name: "mcp__github__create_issue",
      tool_input: { title: "x" },
      tool_response: [{ type: "text", text: "created #4" }],
      tool_use_id: "toolu_3",
    },
    {
      ...claude,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "npm test" },
      tool_use_id: "toolu_4",
    },
    {
      ...claude,
      hook_event_name: "PostToolUseFailure",
      tool_name: "Bash",
      tool_input: { command: "npm test" },
      tool_use_id: "toolu_4",
      error: "Command exited with non-zero status code 1",
      is_interrupt: false,
    },
    { ...claude, hook_event_name: "SessionEnd", reason: "other" },
  ];
  for (const payload of events) {
    const run = await hook(dir.path, "claude-code", payload, ["--log", log]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "", "nothing on stdout without a decision");
  }
  const checked = await verify(dir.path, log);
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  assert.match(checked.stdout, /VERIFIED: 1 session/);
  const logged = (await readEvents(log)).events;
  assertPaired(logged);
  const rm = logged.find((e) =>
    e.kind === "request" && e.id === "toolu_1"
  ) as RequestEvent;
  assert.deepEqual(rm.classes?.map((c) => c.label), ["DESTRUCTIVE", "WRITE"]);
  assert.ok(
    rm.entities?.some((e) => e.type === "path" && e.value === "/srv/app"),
  );
  const edit = logged.find((e) =>
    e.kind === "request" && e.id === "toolu_2"
  ) as RequestEvent;
  assert.ok(edit.classes?.some((c) => c.label === "WRITE"));
  assert.ok(edit.entities?.some((e) => e.value === "/work/app/main.ts"));
  const mcp = logged.find((e) =>
    e.kind === "request" && e.id === "toolu_3"
  ) as RequestEvent;
  assert.deepEqual(mcp.hook?.mcp, { server: "github", tool: "create_issue" });
  const failed = logged.find((e) =>
    e.kind === "response" && e.id === "toolu_4"
  ) as ResponseEvent;
  assert.equal(failed.isError, true);
  assert.equal(failed.errorType, "tool_error");
  const prompt = logged.find((e) => e.kind === "notification");
  assert.ok(prompt && prompt.kind === "notification");
  assert.doesNotMatch(JSON.stringify(prompt.params), /ghp_abcdef/);
  const end = logged.find((e) => e.kind === "session_end");
  assert.ok(end && end.kind === "session_end");
  assert.equal(end.summary.toolCalls, 4);
  assert.deepEqual(end.pending, []);
});

async function cli(home: string, args: string[]): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    cwd: home,
    env: { HOME: home },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

function guardPolicy(mode: "enforce" | "monitor"): string {
  return JSON.stringify({
    policy: {
      mode,
      rules: [
        {
          id: "no-rm",
          class: "DESTRUCTIVE",
          action: "deny",
          reason: "No destructive commands from agents",
        },
        {
          id: "ask-web",
          class: "OPEN_WORLD",
          action: "ask",
          reason: "Fetching from the web needs your approval",
        },
        {
          id: "reads-ok",
          tool: "Read",
          action: "allow",
          reason: "Reads are fine",
        },
      ],
    },
  });
}

Deno.test("hook --policy: the guard's deny rule answers a destructive shell command (also in sh -c or a heredoc) in each agent's format, and the decision event works with check, policy test and verify", async () => {
  await using dir = await tempDir();
  const policy = `${dir.path}/policy.jsonc`;
  await Deno.writeTextFile(policy, guardPolicy("enforce"));
  const log = `${dir.path}/deny.jsonl`;
  const flags = ["--log", log, "--policy", policy];
  const smuggled = "sh -c 'psql -h db -c \"DROP DATABASE prod\"'";
  const heredoc = "psql -h db <<SQL\nSELECT 1;\nDROP DATABASE prod;\nSQL";
  // Concurrently, as an agent's parallel tool calls run their hooks.
  const [claudeRuns, codex, cursor, ls, web, read] = await Promise.all([
    Promise.all(
      [smuggled, heredoc].map((command, i) =>
        hook(dir.path, "claude-code", {
          ...claude,
          hook_event_name: "PreToolUse",
          tool_name: "Bash",
          tool_input: { command },
          tool_use_id: `deny_${i}`,
        }, flags)
      ),
    ),
    hook(dir.path, "codex", {
      session_id: "cx-1",
      turn_id: "t1",
      transcript_path: null,
      cwd: dir.path,
      hook_event_name: "PreToolUse",
      model: "gpt-5",
      permission_mode: "default",
      tool_name: "Bash",
      tool_input: { command: "git push --force origin main" },
      tool_use_id: "call_1",
    }, flags),
    hook(dir.path, "cursor", {
      hook_event_name: "beforeShellExecution",
      conversation_id: "cu-1",
      generation_id: "g1",
      workspace_roots: [dir.path],
      command: "kubectl delete namespace prod",
      cwd: dir.path,
    }, flags),
    hook(dir.path, "claude-code", {
      ...claude,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "ls -la | grep DROP" },
      tool_use_id: "ok_1",
    }, flags),
    hook(dir.path, "claude-code", {
      ...claude,
      hook_event_name: "PreToolUse",
      tool_name: "WebFetch",
      tool_input: { url: "https://example.com/x", prompt: "read" },
      tool_use_id: "web_1",
    }, flags),
    hook(dir.path, "claude-code", {
      ...claude,
      hook_event_name: "PreToolUse",
      tool_name: "Read",
      tool_input: { file_path: "/work/app/README.md" },
      tool_use_id: "read_1",
    }, flags),
  ]);
  for (const run of claudeRuns) {
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "deny",
        permissionDecisionReason: "No destructive commands from agents",
      },
    });
  }
  assert.equal(codex.code, 0, codex.stderr);
  assert.deepEqual(JSON.parse(codex.stdout).hookSpecificOutput, {
    hookEventName: "PreToolUse",
    permissionDecision: "deny",
    permissionDecisionReason: "No destructive commands from agents",
  });
  assert.equal(cursor.code, 0, cursor.stderr);
  assert.deepEqual(JSON.parse(cursor.stdout), {
    permission: "deny",
    user_message: "No destructive commands from agents",
    agent_message: "No destructive commands from agents",
  });
  // No rule matched: silence, the agent's own permissions decide.
  assert.equal(ls.code, 0, ls.stderr);
  assert.equal(ls.stdout, "");
  const asked = JSON.parse(web.stdout).hookSpecificOutput;
  assert.equal(asked.permissionDecision, "ask");
  assert.equal(
    asked.permissionDecisionReason,
    "Fetching from the web needs your approval",
  );
  const allowed = JSON.parse(read.stdout).hookSpecificOutput;
  assert.equal(allowed.permissionDecision, "allow");
  assert.equal(allowed.permissionDecisionReason, "Reads are fine");

  const logged = (await readEvents(log)).events;
  const decisions = logged.filter((e) => e.kind === "decision");
  assert.equal(decisions.length, 7, "one decision per pre-event");
  for (const d of decisions) {
    assert.ok(d.kind === "decision");
    const request = logged.find((e) =>
      e.session === d.session && e.seq === d.requestSeq
    );
    assert.ok(request?.kind === "request" && request.tool === d.tool);
    assert.equal(d.method, "tools/call");
    assert.equal(d.mode, "enforce");
  }
  const blocked = decisions.filter((d) =>
    d.kind === "decision" && d.outcome === "blocked"
  );
  assert.equal(blocked.length, 4);
  assert.ok(blocked.every((d) => d.kind === "decision" && d.rule === "no-rm"));
  assert.ok(
    logged.some((e) =>
      e.kind === "response" && e.errorType === "denied" && e.id === "deny_0"
    ),
  );
  assert.ok(
    !logged.some((e) => e.kind === "request" && e.decision !== undefined),
    "the decision is an event, not a field of the request",
  );
  // Codex never ends its session: verify says incomplete (3), not broken.
  assert.ok([0, 3].includes((await verify(dir.path, log)).code));
  const check = await cli(dir.path, ["check", log, "--fail-on", "denied"]);
  assert.equal(check.code, 1, check.stdout + check.stderr);
  assert.equal(check.stdout.match(/enforce deny "no-rm"/g)?.length, 4);
  const replay = await cli(dir.path, [
    "policy",
    "test",
    policy,
    "--log",
    log,
    "--json",
  ]);
  assert.equal(replay.code, 1, replay.stderr);
  const replayed = JSON.stringify(JSON.parse(replay.stdout));
  assert.match(replayed, /no-rm/);
});

Deno.test("hook --policy in monitor mode records what the guard would do and answers nothing", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.jsonc`;
  // From the config's "policy" key this time, as the proxy reads it.
  await Deno.writeTextFile(config, guardPolicy("monitor"));
  const log = `${dir.path}/monitor.jsonl`;
  const run = await hook(dir.path, "claude-code", {
    ...claude,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "terraform destroy -auto-approve" },
    tool_use_id: "tf_1",
  }, ["--log", log, "--config", config]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "");
  const logged = (await readEvents(log)).events;
  const decision = logged.find((e) => e.kind === "decision");
  assert.ok(decision?.kind === "decision");
  assert.deepEqual(
    [decision.mode, decision.action, decision.rule, decision.outcome],
    ["monitor", "deny", "no-rm", "forwarded"],
  );
  assert.ok(!logged.some((e) => e.kind === "response"), "nothing was denied");
  const check = await cli(dir.path, ["check", log, "--fail-on", "denied"]);
  assert.equal(check.code, 1, check.stdout);
  assert.match(check.stdout, /monitor deny "no-rm"/);
});

Deno.test("hook with the deprecated hooks.deny class list: answered deny as a policy rule hooks.deny:DESTRUCTIVE", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(config, '{"hooks": {"deny": ["DESTRUCTIVE"]}}');
  const log = `${dir.path}/lists.jsonl`;
  const run = await hook(dir.path, "claude-code", {
    ...claude,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "rm -rf /srv/app" },
    tool_use_id: "rm_1",
  }, ["--log", log, "--config", config]);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout).hookSpecificOutput;
  assert.equal(out.permissionDecision, "deny");
  assert.match(out.permissionDecisionReason, /DESTRUCTIVE/);
  const decision = (await readEvents(log)).events.find((e) =>
    e.kind === "decision"
  );
  assert.ok(decision?.kind === "decision");
  assert.equal(decision.rule, "hooks.deny:DESTRUCTIVE");
  assert.equal(decision.outcome, "blocked");
});

Deno.test("hook --policy with an invalid policy file fails closed: the call is denied, the file named", async () => {
  await using dir = await tempDir();
  const policy = `${dir.path}/bad.jsonc`;
  await Deno.writeTextFile(
    policy,
    '{"policy": {"rules": [{"id": "x", "action": "block"}]}}',
  );
  const run = await hook(dir.path, "claude-code", {
    ...claude,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "ls" },
    tool_use_id: "t",
  }, ["--log", `${dir.path}/x.jsonl`, "--policy", policy]);
  assert.equal(run.code, 0, run.stderr);
  const answer = JSON.parse(run.stdout).hookSpecificOutput;
  assert.equal(answer.permissionDecision, "deny");
  assert.ok(answer.permissionDecisionReason.includes(policy));
  assert.match(run.stderr, /bad\.jsonc.*the guard fails closed/s);
});

Deno.test("hook codex and cursor: their documented payloads become paired, classed calls", async () => {
  await using dir = await tempDir();
  const codexBase = {
    session_id: "cx-2",
    turn_id: "turn-1",
    transcript_path: null,
    cwd: dir.path,
    model: "gpt-5",
    permission_mode: "default",
  };
  const codex: unknown[] = [
    { ...codexBase, hook_event_name: "SessionStart", source: "startup" },
    {
      ...codexBase,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "terraform destroy -auto-approve" },
      tool_use_id: "c1",
    },
    {
      ...codexBase,
      hook_event_name: "PostToolUse",
      tool_name: "Bash",
      tool_input: { command: "terraform destroy -auto-approve" },
      tool_response: "Destroy complete!",
      tool_use_id: "c1",
    },
    {
      ...codexBase,
      hook_event_name: "PostToolUse",
      tool_name: "apply_patch",
      tool_input: {
        command:
          "*** Begin Patch\n*** Update File: src/a.ts\n@@\n-a\n+b\n*** End Patch",
      },
      tool_response: "Success",
      tool_use_id: "c2",
    },
  ];
  const codexRuns = (async () => {
    for (const payload of codex) {
      const run = await hook(dir.path, "codex", payload);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "");
    }
  })();
  const cursorLog = `${dir.path}/cursor.jsonl`;
  const cursorBase = {
    conversation_id: "cu-2",
    generation_id: "g1",
    workspace_roots: [dir.path],
  };
  const cursor: unknown[] = [
    {
      ...cursorBase,
      hook_event_name: "beforeShellExecution",
      command: "rm -rf /srv/app",
      cwd: dir.path,
    },
    {
      ...cursorBase,
      hook_event_name: "afterShellExecution",
      command: "rm -rf /srv/app",
      output: "",
      duration: 12,
    },
    {
      ...cursorBase,
      hook_event_name: "beforeMCPExecution",
      tool_name: "query",
      tool_input: '{"sql": "select 1"}',
      url: "http://localhost:3000/mcp",
    },
    {
      ...cursorBase,
      hook_event_name: "afterMCPExecution",
      tool_name: "query",
      tool_input: '{"sql": "select 1"}',
      result_json: '{"rows": []}',
      duration: 5,
    },
    {
      ...cursorBase,
      hook_event_name: "afterFileEdit",
      file_path: `${dir.path}/main.ts`,
      edits: [{ old_string: "a", new_string: "b" }],
    },
    { ...cursorBase, hook_event_name: "stop", status: "completed" },
  ];
  for (const payload of cursor) {
    const run = await hook(dir.path, "cursor", payload, ["--log", cursorLog]);
    assert.equal(run.code, 0, run.stderr);
  }
  await codexRuns;
  // Without --log: the log directory under the temporary HOME.
  const codexLog = `${dir.path}/state/mcp-audit/hooks-codex-cx-2.jsonl`;
  const cx = (await readEvents(codexLog)).events;
  assertPaired(cx);
  const tf = cx.find((e) =>
    e.kind === "request" && e.id === "c1"
  ) as RequestEvent;
  assert.ok(tf.classes?.some((c) => c.label === "DESTRUCTIVE"));
  const patch = cx.find((e) =>
    e.kind === "request" && e.id === "c2"
  ) as RequestEvent;
  assert.ok(patch.entities?.some((e) => e.value === "src/a.ts"));
  const checked = await verify(dir.path, cursorLog);
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  const cu = (await readEvents(cursorLog)).events;
  assertPaired(cu);
  const shell = cu.find((e) =>
    e.kind === "request" && e.tool === "Shell"
  ) as RequestEvent;
  assert.ok(shell.classes?.some((c) => c.label === "DESTRUCTIVE"));
  const mcp = cu.find((e) =>
    e.kind === "request" && e.hook?.mcp !== undefined
  ) as RequestEvent;
  assert.deepEqual(mcp.hook?.mcp, { server: "localhost", tool: "query" });
  const edit = cu.find((e) =>
    e.kind === "request" && e.tool === "Edit"
  ) as RequestEvent;
  assert.ok(edit.classes?.some((c) => c.label === "WRITE"));
});

Deno.test("twenty concurrent hook processes on one session leave a log that verifies, with every event present once", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/many.jsonl`;
  const start = await hook(dir.path, "claude-code", {
    ...claude,
    session_id: "many",
    hook_event_name: "SessionStart",
    source: "startup",
  }, ["--log", log]);
  assert.equal(start.code, 0, start.stderr);
  const runs = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      hook(dir.path, "claude-code", {
        ...claude,
        session_id: "many",
        hook_event_name: "PreToolUse",
        tool_name: "Read",
        tool_input: { file_path: `/work/app/f${i}.ts` },
        tool_use_id: `par_${i}`,
      }, ["--log", log])),
  );
  for (const run of runs) assert.equal(run.code, 0, run.stderr);
  const end = await hook(dir.path, "claude-code", {
    ...claude,
    session_id: "many",
    hook_event_name: "SessionEnd",
    reason: "other",
  }, ["--log", log]);
  assert.equal(end.code, 0, end.stderr);
  const checked = await verify(dir.path, log);
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  const logged = (await readEvents(log)).events;
  for (let i = 0; i < 20; i++) {
    assert.equal(
      logged.filter((e) => e.kind === "request" && e.id === `par_${i}`).length,
      1,
      `par_${i} logged once`,
    );
  }
  assert.deepEqual(
    logged.map((e) => e.seq),
    logged.map((_, i) => i),
    "one sequence without gaps",
  );
});
