/**
 * A guard fails closed: `mcp-audit hook <agent> --policy FILE` with a file
 * that cannot be read, or does not parse, or holds no policy, denies the
 * pre-event in the agent's own format with a reason naming the file and the
 * problem, seals that denial in the log, and still records post-events.
 * Real processes, each agent's documented payloads on stdin.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const d = new TextDecoder();

/** Deno's cache of the real HOME, so the temporary HOME does not fetch npm packages again. */
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("HOME")}/${
    Deno.build.os === "darwin" ? "Library/Caches" : ".cache"
  }/deno`;

async function cli(
  home: string,
  args: string[],
  payload?: unknown,
): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    cwd: home,
    env: { HOME: home, XDG_STATE_HOME: `${home}/state`, DENO_DIR },
    stdin: payload === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (payload !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(payload)));
    await writer.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}

const claude = {
  session_id: "fc-1",
  transcript_path: "/tmp/t.jsonl",
  cwd: "/work/app",
  permission_mode: "default",
};

/** The policy files that cannot be used, and what the reason must say. */
const BROKEN: { name: string; text?: string; problem: RegExp }[] = [
  { name: "missing.json", problem: /cannot read/ },
  {
    name: "syntax.json",
    text: `{ "policy": { "mode": "enforce", "rules": [ }\n`,
    problem: /syntax\.json:1:45: not valid JSONC/,
  },
  {
    name: "nopolicy.json",
    text: `{ "logDir": "/tmp" }\n`,
    problem: /no "policy" key/,
  },
];

for (const broken of BROKEN) {
  Deno.test(`hook claude-code --policy ${broken.name}: the pre-event is denied with the file and the problem, and the log holds the denial`, async () => {
    await using dir = await tempDir();
    const policy = `${dir.path}/${broken.name}`;
    if (broken.text !== undefined) {
      await Deno.writeTextFile(policy, broken.text);
    }
    const log = `${dir.path}/fc.jsonl`;
    const args = ["hook", "claude-code", "--log", log, "--policy", policy];
    const start = await cli(dir.path, args, {
      ...claude,
      hook_event_name: "SessionStart",
      source: "startup",
    });
    assert.equal(start.code, 0, start.stderr);
    assert.equal(start.stdout, "");
    const pre = await cli(dir.path, args, {
      ...claude,
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "ls /srv/app" },
      tool_use_id: "toolu_fc",
    });
    assert.equal(pre.code, 0, pre.stderr);
    const out = JSON.parse(pre.stdout).hookSpecificOutput;
    assert.equal(out.hookEventName, "PreToolUse");
    assert.equal(out.permissionDecision, "deny");
    assert.ok(
      out.permissionDecisionReason.includes(policy),
      out.permissionDecisionReason,
    );
    assert.match(out.permissionDecisionReason, broken.problem);
    assert.match(pre.stderr, /the guard fails closed: this call is denied/);
    const end = await cli(dir.path, args, {
      ...claude,
      hook_event_name: "SessionEnd",
      reason: "exit",
    });
    assert.equal(end.code, 0, end.stderr);

    const events = (await readEvents(log)).events as (AuditEvent & {
      action?: string;
      rule?: string;
    })[];
    const decision = events.find((e) => e.kind === "decision");
    assert.ok(decision, "the denial is in the log");
    assert.equal(decision.action, "deny");
    assert.equal(decision.rule, "mcp-audit.policy-unusable");
    assert.ok(events.some((e) => e.kind === "session_end"));
    const verify = await cli(dir.path, ["verify", log]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
}

Deno.test("hook cursor and codex --policy with an unreadable file: each denies in its own format", async () => {
  await using dir = await tempDir();
  const policy = `${dir.path}/gone.json`;
  const cursor = await cli(dir.path, [
    "hook",
    "cursor",
    "--log",
    `${dir.path}/cu.jsonl`,
    "--policy",
    policy,
  ], {
    conversation_id: "cu-fc",
    generation_id: "g1",
    workspace_roots: [dir.path],
    hook_event_name: "beforeShellExecution",
    command: "ls",
    cwd: dir.path,
  });
  assert.equal(cursor.code, 0, cursor.stderr);
  const c = JSON.parse(cursor.stdout);
  assert.equal(c.permission, "deny");
  assert.ok(c.agent_message.includes(policy));
  assert.ok(c.user_message.includes(policy));

  const codex = await cli(dir.path, [
    "hook",
    "codex",
    "--log",
    `${dir.path}/cx.jsonl`,
    "--policy",
    policy,
  ], {
    session_id: "cx-fc",
    turn_id: "turn-1",
    transcript_path: null,
    cwd: dir.path,
    model: "gpt-5",
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "ls" },
    tool_use_id: "c1",
  });
  assert.equal(codex.code, 0, codex.stderr);
  const x = JSON.parse(codex.stdout).hookSpecificOutput;
  assert.equal(x.permissionDecision, "deny");
  assert.ok(x.permissionDecisionReason.includes(policy));
});

Deno.test("hook claude-code with an invalid policy inside ./mcp-audit.jsonc: the pre-event is denied naming the config, as with --policy; a broken config without a policy denies nothing", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.jsonc`;
  await Deno.writeTextFile(
    config,
    `{\n  "policy": { "mode": "enforce", "rules": [{ "id": "x", "class": "DESTRUCTIVE", "action": "nuke" }] }\n}\n`,
  );
  const args = ["hook", "claude-code", "--log", `${dir.path}/cf.jsonl`];
  const pre = {
    ...claude,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "ls /srv/app" },
    tool_use_id: "toolu_cf",
  };
  const denied = await cli(dir.path, args, pre);
  assert.equal(denied.code, 0, denied.stderr);
  const out = JSON.parse(denied.stdout).hookSpecificOutput;
  assert.equal(out.permissionDecision, "deny");
  assert.ok(out.permissionDecisionReason.includes(config));
  assert.match(out.permissionDecisionReason, /until the config is fixed/);
  assert.match(denied.stderr, /the hook event was not recorded/);
  // A post-event cannot be recorded either: a non-blocking error.
  const post = await cli(dir.path, args, {
    ...pre,
    hook_event_name: "PostToolUse",
    tool_response: { stdout: "" },
  });
  assert.equal(post.code, 1);
  assert.equal(post.stdout, "");

  // No policy in the broken config: nothing to guard, the call goes on.
  await Deno.writeTextFile(config, `{ "logDir": 42 }\n`);
  const open = await cli(dir.path, args, pre);
  assert.equal(open.code, 1);
  assert.equal(open.stdout, "");
  assert.match(open.stderr, /the hook event was not recorded/);
});
