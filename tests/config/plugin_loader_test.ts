import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config/config.ts";
import {
  loadPlugins,
  PluginLoadError,
} from "../../lib/config/plugin_loader.ts";
import { definePlugin } from "../../lib/plugin/kit/mod.ts";
import { tempDir } from "../_helpers.ts";

/** A plugin module that imports nothing, so it loads from any directory. */
const MODULE = `export default {
  name: "tagger",
  onToolCall() { return { classes: ["TAGGED"] }; },
};
`;

async function load(
  text: string,
  configPath = "/nowhere/mcp-audit.jsonc",
): Promise<string[]> {
  const config = parseConfig(text, configPath);
  const plugins = await loadPlugins(config, { configPath });
  return plugins.map((p) => p.name);
}

async function loadError(text: string, configPath?: string): Promise<string> {
  const error = await load(text, configPath).then(
    () => assert.fail("the config loaded"),
    (error) => error,
  );
  assert.ok(error instanceof PluginLoadError, String(error));
  return error.message;
}

Deno.test("the built-in plugins load in their order by default, less those the config turns off, or in the config's order", async () => {
  assert.deepEqual(await load("{}"), [
    "sensitivity",
    "annotations",
    "entities",
    "redact",
  ]);
  assert.deepEqual(
    await load(`{ "redact": false, "annotations": false }`),
    ["sensitivity", "entities"],
  );
  assert.deepEqual(
    await load(`{ "plugins": ["redact", "entities", "sensitivity"] }`),
    ["redact", "entities", "sensitivity"],
  );
});

Deno.test("a relative plugin path is resolved from the config file's directory, also when its name has a space", async () => {
  await using dir = await tempDir();
  const home = `${dir.path}/my config dir`;
  await Deno.mkdir(`${home}/plugins`, { recursive: true });
  await Deno.writeTextFile(`${home}/plugins/tagger.ts`, MODULE);
  const configPath = `${home}/mcp-audit.jsonc`;
  assert.notEqual(Deno.cwd(), home);
  assert.deepEqual(
    await load(
      `{ "plugins": ["sensitivity", "./plugins/tagger.ts"] }`,
      configPath,
    ),
    ["sensitivity", "tagger"],
  );
  // Not from the working directory: the same path from elsewhere fails.
  assert.match(
    await loadError(
      `{ "plugins": ["./plugins/tagger.ts"] }`,
      `${dir.path}/mcp-audit.jsonc`,
    ),
    /Cannot load plugin "\.\/plugins\/tagger\.ts": importing "file:\/\/.*" failed/,
  );
});

Deno.test("a plugin given as a file URL is imported as it is", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/tagger.ts`, MODULE);
  const url = new URL(`file://${dir.path}/tagger.ts`).href;
  assert.deepEqual(await load(`{ "plugins": ["${url}"] }`), ["tagger"]);
});

Deno.test("a module that throws at import, or has no plugin export, is a PluginLoadError naming it", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/throws.ts`,
    `throw new Error("broken at import");\n`,
  );
  await Deno.writeTextFile(
    `${dir.path}/empty.ts`,
    `export const notAPlugin = 1;\n`,
  );
  const configPath = `${dir.path}/mcp-audit.jsonc`;
  assert.match(
    await loadError(`{ "plugins": ["./throws.ts"] }`, configPath),
    /^Cannot load plugin "\.\/throws\.ts": importing "file:\/\/.*\/throws\.ts" failed: .*broken at import/,
  );
  assert.match(
    await loadError(`{ "plugins": ["./empty.ts"] }`, configPath),
    /^Cannot load plugin "\.\/empty\.ts": the module has no plugin as its default export/,
  );
});

Deno.test("compiled-in plugins load by name, with their options validated and their setup run; unknown names are refused", async () => {
  const setups: unknown[] = [];
  const payroll = definePlugin<{ level: number }>({
    name: "payroll",
    options: {
      safeParse: (value: unknown) =>
        typeof (value as { level?: unknown }).level === "number"
          ? { success: true, data: value as { level: number } }
          : {
            success: false,
            error: {
              issues: [{ path: ["level"], message: "expected a number" }],
            },
          },
    } as never,
    setup(options): void {
      setups.push(options);
    },
    onToolCall: () => ({ classes: ["PAYROLL"] }),
  });
  const config = parseConfig(
    `{ "plugins": ["sensitivity", { "use": "payroll", "options": { "level": 2 } }] }`,
    "c.jsonc",
  );
  const plugins = await loadPlugins(config, { registry: { payroll } });
  assert.deepEqual(plugins.map((p) => p.name), ["sensitivity", "payroll"]);
  assert.equal(plugins[1], payroll);
  assert.deepEqual(setups, [{ level: 2 }]);
  await assert.rejects(
    loadPlugins(
      parseConfig(
        `{ "plugins": [{ "use": "payroll", "options": {} }] }`,
        "c.jsonc",
      ),
      { registry: { payroll } },
    ),
    /Cannot load plugin "payroll": invalid options at "level": expected a number/,
  );
  await assert.rejects(
    loadPlugins(parseConfig(`{ "plugins": ["payrol"] }`, "c.jsonc"), {
      registry: { payroll },
    }),
    /Cannot load plugin "payrol": no built-in or compiled-in plugin has that name/,
  );
});

Deno.test("a built-in's bad options name the key, as a module's do", async () => {
  assert.match(
    await loadError(
      `{ "plugins": [{ "use": "sensitivity", "options": { "arguments": [{ "label": "W", "pattern": "x", "flags": "y" }] } }] }`,
    ),
    /^Cannot load plugin "sensitivity": invalid options at "arguments\.0\.flags": flag "y" \(sticky\) is not supported/,
  );
});
