/**
 * `mcp-audit wrap --status`: for each client and entry, whether it is
 * audited, where its logs go, and its last session.
 *
 * @module
 */
import type { McpClient } from "../clients/client.ts";
import { CLIENTS } from "../clients/clients.ts";
import { entriesOf } from "../clients/wire_in.ts";
import { entryState } from "../clients/server_entry.ts";
import { ClientConfigError } from "../clients/config_error.ts";
import { defaultLogDir, latestSession } from "../log/log_path.ts";
import type { CommandContext } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { processClientEnv } from "./_wire_in_files.ts";
import { resolve } from "node:path";

/** Options for {@linkcode wrapStatus}. */
export interface WrapStatusOptions {
  /** Only this client. @default {every client} */
  client?: McpClient;
  /** Also the project configs of this directory. */
  project?: string;
}

/**
 * Prints the status of every client config found and returns the exit
 * status (0; 1 when a config does not parse).
 */
export async function wrapStatus(
  context: CommandContext,
  options: WrapStatusOptions,
): Promise<number> {
  const env = processClientEnv();
  let status: number = EXIT.ok;
  let found = 0;
  for (const client of options.client ? [options.client] : CLIENTS) {
    const files = [client.userFile(env)];
    if (options.project !== undefined && client.projectFile) {
      files.push(client.projectFile(resolve(options.project)));
    }
    for (const file of files) {
      if (!file) continue;
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch {
        continue;
      }
      found++;
      context.out(`${client.title}: ${file}`);
      try {
        const { spans, skipped } = entriesOf(text, file, client);
        for (const { entry } of spans) {
          const state = entryState(entry);
          if (state.kind !== "audited") {
            context.out(
              `  ${entry.name}: not audited${
                state.kind === "foreign" ? ` (wrapped by ${state.tool})` : ""
              }`,
            );
            continue;
          }
          const at = entry.args.indexOf("--log");
          const logs = at >= 0 ? entry.args[at + 1] : defaultLogDir();
          let last = "none yet";
          if (at < 0) {
            try {
              const latest = await latestSession(logs, { server: entry.name });
              last = `${latest.start ?? latest.modified ?? "?"} ${
                latest.paths[0]
              }`;
            } catch {
              // No session of this server yet.
            }
          }
          context.out(
            `  ${entry.name}: audited; logs in ${logs}; last session: ${last}`,
          );
        }
        for (const s of skipped) {
          context.out(`  ${s.name}: not audited (${s.reason})`);
        }
      } catch (error) {
        if (!(error instanceof ClientConfigError)) throw error;
        context.err(error.message);
        status = EXIT.failed;
      }
    }
  }
  if (found === 0) context.out("No client config found on this machine.");
  return status;
}
