/**
 * `mcp-audit wrap` and `unwrap` on each client's config, through the real
 * CLI in a temporary HOME: realistic configs after each client's
 * documentation (comments, env, inputs, several servers, a remote entry),
 * wrapped, and for every client (Claude Code's user, local and project
 * scopes included) each wrapped entry of the real HR server read back from
 * the file and started the way the client starts it (its command, args, env
 * and cwd): an SDK client reaches the server through the proxy, a log named
 * after the entry appears and `verify` passes; wrapped again (no change),
 * unwrapped (byte-identical); dry runs write nothing; broken files and
 * entries of other tools are refused and left untouched. The remote entries
 * of Claude Desktop, Gemini CLI, a Claude Code project, Cursor and Windsurf,
 * wrapped as the stdio bridge, reach a local Streamable HTTP server that
 * demands the token their header's `${VAR}` names (Cursor's and Windsurf's
 * `${env:NAME}` interpolated as those clients do at spawn).
 *
 * @module
 */
import assert from "node:assert/strict";
import { isAbsolute, resolve } from "node:path";
import { parse as parseJsonc } from "jsonc-parser";
import { parse as parseToml } from "smol-toml";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { cliArgs, fixtureServer, HR_SERVER, tempDir } from "../_helpers.ts";
import { spawnUntil } from "../http/_http_servers.ts";
import { PROXY_HELP } from "../../lib/cli/proxy_command.ts";
import { planFile } from "../../lib/clients/wire_in.ts";
import { clientById } from "../../lib/clients/clients.ts";

/** Remote entries are bridged when the proxy has `--upstream` (Streamable HTTP), else skipped. */
const BRIDGE = PROXY_HELP.includes("--upstream");

