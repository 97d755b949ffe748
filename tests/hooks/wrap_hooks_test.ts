/**
 * `mcp-audit wrap <agent> --hooks` and `unwrap <agent> --hooks` through the
 * real CLI, per agent, in a temporary HOME holding a realistic settings file
 * (comments, another hook of the user's): the dry run writes nothing; wrap
 * writes the entries with a backup; the installed command, taken from the
 * settings file as the agent reads it and run through `sh -c` with the
 * agent's documented payloads on stdin, writes a log that `verify` passes;
 * wrapping twice changes nothing; unwrap restores the file byte for byte.
 * Broken files are refused untouched; an edited file loses only our entries.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { parse as parseJsonc } from "jsonc-parser";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";

const DENO_DIR = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("HOME")}/${
    Deno.build.os === "darwin" ? "Library/Caches" : ".cache"
  }/deno`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function envFor(home: string): Record<string, string> {
  return {
    HOME: home,
    DENO_DIR,
    PATH: "/usr/bin:/bin",
    MCP_AUDIT_LOG_DIR: `${home}/logs`,
    // The installed fast client starts a hook writer: let it go soon after.
    MCP_AUDIT_HOOK_IDLE_MS: "2000",
  };
}

const d = new TextDecoder();

/** The CLI with HOME at `home` and nothing else of the user's environment. */
async function cli(home: string, args: string[]): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
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

/** Runs a hook's command string as the agents do: `sh -c`, the event's JSON on stdin. */
async function runHook(
  home: string,
  command: string,
  payload: unknown,
): Promise<Run> {
  const child = new Deno.Command("sh", {
    args: ["-c", command],
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
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}

interface Case {
  agent: string;
  /** The user file under HOME. */
  file: string;
  text: string;
  /** The user's own hook command, which must stay. */
  theirs: string;
  pre: { event: string; payload: unknown };
  post: { event: string; payload: unknown };
  /** The event that ends the session; Codex has none (its Stop ends a turn). */
  end?: { event: string; payload: unknown };
  session: string;
}

const claude = {
  session_id: "cc-w1",
  transcript_path: "/tmp/t.jsonl",
  cwd: "/work/app",
  permission_mode: "default",
};
const codex = {
  session_id: "cx-w1",
  turn_id: "turn-1",
  transcript_path: null,
  cwd: "/work/app",
  model: "gpt-5",
  permission_mode: "default",
};
const cursor = {
  conversation_id: "cu-w1",
  generation_id: "g1",
  workspace_roots: ["/work/app"],
};

const CASES: Case[] = [
  {
    agent: "claude-code",
    file: ".claude/settings.json",
    text: `{
  // Set by /config
  "model": "opus",
  "permissions": {
    "allow": ["Bash(npm run lint)", "Read(~/.zshrc)"]
  },
  "hooks": {
    "PostToolUse": [
      {
        "matcher": "Edit|Write",
        "hooks": [
          { "type": "command", "command": "npx prettier --write \\"$CLAUDE_FILE\\"" } // format
        ]
      }
    ]
  }
}
`,
    theirs: 'npx prettier --write "$CLAUDE_FILE"',
    pre: {
      event: "PreToolUse",
      payload: {
        ...claude,
        hook_event_name: "PreToolUse",
        tool_name: "Bash",
        tool_input: { command: "rm -rf /srv/app", description: "clean" },
        tool_use_id: "toolu_w1",
      },
    },
    post: {
      event: "PostToolUse",
      payload: {
        ...claude,
        hook_event_name: "PostToolUse",
        tool_name: "Bash",
        tool_input: { command: "rm -rf /srv/app" },
        tool_response: { stdout: "", stderr: "", interrupted: false },
        tool_use_id: "toolu_w1",
      },
    },
    end: {
      event: "SessionEnd",
      payload: { ...claude, hook_event_name: "SessionEnd", reason: "exit" },
    },
    session: "cc-w1",
  },
  {
    agent: "codex",
    file: ".codex/hooks.json",
    text: `{
  // Codex hooks (see developers.openai.com/codex/hooks)
  "hooks": {
    "Stop": [
      { "hooks": [{ "type": "command", "command": "notify-send 'codex done'" }] }
    ]
  }
}
`,
    theirs: "notify-send 'codex done'",
    pre: {
      event: "PreToolUse",
      payload: {
        ...codex,
        hook_event_name: "PreToolUse",
        tool_name: "Bash",
        tool_input: { command: "terraform destroy -auto-approve" },
        tool_use_id: "c1",
      },
    },
    post: {
      event: "PostToolUse",
      payload: {
        ...codex,
        hook_event_name: "PostToolUse",
        tool_name: "Bash",
        tool_input: { command: "terraform destroy -auto-approve" },
        tool_response: "Destroy complete!",
        tool_use_id: "c1",
      },
    },
    session: "cx-w1",
  },
  {
    agent: "cursor",
    file: ".cursor/hooks.json",
    text: `{
  "version": 1,
  "hooks": {
    // keep the audit trail of formatting
    "afterFileEdit": [{ "command": "./hooks/format.sh" }]
  }
}
`,
    theirs: "./hooks/format.sh",
    pre: {
      event: "beforeShellExecution",
      payload: {
        ...cursor,
        hook_event_name: "beforeShellExecution",
        command: "rm -rf /srv/app",
        cwd: "/work/app",
      },
    },
    post: {
      event: "afterShellExecution",
      payload: {
        ...cursor,
        hook_event_name: "afterShellExecution",
        command: "rm -rf /srv/app",
        output: "",
        duration: 12,
      },
    },
    end: {
      event: "stop",
      payload: { ...cursor, hook_event_name: "stop", status: "completed" },
    },
    session: "cu-w1",
  },
];

type Json = Record<string, unknown>;

/** Every command string of `event`, as the agent reads its settings. */
function commandsOf(settings: Json, agent: string, event: string): string[] {
  const list = ((settings.hooks ?? {}) as Record<string, Json[]>)[event] ?? [];
  return list.flatMap((entry) =>
    agent === "cursor"
      ? [entry.command as string]
      : ((entry.hooks ?? []) as Json[]).map((h) => h.command as string)
  );
}

/** Our command for `event`: the one that runs `hook <agent>`. */
function ours(settings: Json, agent: string, event: string): string {
  const found = commandsOf(settings, agent, event).filter((c) =>
    c.endsWith(` hook ${agent}`)
  );
  assert.equal(found.length, 1, `one mcp-audit entry on ${event}`);
  return found[0];
}

async function backups(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.endsWith(".bak")) names.push(`${dir}/${e.name}`);
  }
  return names;
}

