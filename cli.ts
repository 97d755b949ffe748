#!/usr/bin/env -S deno run --allow-run --allow-read --allow-write --allow-env --allow-net --v8-flags=--no-allocation-site-pretenuring,--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks,--regexp-backtracks-before-fallback=1000
// deno-lint-ignore-file no-console -- only the CLI talks to the terminal
/**
 * The `mcp-audit` command line: a table of subcommands, each loaded only
 * when it runs (so the proxy never loads the report's Preact), and the one
 * place that prints usage errors and ends the process. The subcommands
 * live in `lib/cli/`, one file each. In proxy mode stdout belongs to the
 * MCP client: nothing of ours is ever printed there.
 *
 * @module
 */
import { isMainThread } from "node:worker_threads";
import { NAME, VERSION } from "./lib/util/version.ts";
import type { Plugin } from "./lib/plugin/plugin.ts";
import type { Command, CommandContext } from "./lib/cli/command.ts";
import { EXIT, EXIT_STATUS_HELP } from "./lib/cli/exit_codes.ts";
import { UsageError } from "./lib/cli/usage_error.ts";
import { didYouMean } from "./lib/cli/did_you_mean.ts";
import { escapeControls } from "./lib/util/terminal_text.ts";

const MAIN_HELP =
  `${NAME} ${VERSION}: an audit log for every tool call an AI agent makes over MCP.

Usage:
  ${NAME} proxy [options] -- <server command> [args...]   wrap a stdio MCP server
  ${NAME} proxy [options] --upstream URL [--listen ADDR]   audit a remote (Streamable HTTP) server
  ${NAME} report [LOG...] [-o report.html]                 render an HTML report
  ${NAME} init [--force]                                   write a starter mcp-audit.jsonc
  ${NAME} keygen [--out PREFIX]                            make an Ed25519 key pair for signed checkpoints
  ${NAME} verify [LOG...] [--pubkey FILE]                  check hash chains, tree roots and signatures
  ${NAME} prove LOG --event SEQ [-o BUNDLE]                write an inclusion proof for one event
  ${NAME} verify-proof BUNDLE --pubkey FILE                check an inclusion proof
  ${NAME} summary [LOG...] [--json]                        print the session summary
  ${NAME} check [LOG...] --fail-on RULES                   fail a CI job when a session did something forbidden
  ${NAME} sessions [--since 24h] [--json]                  list the sessions in the log directory
  ${NAME} tail [SESSION | --latest] [-f]                   print each tool call as it happens
  ${NAME} wrap <client> [--dry-run] | --all | --status     wire mcp-audit into an MCP client's config
  ${NAME} unwrap <client>                                 restore the client's config
  ${NAME} hook <claude-code|cursor|codex> [--log FILE]     record (and guard) a coding agent's tool call from its hook
  ${NAME} ship --to http://HOST:8123 [FILES...]            send logs to a central ClickHouse
  ${NAME} policy test POLICY --log FILE...                 replay a guard policy over past sessions
  ${NAME} policy init --from-log FILE...                   write a starting policy from past sessions
  ${NAME} pin list|accept|forget                           the guard's pinned tool definitions
  ${NAME} --version | --help

Run "${NAME} <command> --help" for a command's options.

${EXIT_STATUS_HELP}`;

/**
 * The subcommands, by name, each imported when it runs.
 *
 * @example
 * ```ts
 * import { COMMANDS } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(Object.keys(COMMANDS).includes("proxy"));
 * ```
 */
