/**
 * `mcp-audit pin list|accept|forget`: the tool-definition pins the guard
 * keeps per server identity (see `lib/guard/pins.ts`).
 *
 * @module
 */
import { join } from "node:path";
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { UsageError } from "./usage_error.ts";

/** The help of `mcp-audit pin`. */
export const PIN_HELP = `Usage: ${NAME} pin list [--dir DIR]
       ${NAME} pin accept [ID...] [--dir DIR]
       ${NAME} pin forget ID... [--dir DIR]

The guard (a "policy" in the config or --policy) pins each server's tool
definitions on first sight: a hash of each tool's name, description, input
and output schema and annotations, in DIR/pins/ID.json. A later tools/list
that differs is a tool_change event; with pinning "enforce" the changed
tools are hidden and denied until accepted here.

list     Each pinned server: ID, identity, tools, and changes waiting.
accept   Takes the definitions last seen as the new pins (all servers with
         changes waiting, or those named by ID).
forget   Removes the pins of the servers named by ID.

Options:
  --dir DIR    Where the pins are: the proxy's log directory. Default: the
               default log directory (MCP_AUDIT_LOG_DIR overrides it).
  -h, --help   This help.

Exit status: 0 on success, 1 when an ID is not found, 2 for a usage error.`;

/**
 * Runs `mcp-audit pin` and returns the exit status.
 *
 * @example Listing an empty directory
 * ```ts
 * import { pinCommand } from "./pin_command.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const out: string[] = [];
 * assert.equal(await pinCommand(["list", "--dir", dir], { out: (t) => out.push(t), err: () => {} }), 0);
 * assert.match(out[0], /no pins/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function pinCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    { dir: { type: "string" } },
    PIN_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const [sub, ...ids] = parsed.positionals;
  const { defaultLogDir } = await import("../log/log_path.ts");
  const { readPins, writePins } = await import("../guard/pins.ts");
  const dir = join(parsed.values.dir ?? defaultLogDir(), "pins");
  const files: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".json")) files.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  files.sort();
  const idOf = (file: string): string => file.slice(0, -5);
  const show = (identity: string): string => identity.replace("\u0000", " @ ");
  for (const id of ids) {
    if (!files.includes(`${id}.json`)) {
      context.err(
        `no pins with ID "${id}" in ${dir}; "${NAME} pin list" shows them`,
      );
      return EXIT.failed;
    }
  }
  if (sub === "list") {
    if (files.length === 0) {
      context.out(`no pins in ${dir}`);
      return EXIT.ok;
    }
    for (const file of files) {
      const pins = readPins(join(dir, file));
      if (!pins) continue;
      const waiting = pins.seen ? "; changes waiting for accept" : "";
      context.out(
        `${idOf(file)}  ${show(pins.identity)}: ${
          Object.keys(pins.tools).length
        } tool(s), pinned ${pins.updated}${waiting}`,
      );
    }
    return EXIT.ok;
  }
  if (sub === "accept") {
    let accepted = 0;
    for (const file of files) {
      if (ids.length > 0 && !ids.includes(idOf(file))) continue;
      const path = join(dir, file);
      const pins = readPins(path);
      if (!pins?.seen) continue;
      writePins(path, {
        identity: pins.identity,
        updated: new Date().toISOString(),
        tools: pins.seen,
      });
      accepted++;
      context.out(
        `accepted the tools of ${show(pins.identity)} (${idOf(file)})`,
      );
    }
    if (accepted === 0) context.out("no changes waiting for accept");
    return EXIT.ok;
  }
  if (sub === "forget") {
    if (ids.length === 0) {
      throw new UsageError("pin forget needs an ID", PIN_HELP);
    }
    for (const id of ids) {
      await Deno.remove(join(dir, `${id}.json`));
      context.out(`forgot the pins ${id}`);
    }
    return EXIT.ok;
  }
  throw new UsageError(
    sub === undefined
      ? "pin needs a subcommand: list, accept or forget"
      : `unknown pin subcommand "${sub}": use list, accept or forget`,
    PIN_HELP,
  );
}
