/**
 * Which `mcp-audit` to write into a client's config, by absolute path: GUI
 * clients start servers with a minimal PATH, so a bare `mcp-audit` would
 * not be found. What is running decides: the compiled binary, the launcher
 * that `deno task install` put on PATH (when it runs this very bundle), or
 * Deno with this script and the binary's permissions.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { SelfCommand } from "./server_entry.ts";
import { RUN_FLAGS } from "../util/run_flags.ts";

/** Where to look: the process's own facts, replaceable in tests. */
export interface SelfFacts {
  /** `Deno.execPath()`. */
  execPath: string;
  /** `Deno.mainModule`. */
  mainModule: string;
  /** `PATH`. */
  path?: string;
  /** The operating system. */
  os: typeof Deno.build.os;
}

function processFacts(): SelfFacts {
  return {
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    path: Deno.env.get("PATH") ?? Deno.env.get("Path"),
    os: Deno.build.os,
  };
}

/**
 * The `mcp-audit` that is running, as an absolute command line.
 *
 * @example
 * ```ts
 * import { selfCommand } from "./self_command.ts";
 * import assert from "node:assert/strict";
 *
 * const binary = await selfCommand({ execPath: "/opt/mcp-audit", mainModule: "file:///x.js", os: "linux" });
 * assert.deepEqual([binary.command, binary.args], ["/opt/mcp-audit", []]);
 * const script = await selfCommand({ execPath: "/usr/bin/deno", mainModule: "file:///src/cli.ts", path: "", os: "linux" });
 * assert.equal(script.command, "/usr/bin/deno");
 * assert.equal(script.args.at(-1), "/src/cli.ts");
 * ```
 */
export async function selfCommand(
  facts: SelfFacts = processFacts(),
): Promise<SelfCommand> {
  const exe = facts.execPath.split(/[\\/]/).pop()!.toLowerCase();
  if (exe !== "deno" && exe !== "deno.exe") {
    return { command: facts.execPath, args: [], how: "the compiled binary" };
  }
  const script = facts.mainModule.startsWith("file:")
    ? fileURLToPath(facts.mainModule)
    : facts.mainModule;
  // The installed launcher runs this very bundle: write the launcher.
  const sep = facts.os === "windows" ? ";" : ":";
  const names = facts.os === "windows" ? ["mcp-audit.cmd"] : ["mcp-audit"];
  for (const dir of (facts.path ?? "").split(sep).filter(Boolean)) {
    for (const name of names) {
      const candidate = resolve(dir, name);
      try {
        const text = await Deno.readTextFile(candidate);
        if (isAbsolute(candidate) && text.includes(script)) {
          return {
            command: candidate,
            args: [],
            how: "the installed launcher",
          };
        }
      } catch {
        // Not there, or not readable: look on.
      }
    }
  }
  return {
    command: facts.execPath,
    // The bundle carries its imports: no deno.json of the client's directory may change them.
    args: [
      "run",
      ...(script.endsWith(".js") ? ["--no-config"] : []),
      ...RUN_FLAGS,
      script,
    ],
    how: `Deno running ${script}`,
  };
}
