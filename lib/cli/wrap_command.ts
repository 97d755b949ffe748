/**
 * `mcp-audit wrap <client>`: puts `mcp-audit proxy` in front of every
 * server entry of an MCP client's config (or those `--server` names),
 * `--all` clients at once, or prints with `--status` which entries are
 * audited, where their logs go and their last session.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import type { CommandContext } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { UsageError } from "./usage_error.ts";
import { parseWireIn, wireInHooks } from "./_wire_in_command_line.ts";
import {
  clientFile,
  outcomeLines,
  pickClient,
  processClientEnv,
} from "./_wire_in_files.ts";

/** The help of `mcp-audit wrap`. */
export const WRAP_HELP = `Usage: ${NAME} wrap <client> [options]
       ${NAME} wrap --all [--dry-run]
       ${NAME} wrap --status [<client>] [--project DIR]
       ${NAME} wrap <claude-code|cursor|codex> --hooks [--project DIR | --managed] [--dry-run]

Wires mcp-audit into an MCP client's config: each stdio server entry becomes
"<mcp-audit> proxy --name NAME -- <its command and args>", each remote one
(url, httpUrl, serverUrl) the stdio bridge "<mcp-audit> proxy --name NAME
--upstream URL", its headers moved to --header "Name: value" arguments with
\${...} and \${input:...} references kept as written. env, cwd, envFile, type
and other keys stay as they were; comments and formatting too. (Without the
proxy's --upstream, remote entries are listed as skipped, with the reason.)
mcp-audit is written by absolute path (clients start servers with a minimal PATH), and the
output says which. Before writing, the file is copied to <file>.<time>.bak;
<file>.mcp-audit.json keeps what "${NAME} unwrap" needs to restore each entry
byte for byte. Wrapping twice changes nothing the second time. Restart the
client afterwards.

Clients: claude-desktop, claude-code, vscode, cursor, windsurf, gemini-cli,
codex (Codex CLI's config.toml).

Options:
  --server NAME     Only this entry (repeatable).
  --dry-run         Print the change as a unified diff; write nothing.
  --config PATH     The client's config file at another place.
  --project DIR     The project's config (.mcp.json, .vscode/mcp.json,
                    .cursor/mcp.json, .gemini/settings.json, .codex/config.toml).
  --all             Every client whose user config exists; prints a table.
                    Project files (also the current directory's) are left
                    alone: wrap those one by one with --project DIR.
  --status          For each client and entry: audited or not, where its logs
                    go, its last session.
  --hooks           Install the agent's hooks instead (README "Agent hooks"):
                    "<mcp-audit> hook <agent>" on its tool and session events
                    (through the fast hook client mcp-audit-hook.js and its
                    per-user writer when Deno runs mcp-audit), in
                    ~/.claude/settings.json, ~/.cursor/hooks.json or
                    ~/.codex/hooks.json (--project: .claude/settings.json,
                    .cursor/hooks.json, .codex/hooks.json); other hooks stay;
                    <file>.mcp-audit-hooks.json keeps what unwrap restores.
                    Not with --server, --all or --status.
  --managed         With --hooks, claude-code only: Claude Code's managed
                    settings (/etc/claude-code/managed-settings.json;
                    macOS /Library/Application Support/ClaudeCode/,
                    Windows C:\\ProgramData\\ClaudeCode\\), which need root.
  -h, --help        This help.

Refused, with nothing written (exit 1): a file that does not parse (its line
and column are named), one locked by a running client (where the OS says so:
Windows; Linux and macOS have no mandatory locks, so there a running client
is not detected: quit it first), an entry already wrapped by another tool (mcp-scan, ToolHive, Docker MCP
gateway, mcp-context-protector).

Exit status: 0 on success (also when nothing needed changing), 1 when a file
was refused or is missing, 2 for a usage error.`;

/**
 * Runs `mcp-audit wrap` and returns the exit status; a bad command line
 * throws `UsageError`.
 *
 * @example An unknown client is a usage error
 * ```ts
 * import { wrapCommand } from "./wrap_command.ts";
 * import { UsageError } from "./usage_error.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(wrapCommand(["notepad"], { out: () => {}, err: () => {} }), UsageError);
 * ```
 */
