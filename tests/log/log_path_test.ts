import assert from "node:assert/strict";
import {
  defaultLogDir,
  latestLog,
  latestLogs,
  latestSession,
  type LogDirEnv,
  NoLogFoundError,
  orderLogFiles,
  sessionLogName,
} from "../../lib/log/log_path.ts";
import { cliArgs, tempDir } from "../_helpers.ts";

function env(os: LogDirEnv["os"], vars: Record<string, string>): LogDirEnv {
  return { os, get: (name) => vars[name] };
}

Deno.test("the default log directory follows each platform's convention, and MCP_AUDIT_LOG_DIR overrides it", () => {
  assert.equal(
    defaultLogDir(env("linux", { HOME: "/home/u", XDG_STATE_HOME: "/st" })),
    "/st/mcp-audit",
  );
  assert.equal(
    defaultLogDir(env("linux", { HOME: "/home/u" })),
    "/home/u/.local/state/mcp-audit",
  );
  // The XDG spec ignores a relative XDG_STATE_HOME.
  assert.equal(
    defaultLogDir(env("linux", { HOME: "/home/u", XDG_STATE_HOME: "st" })),
    "/home/u/.local/state/mcp-audit",
  );
  assert.equal(
    defaultLogDir(env("darwin", { HOME: "/Users/u", XDG_STATE_HOME: "/st" })),
    "/Users/u/Library/Logs/mcp-audit",
  );
  assert.equal(
    defaultLogDir(
      env("windows", { LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }),
    ),
    "C:\\Users\\u\\AppData\\Local\\mcp-audit\\logs",
  );
  assert.equal(
    defaultLogDir(env("windows", { USERPROFILE: "C:\\Users\\u" })),
    "C:\\Users\\u\\AppData\\Local\\mcp-audit\\logs",
  );
  assert.equal(defaultLogDir(env("freebsd", {})), "./.local/state/mcp-audit");
  for (const os of ["linux", "darwin", "windows"] as const) {
    assert.equal(
      defaultLogDir(env(os, { MCP_AUDIT_LOG_DIR: "/logs", HOME: "/h" })),
      "/logs",
    );
  }
});

Deno.test("a session's log is named by its start time, the server the command runs and the session id, safely", () => {
  const start = new Date("2026-11-25T10:00:00.123Z");
  const name = (command: string[]): string =>
    sessionLogName(command, start, "1a2b3c4d-5e6f");
  assert.equal(
    name(["/usr/bin/hr-server", "--port", "1"]),
    "2026-11-25T10-00-00-123Z_hr-server_1a2b3c4d.jsonl",
  );
  // Launchers are looked through to the package or script they run.
  assert.equal(
    name(["npx", "-y", "@acme/server"]).split("_")[1],
    "acme-server",
  );
  // A generic script name (main, index, server) says less than its folder.
  assert.equal(
    name(["deno", "run", "-A", "srv/main.ts"]).split("_")[1],
    "srv",
  );
  assert.equal(name(["python3", "C:\\mcp\\tool.py"]).split("_")[1], "tool");
  assert.equal(name(["uvx"]).split("_")[1], "uvx");
  // Nothing unsafe in a file name survives; an empty label falls back.
  assert.equal(name(["my server:v2*"]).split("_")[1], "my-server-v2");
  assert.equal(name(["???"]).split("_")[1], "server");
  assert.equal(name([]).split("_")[1], "server");
  assert.equal(name(["x".repeat(100)]).split("_")[1], "x".repeat(40));
  // Names sort by time.
  const earlier = sessionLogName(["b"], new Date("2026-01-02T00:00:00Z"), "z");
  const later = sessionLogName(["a"], new Date("2026-01-10T00:00:00Z"), "a");
  assert.deepEqual([later, earlier].sort(), [earlier, later]);
});

Deno.test("the latest log is the session that started last by its session_start, not by name, with its rotated parts in numeric order; other files are ignored", async () => {
  await using dir = await tempDir();
  const start = (session: string, ts: string): string =>
    `{"v":1,"seq":0,"ts":"${ts}","session":"${session}","kind":"session_start"}\n`;
  const files: Record<string, string> = {
    "2026-01-01T00-00-00-000Z_a_1.jsonl": start("a", "2026-01-01T00:00:00Z"),
    // Named as if newest; started before c.
    "2099-01-01T00-00-00-000Z_b_2.jsonl": start("b", "2026-02-01T00:00:00Z"),
    "2026-03-01T00-00-00-000Z_c_3.jsonl": start("c", "2026-03-01T00:00:00Z"),
    "2026-03-01T00-00-00-000Z_c_3.10.jsonl": "",
    "2026-03-01T00-00-00-000Z_c_3.2.jsonl": "",
    "2026-04-01T00-00-00-000Z_d_4.txt": start("d", "2026-04-01T00:00:00Z"),
    // A part without its first file is a session of its own; without a
    // session_start it counts by when it was modified.
    "2026-00-orphan.2.jsonl": "",
  };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir.path}/${name}`, text);
  }
  await Deno.utime(`${dir.path}/2026-00-orphan.2.jsonl`, 0, 0);
  await Deno.mkdir(`${dir.path}/2026-05-01T00-00-00-000Z_dir.jsonl`);
  const c = "2026-03-01T00-00-00-000Z_c_3";
  assert.deepEqual(await latestLogs(dir.path), [
    `${dir.path}/${c}.jsonl`,
    `${dir.path}/${c}.2.jsonl`,
    `${dir.path}/${c}.10.jsonl`,
  ]);
  assert.equal(await latestLog(dir.path), `${dir.path}/${c}.jsonl`);
  const latest = await latestSession(dir.path);
  assert.equal(latest.session, "c");
  assert.equal(latest.start, "2026-03-01T00:00:00Z");
  assert.equal(latest.by, "session_start");
  // A file without a session_start modified after c started is newer.
  await Deno.utime(
    `${dir.path}/2026-00-orphan.2.jsonl`,
    new Date("2026-03-02T00:00:00Z"),
    new Date("2026-03-02T00:00:00Z"),
  );
  const orphan = await latestSession(dir.path);
  assert.deepEqual(orphan.paths, [`${dir.path}/2026-00-orphan.2.jsonl`]);
  assert.equal(orphan.by, "modified");
  assert.equal(orphan.modified, "2026-03-02T00:00:00.000Z");
});

Deno.test("no log found: an empty or missing directory is a NoLogFoundError naming it", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/notes.txt`, "");
  for (const where of [dir.path, `${dir.path}/missing`]) {
    const error = await latestLog(where).catch((e) => e);
    assert.ok(error instanceof NoLogFoundError);
    assert.ok(error.message.includes(`"${where}"`), error.message);
  }
});

