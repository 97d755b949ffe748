/**
 * `mcp-audit init`: writes the starter config and its JSON Schema.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";

/** The help of `mcp-audit init`. */
export const INIT_HELP = `Usage: ${NAME} init [--force]

Writes a commented starter classifier config, mcp-audit.jsonc, and its JSON
Schema, mcp-audit.schema.json, into the current directory. "${NAME} proxy"
reads ./mcp-audit.jsonc when --config is not given.

Options:
  --force      Overwrite an existing mcp-audit.jsonc.
  -h, --help   This help.

Exit status: 0 on success, 1 when mcp-audit.jsonc exists, 2 for a usage error.`;

/**
 * Runs `mcp-audit init` with its arguments and returns the exit status;
 * a bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { initCommand, INIT_HELP } from "./init_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await initCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [INIT_HELP]);
 * ```
 */
export async function initCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      force: { type: "boolean" },
    },
    INIT_HELP,
    context,
  );
  if (!parsed) return EXIT.ok;
  const { starterConfig } = await import("../config/starter_config.ts");
  const { configJsonSchema } = await import("../config/json_schema.ts");
  const { CONFIG_FILE } = await import("../config/config.ts");
  const schemaFile = "mcp-audit.schema.json";
  try {
    await Deno.writeTextFile(CONFIG_FILE, starterConfig(`./${schemaFile}`), {
      createNew: !parsed.values.force,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      context.err(
        `${CONFIG_FILE} already exists; pass --force to overwrite it.`,
      );
      return EXIT.failed;
    }
    throw error;
  }
  await Deno.writeTextFile(
    schemaFile,
    JSON.stringify(configJsonSchema(), null, 2) + "\n",
  );
  context.out(
    `Wrote ${CONFIG_FILE} (the classifier config) and ${schemaFile} (its schema, for your editor).`,
  );
  return EXIT.ok;
}