for (const c of CASES) {
  Deno.test(`wrap ${c.agent} --hooks: dry run, wrap, the agent's command logs and verifies, wrap again, unwrap byte-identical`, async () => {
    await using dir = await tempDir();
    const home = dir.path;
    const file = `${home}/${c.file}`;
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.writeTextFile(file, c.text);

    // Dry run: a diff on stdout, nothing written.
    const dry = await cli(home, ["wrap", c.agent, "--hooks", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`\\+\\+\\+ ${file}`));
    assert.match(dry.stdout, /Dry run: nothing was written\./);
    assert.equal(await Deno.readTextFile(file), c.text);
    assert.deepEqual(await backups(dirname(file)), []);
    await assert.rejects(Deno.stat(`${file}.mcp-audit-hooks.json`));

    // Wrap: a backup of the original, the user's hook and comments kept.
    const wrap = await cli(home, ["wrap", c.agent, "--hooks"]);
    assert.equal(wrap.code, 0, wrap.stderr);
    const [backup, ...more] = await backups(dirname(file));
    assert.deepEqual(more, []);
    assert.equal(await Deno.readTextFile(backup), c.text);
    const wrapped = await Deno.readTextFile(file);
    const comment = /\/\/ .*/.exec(c.text)![0];
    assert.ok(wrapped.includes(comment), "the comment stays");
    const errors: unknown[] = [];
    const settings = parseJsonc(wrapped, errors as never[]) as Json;
    assert.deepEqual(errors, []);
    assert.ok(
      Object.keys(settings.hooks as Json).some((e) =>
        commandsOf(settings, c.agent, e).includes(c.theirs)
      ),
      "the user's own hook stays",
    );
    if (c.agent === "cursor") assert.equal(settings.version, 1);
    if (c.agent === "codex") assert.match(wrap.stdout, /codex_hooks = true/);

    // Wrap again: nothing changes, no second backup.
    const again = await cli(home, ["wrap", c.agent, "--hooks"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Nothing to change\./);
    assert.equal(await Deno.readTextFile(file), wrapped);
    assert.equal((await backups(dirname(file))).length, 1);

    // The agent runs the installed commands.
    const pre = await runHook(
      home,
      ours(settings, c.agent, c.pre.event),
      c.pre.payload,
    );
    assert.equal(pre.code, 0, pre.stderr);
    const post = await runHook(
      home,
      ours(settings, c.agent, c.post.event),
      c.post.payload,
    );
    assert.equal(post.code, 0, post.stderr);
    if (c.end) {
      const end = await runHook(
        home,
        ours(settings, c.agent, c.end.event),
        c.end.payload,
      );
      assert.equal(end.code, 0, end.stderr);
    }
    const log = `${home}/logs/hooks-${c.agent}-${c.session}.jsonl`;
    const { events } = await readEvents(log);
    assert.ok(events.some((e) => e.kind === "request"), "the pre-event");
    assert.ok(events.some((e) => e.kind === "response"), "the post-event");
    const verify = await cli(home, ["verify", log]);
    if (c.end) {
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /VERIFIED: 1 session/);
    } else {
      // Codex sends no session end: the log is consistent, only unfinished.
      assert.equal(verify.code, 3, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /INCOMPLETE: nothing contradicts the log/);
      assert.deepEqual(
        verify.stdout.match(/INCOMPLETE \w+/g),
        ["INCOMPLETE missing_session_end"],
      );
    }

    // Unwrap: byte for byte, the record gone.
    const unwrap = await cli(home, ["unwrap", c.agent, "--hooks"]);
    assert.equal(unwrap.code, 0, unwrap.stderr);
    assert.equal(await Deno.readTextFile(file), c.text);
    await assert.rejects(Deno.stat(`${file}.mcp-audit-hooks.json`));
  });
}

