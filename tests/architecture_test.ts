/**
 * The layering as a check, in the spirit of denoland/std's
 * `_tools/check_circular_package_dependencies.ts`: the module graph that
 * `deno info --json` reads from every source file, held to one table of
 * who may import whom. Data flows one way, bytes -> frames -> messages ->
 * events -> plugins -> log -> evidence -> report, so each folder may
 * import only its own files and the folders {@linkcode RULES} lists for
 * it. A failure names the offending import.
 *
 * @module
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = fromFileUrl(new URL("../", import.meta.url));

/**
 * Who may import whom: each folder, in the order of the flow, with the
 * folders it may import besides its own files (npm and `node:` modules are
 * free). The README's code map says the same in words.
 */
export const RULES: Readonly<Record<string, readonly string[]>> = {
  "lib/util": [],
  "lib/wire": ["lib/util"],
  "lib/audit": ["lib/util", "lib/wire"],
  // The kit is part of lib/plugin; built-in plugins see only its mod.ts.
  // Plugins may add finding rules: the kit re-exports their types.
  "lib/plugin": ["lib/util", "lib/wire", "lib/audit", "lib/findings"],
  "lib/seal": ["lib/util"],
  "lib/log": ["lib/util", "lib/wire", "lib/audit", "lib/seal"],
  // Findings are computed from events alone, offline or (later) live.
  "lib/findings": ["lib/util", "lib/wire", "lib/audit"],
  "lib/evidence": [
    "lib/util",
    "lib/wire",
    "lib/audit",
    "lib/seal",
    "lib/log",
    "lib/findings",
  ],
  // The central store: ships logs and reads them back with the evidence checks.
  "lib/fleet": [
    "lib/util",
    "lib/wire",
    "lib/audit",
    "lib/seal",
    "lib/log",
    "lib/evidence",
    "lib/findings",
  ],
  // The only place under lib/ that knows the built-in plugins.
  "lib/config": [
    "lib/util",
    "lib/wire",
    "lib/audit",
    "lib/plugin",
    "plugins",
    "lib/guard",
    // A plugin's worker runs its finding rules (live findings) too.
    "lib/findings",
  ],
  // The policy engine: pure decisions, independent of any transport.
  "lib/guard": ["lib/util", "lib/wire", "lib/audit"],
  "lib/session": [
    "lib/util",
    "lib/wire",
    "lib/audit",
    "lib/findings",
    "lib/plugin",
    "lib/seal",
    "lib/log",
    "lib/config",
    "lib/guard",
  ],
  "lib/proxy": [
    "lib/util",
    "lib/wire",
    "lib/audit",
    "lib/plugin",
    "lib/seal",
    "lib/log",
    "lib/config",
    "lib/guard",
    "lib/session",
  ],
  // The MCP clients' config files, and wiring the proxy into them.
  "lib/clients": ["lib/util"],
  // The HTTP transports (reverse proxy, stdio bridge): what the stdio proxy may use.
  "lib/http": [
    "lib/util",
    "lib/wire",
    "lib/audit",
    "lib/plugin",
    "lib/seal",
    "lib/log",
    "lib/config",
    "lib/session",
    // Guard mode in the HTTP transports.
    "lib/guard",
  ],
  // Coding agents' hooks: their tool calls into the same sealed log.
  "lib/hooks": [
    "lib/util",
    "lib/wire",
    "lib/audit",
    "lib/plugin",
    "lib/seal",
    "lib/log",
    "lib/config",
    "lib/session",
    "lib/guard",
  ],
  // `mcp-audit report` renders the report (imported lazily).
  "lib/cli": [
    "lib/util",
    "lib/wire",
    "lib/audit",
    "lib/plugin",
    "lib/seal",
    "lib/log",
    "lib/evidence",
    "lib/findings",
    "lib/config",
    "lib/guard",
    "lib/session",
    "lib/proxy",
    "lib/clients",
    "lib/http",
    "lib/hooks",
    "report",
    "lib/fleet",
  ],
  // Built-in plugins are written against the public plugin kit only, as a user's would be.
  "plugins": ["lib/plugin/kit/mod.ts"],
  // The report reads logs and their evidence; it knows nothing of plugins, config, sessions or the proxy.
  "report": [
    "lib/util",
    "lib/wire",
    "lib/audit",
    "lib/seal",
    "lib/log",
    "lib/evidence",
    "lib/findings",
  ],
  // The front door re-exports the library (the report has its own export path).
  "mod.ts": [
    "lib/util",
    "lib/wire",
    "lib/audit",
    "lib/plugin",
    "lib/seal",
    "lib/log",
    "lib/evidence",
    "lib/findings",
    "lib/config",
    "lib/guard",
    "lib/session",
    "lib/proxy",
    "plugins",
  ],
  // The command line is a table of lib/cli's commands; in the bundle it is
  // also the entry of the log's and the plugins' worker threads.
  "cli.ts": ["lib/util", "lib/plugin", "lib/log", "lib/config", "lib/cli"],
  // Scripts run as tasks (the installer): they stand beside the library, not on it.
  "tools": ["lib/util"],
};

