/**
 * `mcp-audit unwrap <client>`: takes `mcp-audit proxy` out of a client's
 * config again, restoring each entry exactly as it was before `wrap`.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import type { CommandContext } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { parseWireIn, wireInHooks } from "./_wire_in_command_line.ts";
import { clientFile, outcomeLines } from "./_wire_in_files.ts";

/** The help of `mcp-audit unwrap`. */
export const UNWRAP_HELP = `Usage: ${NAME} unwrap <client> [options]

Restores the server entries that "${NAME} wrap" wrapped: each entry gets back
its text from before the wrap, byte for byte, from <file>.mcp-audit.json
(where the entry was edited since, its original command and args are put back
from the proxy's command line). The file is copied to <file>.<time>.bak first.

Options:
  --server NAME     Only this entry (repeatable).
  --dry-run         Print the change as a unified diff; write nothing.
  --config PATH     The client's config file at another place.
  --project DIR     The project's config instead of the user's.
  --hooks           Take out the hooks "wrap <agent> --hooks" installed: the
                    file's text from before, byte for byte, while it still
                    holds what wrap wrote; otherwise only mcp-audit's entries
                    are removed (and the output says so). Not with --server.
  --managed         With --hooks: Claude Code's managed settings file.
  -h, --help        This help.

Exit status: 0 on success (also when nothing was wrapped), 1 when a file was
refused or is missing, 2 for a usage error.`;

/**
 * Runs `mcp-audit unwrap` and returns the exit status; a bad command line
 * throws `UsageError`.
 *
 * @example A client is required
 * ```ts
 * import { unwrapCommand } from "./unwrap_command.ts";
 * import { UsageError } from "./usage_error.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(unwrapCommand([], { out: () => {}, err: () => {} }), UsageError);
 * ```
 */
export async function unwrapCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseWireIn(argv, {}, UNWRAP_HELP, context);
  if (!parsed) return EXIT.ok;
  const { values, positionals } = parsed;
  if (values.hooks) {
    return await wireInHooks(
      "unwrap",
      parsed,
      ["server"],
      UNWRAP_HELP,
      context,
    );
  }
  const picked = clientFile(positionals[0], values, UNWRAP_HELP, context);
  if (!picked) return EXIT.failed;
  const { client, file } = picked;
  const { selfCommand } = await import("../clients/self_command.ts");
  const { planFile, writePlan } = await import("../clients/wire_in.ts");
  const { ClientConfigError } = await import("../clients/config_error.ts");
  const { unifiedDiff } = await import("../clients/_unified_diff.ts");
  try {
    const plan = await planFile(client, file, {
      mode: "unwrap",
      self: await selfCommand(),
      servers: values.server,
    });
    if (!plan) {
      context.err(`${file}: not found: nothing to unwrap.`);
      return EXIT.failed;
    }
    context.out(`${client.title}: ${file}`);
    for (const line of outcomeLines(plan.outcomes)) context.out(line);
    if (values["dry-run"]) {
      const diff = unifiedDiff(plan.before, plan.after, file);
      if (diff) context.out(diff.trimEnd());
      context.out("Dry run: nothing was written.");
      return EXIT.ok;
    }
    const backup = await writePlan(plan);
    context.out(
      backup
        ? `Restored ${file}; backup: ${backup}. Restart ${client.title}.`
        : "Nothing to change.",
    );
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof ClientConfigError)) throw error;
    context.err(error.message);
    return EXIT.failed;
  }
}
