/**
 * The fast hook client (`lib/hooks/hook_client.ts`, what `wrap --hooks`
 * installs) as the agents run it: real client processes in a temporary
 * HOME, the per-user writer (`mcp-audit hook --serve`) they start, and the
 * log checked by `mcp-audit verify`.
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";

const CLIENT = new URL("../../lib/hooks/hook_client.ts", import.meta.url)
  .pathname;
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("HOME")}/${
    Deno.build.os === "darwin" ? "Library/Caches" : ".cache"
  }/deno`;
const d = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function envFor(home: string, idleMs = 60_000): Record<string, string> {
  return {
    HOME: home,
    DENO_DIR,
    PATH: "/usr/bin:/bin",
    XDG_STATE_HOME: `${home}/state`,
    MCP_AUDIT_HOOK_IDLE_MS: String(idleMs),
  };
}

/** One hook event through the client, as the installed command runs it. */
async function client(
  home: string,
  payload: unknown,
  extra: string[] = [],
  idleMs?: number,
): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-config",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-net",
      CLIENT,
      "hook",
      "claude-code",
      ...extra,
    ],
    clearEnv: true,
    env: envFor(home, idleMs),
    cwd: home,
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
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}

/** The writer's socket and pid, once it listens. */
async function writer(home: string): Promise<{ socket: string; pid: number }> {
  const dir = `${home}/state/mcp-audit`;
  for (let i = 0; i < 600; i++) {
    try {
      for await (const e of Deno.readDir(dir)) {
        if (e.name.startsWith("hookd-") && e.name.endsWith(".sock")) {
          const socket = `${dir}/${e.name}`;
          const pid = Number(
            (await Deno.readTextFile(socket.replace(/\.sock$/, ".lock")))
              .trim(),
          );
          if (pid > 0) return { socket, pid };
        }
      }
    } catch { /* not made yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no hook writer started in ${dir}`);
}

async function gone(path: string): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
    try {
      await Deno.stat(path);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function verify(home: string, log: string): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["verify", log]),
    clearEnv: true,
    env: envFor(home),
    cwd: home,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}

const session = (id: string): Record<string, unknown> => ({
  session_id: id,
  transcript_path: "/tmp/t.jsonl",
  cwd: "/srv/app",
});

Deno.test("the hook client starts the writer, which then records the events: twenty concurrent clients leave one valid chain, a deny is answered in Claude Code's format, and the writer stops by its pid", async () => {
  await using dir = await tempDir();
  const home = dir.path;
  const log = `${home}/state/mcp-audit/hooks-claude-code-s1.jsonl`;
  await Deno.writeTextFile(
    `${home}/policy.jsonc`,
    JSON.stringify({
      policy: {
        mode: "enforce",
        default: "allow",
        rules: [{
          id: "no-rm",
          class: "DESTRUCTIVE",
          action: "deny",
          reason: "no destructive shell commands",
        }],
      },
    }),
  );

  // No writer yet: the full command records this event and a writer starts.
  const first = await client(home, {
    ...session("s0"),
    hook_event_name: "SessionStart",
    source: "startup",
  });
  assert.equal(first.code, 0, first.stderr);
  const { socket, pid } = await writer(home);
  try {
    // The writer records the next session: its start names the writer's pid.
    const start = await client(home, {
      ...session("s1"),
      hook_event_name: "SessionStart",
      source: "startup",
    });
    assert.equal(start.code, 0, start.stderr);
    const started = (await readEvents(log)).events.find((e) =>
      e.kind === "session_start"
    );
    assert.equal(
      started?.kind === "session_start" && started.proxyPid,
      pid,
      "recorded by the writer",
    );

    // Twenty at once, pre-events then post-events (a post follows its pre).
    const call = (i: number): Record<string, unknown> => ({
      ...session("s1"),
      tool_name: "Read",
      tool_input: { file_path: `/srv/app/f${i}.ts` },
      tool_use_id: `toolu_${i}`,
    });
    const twenty = Array.from({ length: 20 }, (_, i) => i);
    const runs = [
      ...await Promise.all(
        twenty.map((i) =>
          client(home, { ...call(i), hook_event_name: "PreToolUse" })
        ),
      ),
      ...await Promise.all(
        twenty.map((i) =>
          client(home, {
            ...call(i),
            hook_event_name: "PostToolUse",
            tool_response: { content: `file ${i}` },
          })
        ),
      ),
    ];
    for (const r of runs) assert.equal(r.code, 0, r.stderr);

    // A destructive shell command under the deny policy.
    const denied = await client(home, {
      ...session("s1"),
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "rm -rf /srv/app" },
      tool_use_id: "toolu_rm",
    }, ["--policy", `${home}/policy.jsonc`]);
    assert.equal(denied.code, 0, denied.stderr);
    const answer = JSON.parse(denied.stdout);
    assert.equal(answer.hookSpecificOutput.permissionDecision, "deny");
    assert.match(
      answer.hookSpecificOutput.permissionDecisionReason,
      /no destructive shell commands/,
    );

    const end = await client(home, {
      ...session("s1"),
      hook_event_name: "SessionEnd",
      reason: "exit",
    });
    assert.equal(end.code, 0, end.stderr);

    const checked = await verify(home, log);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    const { events } = await readEvents(log);
    const of = (kind: AuditEvent["kind"], id: string): number =>
      events.filter((e) => e.kind === kind && "id" in e && String(e.id) === id)
        .length;
    for (const i of twenty) {
      assert.equal(of("request", `toolu_${i}`), 1, `request ${i} once`);
      assert.equal(of("response", `toolu_${i}`), 1, `response ${i} once`);
    }
    const decision = events.find((e) => e.kind === "decision");
    assert.equal(decision?.kind === "decision" && decision.action, "deny");
    assert.equal(decision?.kind === "decision" && decision.rule, "no-rm");
    assert.ok(events.some((e) => e.kind === "session_end"));
  } finally {
    Deno.kill(pid, "SIGTERM");
  }
  assert.ok(await gone(socket), "SIGTERM stops the writer, socket removed");
});

Deno.test("the hook writer goes when idle, and the next client starts another", async () => {
  await using dir = await tempDir();
  const home = dir.path;
  const pre = {
    ...session("idle"),
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "ls" },
    tool_use_id: "toolu_a",
  };
  const first = await client(home, pre, [], 3000);
  assert.equal(first.code, 0, first.stderr);
  const one = await writer(home);
  assert.ok(await gone(one.socket), "the idle writer removed its socket");
  const again = await client(
    home,
    { ...pre, tool_use_id: "toolu_b" },
    [],
    3000,
  );
  assert.equal(again.code, 0, again.stderr);
  const two = await writer(home);
  assert.notEqual(two.pid, one.pid);
  assert.ok(await gone(two.socket), "and it goes when idle too");
  const { events } = await readEvents(
    `${home}/state/mcp-audit/hooks-claude-code-idle.jsonl`,
  );
  assert.deepEqual(
    events.filter((e) => e.kind === "request").map((e) => "id" in e && e.id),
    ["toolu_a", "toolu_b"],
  );
});

/** One hook event through the full `mcp-audit hook`, with its pid. */
async function full(
  home: string,
  payload: unknown,
  extra: string[] = [],
): Promise<Run & { pid: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(["hook", "claude-code", ...extra]),
    clearEnv: true,
    env: envFor(home),
    cwd: home,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(payload)));
  await writer.close();
  const out = await child.output();
  return {
    pid: child.pid,
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}

Deno.test("the full mcp-audit hook hands its event to a running writer, and records it itself when none runs", async () => {
  await using dir = await tempDir();
  const home = dir.path;
  const logOf = (id: string): string =>
    `${home}/state/mcp-audit/hooks-claude-code-${id}.jsonl`;
  const startOf = async (id: string): Promise<number | undefined> => {
    const e = (await readEvents(logOf(id))).events.find((e) =>
      e.kind === "session_start"
    );
    return e?.kind === "session_start" ? e.proxyPid : undefined;
  };
  await Deno.writeTextFile(
    `${home}/policy.jsonc`,
    JSON.stringify({
      policy: {
        mode: "enforce",
        rules: [{
          id: "no-rm",
          class: "DESTRUCTIVE",
          action: "deny",
          reason: "no destructive shell commands",
        }],
      },
    }),
  );
  // No writer: the full command records the event in its own process.
  const alone = await full(home, {
    ...session("f0"),
    hook_event_name: "SessionStart",
    source: "startup",
  });
  assert.equal(alone.code, 0, alone.stderr);
  assert.equal(await startOf("f0"), alone.pid);

  // The client starts a writer; the full command then hands events to it.
  const first = await client(home, {
    ...session("c0"),
    hook_event_name: "SessionStart",
    source: "startup",
  });
  assert.equal(first.code, 0, first.stderr);
  const { socket, pid } = await writer(home);
  try {
    const start = await full(home, {
      ...session("f1"),
      hook_event_name: "SessionStart",
      source: "startup",
    });
    assert.equal(start.code, 0, start.stderr);
    assert.equal(await startOf("f1"), pid, "recorded by the writer");
    const denied = await full(home, {
      ...session("f1"),
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: { command: "rm -rf /srv/app" },
      tool_use_id: "toolu_rm",
    }, ["--policy", `${home}/policy.jsonc`]);
    assert.equal(denied.code, 0, denied.stderr);
    const answer = JSON.parse(denied.stdout);
    assert.equal(answer.hookSpecificOutput.permissionDecision, "deny");
    const { events } = await readEvents(logOf("f1"));
    const decision = events.find((e) => e.kind === "decision");
    assert.equal(decision?.kind === "decision" && decision.rule, "no-rm");
    const checked = await verify(home, logOf("f1"));
    // No SessionEnd: the session is open, and its chain holds (exit 3: incomplete).
    assert.equal(checked.code, 3, checked.stdout + checked.stderr);
  } finally {
    Deno.kill(pid, "SIGTERM");
  }
  assert.ok(await gone(socket), "SIGTERM stops the writer, socket removed");
});