/** The folder of {@linkcode RULES} that a path belongs to (a folder, or a path in it, or the file itself). */
function ruleOf(path: string): string | undefined {
  return Object.keys(RULES).filter((key) =>
    path === key || path.startsWith(`${key}/`)
  ).sort((a, b) => b.length - a.length)[0];
}

/** Why `from` may not import `to`, or `undefined` when it may. */
export function violation(from: string, to: string): string | undefined {
  const source = ruleOf(from);
  if (source === undefined) return `${from} is in no folder of the rules`;
  const target = ruleOf(to);
  if (target === source) return undefined;
  const allowed = RULES[source].some((key) =>
    to === key || to.startsWith(`${key}/`)
  );
  return allowed ? undefined : `${source} may not import ${target ?? to}`;
}

/** Every TypeScript source file of the library, the plugins, the report, the tools and the two entry points. */
async function sourceFiles(): Promise<string[]> {
  const files = ["mod.ts", "cli.ts"];
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(`${ROOT}${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (/\.tsx?$/.test(entry.name)) files.push(path);
    }
  }
  for (const dir of ["lib", "plugins", "report", "tools"]) await walk(dir);
  return files.sort();
}

interface ModuleInfo {
  specifier: string;
  dependencies?: {
    specifier: string;
    code?: { specifier: string };
    type?: { specifier: string };
  }[];
}

/** The local imports of each source file (static, dynamic and type-only), from `deno info --json`. */
async function importGraph(files: string[]): Promise<Map<string, string[]>> {
  const dir = await Deno.makeTempDir({ prefix: "mcp-audit-graph-" });
  try {
    // One root that imports every file, so one run of deno info reads them all.
    const entry = `${dir}/all.ts`;
    await Deno.writeTextFile(
      entry,
      files.map((f) => `import ${JSON.stringify(`file://${ROOT}${f}`)};\n`)
        .join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", `--config=${ROOT}deno.json`, entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: ModuleInfo[];
    };
    const graph = new Map<string, string[]>();
    for (const module of info.modules) {
      if (!module.specifier.startsWith(`file://${ROOT}`)) continue;
      const from = relative(ROOT, fromFileUrl(module.specifier));
      const targets = (module.dependencies ?? []).flatMap((d) =>
        [d.code?.specifier, d.type?.specifier].filter((s): s is string =>
          s?.startsWith(`file://${ROOT}`) ?? false
        ).map((s) => relative(ROOT, fromFileUrl(s)))
      );
      graph.set(from, [...new Set(targets)]);
    }
    return graph;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("every import follows the flow: each folder imports only what the rules allow it (plugins only the kit, the report no proxy, nothing under lib/ the CLI or mod.ts)", async () => {
  const files = await sourceFiles();
  const graph = await importGraph(files);
  for (const file of files) {
    assert.ok(graph.has(file), `deno info read ${file}`);
    assert.ok(ruleOf(file), `${file} belongs to a folder of the rules`);
  }
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const why = violation(from, to);
      if (why) problems.push(`${from} imports ${to}: ${why}`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("the rules catch a backward import", () => {
  assert.match(
    violation("lib/wire/jsonrpc.ts", "lib/audit/event.ts") ?? "",
    /^lib\/wire may not import lib\/audit$/,
  );
  assert.match(
    violation("lib/log/log_writer.ts", "lib/plugin/pipeline.ts") ?? "",
    /^lib\/log may not import lib\/plugin$/,
  );
  assert.ok(violation("lib/log/log_reader.ts", "report/render.tsx"));
  assert.ok(violation("lib/session/audit_session.ts", "cli.ts"));
  assert.ok(violation("lib/proxy/proxy.ts", "mod.ts"));
  assert.ok(violation("lib/seal/seal.ts", "lib/log/log_writer.ts"));
  assert.ok(violation("lib/evidence/verify.ts", "lib/config/config.ts"));
  assert.ok(violation("mod.ts", "report/render.tsx"));
  assert.ok(
    violation("plugins/redact.ts", "lib/plugin/kit/regex_prefilter.ts"),
  );
  assert.ok(violation("plugins/redact.ts", "lib/audit/event.ts"));
  assert.ok(violation("report/model.ts", "lib/plugin/pipeline.ts"));
  assert.ok(violation("lib/session/assembly.ts", "plugins/entities.ts"));
  assert.equal(
    violation("lib/config/plugin_loader.ts", "plugins/redact.ts"),
    undefined,
  );
  assert.equal(
    violation("lib/proxy/proxy.ts", "lib/session/audit_session.ts"),
    undefined,
  );
  assert.equal(
    violation("plugins/redact.ts", "lib/plugin/kit/mod.ts"),
    undefined,
  );
});
