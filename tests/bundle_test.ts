/**
 * The release artifacts: the single-file bundle (what `deno task compile`
 * embeds in the binary) runs with no deno.json or node_modules around, custom
 * plugins load into it as the README says, and install.sh installs a binary
 * only when its SHA-256 matches the release's SHA256SUMS.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  fixtureServer,
  PROXY_FLAGS,
  readEvents,
  sha256,
  tempDir,
  V8_FLAGS,
} from "./_helpers.ts";
import type { RequestEvent } from "../lib/audit/event.ts";
import { VERSION } from "../lib/util/version.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Builds the bundle with the `bundle` task's own command, into `out`. */
async function buildBundle(out: string): Promise<void> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const command: string = config.tasks.bundle.command;
  // The task's first command builds the CLI's bundle (the second, the hook client).
  const args = command.split(" && ")[0].split(" ").slice(1)
    .map((a) => a === "dist/mcp-audit.js" ? out : a);
  assert.ok(args.includes(out), `the bundle task writes dist/mcp-audit.js`);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, decoder.decode(stderr));
}

/** Runs `deno run <bundle> args` in `cwd` with the binary's permissions. */
async function runBundle(
  bundle: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...PROXY_FLAGS, bundle, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/**
 * One MCP session through the bundled proxy against the scripted server:
 * initialize, then `tools/call echo`, then stdin closes.
 */
async function echoSession(
  bundle: string,
  cwd: string,
  proxyArgs: string[],
): Promise<{ code: number; stderr: string; replies: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...PROXY_FLAGS,
      bundle,
      "proxy",
      "--quiet",
      ...proxyArgs,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ],
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = [
    {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "bundle-test", version: "1" },
      },
    },
    { jsonrpc: "2.0", method: "notifications/initialized" },
    {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "echo", arguments: { text: "hello E042" } },
    },
  ];
  const writer = child.stdin.getWriter();
  // A proxy that refuses to start closes its stdin; that is a result, not an error.
  await writer.write(
    encoder.encode(lines.map((l) => JSON.stringify(l)).join("\n") + "\n"),
  ).catch(() => {});
  // Wait for the tool's reply before closing, as a client would.
  let replies = "";
  for await (const chunk of child.stdout) {
    replies += decoder.decode(chunk);
    if (replies.includes('"id":2')) break;
  }
  await writer.close().catch(() => {});
  const { code } = await child.status;
  return { code, stderr: await stderr, replies };
}

const toolCalls = (events: { kind: string; method?: string }[]) =>
  events.filter((e) =>
    e.kind === "request" && e.method === "tools/call"
  ) as RequestEvent[];

