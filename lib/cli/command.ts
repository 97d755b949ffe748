/**
 * What a subcommand is: a function of its arguments and a context that
 * holds the only ways it may talk to the user, so that commands never
 * touch the console or end the process themselves (only `cli.ts` does).
 * Also the shared parsing of a subcommand's flags.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Plugin } from "../plugin/plugin.ts";
import { UsageError } from "./usage_error.ts";
import { didYouMean } from "./did_you_mean.ts";

/** What a subcommand is given besides its arguments. */
export interface CommandContext {
  /** Prints a line of the command's output (stdout). */
  out(text: string): void;
  /** Prints a diagnostic line (stderr, prefixed with the program's name). */
  err(text: string): void;
  /**
   * Prints a line of output as it is, colour codes and all (stdout): for
   * text whose every outside string the command has escaped already. When
   * absent, commands print with {@linkcode out}, without colour.
   */
  raw?(text: string): void;
  /**
   * Plugins compiled in, by the name a config's `plugins` list uses for
   * them.
   */
  plugins?: Readonly<Record<string, Plugin>>;
}

/** A subcommand: runs with its arguments and returns the exit status; throws {@linkcode UsageError} for a bad command line. */
export type Command = (
  argv: string[],
  context: CommandContext,
) => Promise<number>;

/** The flags a subcommand takes, as `node:util` `parseArgs` describes them. */
export type CommandOptions = NonNullable<ParseArgsConfig["options"]>;

type WithHelp<O extends CommandOptions> = O & {
  help: { type: "boolean"; short: "h" };
};

/** A subcommand's parsed arguments. */
export type Parsed<O extends CommandOptions> = ReturnType<
  typeof parseArgs<
    {
      args: string[];
      options: WithHelp<O>;
      strict: true;
      allowPositionals: true;
    }
  >
>;

/** Options for {@linkcode parseCommand}. */
export interface ParseCommandOptions {
  /** The command takes positional arguments. @default {false} */
  positionals?: boolean;
  /** Added to a usage error's message. @default {""} */
  hint?: string;
}

/**
 * Parses a subcommand's arguments, with `--help`/`-h` added. A bad command
 * line throws {@linkcode UsageError} with the command's help; `undefined`
 * means `--help` was asked for and the help has been printed.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./command.ts";
 * import { UsageError } from "./usage_error.ts";
import { didYouMean } from "./did_you_mean.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const context = { out: (t: string) => printed.push(t), err: () => {} };
 * const help = "Usage: demo [--name N]";
 * const options = { name: { type: "string" } } as const;
 * assert.equal(parseCommand(["--name", "x"], options, help, context)?.values.name, "x");
 * assert.equal(parseCommand(["-h"], options, help, context), undefined);
 * assert.deepEqual(printed, [help]);
 * assert.throws(() => parseCommand(["--nmae"], options, help, context), UsageError);
 * ```
 */
export function parseCommand<O extends CommandOptions>(
  argv: string[],
  options: O,
  help: string,
  context: Pick<CommandContext, "out">,
  { positionals = false, hint = "" }: ParseCommandOptions = {},
): Parsed<O> | undefined {
  unknownOption(argv, options, help);
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        ...options,
        help: { type: "boolean", short: "h" },
      } as WithHelp<O>,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}${hint}`, help, {
      cause: error,
    });
  }
  if (!positionals && parsed.positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument '${
        parsed.positionals[0]
      }'. This command does not take positional arguments${hint}`,
      help,
    );
  }
  if ((parsed.values as { help?: boolean }).help) {
    context.out(help);
    return undefined;
  }
  return parsed;
}

/**
 * Throws a {@linkcode UsageError} for the first flag the command does not
 * take, naming the closest one it does: `parseArgs`' own message quotes
 * and explains too much for a typo.
 */
function unknownOption(
  argv: string[],
  options: CommandOptions,
  help: string,
): void {
  const all: CommandOptions = {
    ...options,
    help: { type: "boolean", short: "h" },
  };
  const shorts = new Map(
    Object.entries(all).flatMap(([name, o]) =>
      o.short ? [[o.short, name]] : []
    ),
  );
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") return;
    if (arg.startsWith("--")) {
      const name = arg.slice(2).split("=")[0];
      const option = all[name];
      if (option === undefined) {
        const guess = didYouMean(name, Object.keys(all));
        throw new UsageError(
          `unknown option --${name}${
            guess ? ` (did you mean --${guess}?)` : ""
          }`,
          help,
        );
      }
      if (option.type === "string" && !arg.includes("=")) i++;
    } else if (arg.startsWith("-") && arg.length > 1) {
      const name = shorts.get(arg[1]);
      if (name === undefined) {
        throw new UsageError(`unknown option ${arg.slice(0, 2)}`, help);
      }
      if (all[name].type === "string" && arg.length === 2) i++;
    }
  }
}