const DENO_DIR = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("HOME")}/${
    Deno.build.os === "darwin" ? "Library/Caches" : ".cache"
  }/deno`;
const [DENO, ...HR_ARGS] = HR_SERVER;
const REMOTE = "https://mcp.example.com/mcp";
/** The user's home as the texts below write it; each test writes its HOME in its place. */
const ADA = "/home/ada";

/**
 * A client's test case: where its file is under HOME (with `project`, the
 * project directory under HOME, wrapped with `--project`), its text, how to
 * read entries, and which stdio entries are started for real.
 */
interface Case {
  id: string;
  /** The test's name for the file, when it is not the client's user file. */
  label?: string;
  file: string;
  project?: string;
  text: string;
  servers: (parsed: Record<string, unknown>) => Record<string, Entry>;
  remote: string;
  header: string;
  /**
   * The wrapped stdio entries started as the client starts them, by log
   * name (default: `hr`). The others (`npx`, `uvx` packages) are not
   * installed here; their wrapping is checked entry by entry.
   */
  live?: (
    parsed: Record<string, unknown>,
    home: string,
  ) => Record<string, Entry>;
  /** Where the client runs a live entry, under HOME, when not where it runs the file's others. */
  runsIn?: Record<string, string>;
}
interface Entry {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  [key: string]: unknown;
}

const j = JSON.stringify;
const HR = `"command": ${j(DENO)},\n      "args": ${j(HR_ARGS)}`;
const mcpServers = (p: Record<string, unknown>): Record<string, Entry> =>
  p.mcpServers as Record<string, Entry>;

const CASES: Case[] = [
  {
    id: "claude-desktop",
    file: ".config/Claude/claude_desktop_config.json",
    // Claude Desktop writes plain JSON: no comments.
    text: `{
  "mcpServers": {
    "hr": {
      ${HR},
      "env": { "HR_MODE": "demo" }
    },
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/username/Desktop"]
    },
    "linear": {
      "url": "${REMOTE}",
      "headers": { "Authorization": "Bearer \${LINEAR_TOKEN}" }
    }
  },
  "globalShortcut": ""
}
`,
    servers: mcpServers,
    remote: "linear",
    header: "Authorization: Bearer ${LINEAR_TOKEN}",
  },
  {
    id: "claude-code",
    file: ".claude.json",
    text: `{
  "numStartups": 41,
  "mcpServers": {
    "hr": {
      "type": "stdio",
      ${HR},
      "env": { "HR_MODE": "demo" }
    },
    "notion": {
      "type": "http",
      "url": "${REMOTE}",
      "headers": { "Authorization": "Bearer \${NOTION_TOKEN:-none}" }
    }
  },
  "projects": {
    "${ADA}/app": {
      "allowedTools": [],
      "mcpServers": {
        "db": { "type": "stdio", "command": "npx", "args": ["-y", "@bytebase/dbhub"], "env": {} },
        "people": {
          "type": "stdio",
          ${HR.replaceAll("\n", "\n    ")},
          "env": { "HR_MODE": "local" }
        }
      }
    }
  }
}
`,
    servers: mcpServers,
    remote: "notion",
    header: "Authorization: Bearer ${NOTION_TOKEN:-none}",
    // The user-scope entry and the local-scope (per-project) one, run in its project.
    live: (p, home) => ({
      hr: mcpServers(p).hr,
      people: mcpServers(
        (p.projects as Record<string, Record<string, unknown>>)[
          `${home}/app`
        ],
      ).people,
    }),
    runsIn: { people: "app" },
  },
  {
    id: "claude-code",
    label: "claude-code project .mcp.json",
    file: "app/.mcp.json",
    project: "app",
    // Project scope, checked into the repository: plain JSON, `${VAR}` expanded by Claude Code.
    text: `{
  "mcpServers": {
    "hr": {
      "type": "stdio",
      ${HR},
      "env": { "HR_MODE": "\${HR_MODE:-demo}" }
    },
    "sentry": {
      "type": "http",
      "url": "${REMOTE}",
      "headers": { "Authorization": "Bearer \${SENTRY_TOKEN}" }
    },
    "puppeteer": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-puppeteer"] }
  }
}
`,
    servers: mcpServers,
    remote: "sentry",
    header: "Authorization: Bearer ${SENTRY_TOKEN}",
  },
  {
    id: "vscode",
    file: ".config/Code/User/mcp.json",
    text: `{
  // Asked once, stored by VS Code.
  "inputs": [
    {
      "type": "promptString",
      "id": "github-token",
      "description": "GitHub Personal Access Token",
      "password": true
    }
  ],
  "servers": {
    // The HR demo
    "hr": {
      "type": "stdio",
      ${HR}, // by absolute path
      "env": { "HR_MODE": "demo" },
      "envFile": "\${userHome}/.hr.env"
    },
    "fetch": { "type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"] },
    "github": {
      "type": "http",
      "url": "${REMOTE}",
      "headers": { "Authorization": "Bearer \${input:github-token}" }
    },
  }
}
`,
    servers: (p) => p.servers as Record<string, Entry>,
    remote: "github",
    header: "Authorization: Bearer ${input:github-token}",
  },
  {
    id: "cursor",
    file: ".cursor/mcp.json",
    text: `{
  "mcpServers": {
    /* local */
    "hr": {
      ${HR},
      "env": { "HR_MODE": "demo" }
    },
    "notes": { "command": "npx", "args": ["-y", "mcp-notes"], "envFile": ".env" },
    // remote, with a token from the environment
    "stripe": {
      "url": "${REMOTE}",
      "headers": { "Authorization": "Bearer \${env:STRIPE_KEY}" }
    }
  }
}
`,
    servers: mcpServers,
    remote: "stripe",
    header: "Authorization: Bearer ${env:STRIPE_KEY}",
  },
  {
    id: "windsurf",
    file: ".codeium/windsurf/mcp_config.json",
    text: `{
  "mcpServers": {
    // stdio
    "hr": {
      ${HR},
      "disabled": false,
      "env": { "HR_MODE": "demo" }
    },
    "git": { "command": "uvx", "args": ["mcp-server-git"], "disabled": true },
    "figma": {
      "serverUrl": "${REMOTE}",
      "headers": { "X-Figma-Token": "\${env:FIGMA_TOKEN}" }
    }
  }
}
`,
    servers: mcpServers,
    remote: "figma",
    header: "X-Figma-Token: ${env:FIGMA_TOKEN}",
  },
  {
    id: "gemini-cli",
    file: ".gemini/settings.json",
    text: `{
  "theme": "Dracula",
  // MCP servers
  "mcpServers": {
    "hr": {
      ${HR},
      "env": { "HR_MODE": "$HR_MODE" },
      "cwd": "./server-directory",
      "timeout": 30000,
      "trust": false
    },
    "github": {
      "httpUrl": "${REMOTE}",
      "headers": { "Authorization": "\${GITHUB_PAT}" },
      "timeout": 5000
    }
  }
}
`,
    servers: mcpServers,
    remote: "github",
    header: "Authorization: ${GITHUB_PAT}",
  },
  {
    id: "cursor",
    label: "cursor project .cursor/mcp.json",
    file: "app/.cursor/mcp.json",
    project: "app",
    text: `{
  // This project's servers; Cursor interpolates \${workspaceFolder} and \${env:NAME}.
  "mcpServers": {
    "hr": {
      "type": "stdio",
      ${HR},
      "env": { "HR_ROOT": "\${workspaceFolder}", "HR_MODE": "demo" }
    },
    "sqlite": { "command": "uvx", "args": ["mcp-server-sqlite", "--db-path", "\${workspaceFolder}/app.db"] },
    "linear": {
      "url": "${REMOTE}",
      "headers": { "Authorization": "Bearer \${env:LINEAR_KEY}" }
    }
  }
}
`,
    servers: mcpServers,
    remote: "linear",
    header: "Authorization: Bearer ${env:LINEAR_KEY}",
  },
  {
    id: "gemini-cli",
    label: "gemini-cli project .gemini/settings.json",
    file: "app/.gemini/settings.json",
    project: "app",
    text: `{
  // Project settings override the user's.
  "mcpServers": {
    "hr": {
      ${HR},
      "cwd": "./server-directory",
      "env": { "HR_MODE": "\${HR_MODE}" },
      "includeTools": ["search_employees"]
    },
    "docs": {
      "url": "${REMOTE}",
      "headers": { "X-Api-Key": "\${DOCS_KEY}" }
    },
    "pyserver": { "command": "python", "args": ["-m", "my_mcp_server"], "cwd": "./mcp-servers/python" }
  }
}
`,
    servers: mcpServers,
    remote: "docs",
    header: "X-Api-Key: ${DOCS_KEY}",
  },
  {
    id: "codex",
    file: ".codex/config.toml",
    text: `model = "o3"