Deno.test("wrap --hooks: a settings file that does not parse is refused with line and column, untouched", async () => {
  await using dir = await tempDir();
  const home = dir.path;
  const file = `${home}/.claude/settings.json`;
  await Deno.mkdir(dirname(file), { recursive: true });
  const broken = `{\n  "model": "opus"\n  "hooks": {}\n}\n`;
  await Deno.writeTextFile(file, broken);
  const run = await cli(home, ["wrap", "claude-code", "--hooks"]);
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    new RegExp(`${file}:3:3: the file does not parse \\(CommaExpected\\)`),
  );
  assert.equal(await Deno.readTextFile(file), broken);
  assert.deepEqual(await backups(dirname(file)), []);
  await assert.rejects(Deno.stat(`${file}.mcp-audit-hooks.json`));
});

Deno.test("unwrap --hooks: a file edited since wrap loses only mcp-audit's entries, and the output says so", async () => {
  await using dir = await tempDir();
  const home = dir.path;
  const project = `${home}/app`;
  const file = `${project}/.codex/hooks.json`;
  await Deno.mkdir(dirname(file), { recursive: true });
  const text = `{\n  // mine\n  "hooks": {}\n}\n`;
  await Deno.writeTextFile(file, text);
  const wrap = await cli(home, [
    "wrap",
    "codex",
    "--hooks",
    "--project",
    project,
  ]);
  assert.equal(wrap.code, 0, wrap.stderr);
  const wrapped = await Deno.readTextFile(file);
  // The user adds a key of their own after the wrap.
  const edited = wrapped.replace(`"hooks": {`, `"note": "kept",\n  "hooks": {`);
  assert.notEqual(edited, wrapped);
  await Deno.writeTextFile(file, edited);
  const unwrap = await cli(home, [
    "unwrap",
    "codex",
    "--hooks",
    "--project",
    project,
  ]);
  assert.equal(unwrap.code, 0, unwrap.stderr);
  assert.match(unwrap.stdout, /only mcp-audit's hook entries were removed/);
  const after = await Deno.readTextFile(file);
  assert.ok(after.includes("// mine"));
  const settings = parseJsonc(after) as Json;
  assert.equal(settings.note, "kept");
  for (const event of Object.keys(settings.hooks as Json)) {
    assert.deepEqual(
      commandsOf(settings, "codex", event).filter((c) =>
        c.includes(" hook codex")
      ),
      [],
    );
  }
  assert.deepEqual(Object.keys(settings.hooks as Json), []);
});

Deno.test("wrap --hooks --config: a file that did not exist is created, and unwrap removes it", async () => {
  await using dir = await tempDir();
  const home = dir.path;
  const file = `${home}/elsewhere/hooks.json`;
  const wrap = await cli(home, ["wrap", "cursor", "--hooks", "--config", file]);
  assert.equal(wrap.code, 0, wrap.stderr);
  const settings = parseJsonc(await Deno.readTextFile(file)) as Json;
  assert.equal(settings.version, 1);
  ours(settings, "cursor", "beforeShellExecution");
  const unwrap = await cli(home, [
    "unwrap",
    "cursor",
    "--hooks",
    "--config",
    file,
  ]);
  assert.equal(unwrap.code, 0, unwrap.stderr);
  assert.match(unwrap.stdout, /Removed .* \(wrap had created it\)/);
  assert.doesNotMatch(unwrap.stdout, /changed since wrap/);
  await assert.rejects(Deno.stat(file));
  await assert.rejects(Deno.stat(`${file}.mcp-audit-hooks.json`));
  assert.deepEqual(await backups(dirname(file)), []);
});

Deno.test('unwrap --hooks after an edit: the "hooks" object that wrap created goes with its entries', async () => {
  await using dir = await tempDir();
  const home = dir.path;
  const project = `${home}/app`;
  const file = `${project}/.claude/settings.json`;
  await Deno.mkdir(dirname(file), { recursive: true });
  await Deno.writeTextFile(file, `{\n  // mine\n  "model": "opus"\n}\n`);
  const args = ["claude-code", "--hooks", "--project", project];
  const wrap = await cli(home, ["wrap", ...args]);
  assert.equal(wrap.code, 0, wrap.stderr);
  const wrapped = await Deno.readTextFile(file);
  assert.ok("hooks" in (parseJsonc(wrapped) as Json));
  await Deno.writeTextFile(
    file,
    wrapped.replace(`"model": "opus"`, `"model": "opus",\n  "note": "kept"`),
  );
  const unwrap = await cli(home, ["unwrap", ...args]);
  assert.equal(unwrap.code, 0, unwrap.stderr);
  assert.match(unwrap.stdout, /only mcp-audit's hook entries were removed/);
  const after = await Deno.readTextFile(file);
  const settings = parseJsonc(after) as Json;
  assert.deepEqual(Object.keys(settings).sort(), ["model", "note"]);
  assert.ok(after.includes("// mine"));
});

Deno.test("wrap --hooks with --server, --all or --status, and unwrap --hooks with --server: a usage error, nothing written", async () => {
  await using dir = await tempDir();
  const home = dir.path;
  for (
    const args of [
      ["wrap", "claude-code", "--hooks", "--server", "x"],
      ["wrap", "--hooks", "--all"],
      ["wrap", "claude-code", "--hooks", "--status"],
      ["unwrap", "claude-code", "--hooks", "--server", "x"],
    ]
  ) {
    const run = await cli(home, args);
    assert.equal(run.code, 2, args.join(" "));
    assert.match(
      run.stderr,
      /--hooks cannot be combined with --(server|all|status)/,
    );
    assert.equal(run.stdout, "");
  }
  await assert.rejects(Deno.stat(`${home}/.claude`));
});

Deno.test("wrap claude-code --hooks --managed: Claude Code's managed-settings.json for this OS (dry run); --managed is claude-code's only and excludes --project and --config", async () => {
  await using dir = await tempDir();
  const home = dir.path;
  const managed = Deno.build.os === "darwin"
    ? "/Library/Application Support/ClaudeCode/managed-settings.json"
    : "/etc/claude-code/managed-settings.json";
  const before = await Deno.readTextFile(managed).catch(() => null);
  const dry = await cli(home, [
    "wrap",
    "claude-code",
    "--hooks",
    "--managed",
    "--dry-run",
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.ok(dry.stdout.includes(`Claude Code hooks: ${managed}`), dry.stdout);
  assert.match(dry.stdout, /Dry run: nothing was written\./);
  assert.equal(await Deno.readTextFile(managed).catch(() => null), before);
  for (
    const [args, message] of [
      [["cursor", "--managed"], /--managed is for claude-code/],
      [
        ["claude-code", "--managed", "--project", home],
        /not --project and --managed/,
      ],
      [
        ["claude-code", "--managed", "--config", `${home}/x.json`],
        /not --config and --managed/,
      ],
    ] as const
  ) {
    const run = await cli(home, ["wrap", "--hooks", "--dry-run", ...args]);
    assert.equal(run.code, 2, args.join(" "));
    assert.match(run.stderr, message);
  }
});