export async function wrapCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseWireIn(
    argv,
    { all: { type: "boolean" }, status: { type: "boolean" } },
    WRAP_HELP,
    context,
  );
  if (!parsed) return EXIT.ok;
  const { values, positionals } = parsed;
  if (values.hooks) {
    return await wireInHooks(
      "wrap",
      parsed,
      ["server", "all", "status"],
      WRAP_HELP,
      context,
    );
  }
  if (values.status) {
    const { wrapStatus } = await import("./_wrap_status.ts");
    const client = positionals[0] === undefined
      ? undefined
      : pickClient(positionals[0], WRAP_HELP);
    return await wrapStatus(context, { client, project: values.project });
  }
  const { selfCommand } = await import("../clients/self_command.ts");
  const { planFile, writePlan } = await import("../clients/wire_in.ts");
  const { ClientConfigError } = await import("../clients/config_error.ts");
  const { unifiedDiff } = await import("../clients/_unified_diff.ts");
  const { CLIENTS } = await import("../clients/clients.ts");
  const self = await selfCommand();
  const { PROXY_HELP } = await import("./proxy_command.ts");
  // Remote entries need the proxy's Streamable HTTP bridge.
  const bridge = PROXY_HELP.includes("--upstream");
  const dryRun = values["dry-run"] === true;
  if (values.all) {
    if (positionals.length > 0 || values.config || values.project) {
      throw new UsageError(
        "--all takes no client, --config or --project",
        WRAP_HELP,
      );
    }
    const env = processClientEnv();
    const rows: string[][] = [[
      "client",
      "file",
      "wrapped",
      "unchanged",
      "skipped",
    ]];
    let status: number = EXIT.ok;
    for (const client of CLIENTS) {
      const file = client.userFile(env);
      if (!file) continue;
      try {
        const plan = await planFile(client, file, {
          mode: "wrap",
          self,
          servers: values.server,
          bridge,
        });
        if (!plan) continue;
        if (dryRun) context.out(unifiedDiff(plan.before, plan.after, file));
        else await writePlan(plan);
        const count = (a: string): string =>
          String(plan.outcomes.filter((o) => o.action === a).length);
        rows.push([
          client.id,
          file,
          count("wrapped"),
          count("unchanged"),
          count("skipped"),
        ]);
      } catch (error) {
        if (!(error instanceof ClientConfigError)) throw error;
        context.err(error.message);
        rows.push([client.id, file, "refused", "-", "-"]);
        status = EXIT.failed;
      }
    }
    if (rows.length === 1) {
      context.out("No client config found on this machine: nothing to wrap.");
      return status;
    }
    context.out(table(rows));
    context.out(
      `${dryRun ? "Would write" : "Wrote"} ${self.command} (${self.how}).${
        dryRun ? " Dry run: nothing was written." : " Restart the clients."
      }`,
    );
    return status;
  }
  const picked = clientFile(positionals[0], values, WRAP_HELP, context);
  if (!picked) return EXIT.failed;
  const { client, file } = picked;
  try {
    const plan = await planFile(client, file, {
      mode: "wrap",
      self,
      servers: values.server,
      bridge,
    });
    if (!plan) {
      context.err(
        `${file}: not found, so ${client.title} has no servers to wrap there. Add a server first, or give the file with --config.`,
      );
      return EXIT.failed;
    }
    const missing = (values.server ?? []).filter((s) =>
      !plan.outcomes.some((o) => o.name === s)
    );
    if (missing.length > 0) {
      context.err(
        `${file}: no server entry named ${
          missing.map((m) => `"${m}"`).join(", ")
        }.`,
      );
      return EXIT.failed;
    }
    context.out(`${client.title}: ${file}`);
    for (const line of outcomeLines(plan.outcomes)) context.out(line);
    if (dryRun) {
      const diff = unifiedDiff(plan.before, plan.after, file);
      if (diff) context.out(diff.trimEnd());
      context.out(
        `Dry run: nothing was written.${
          plan.after === plan.before ? " Nothing would change." : ""
        }`,
      );
      return EXIT.ok;
    }
    const backup = await writePlan(plan);
    if (backup) {
      context.out(
        `Wrote ${self.command} (${self.how}) into ${file}; backup: ${backup}. Restart ${client.title} to start the audited servers.`,
      );
    } else context.out("Nothing to change.");
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof ClientConfigError)) throw error;
    context.err(error.message);
    return EXIT.failed;
  }
}

/** Rows as columns padded to their widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length))
  );
  return rows.map((r) =>
    r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()
  )
    .join("\n");
}
