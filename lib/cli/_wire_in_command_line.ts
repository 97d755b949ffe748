/**
 * The command line that `wrap` and `unwrap` share: their common flags, one
 * client at a time, and `--hooks`, which hands the work to the agent-hook
 * editor.
 *
 * @module
 */
import {
  type CommandContext,
  type CommandOptions,
  parseCommand,
  type Parsed,
} from "./command.ts";
import { UsageError } from "./usage_error.ts";

/** The flags both `wrap` and `unwrap` take. */
export const WIRE_IN_OPTIONS = {
  server: { type: "string", multiple: true },
  "dry-run": { type: "boolean" },
  config: { type: "string" },
  project: { type: "string" },
  hooks: { type: "boolean" },
  managed: { type: "boolean" },
} as const satisfies CommandOptions;

/** The parsed flags {@linkcode wireInHooks} reads. */
export interface WireInValues {
  /** `--config PATH`. */
  config?: string;
  /** `--project DIR`. */
  project?: string;
  /** `--managed`. */
  managed?: boolean;
  /** `--dry-run`. */
  "dry-run"?: boolean;
  /** The command's other flags, by name. */
  [flag: string]: unknown;
}

/**
 * Parses `wrap`'s or `unwrap`'s arguments: {@linkcode WIRE_IN_OPTIONS} and
 * the command's own `more`, with at most one client positional. `undefined`
 * means `--help` was asked for and printed; a bad command line throws
 * {@linkcode UsageError} with `help`.
 *
 * @example Two clients at once are a usage error
 * ```ts
 * import { parseWireIn } from "./_wire_in_command_line.ts";
 * import { UsageError } from "./usage_error.ts";
 * import assert from "node:assert/strict";
 *
 * const context = { out: () => {} };
 * const parsed = parseWireIn(["cursor", "--dry-run"], {}, "help", context);
 * assert.equal(parsed?.values["dry-run"], true);
 * assert.throws(() => parseWireIn(["cursor", "vscode"], {}, "help", context), UsageError);
 * ```
 */
export function parseWireIn<E extends CommandOptions>(
  argv: string[],
  more: E,
  help: string,
  context: Pick<CommandContext, "out">,
): Parsed<typeof WIRE_IN_OPTIONS & E> | undefined {
  const parsed = parseCommand(
    argv,
    { ...WIRE_IN_OPTIONS, ...more },
    help,
    context,
    { positionals: true },
  );
  if (parsed && parsed.positionals.length > 1) {
    throw new UsageError(
      `one client at a time, got "${parsed.positionals.join(" ")}"`,
      help,
    );
  }
  return parsed;
}

/**
 * Runs `wrap --hooks` or `unwrap --hooks` for the agent `positionals`
 * names, and returns the exit status. A flag of `entryFlags` (the ones about
 * MCP server entries) given too is a usage error.
 *
 * @example --hooks with --server is a usage error
 * ```ts
 * import { wireInHooks } from "./_wire_in_command_line.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(
 *   wireInHooks("unwrap", { values: { server: ["x"] }, positionals: ["cursor"] }, ["server"], "help", { out: () => {}, err: () => {} }),
 *   /--hooks cannot be combined with --server/,
 * );
 * ```
 */
export async function wireInHooks(
  mode: "wrap" | "unwrap",
  { values, positionals }: { values: WireInValues; positionals: string[] },
  entryFlags: readonly string[],
  help: string,
  context: CommandContext,
): Promise<number> {
  const clash = entryFlags.find((k) => values[k] !== undefined);
  if (clash) {
    throw new UsageError(
      `--hooks cannot be combined with --${clash}: --hooks edits an agent's hook settings, --${clash} is about MCP server entries; run them as two commands`,
      help,
    );
  }
  const { wrapHooks } = await import("./_wrap_hooks.ts");
  return await wrapHooks({
    mode,
    agent: positionals[0],
    config: values.config,
    project: values.project,
    managed: values.managed === true,
    dryRun: values["dry-run"] === true,
    help,
  }, context);
}
