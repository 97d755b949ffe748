/**
 * Which config files `wrap` and `unwrap` work on: a client's user file,
 * its project file (`--project DIR`), or the one `--config` names; and
 * the printing both commands share.
 *
 * @module
 */
import { resolve } from "node:path";
import type { ClientEnv, McpClient } from "../clients/client.ts";
import { clientById, CLIENTS } from "../clients/clients.ts";
import type { EntryOutcome } from "../clients/wire_in.ts";
import type { CommandContext } from "./command.ts";
import { UsageError } from "./usage_error.ts";

/** The process's environment, as the client records read it. */
export function processClientEnv(): ClientEnv {
  return { os: Deno.build.os, get: (name) => Deno.env.get(name) };
}

/** The client a positional names; a usage error naming the known ones otherwise. */
export function pickClient(id: string | undefined, help: string): McpClient {
  const client = id === undefined ? undefined : clientById(id);
  if (!client) {
    throw new UsageError(
      `${
        id === undefined ? "no client given" : `unknown client "${id}"`
      }: name one of ${CLIENTS.map((c) => c.id).join(", ")}`,
      help,
    );
  }
  return client;
}

/** The config file to work on for `client`. */
export function configFile(
  client: McpClient,
  values: { config?: string; project?: string },
  help: string,
  env: ClientEnv = processClientEnv(),
): string | undefined {
  if (values.config !== undefined) return resolve(values.config);
  if (values.project !== undefined) {
    if (!client.projectFile) {
      throw new UsageError(
        `${client.title} has no project-scope config; leave out --project, or give the file with --config`,
        help,
      );
    }
    return client.projectFile(resolve(values.project));
  }
  return client.userFile(env);
}

/**
 * The client `id` names and its config file; when the client has none on
 * this OS, `undefined`, after saying so on stderr.
 */
export function clientFile(
  id: string | undefined,
  values: { config?: string; project?: string },
  help: string,
  context: Pick<CommandContext, "err">,
): { client: McpClient; file: string } | undefined {
  const client = pickClient(id, help);
  const file = configFile(client, values, help);
  if (!file) {
    context.err(
      `${client.title} has no config on ${Deno.build.os}; give it with --config PATH.`,
    );
    return undefined;
  }
  return { client, file };
}

/** One line per entry: what happened to it. */
export function outcomeLines(outcomes: EntryOutcome[]): string[] {
  return outcomes.map((o) =>
    `  ${o.action.padEnd(9)} ${o.name}${o.reason ? `: ${o.reason}` : ""}`
  );
}