export const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  proxy: async () => (await import("./lib/cli/proxy_command.ts")).proxyCommand,
  report: async () =>
    (await import("./lib/cli/report_command.ts")).reportCommand,
  init: async () => (await import("./lib/cli/init_command.ts")).initCommand,
  keygen: async () =>
    (await import("./lib/cli/keygen_command.ts")).keygenCommand,
  verify: async () =>
    (await import("./lib/cli/verify_command.ts")).verifyCommand,
  prove: async () => (await import("./lib/cli/prove_command.ts")).proveCommand,
  "verify-proof": async () =>
    (await import("./lib/cli/verify_proof_command.ts")).verifyProofCommand,
  summary: async () =>
    (await import("./lib/cli/summary_command.ts")).summaryCommand,
  check: async () => (await import("./lib/cli/check_command.ts")).checkCommand,
  sessions: async () =>
    (await import("./lib/cli/sessions_command.ts")).sessionsCommand,
  tail: async () => (await import("./lib/cli/tail_command.ts")).tailCommand,
  wrap: async () => (await import("./lib/cli/wrap_command.ts")).wrapCommand,
  unwrap: async () =>
    (await import("./lib/cli/unwrap_command.ts")).unwrapCommand,
  hook: async () => (await import("./lib/cli/hook_command.ts")).hookCommand,
  ship: async () => (await import("./lib/cli/ship_command.ts")).shipCommand,
  policy: async () =>
    (await import("./lib/cli/policy_command.ts")).policyCommand,
  pin: async () => (await import("./lib/cli/pin_command.ts")).pinCommand,
};

/** Options for {@linkcode main}, for programs that embed the CLI. */
export interface MainOptions {
  /**
   * Plugins compiled in, by the name a config's `plugins` list uses for
   * them: a binary built from a file that passes them here carries them.
   */
  plugins?: Readonly<Record<string, Plugin>>;
}

// What commands print holds names and ids from servers, clients and logs:
// control characters in it are shown escaped, never obeyed by the terminal.
const toStdout = console.log.bind(console);
const context: CommandContext = {
  out(text: string): void {
    toStdout(escapeControls(text));
  },
  err(text: string): void {
    console.error(`${NAME}: ${escapeControls(text)}`);
  },
  // For `tail`'s colours: it escapes every outside string itself.
  raw(text: string): void {
    toStdout(text);
  },
};

/** Sends what code prints with `console.log`, `info` and `debug` to stderr, as `console.error` does. */
function routeConsoleToStderr(): void {
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
}

/**
 * Runs the CLI with `args` and returns the exit status; it never ends the
 * process, so a program that imports it can compile custom plugins into a
 * binary, or run commands in a test.
 *
 * @example A binary with a compiled-in plugin
 * ```ts ignore
 * import { main } from "./cli.ts";
 * import payroll from "./my_payroll_plugin.ts";
 *
 * Deno.exit(await main(Deno.args, { plugins: { payroll } }));
 * ```
 */
export async function main(
  args: string[],
  options: MainOptions = {},
): Promise<number> {
  const [name, ...rest] = args;
  const load = name !== undefined && Object.hasOwn(COMMANDS, name)
    ? COMMANDS[name]
    : undefined;
  try {
    if (load) {
      // While proxying, stdout belongs to the MCP client alone: a plugin's
      // console output would corrupt its stream, so it goes to stderr.
      if (name === "proxy") routeConsoleToStderr();
      const command = await load();
      return await command(rest, { ...context, plugins: options.plugins });
    }
    switch (name) {
      case "--version":
      case "-V":
        context.out(`${NAME} ${VERSION}`);
        return EXIT.ok;
      case "--help":
      case "-h":
      case "help":
        context.out(MAIN_HELP);
        return EXIT.ok;
      case undefined:
        throw new UsageError("no command given", MAIN_HELP);
      default: {
        const guess = didYouMean(name, Object.keys(COMMANDS));
        throw new UsageError(
          `unknown command ${name}${guess ? ` (did you mean ${guess}?)` : ""}`,
          MAIN_HELP,
        );
      }
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // One line for what was wrong, the usage, and where the rest is.
    context.err(error.message);
    console.error(escapeControls(error.usage));
    console.error(
      `Run "${NAME} ${load ? `${name} ` : ""}--help" for ${
        load ? "its options" : "more"
      }.`,
    );
    return EXIT.usage;
  }
}

if (import.meta.main) {
  if ("WorkerGlobalScope" in globalThis) {
    // In the bundle the log's worker runs this same file: serve the log.
    const { isLogThread, serveLogThread } = await import(
      "./lib/log/log_thread_worker.ts"
    );
    if (isLogThread()) serveLogThread();
  } else if (!isMainThread) {
    // And so does a plugin module's worker: serve the plugin.
    const { isPluginThread, servePluginThread } = await import(
      "./lib/config/plugin_thread.ts"
    );
    if (isPluginThread()) servePluginThread();
  } else {
    Deno.exit(await main(Deno.args));
  }
}