# The HR demo, over stdio
[mcp_servers.hr]
command = ${j(DENO)} # absolute
args = [
${HR_ARGS.map((a) => `  ${j(a)},`).join("\n")}
]
startup_timeout_sec = 20

[mcp_servers.hr.env]
HR_MODE = "demo"

[mcp_servers.docs]
url = "${REMOTE}"
http_headers = { "X-Client" = "release-review" }

[mcp_servers.gh]
url = "https://api.githubcopilot.com/mcp/"
bearer_token_env_var = "GITHUB_TOKEN"

[profiles.fast]
model = "o4-mini"
`,
    servers: (p) => p.mcp_servers as Record<string, Entry>,
    remote: "docs",
    header: "X-Client: release-review",
  },
];

/** Runs the CLI with HOME at `home` and nothing else of the user's environment. */
async function cli(
  home: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    clearEnv: true,
    env: envFor(home),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return {
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}

function envFor(home: string): Record<string, string> {
  return {
    HOME: home,
    DENO_DIR,
    PATH: "/usr/bin:/bin",
    MCP_AUDIT_LOG_DIR: `${home}/logs`,
  };
}

/** The whole file parsed as the client parses it. */
function parseFile(c: Case, text: string): Record<string, unknown> {
  return c.id === "codex"
    ? parseToml(text) as Record<string, unknown>
    : parseJsonc(text, [], { allowTrailingComma: true });
}

function read(c: Case, text: string): Record<string, Entry> {
  return c.servers(parseFile(c, text));
}

function assertBridged(remote: Entry, before: Entry, c: Case): void {
  assert.equal(remote.url ?? remote.httpUrl ?? remote.serverUrl, undefined);
  assert.equal(remote.headers ?? remote.http_headers, undefined);
  assert.ok(isAbsolute(remote.command!), remote.command);
  const up = remote.args!.indexOf("--upstream");
  assert.ok(up > 0, j(remote.args));
  assert.deepEqual(remote.args!.slice(up - 3, up), [
    "proxy",
    "--name",
    c.remote,
  ]);
  assert.equal(remote.args![up + 1], REMOTE);
  assert.equal(remote.args![remote.args!.indexOf("--header") + 1], c.header);
  if (typeof before.type === "string") assert.equal(remote.type, "stdio");
}

/** Starts a wrapped entry as the client does: its command, args, env and cwd; an SDK client lists and calls tools. */
async function startAsClient(
  home: string,
  entry: Entry,
  tool = "search_employees",
  // What the client's own environment adds (its user's variables).
  userEnv: Record<string, string> = {},
  // Where the client runs (HOME, or the project's directory).
  base = home,
): Promise<void> {
  const transport = new StdioClientTransport({
    command: entry.command!,
    args: entry.args,
    env: { ...envFor(home), ...userEnv, ...(entry.env ?? {}) },
    // Relative to where the client runs.
    cwd: resolve(base, entry.cwd ?? "."),
    stderr: "pipe",
  });
  const client = new Client({ name: "wrap-test", version: "1.0.0" });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    assert.ok(
      tools.some((t: { name: string }) => t.name === tool),
    );
    const result = await client.callTool({
      name: tool,
      arguments: { query: "a" },
    });
    assert.notEqual(result.isError, true);
  } finally {
    await client.close();
  }
}

/** The names in a directory, sorted. */
function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/**
 * The file made unparsable by one edit: a comma dropped (JSON, JSONC) or a
 * string left open (TOML).
 */
function broken(c: Case, text: string): string {
  const out = c.id === "codex"
    ? text.replace(/"\n/, "\n")
    : text.replace(/,\n/, "\n");
  assert.notEqual(out, text);
  return out;
}

for (const c of CASES) {
  Deno.test(
    `wrap ${
      c.label ?? c.id
    }: dry run writes nothing, every entry wrapped in place, each live entry started as the client would (SDK call, log, verify), wrapped twice is a no-op, unwrap is byte-identical, a broken file is refused untouched`,
    async () => {
      await using dir = await tempDir();
      const home = dir.path;
      const path = `${home}/${c.file}`;
      const folder = path.replace(/\/[^/]+$/, "");
      await Deno.mkdir(folder, { recursive: true });
      // The user's home in the file (Claude Code keys projects by path) is this HOME.
      const text = c.text.replaceAll(ADA, home);
      await Deno.writeTextFile(path, text);
      // Where the client runs, and resolves an entry's relative cwd from.
      const base = c.project ? `${home}/${c.project}` : home;
      await Deno.mkdir(`${base}/server-directory`);
      const before = read(c, text);
      // The client and, for a project file, its --project DIR.
      const target = c.project
        ? [c.id, "--project", `${home}/${c.project}`]
        : [c.id];

      const listing = names(folder);
      const dry = await cli(home, ["wrap", ...target, "--dry-run"]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^\+.*"?proxy"?/m);
      assert.match(dry.stdout, /Dry run: nothing was written/);
      assert.equal(
        await Deno.readTextFile(path),
        text,
        "dry run wrote nothing",
      );
      assert.deepEqual(names(folder), listing, "no backup, no record");

      const wrap = await cli(home, ["wrap", ...target]);
      assert.equal(wrap.code, 0, wrap.stderr);
      assert.match(
        wrap.stdout,
        /Wrote \/\S+ \((Deno running|the installed launcher|the compiled binary)/,
      );
      const wrapped = await Deno.readTextFile(path);
      const backups = names(folder).filter((n) => n.endsWith(".bak"));
      assert.equal(backups.length, 1);
      assert.equal(
        await Deno.readTextFile(`${folder}/${backups[0]}`),
        text,
        "the backup is the original",
      );
      const after = read(c, wrapped);
      // The stdio entry: the absolute mcp-audit, then the original command; the rest as it was.
      const hr = after.hr;
      assert.ok(isAbsolute(hr.command!), hr.command);
      const dashes = hr.args!.indexOf("--");
      assert.deepEqual(hr.args!.slice(dashes - 3, dashes), [
        "proxy",
        "--name",
        "hr",
      ]);
      assert.deepEqual(hr.args!.slice(dashes + 1), [DENO, ...HR_ARGS]);
      // Every stdio entry (started or not): `proxy --name NAME -- <original>`, other keys kept.
      for (const [name, was] of Object.entries(before)) {
        if (was.command === undefined) continue;
        const now = after[name];
        const at = now.args!.indexOf("--");
        assert.deepEqual(now.args!.slice(at - 3), [
          "proxy",
          "--name",
          name,
          "--",
          was.command,
          ...(was.args ?? []),
        ]);
        for (const key of Object.keys(was)) {
          if (key !== "command" && key !== "args") {
            assert.deepEqual(now[key], was[key], `${name}.${key} is kept`);
          }
        }
      }
      // The remote entry: the stdio bridge, headers as --header, references unresolved.
      // The remote entry: the stdio bridge, headers as --header, references
      // unresolved (planned in-process with the bridge; the CLI bridges it only
      // when its proxy has --upstream, and else says why it skipped it).
      const bridged = (await planFile(clientById(c.id)!, path, {
        mode: "wrap",
        self: { command: "/opt/mcp-audit", args: [], how: "test" },
        servers: [c.remote],
        bridge: true,
      }))!;
      assertBridged(read(c, bridged.after)[c.remote], before[c.remote], c);
      if (BRIDGE) assertBridged(after[c.remote], before[c.remote], c);
      else {
        assert.deepEqual(after[c.remote], before[c.remote]);
        assert.match(
          wrap.stdout,
          new RegExp(
            `skipped\\s+${c.remote}: it is remote, and this mcp-audit has no Streamable HTTP bridge`,
          ),
        );
      }
      if (c.id === "vscode") {
        assert.deepEqual(
          parseJsonc(wrapped, [], { allowTrailingComma: true }).inputs,
          parseJsonc(text, [], { allowTrailingComma: true }).inputs,
        );
      }
      // Nothing outside the entries changed: the comments are all still there.
      for (const comment of text.match(/(\/\/|#|\/\*).*$/gm) ?? []) {
        assert.ok(wrapped.includes(comment), `kept: ${comment}`);
      }

      const beforeStatus = await cli(home, ["wrap", "--status", ...target]);
      assert.match(
        beforeStatus.stdout,
        /hr: audited; logs in .*; last session: none yet/,
      );
      // Each live entry, read back from the wrapped file, started as the client starts it.
      const live = c.live?.(parseFile(c, wrapped), home) ?? { hr };
      for (const [name, entry] of Object.entries(live)) {
        assert.ok(entry.args?.includes("proxy"), `${name} is wrapped`);
        const runsIn = c.runsIn?.[name];
        if (runsIn) await Deno.mkdir(`${home}/${runsIn}`, { recursive: true });
        await startAsClient(
          home,
          entry,
          undefined,
          {},
          runsIn ? `${home}/${runsIn}` : base,
        );
        const log = names(`${home}/logs`).find((n) =>
          new RegExp(`_${name}_[0-9a-f]{8}\\.jsonl$`).test(n)
        );
        assert.ok(log, `a log for ${name}: ${j(names(`${home}/logs`))}`);
        assert.match(
          await Deno.readTextFile(`${home}/logs/${log}`),
          /"tools\/call".*"search_employees"/,
          "the call is in the log",
        );
        const verify = await cli(home, ["verify", `${home}/logs/${log}`]);
        assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      }
      const status = await cli(home, ["wrap", "--status", ...target]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(
        status.stdout,
        new RegExp(
          `hr: audited; logs in ${home}/logs; last session: \\S+Z ${home}/logs/\\S+_hr_`,
        ),
      );

      const again = await cli(home, ["wrap", ...target]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /Nothing to change/);
      assert.equal(
        await Deno.readTextFile(path),
        wrapped,
        "wrapping twice changes nothing",
      );

      const unwrap = await cli(home, ["unwrap", ...target]);
      assert.equal(unwrap.code, 0, unwrap.stderr);
      assert.equal(
        await Deno.readTextFile(path),
        text,
        "unwrap restores the file byte for byte",
      );
      await assert.rejects(
        Deno.stat(`${path}.mcp-audit.json`),
        Deno.errors.NotFound,
      );

      const bad = broken(c, text);
      await Deno.writeTextFile(path, bad);
      const files = names(folder);
      for (const mode of ["wrap", "unwrap"]) {
        const out = await cli(home, [mode, ...target]);
        assert.equal(out.code, 1, `${mode}: ${out.stdout}${out.stderr}`);
        assert.ok(out.stderr.includes(`${path}:`), out.stderr);
        assert.match(out.stderr, /does not parse.*Nothing was written/);
        assert.equal(await Deno.readTextFile(path), bad, `${mode} left it`);
        assert.deepEqual(names(folder), files, `${mode}: no backup, no record`);
      }
    },
  );
}

Deno.test("wrap refuses a file that does not parse, naming file, line and column, and leaves it untouched", async () => {
  await using dir = await tempDir();
  for (
    const [id, file, text, where] of [
      [
        "cursor",
        ".cursor/mcp.json",
        '{\n  "mcpServers": {\n    "a": { "command": "x" }\n    "b": {}\n  }\n}\n',
        ":4:5:",
      ],
      ["codex", ".codex/config.toml", '[mcp_servers.a]\ncommand = "x\n', ":2:"],
    ]
  ) {
    const path = `${dir.path}/${file}`;
    await Deno.mkdir(path.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(path, text);
    const out = await cli(dir.path, ["wrap", id]);
    assert.equal(out.code, 1);
    assert.ok(out.stderr.includes(`${path}${where}`), out.stderr);
    assert.match(out.stderr, /does not parse.*Nothing was written/);
    assert.equal(await Deno.readTextFile(path), text);
    assert.equal(
      [...Deno.readDirSync(path.replace(/\/[^/]+$/, ""))].length,
      1,
      "no backup, no record",
    );
  }
});

Deno.test("wrap refuses an entry wrapped by another tool, naming the tool; --server picks the others; the TOML entry it cannot edit is skipped with its reason", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/.cursor/mcp.json`;
  await Deno.mkdir(`${dir.path}/.cursor`);
  const text = `{ "mcpServers": {
  "gw": { "command": "docker", "args": ["mcp", "gateway", "run"] },
  "scan": { "command": "uvx", "args": ["mcp-scan@latest", "proxy"] },
  "fs": { "command": "npx", "args": ["-y", "fs"] }
} }
`;
  await Deno.writeTextFile(path, text);
  const out = await cli(dir.path, ["wrap", "cursor"]);
  assert.equal(out.code, 1);
  assert.match(
    out.stderr,
    /"gw" \(wrapped by Docker MCP gateway\), "scan" \(wrapped by mcp-scan/,
  );
  assert.equal(await Deno.readTextFile(path), text);
  const one = await cli(dir.path, ["wrap", "cursor", "--server", "fs"]);
  assert.equal(one.code, 0, one.stderr);
  const after = parseJsonc(await Deno.readTextFile(path)).mcpServers;
  assert.deepEqual(after.gw, {
    command: "docker",
    args: ["mcp", "gateway", "run"],
  });
  assert.ok(after.fs.args.includes("proxy"));

  const codex = `${dir.path}/.codex/config.toml`;
  await Deno.mkdir(`${dir.path}/.codex`);
  await Deno.writeTextFile(codex, CASES.find((c) => c.id === "codex")!.text);
  const dry = await cli(dir.path, [
    "wrap",
    "codex",
    "--server",
    "gh",
    "--dry-run",
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(
    dry.stdout,
    /skipped\s+gh: it takes headers from environment variables \(bearer_token_env_var\)/,
  );
});

Deno.test("wrap --all wraps every client config found and prints a table", async () => {
  await using dir = await tempDir();
  for (
    const c of CASES.filter((c) =>
      !c.project && (c.id === "cursor" || c.id === "windsurf")
    )
  ) {
    const path = `${dir.path}/${c.file}`;
    await Deno.mkdir(path.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(path, c.text);
  }
  const out = await cli(dir.path, ["wrap", "--all"]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^client\s+file\s+wrapped\s+unchanged\s+skipped$/m);
  const counts = BRIDGE ? "3\\s+0\\s+0" : "2\\s+0\\s+1";
  assert.match(
    out.stdout,
    new RegExp(`^cursor\\s+\\S+mcp\\.json\\s+${counts}$`, "m"),
  );
  assert.match(
    out.stdout,
    new RegExp(`^windsurf\\s+\\S+mcp_config\\.json\\s+${counts}$`, "m"),
  );
  assert.doesNotMatch(out.stdout, /^vscode/m);
});

Deno.test("unwrap restores the entries exactly and keeps what the user changed elsewhere in the file since", async () => {
  await using dir = await tempDir();
  const c = CASES[0];
  const path = `${dir.path}/${c.file}`;
  await Deno.mkdir(path.replace(/\/[^/]+$/, ""), { recursive: true });
  await Deno.writeTextFile(path, c.text);
  assert.equal((await cli(dir.path, ["wrap", c.id])).code, 0);
  const edit = (t: string): string =>
    t.replace('"globalShortcut": ""', '"globalShortcut": "Ctrl+Space"');
  await Deno.writeTextFile(path, edit(await Deno.readTextFile(path)));
  const out = await cli(dir.path, ["unwrap", c.id, "--server", "hr"]);
  assert.equal(out.code, 0, out.stderr);
  const text = await Deno.readTextFile(path);
  assert.ok(text.includes('"globalShortcut": "Ctrl+Space"'));
  assert.deepEqual(read(c, text).hr, read(c, c.text).hr);
  assert.ok(
    read(c, text).filesystem.args?.includes("proxy"),
    "the other entry stays wrapped",
  );
  assert.equal((await cli(dir.path, ["unwrap", c.id])).code, 0);
  assert.equal(await Deno.readTextFile(path), edit(c.text));
});

Deno.test("--project DIR wraps the project's config, and a client without a project scope says so", async () => {
  await using dir = await tempDir();
  const project = `${dir.path}/app`;
  await Deno.mkdir(`${project}/.vscode`, { recursive: true });
  const text =
    '{ "servers": { "fs": { "type": "stdio", "command": "npx", "args": ["-y", "fs"] } } }\n';
  await Deno.writeTextFile(`${project}/.vscode/mcp.json`, text);
  const out = await cli(dir.path, ["wrap", "vscode", "--project", project]);
  assert.equal(out.code, 0, out.stderr);
  assert.ok(out.stdout.includes(`VS Code: ${project}/.vscode/mcp.json`));
  const fs =
    parseJsonc(await Deno.readTextFile(`${project}/.vscode/mcp.json`)).servers
      .fs;
  assert.equal(fs.type, "stdio");
  assert.deepEqual(fs.args.slice(-6), [
    "--name",
    "fs",
    "--",
    "npx",
    "-y",
    "fs",
  ]);
  const status = await cli(dir.path, [
    "wrap",
    "--status",
    "--project",
    project,
  ]);
  assert.match(status.stdout, /fs: audited/);
  const windsurf = await cli(dir.path, [
    "wrap",
    "windsurf",
    "--project",
    project,
  ]);
  assert.equal(windsurf.code, 2);
  assert.match(windsurf.stderr, /Windsurf has no project-scope config/);
  const missing = await cli(dir.path, ["wrap", "cursor"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\.cursor\/mcp\.json: not found/);
});

/**
 * Remote entries started for real: the case (by label or id), the
 * environment variable its header names and the header value the server
 * demands once that variable is set.
 */
/** Cursor's and Windsurf's `${env:NAME}` in an arg, resolved as they resolve it at spawn. */
const envSyntax = (arg: string, env: Record<string, string>): string =>
  arg.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, n) => env[n] ?? "");

const REMOTES: {
  label: string;
  variable: string;
  /** The header the server demands, `Name: value`, given the token. */
  expect: (t: string) => string;
  /**
   * The client's own interpolation of args at spawn, where the proxy does
   * not know the syntax (Cursor's `${env:NAME}`); else the args go as
   * written and the bridge reads `${VAR}` from the environment.
   */
  interpolate?: (arg: string, env: Record<string, string>) => string;
}[] = [
  {
    label: "claude-desktop",
    variable: "LINEAR_TOKEN",
    expect: (t) => `Authorization: Bearer ${t}`,
  },
  {
    label: "gemini-cli",
    variable: "GITHUB_PAT",
    expect: (t) => `Authorization: ${t}`,
  },
  {
    label: "claude-code project .mcp.json",
    variable: "SENTRY_TOKEN",
    expect: (t) => `Authorization: Bearer ${t}`,
  },
  {
    label: "cursor",
    variable: "STRIPE_KEY",
    expect: (t) => `Authorization: Bearer ${t}`,
    interpolate: envSyntax,
  },
  {
    label: "windsurf",
    variable: "FIGMA_TOKEN",
    expect: (t) => `X-Figma-Token: ${t}`,
    interpolate: envSyntax,
  },
];

for (const { label, variable, expect, interpolate } of REMOTES) {
  Deno.test(`wrap ${label}: the wrapped remote entry, started as the client starts it, bridges to a local Streamable HTTP server with the \${VAR} header read from the environment at spawn, never written into the file`, async () => {
    await using dir = await tempDir();
    const home = dir.path;
    const record = `${home}/received.jsonl`;
    await Deno.writeTextFile(record, "");
    const token = "local_test_token_" + variable.toLowerCase();
    await using server = await spawnUntil(
      fixtureServer("recording_http_server.ts", record),
      /listening on (\d+)/,
      { REQUIRE_HEADER: expect(token) },
    );
    const url = `http://127.0.0.1:${server.match[1]}/mcp`;
    const c = CASES.find((c) => (c.label ?? c.id) === label)!;
    const text = c.text.replaceAll(REMOTE, url);
    const path = `${home}/${c.file}`;
    await Deno.mkdir(path.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(path, text);
    const target = c.project
      ? [c.id, "--project", `${home}/${c.project}`]
      : [c.id];
    const wrap = await cli(home, ["wrap", ...target, "--server", c.remote]);
    assert.equal(wrap.code, 0, wrap.stderr);
    const entry = read(c, await Deno.readTextFile(path))[c.remote];
    assert.ok(
      entry.args!.includes(c.header),
      "the reference stays in the file",
    );
    assert.ok(!(await Deno.readTextFile(path)).includes(token));

    // The server refuses a client without the credential (so the call below
    // succeeds only with the header the bridge built from the environment).
    assert.equal(
      (await fetch(url, { method: "POST", body: "{}" })).status,
      401,
    );
    const userEnv = { [variable]: token };
    const spawned = interpolate
      ? { ...entry, args: entry.args!.map((a) => interpolate(a, userEnv)) }
      : entry;
    await startAsClient(home, spawned, "query", userEnv);
    const calls = (await Deno.readTextFile(record)).split("\n").filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.deepEqual(calls.map((r) => r.name), ["query"]);
    const log = names(`${home}/logs`).find((n) =>
      new RegExp(`_${c.remote}_[0-9a-f]{8}\\.jsonl$`).test(n)
    );
    assert.ok(log, j(names(`${home}/logs`)));
    const logged = await Deno.readTextFile(`${home}/logs/${log}`);
    assert.match(logged, /"tools\/call".*"query"/);
    assert.ok(!logged.includes(token), "the credential is not in the log");
    const verify = await cli(home, ["verify", `${home}/logs/${log}`]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.ok(!(await Deno.readTextFile(path)).includes(token));
  });
}
