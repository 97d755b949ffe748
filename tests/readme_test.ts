/**
 * Every command in the README's `sh` blocks is one a user can paste: this
 * test extracts them and runs each, in order, in a copy of the checkout, as a
 * user who ran the first screen's `npx -y deno@2.9.6 task install` (so
 * `mcp-audit` is the installed launcher, found on PATH; it and whatever else
 * the commands install or log go to temporary directories). Each must exit 0, or the status its comment names
 * ("exits 1"). Files the README shows in ```ts blocks headed `// name.ts` are
 * written first, as a reader following the README would.
 *
 * Not run, each shown as an ignored step with its reason:
 * - lines marked `# needs network` (only `sh -n` checks their syntax);
 * - the long task commands in {@linkcode LONG}: `task test` would run this
 *   test inside itself.
 *
 * Commands that start with `deno` are for a user with Deno on PATH (the
 * README says so); a `deno` there is this Deno.
 *
 * @module
 */
import assert from "node:assert/strict";
import { copyCheckout, ROOT, run, userEnv } from "./tools/_checkout.ts";
import { tempDir } from "./_helpers.ts";
import { VERSION } from "../lib/util/version.ts";

/** The first screen's install command, run before every other command. */
const INSTALL = "npx -y deno@2.9.6 task install";

/** Commands not re-run here, and why. The README marks each "(long)". */
const LONG: Record<string, string> = {
  "npx -y deno@2.9.6 task test":
    "runs the whole test suite, this test among it (.ci/run runs it)",
};

/** One command of an `sh` block: its text (continuations joined), its line. */
interface ReadmeCommand {
  text: string;
  line: number;
}

/** The commands of every ```sh block, and the files of headed ```ts blocks. */
function readmeParts(
  readme: string,
): { commands: ReadmeCommand[]; files: Map<string, string> } {
  const commands: ReadmeCommand[] = [];
  const files = new Map<string, string>();
  const lines = readme.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const fence = lines[i].match(/^```(\w+)$/);
    if (!fence) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== "```") end++;
    const body = lines.slice(start, end);
    if (fence[1] === "sh") {
      for (let j = 0; j < body.length; j++) {
        const line = start + j + 1;
        let text = body[j];
        while (text.endsWith("\\") && j + 1 < body.length) {
          text = `${text.slice(0, -1)}${body[++j].trimStart()}`;
        }
        if (text.trim() !== "" && !text.trimStart().startsWith("#")) {
          commands.push({ text, line });
        }
      }
    } else if (fence[1] === "ts") {
      const name = body[0]?.match(/^\/\/ ([\w.-]+\.ts)$/)?.[1];
      if (name) files.set(name, body.join("\n") + "\n");
    }
    i = end;
  }
  return { commands, files };
}

/** The comment after a command: what follows its last ` # `. */
function commentOf(text: string): string {
  const at = text.lastIndexOf(" # ");
  return at < 0 ? "" : text.slice(at + 3);
}

const readme = await Deno.readTextFile(`${ROOT}README.md`);
const { commands, files } = readmeParts(readme);

Deno.test("the README's install commands hold no placeholder, and the first screen has the install beside the demo and the tests", async () => {
  const firstScreen = readme.split("\n").slice(0, 20).join("\n");
  for (
    const command of [
      "npx -y deno@2.9.6 task demo",
      "npx -y deno@2.9.6 task test",
      INSTALL,
    ]
  ) {
    assert.ok(firstScreen.includes(`\n${command} `), command);
  }
  const installSh = await Deno.readTextFile(`${ROOT}install.sh`);
  for (
    const [name, text] of [["README.md", readme], ["install.sh", installSh]]
  ) {
    assert.doesNotMatch(text, /\bOWNER\b/, name);
  }
  for (const { text, line } of commands) {
    const command = text.split(" # ")[0];
    assert.doesNotMatch(command, /my-server|<[a-z-]+>/, `README.md:${line}`);
  }
  assert.ok(commands.length >= 15, `found ${commands.length} commands`);
  for (const command of Object.keys(LONG)) {
    const found = commands.find((c) => c.text.startsWith(`${command} `));
    assert.ok(found, `README has "${command}"`);
    assert.match(commentOf(found.text), /\(long\)/, found.text);
  }
});