Deno.test("rotated parts given in any order are put in order, each session where it first appeared", () => {
  assert.deepEqual(
    orderLogFiles([
      "d/b.3.jsonl",
      "d/a.10.jsonl",
      "d/b.jsonl",
      "d/a.jsonl",
      "d/a.2.jsonl",
      "d/b.2.jsonl",
      "d/x.5.jsonl",
    ]),
    [
      "d/b.jsonl",
      "d/b.2.jsonl",
      "d/b.3.jsonl",
      "d/a.jsonl",
      "d/a.2.jsonl",
      "d/a.10.jsonl",
      // A part whose first file is not given is a log of its own.
      "d/x.5.jsonl",
    ],
  );
  assert.deepEqual(orderLogFiles([]), []);
});

Deno.test("logs of node servers are named by their package under node_modules, or by their folder for index.js", () => {
  const at = new Date(0);
  const cases: [string[], string][] = [
    [
      [
        "node",
        "/usr/lib/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js",
        "/srv",
      ],
      "modelcontextprotocol-server-filesystem",
    ],
    [
      ["node", "C:\\npm\\node_modules\\mcp-weather\\build\\index.js"],
      "mcp-weather",
    ],
    [["node", "/home/me/src/jira-mcp/build/index.js"], "jira-mcp"],
    [["node", "/home/me/tools/server.js"], "tools"],
    [["node", "/home/me/tools/hr_server.js"], "hr_server"],
    [["npx", "-y", "@acme/server"], "acme-server"],
    // A secret flag's value never names the file: file names are not redacted.
    [["npx", "--token", "ghp_abcdefghijklmnop", "@acme/server"], "acme-server"],
    [["uvx", "--api-key", "sk-live-123", "weather-mcp"], "weather-mcp"],
    [["deno", "run", "-A", "API_KEY=sk-1", "srv/weather.ts"], "weather"],
  ];
  for (const [command, label] of cases) {
    assert.equal(
      sessionLogName(command, at, "abcdef12"),
      `1970-01-01T00-00-00-000Z_${label}_abcdef12.jsonl`,
      command.join(" "),
    );
  }
});

Deno.test("a --log into a directory that does not exist creates it and says so once on stderr", async () => {
  const root = await Deno.makeTempDir({ prefix: "mcp-audit-logdir-" });
  try {
    const run = async (log: string): Promise<string> => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: cliArgs(["proxy", "--log", log, "--", "true"]),
        stdin: "null",
      }).output();
      assert.equal(out.code, 0);
      return new TextDecoder().decode(out.stderr);
    };
    const first = await run(`${root}/not/yet/a.jsonl`);
    assert.match(
      first,
      new RegExp(`created the log directory "${root}/not/yet"`),
    );
    assert.equal((await Deno.stat(`${root}/not/yet`)).mode! & 0o777, 0o700);
    const second = await run(`${root}/not/yet/b.jsonl`);
    assert.doesNotMatch(second, /created the log directory/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the latest session of one server is found by the name proxy --name gave its log, not by a longer name that starts the same", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const start = (ts: string, id: string): string =>
      `{"v":1,"seq":0,"ts":"${ts}","session":"${id}","kind":"session_start"}\n`;
    const hr = sessionLogName(["deno"], new Date(0), "aaaaaaaa", "hr");
    const hrServer = sessionLogName(
      ["deno"],
      new Date(0),
      "bbbbbbbb",
      "hr_server",
    );
    await Deno.writeTextFile(
      `${dir}/${hr}`,
      start("2026-01-01T00:00:00.000Z", "a"),
    );
    await Deno.writeTextFile(
      `${dir}/${hrServer}`,
      start("2026-02-01T00:00:00.000Z", "b"),
    );
    const latest = await latestSession(dir, { server: "hr" });
    assert.equal(latest.session, "a");
    assert.equal((await latestSession(dir)).session, "b");
    await assert.rejects(latestSession(dir, { server: "fs" }), NoLogFoundError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