Deno.test("the bundle is one self-contained file that proxies, inits and reports from a directory with no deno.json", async () => {
  await using dir = await tempDir();
  const bundle = `${dir.path}/mcp-audit.js`;
  await buildBundle(bundle);
  const text = await Deno.readTextFile(bundle);
  // Only Node built-ins stay imports; npm packages and lazy lib/ imports are inlined.
  const imports = [...text.matchAll(/^import .* from "([^"]+)";$/gm)]
    .map((m) => m[1]);
  assert.ok(imports.length > 0);
  assert.deepEqual(imports.filter((s) => !s.startsWith("node:")), []);
  assert.doesNotMatch(text, /\bimport\(\s*["'`]/);

  const work = `${dir.path}/work`;
  await Deno.mkdir(work);
  const version = await runBundle(bundle, ["--version"], work);
  assert.equal(version.stdout.trim(), `mcp-audit ${VERSION}`);

  const init = await runBundle(bundle, ["init"], work);
  assert.equal(init.code, 0, init.stderr);
  assert.match(
    await Deno.readTextFile(`${work}/mcp-audit.jsonc`),
    /"rules"/,
  );

  const log = `${work}/s.jsonl`;
  const session = await echoSession(bundle, work, ["--log", log]);
  assert.equal(session.code, 0, session.stderr);
  assert.match(session.replies, /hello E042/);
  const { events } = await readEvents(log);
  assert.equal(toolCalls(events).length, 1);
  assert.ok(events.some((e) => e.kind === "session_end"));

  const report = await runBundle(bundle, [
    "report",
    log,
    "-o",
    "r.html",
  ], work);
  assert.equal(report.code, 0, report.stderr);
  const html = await Deno.readTextFile(`${work}/r.html`);
  assert.match(html, /^<!DOCTYPE html>/i);
  assert.match(html, /echo/);
});

Deno.test("custom plugins load into the bundle when they import nothing or only npm: packages; one importing mod.ts needs the checkout's deno.json", async () => {
  await using dir = await tempDir();
  const bundle = `${dir.path}/mcp-audit.js`;
  await buildBundle(bundle);
  const work = `${dir.path}/work`;
  await Deno.mkdir(work);
  const modTs = new URL("../mod.ts", import.meta.url).href;
  // No runtime imports: types come from mod.ts through `import type`, which is erased.
  await Deno.writeTextFile(
    `${work}/plain_plugin.ts`,
    `import type { Plugin } from "${modTs}";
export default {
  name: "plain",
  onToolCall(call) {
    if (call.phase === "request") return { classes: ["PLAIN"] };
  },
} satisfies Plugin;
`,
  );
  // Options checked by its own zod, imported by npm: specifier.
  await Deno.writeTextFile(
    `${work}/npm_plugin.ts`,
    `import { z } from "npm:zod@4.6.7";
let label = "";
export default {
  name: "npm-zod",
  options: z.object({ label: z.string().regex(/^[A-Z]+$/) }),
  setup(options: { label: string }) {
    label = options.label;
  },
  onToolCall(call: { phase: string }) {
    if (call.phase === "request") return { classes: [label] };
  },
};
`,
  );
  // Like examples/plugins/hr_departments.ts: mod.ts by path, which imports "zod" through the import map.
  await Deno.writeTextFile(
    `${work}/mod_plugin.ts`,
    `import { definePlugin } from "${modTs}";
export default definePlugin({
  name: "mod-importer",
  onToolCall(call) {
    if (call.phase === "request") return { classes: ["FROM_MOD"] };
  },
});
`,
  );
  const config = (plugins: unknown[]) =>
    JSON.stringify({ rules: { sensitive: ["echo"] }, plugins });

  await Deno.writeTextFile(
    `${work}/ok.jsonc`,
    config([
      "sensitivity",
      "./plain_plugin.ts",
      { use: "./npm_plugin.ts", options: { label: "NPMZOD" } },
    ]),
  );
  const log = `${work}/ok.jsonl`;
  const ok = await echoSession(bundle, work, [
    "--config",
    "ok.jsonc",
    "--log",
    log,
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  const [call] = toolCalls((await readEvents(log)).events);
  assert.deepEqual(
    (call.classes ?? []).map((c) => c.label).sort(),
    ["NPMZOD", "PLAIN", "SENSITIVE"],
  );

  // The plugin's own zod schema rejects bad options before the server starts.
  await Deno.writeTextFile(
    `${work}/bad.jsonc`,
    config([{ use: "./npm_plugin.ts", options: { label: "lower" } }]),
  );
  const bad = await echoSession(bundle, work, [
    "--config",
    "bad.jsonc",
    "--log",
    `${work}/bad.jsonl`,
  ]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /Cannot load plugin "\.\/npm_plugin\.ts": invalid options at "label"/,
  );

  // Away from the checkout, mod.ts's bare imports ("zod", "preact-render-to-string")
  // have no import map to resolve them.
  await Deno.writeTextFile(`${work}/mod.jsonc`, config(["./mod_plugin.ts"]));
  const away = await echoSession(bundle, work, [
    "--config",
    "mod.jsonc",
    "--log",
    `${work}/away.jsonl`,
  ]);
  assert.equal(away.code, 1);
  assert.match(
    away.stderr,
    /Cannot load plugin "\.\/mod_plugin\.ts": importing "file:.*mod_plugin\.ts" failed: Import "[^"]+" not a dependency/,
  );
  assert.equal(away.replies, "", "the server is never started");

  // Deno finds deno.json from the main module's directory: a bundle inside
  // the checkout (dist/) gets its import map, whatever the working directory.
  await Deno.mkdir(`${ROOT}dist`, { recursive: true });
  const inside = await Deno.makeTempDir({ dir: `${ROOT}dist` });
  try {
    await Deno.copyFile(bundle, `${inside}/mcp-audit.js`);
    const modLog = `${work}/inside.jsonl`;
    const near = await echoSession(`${inside}/mcp-audit.js`, work, [
      "--config",
      "mod.jsonc",
      "--log",
      modLog,
    ]);
    assert.equal(near.code, 0, near.stderr);
    const [modCall] = toolCalls((await readEvents(modLog)).events);
    assert.deepEqual((modCall.classes ?? []).map((c) => c.label), [
      "FROM_MOD",
    ]);
  } finally {
    await Deno.remove(inside, { recursive: true });
  }
});

// ---------------------------------------------------------------- install.sh

const INSTALL_SH = `${ROOT}install.sh`;

/** The release asset install.sh picks on this machine. */
function assetName(): string {
  const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  const os = Deno.build.os === "darwin" ? "apple-darwin" : "unknown-linux-gnu";
  return `mcp-audit-${arch}-${os}`;
}

/** A fake release directory: a tiny "binary" and its SHA256SUMS line. */
async function fakeRelease(
  dir: string,
  options: { tamper?: boolean; omit?: boolean } = {},
): Promise<Uint8Array> {
  const release = `${dir}/release`;
  await Deno.mkdir(release);
  const binary = encoder.encode(
    `#!/bin/sh\necho "mcp-audit 0.0.0-fake"\n`,
  );
  await Deno.writeFile(`${release}/${assetName()}`, binary);
  const sum = await sha256(binary);
  const lines = [
    `${"0".repeat(64)}  mcp-audit-other-target`,
    options.omit
      ? ""
      : `${
        options.tamper ? sum.replace(/^./, (c) => c === "0" ? "1" : "0") : sum
      }  ${assetName()}`,
  ];
  await Deno.writeTextFile(`${release}/SHA256SUMS`, lines.join("\n") + "\n");
  return binary;
}

async function runInstall(
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await new Deno.Command("sh", {
    args: [INSTALL_SH],
    env: { ...env, MCP_AUDIT_REPO: "example/mcp-audit" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, stderr: decoder.decode(stderr) };
}

const unix = Deno.build.os === "linux" || Deno.build.os === "darwin";

Deno.test({
  name: "install.sh is valid POSIX sh",
  ignore: !unix,
  async fn(): Promise<void> {
    const { code, stderr } = await new Deno.Command("sh", {
      args: ["-n", INSTALL_SH],
      stderr: "piped",
    }).output();
    assert.equal(code, 0, decoder.decode(stderr));
  },
});

Deno.test({
  name:
    "install.sh installs the binary for this OS and CPU from a file:// release when its checksum matches",
  ignore: !unix,
  async fn(): Promise<void> {
    await using dir = await tempDir();
    const binary = await fakeRelease(dir.path);
    const bin = `${dir.path}/bin`;
    const { code, stderr } = await runInstall({
      MCP_AUDIT_BASE_URL: `file://${dir.path}/release`,
      MCP_AUDIT_INSTALL_DIR: bin,
    });
    assert.equal(code, 0, stderr);
    assert.deepEqual(await Deno.readFile(`${bin}/mcp-audit`), binary);
    assert.equal((await Deno.stat(`${bin}/mcp-audit`)).mode! & 0o111, 0o111);
    const out = await new Deno.Command(`${bin}/mcp-audit`, {
      args: ["--version"],
    }).output();
    assert.equal(decoder.decode(out.stdout).trim(), "mcp-audit 0.0.0-fake");
  },
});

Deno.test({
  name:
    "install.sh refuses a binary whose checksum does not match, or that SHA256SUMS does not list, and installs nothing",
  ignore: !unix,
  async fn(): Promise<void> {
    for (const options of [{ tamper: true }, { omit: true }]) {
      await using dir = await tempDir();
      await fakeRelease(dir.path, options);
      const bin = `${dir.path}/bin`;
      // A plain directory works as the base too.
      const { code, stderr } = await runInstall({
        MCP_AUDIT_BASE_URL: `${dir.path}/release`,
        MCP_AUDIT_INSTALL_DIR: bin,
      });
      assert.equal(code, 1);
      assert.match(
        stderr,
        options.tamper
          ? /checksum mismatch for mcp-audit-\S+: expected [0-9a-f]{64}, got [0-9a-f]{64}; not installing/
          : /SHA256SUMS has no line for mcp-audit-\S+; not installing/,
      );
      await assert.rejects(Deno.stat(`${bin}/mcp-audit`), Deno.errors.NotFound);
    }
  },
});

Deno.test({
  name:
    "the release workflow is valid YAML that builds the five targets on a v* tag",
  // PyYAML is the parser at hand; JSR's @std/yaml is out of reach.
  ignore: !unix ||
    (await new Deno.Command("python3", {
      args: ["-c", "import yaml"],
      stderr: "null",
    }).output().then((o) => o.code !== 0, () => true)),
  async fn(): Promise<void> {
    const { code, stdout, stderr } = await new Deno.Command("python3", {
      args: [
        "-c",
        "import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1])); d['on'] = d.pop(True, d.get('on')); print(json.dumps(d))",
        `${ROOT}.github/workflows/release.yml`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, decoder.decode(stderr));
    const workflow = JSON.parse(decoder.decode(stdout));
    assert.deepEqual(workflow.on, { push: { tags: ["v*"] } });
    const steps: { run?: string }[] = workflow.jobs.release.steps;
    const runs = steps.map((s) => s.run ?? "").join("\n");
    assert.match(runs, /deno task compile:all/);
    assert.match(runs, /sha256sum .* > SHA256SUMS/);
    const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
    const targets = [
      ...tasks["compile:all"].command.matchAll(/--target (\S+)/g),
    ].map((m) => m[1]).sort();
    assert.deepEqual(targets, [
      "aarch64-apple-darwin",
      "aarch64-unknown-linux-gnu",
      "x86_64-apple-darwin",
      "x86_64-pc-windows-msvc",
      "x86_64-unknown-linux-gnu",
    ]);
    // Network is granted as a whole (HTTP upstreams, ship, OTLP), but never
    // every permission at once.
    assert.doesNotMatch(tasks["compile:all"].command, /-A\b|--allow-all/);
    assert.doesNotMatch(tasks.compile.command, /-A\b|--allow-all/);
  },
});

Deno.test("the binary, the installed command, the bundle's shebang and the demo run with the flags the tests run the proxy with", async () => {
  const flags = PROXY_FLAGS.join(" ");
  const firstLine = (await Deno.readTextFile(`${ROOT}cli.ts`)).split("\n")[0];
  assert.equal(firstLine, `#!/usr/bin/env -S deno run ${flags}`);
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  for (const task of ["compile", "compile:all"]) {
    const compiles = (tasks[task].command as string).split("&&");
    for (const compile of compiles) {
      assert.ok(compile.includes(`--no-config ${flags} `), compile);
    }
  }
  // The README's commands, with their line continuations joined.
  const readme = (await Deno.readTextFile(`${ROOT}README.md`))
    .replaceAll("\\\n", " ").replace(/ +/g, " ");
  for (const command of ["deno install -g", "deno compile --no-config"]) {
    const lines = readme.split("\n").filter((l) => l.startsWith(command));
    assert.ok(lines.length > 0, command);
    for (const line of lines) assert.ok(line.includes(flags), line);
  }
  assert.ok(readme.includes(`deno run ${flags} mcp-audit.js proxy`));
  assert.ok(
    (await Deno.readTextFile(`${ROOT}demo/run.ts`)).includes(V8_FLAGS),
    "demo/run.ts starts the proxy with the V8 flag",
  );
});

Deno.test("a binary's own entry file compiles a custom plugin in: bundled, it runs anywhere and the config names the plugin", async () => {
  await using dir = await tempDir();
  const bundle = `${dir.path}/my-mcp-audit.js`;
  const built = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=deno",
      "-o",
      bundle,
      new URL("./fixtures/custom_cli.ts", import.meta.url).pathname,
    ],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
  await Deno.writeTextFile(
    `${dir.path}/mcp-audit.jsonc`,
    `{ "plugins": ["sensitivity", "payroll-tagger"] }`,
  );
  // Run from a directory with no deno.json: only what the bundle carries is there.
  const proxy = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PROXY_FLAGS,
      bundle,
      "proxy",
      "--quiet",
      "--log",
      "s.jsonl",
      "--",
      "cat",
    ],
    cwd: dir.path,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = proxy.stdin.getWriter();
  await writer.write(new TextEncoder().encode(
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_pay_info","arguments":{}}}\n',
  ));
  await writer.close();
  const status = await proxy.output();
  assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
  const first = (await Deno.readTextFile(`${dir.path}/s.jsonl`)).split("\n")
    .map((l) => l && JSON.parse(l))
    .find((e) => e && e.kind === "request");
  assert.deepEqual(first.classes, [{
    label: "PAYROLL",
    source: "payroll-tagger",
  }]);
});
