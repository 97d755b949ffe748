/**
 * The guard's server, entity and time rules in `mcp-audit hook`, with real
 * hook processes fed Claude Code's documented PreToolUse payloads: each
 * rule denies the call it names, in Claude Code's format, and a near miss
 * (another server, another path, a window that is over) is let through.
 */
import assert from "node:assert/strict";
import type { DecisionEvent } from "../../lib/audit/event.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";

const claude = {
  session_id: "cc-rules",
  transcript_path: "/tmp/t.jsonl",
  cwd: "/work/app",
};

/** One PreToolUse through a real `mcp-audit hook claude-code --policy` process: its answer, if any. */
async function pre(
  home: string,
  policy: unknown,
  tool: string,
  input: Record<string, unknown>,
  id: string,
): Promise<{ permissionDecision?: string; permissionDecisionReason?: string }> {
  const file = `${home}/policy-${id}.jsonc`;
  await Deno.writeTextFile(file, JSON.stringify({ policy }));
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "hook",
      "claude-code",
      "--log",
      `${home}/hook.jsonl`,
      "--policy",
      file,
    ]),
    cwd: home,
    env: { HOME: home, XDG_STATE_HOME: `${home}/state` },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(
    new TextEncoder().encode(JSON.stringify({
      ...claude,
      hook_event_name: "PreToolUse",
      tool_name: tool,
      tool_input: input,
      tool_use_id: id,
    })),
  );
  await writer.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const stdout = new TextDecoder().decode(out.stdout).trim();
  return stdout === "" ? {} : JSON.parse(stdout).hookSpecificOutput;
}

/** The decision the log holds for the request with the hook's `tool_use_id`. */
async function decisionFor(
  home: string,
  id: string,
): Promise<DecisionEvent | undefined> {
  const { events } = await readEvents(`${home}/hook.jsonl`);
  const request = events.find((e) =>
    e.kind === "request" && String(e.id) === id
  );
  assert.ok(request, `the request ${id} is logged`);
  return events.find((e): e is DecisionEvent =>
    e.kind === "decision" && e.requestSeq === request.seq
  );
}

Deno.test("hook --policy with a server rule: an MCP tool of that server is denied, the same tool of another server is not", async () => {
  await using dir = await tempDir();
  const policy = {
    mode: "enforce",
    rules: [{
      id: "no-prod-db",
      server: "prod-db",
      action: "deny",
      reason: "The production database is off limits to agents",
    }],
  };
  const args = { sql: "select 1" };
  const denied = await pre(dir.path, policy, "mcp__prod-db__query", args, "t1");
  assert.equal(denied.permissionDecision, "deny");
  assert.match(denied.permissionDecisionReason ?? "", /off limits/);
  assert.equal((await decisionFor(dir.path, "t1"))?.rule, "no-prod-db");
  const allowed = await pre(
    dir.path,
    policy,
    "mcp__prod-dbx__query",
    args,
    "t2",
  );
  assert.notEqual(allowed.permissionDecision, "deny");
  assert.notEqual((await decisionFor(dir.path, "t2"))?.rule, "no-prod-db");
});

Deno.test("hook --policy with an entity rule: a Read of the named path is denied, a Read of another path is not", async () => {
  await using dir = await tempDir();
  const policy = {
    mode: "enforce",
    rules: [{
      id: "no-shadow",
      entity: { type: "path", value: ["/etc/shadow"] },
      action: "deny",
      reason: "Password hashes are not for agents",
    }],
  };
  const denied = await pre(
    dir.path,
    policy,
    "Read",
    { file_path: "/etc/shadow" },
    "r1",
  );
  assert.equal(denied.permissionDecision, "deny");
  assert.match(denied.permissionDecisionReason ?? "", /Password hashes/);
  assert.equal((await decisionFor(dir.path, "r1"))?.rule, "no-shadow");
  const allowed = await pre(
    dir.path,
    policy,
    "Read",
    { file_path: "/etc/shadow.d/readme" },
    "r2",
  );
  assert.notEqual(allowed.permissionDecision, "deny");
  assert.notEqual((await decisionFor(dir.path, "r2"))?.rule, "no-shadow");
});

Deno.test("hook --policy with a time rule: a write inside the freeze window is denied, the same write under a window that is over is not", async () => {
  await using dir = await tempDir();
  const hour = 3_600_000;
  const freeze = (from: number, to: number) => ({
    mode: "enforce",
    rules: [{
      id: "freeze",
      class: "WRITE",
      time: {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
      },
      action: "deny",
      reason: "Change freeze: no writes until it ends",
    }],
  });
  const now = Date.now();
  const edit = { file_path: "/work/app/main.ts", content: "x" };
  const denied = await pre(
    dir.path,
    freeze(now - hour, now + hour),
    "Write",
    edit,
    "w1",
  );
  assert.equal(denied.permissionDecision, "deny");
  assert.match(denied.permissionDecisionReason ?? "", /Change freeze/);
  assert.equal((await decisionFor(dir.path, "w1"))?.rule, "freeze");
  const allowed = await pre(
    dir.path,
    freeze(now - 3 * hour, now - 2 * hour),
    "Write",
    edit,
    "w2",
  );
  assert.notEqual(allowed.permissionDecision, "deny");
  assert.notEqual((await decisionFor(dir.path, "w2"))?.rule, "freeze");
});