Deno.test({
  name:
    "every command in the README's sh blocks runs as written, in a checkout, with the installed mcp-audit on PATH",
  ignore: Deno.build.os === "windows",
  async fn(t): Promise<void> {
    await using dir = await tempDir();
    const checkout = `${dir.path}/mcp-audit`;
    const shim = `${dir.path}/deno-on-path`;
    await copyCheckout(checkout);
    await Deno.mkdir(shim);
    await Deno.symlink(Deno.execPath(), `${shim}/deno`);
    for (const [name, text] of files) {
      await Deno.writeTextFile(`${checkout}/${name}`, text);
    }
    // The user's own HOME, so that what the demo's MCP client starts (the SDK
    // passes on HOME and PATH but not DENO_DIR) finds Deno's cache; all that
    // the commands install or log goes to temporary directories instead.
    const bin = `${dir.path}/bin`;
    const env = await userEnv(Deno.env.get("HOME") ?? dir.path, {
      MCP_AUDIT_INSTALL_DIR: bin,
      XDG_DATA_HOME: `${dir.path}/data`,
      XDG_STATE_HOME: `${dir.path}/state`,
      DENO_INSTALL_ROOT: `${dir.path}/deno-install`,
      PATH: `${bin}:${shim}:${Deno.env.get("PATH") ?? ""}`,
      npm_config_update_notifier: "false",
    });

    // The first screen's 30-second path (wrap, tail, report) runs as a
    // Claude Desktop user would: a HOME holding the example client config,
    // and the sessions the demo logged just before as the log directory.
    const thirtySeconds = commands.filter((c) =>
      /^mcp-audit (wrap claude-desktop|tail -f --latest|report --since 24h) /
        .test(c.text)
    );
    const clientHome = `${dir.path}/client-home`;
    await Deno.mkdir(`${clientHome}/.config/Claude`, { recursive: true });
    await Deno.copyFile(
      `${ROOT}examples/clients/claude_desktop_config.json`,
      `${clientHome}/.config/Claude/claude_desktop_config.json`,
    );
    const clientEnv = {
      ...env,
      HOME: clientHome,
      MCP_AUDIT_LOG_DIR: `${checkout}/demo-output`,
    };

    const install = commands.find((c) => c.text.startsWith(`${INSTALL} `));
    assert.ok(install, `the README has "${INSTALL}"`);
    const ran: string[] = [];
    async function runCommand(command: ReadmeCommand): Promise<void> {
      const expected = Number(
        commentOf(command.text).match(/\bexits? (\d+)\b/)?.[1] ?? 0,
      );
      const { code, stdout, stderr } = await run("sh", ["-c", command.text], {
        cwd: checkout,
        env: thirtySeconds.includes(command) ? clientEnv : env,
      });
      assert.equal(
        code,
        expected,
        `README.md:${command.line}: ${command.text}\n${stdout}\n${stderr}`,
      );
      ran.push(command.text);
    }

    await t.step(`README.md:${install.line}: ${install.text}`, async () => {
      await runCommand(install);
      const version = await run("mcp-audit", ["--version"], { env });
      assert.equal(version.stdout.trim(), `mcp-audit ${VERSION}`);
    });

    for (const command of commands) {
      if (command === install) continue;
      const where: string = `README.md:${command.line}`;
      const long = Object.keys(LONG).find((c) =>
        command.text.startsWith(`${c} `)
      );
      if (long) {
        await t.step({
          name: `${where}: skipped, ${LONG[long]}: ${long}`,
          ignore: true,
          fn(): void {},
        });
      } else if (commentOf(command.text).includes("needs network")) {
        const syntax = await run("sh", ["-n", "-c", command.text]);
        assert.equal(syntax.code, 0, `${where}: ${syntax.stderr}`);
        await t.step({
          name: `${where}: skipped, needs network (syntax checked): ${
            command.text.split(" #")[0]
          }`,
          ignore: true,
          fn(): void {},
        });
      } else {
        await t.step(
          `${where}: ${command.text.split("  #")[0]}`,
          () => runCommand(command),
        );
      }
    }

    // What the walk-throughs left behind is what they say.
    await Deno.stat(`${checkout}/demo-output/report.html`);
    const proof = JSON.parse(
      await Deno.readTextFile(`${checkout}/call.proof.json`),
    );
    assert.equal(
      JSON.parse(proof.event).method,
      "tools/call",
      "seq 2 is the tools/call request, as the README says",
    );
    await Deno.stat(`${dir.path}/data/mcp-audit/mcp-audit.js`);
    await Deno.stat(`${dir.path}/deno-install/bin/mcp-audit`);
    assert.ok(
      ran.some((r) => r.startsWith("npx -y deno@2.9.6 task demo ")),
      "the demo ran",
    );
  },
});
