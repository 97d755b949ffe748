/**
 * Where each client's user config is on Linux, macOS and Windows, as its
 * documentation says (see the source comment of each client's file), and
 * the TOML span edits on the shapes Codex files take.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { clientById, CLIENTS } from "../../lib/clients/clients.ts";
import type { ClientEnv } from "../../lib/clients/client.ts";
import { setTomlCommand, tomlEntries } from "../../lib/clients/toml_config.ts";
import { unifiedDiff } from "../../lib/clients/_unified_diff.ts";

const VARS: Record<string, Record<string, string>> = {
  linux: { HOME: "/home/ada" },
  darwin: { HOME: "/Users/ada" },
  windows: {
    USERPROFILE: "C:\\Users\\ada",
    APPDATA: "C:\\Users\\ada\\AppData\\Roaming",
  },
};
function env(
  os: ClientEnv["os"],
  more: Record<string, string> = {},
): ClientEnv {
  return { os, get: (k) => ({ ...VARS[os], ...more })[k] };
}

const EXPECTED: Record<string, [string, string, string]> = {
  "claude-desktop": [
    "/home/ada/.config/Claude/claude_desktop_config.json",
    "/Users/ada/Library/Application Support/Claude/claude_desktop_config.json",
    "C:\\Users\\ada\\AppData\\Roaming\\Claude\\claude_desktop_config.json",
  ],
  "claude-code": [
    "/home/ada/.claude.json",
    "/Users/ada/.claude.json",
    "C:\\Users\\ada\\.claude.json",
  ],
  vscode: [
    "/home/ada/.config/Code/User/mcp.json",
    "/Users/ada/Library/Application Support/Code/User/mcp.json",
    "C:\\Users\\ada\\AppData\\Roaming\\Code\\User\\mcp.json",
  ],
  cursor: [
    "/home/ada/.cursor/mcp.json",
    "/Users/ada/.cursor/mcp.json",
    "C:\\Users\\ada\\.cursor\\mcp.json",
  ],
  windsurf: [
    "/home/ada/.codeium/windsurf/mcp_config.json",
    "/Users/ada/.codeium/windsurf/mcp_config.json",
    "C:\\Users\\ada\\.codeium\\windsurf\\mcp_config.json",
  ],
  "gemini-cli": [
    "/home/ada/.gemini/settings.json",
    "/Users/ada/.gemini/settings.json",
    "C:\\Users\\ada\\.gemini\\settings.json",
  ],
  codex: [
    "/home/ada/.codex/config.toml",
    "/Users/ada/.codex/config.toml",
    "C:\\Users\\ada\\.codex\\config.toml",
  ],
};

Deno.test("each client's user config is where its documentation puts it on Linux, macOS and Windows", () => {
  assert.deepEqual(
    CLIENTS.map((c) => c.id).sort(),
    Object.keys(EXPECTED).sort(),
  );
  for (const c of CLIENTS) {
    const got = (["linux", "darwin", "windows"] as const).map((os) =>
      c.userFile(env(os))
    );
    assert.deepEqual(got, EXPECTED[c.id], c.id);
    assert.ok(
      c.docs.length > 0 && c.docs.every((d) => d.startsWith("https://")),
      c.id,
    );
  }
  assert.equal(
    clientById("codex")!.userFile(env("linux", { CODEX_HOME: "/srv/codex" })),
    "/srv/codex/config.toml",
  );
  assert.equal(
    clientById("vscode")!.userFile(env("linux", { XDG_CONFIG_HOME: "/xdg" })),
    "/xdg/Code/User/mcp.json",
  );
  assert.equal(clientById("windsurf")!.projectFile, undefined);
  assert.equal(clientById("claude-code")!.projectFile!("/p"), "/p/.mcp.json");
});

Deno.test("TOML tables with quoted names, strings holding # and ], comments inside arrays and sub-tables are edited on their spans only", () => {
  const codex = clientById("codex")!;
  const text = `# top
[mcp_servers."my server"] # quoted
command = 'C:\\tools\\srv.exe' # literal string
args = [ # the args
  "--tag=#1]",   # not a comment inside the string
  """multi
line""",
]
startup_timeout_sec = 20 # ]

[mcp_servers."my server".env]
A = "1"
X = "]"

[mcp_servers.plain]
command = "npx"
`;
  const { spans, unsupported } = tomlEntries(text, "config.toml", codex);
  assert.deepEqual(unsupported, []);
  assert.deepEqual(spans.map((s) => s.entry.name), ["my server", "plain"]);
  assert.deepEqual(spans[0].entry.args, ["--tag=#1]", "multi\nline"]);
  const out = setTomlCommand(
    text,
    spans[0],
    { command: "/bin/mcp-audit", args: ["proxy", "--", "C:\\tools\\srv.exe"] },
    codex,
  );
  const parsed = parse(out) as {
    mcp_servers: Record<string, Record<string, unknown>>;
  };
  assert.deepEqual(parsed.mcp_servers["my server"].args, [
    "proxy",
    "--",
    "C:\\tools\\srv.exe",
  ]);
  assert.deepEqual({ ...parsed.mcp_servers["my server"].env as object }, {
    X: "]",
    A: "1",
  });
  assert.deepEqual({ ...parsed.mcp_servers.plain }, { command: "npx" });
  assert.ok(
    out.startsWith(
      '# top\n[mcp_servers."my server"] # quoted\ncommand = "/bin/mcp-audit" # literal string\nargs = ["proxy", "--", "C:\\\\tools\\\\srv.exe"]\nstartup_timeout_sec = 20 # ]\n',
    ),
  );
  // An entry without args gets an args line after its command.
  const plain = tomlEntries(out, "config.toml", codex).spans[1];
  const out2 = setTomlCommand(out, plain, {
    command: "/bin/mcp-audit",
    args: ["proxy"],
  }, codex);
  assert.ok(
    out2.endsWith(
      '[mcp_servers.plain]\ncommand = "/bin/mcp-audit"\nargs = ["proxy"]\n',
    ),
  );
});

Deno.test("a TOML server written inline is left alone and said so", () => {
  const { spans, unsupported } = tomlEntries(
    'mcp_servers.inline = { command = "npx" }\n',
    "config.toml",
    clientById("codex")!,
  );
  assert.equal(spans.length, 0);
  assert.match(unsupported[0].reason, /\[mcp_servers\.inline\] table/);
});

Deno.test("the dry run's diff has one hunk per change, with three lines of context", () => {
  const before = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n") +
    "\n";
  const after = before.replace("line 2\n", "LINE 2\n").replace("line 17\n", "");
  const diff = unifiedDiff(before, after, "f");
  assert.equal(diff.match(/^@@/gm)?.length, 2);
  assert.match(diff, /^@@ -1,6 \+1,6 @@$/m);
  assert.match(diff, /^@@ -15,6 \+15,5 @@$/m);
  assert.match(diff, /^-line 17$/m);
  assert.equal(unifiedDiff(before, before, "f"), "");
});
