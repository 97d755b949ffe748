#!/usr/bin/env -S deno run --allow-run --allow-read --allow-write --allow-env
// deno-lint-ignore-file no-console -- only the CLI talks to the terminal
/**
 * The `mcp-audit` command line. It only parses arguments and calls into
 * `lib/`; heavy modules (the report) are imported lazily so the proxy starts
 * fast. In proxy mode stdout belongs to the MCP client: nothing of ours is
 * ever printed there.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { NAME, VERSION } from "./lib/version.ts";

const EXIT_USAGE = 2;
const EXIT_STARTUP = 1;
const EXIT_NOT_FOUND = 127;

const MAIN_HELP =
  `${NAME} ${VERSION}: an audit log for every tool call an AI agent makes over MCP.

Usage:
  ${NAME} proxy [options] -- <server command> [args...]   wrap a stdio MCP server
  ${NAME} report [LOG...] [-o report.html]                 render an HTML report
  ${NAME} init [--force]                                   write a starter mcp-audit.jsonc
  ${NAME} keygen [--out PREFIX]                            make an Ed25519 key pair for signed checkpoints
  ${NAME} --version | --help

Run "${NAME} <command> --help" for a command's options.`;

const PROXY_HELP = `Usage: ${NAME} proxy [options] -- <server command> [args...]
       ${NAME} proxy [options] --server "<server command line>"

Sits between an MCP client and a stdio MCP server, relays every byte
unchanged in both directions, and appends every JSON-RPC message to a JSONL
audit log as it happens. Put it in front of the server command in your
client's config.

Options:
  --log FILE              Append the log to FILE (created with mode 0600).
                          Default: a new file per session in
                          $XDG_STATE_HOME/mcp-audit/ (~/.local/state/mcp-audit/),
                          ~/Library/Logs/mcp-audit/ on macOS,
                          %LOCALAPPDATA%\\mcp-audit\\logs on Windows;
                          MCP_AUDIT_LOG_DIR overrides the directory.
  --config FILE           Classifier config (JSONC). Default: ./mcp-audit.jsonc if
                          present; "mcp-audit init" writes a starter one.
  --server "CMD ARGS"     The server as one command line, split like a shell
                          would (the mcp-audit-trail form).
  --sensitive-tools a,b   Tools to tag SENSITIVE (names or globs); replaces the
                          config's rules.sensitive.
  --write-tools c,d       Tools to tag WRITE (names or globs); replaces rules.write.
  --max-payload BYTES     Messages above this size have their payload replaced
                          in the log by its size, SHA-256 and a preview.
                          Default: 65536.
  --grace-ms MS           After the client closes stdin, how long the server
                          gets to exit before SIGTERM, then SIGKILL. Default: 2000.
  --signing-key FILE      Sign checkpoints with this Ed25519 private key (PEM,
                          from "mcp-audit keygen"). Without it checkpoints are
                          unsigned; the hash chain and Merkle tree are always on.
  --checkpoint-every N    A checkpoint after N events. Default: 1000.
  --checkpoint-seconds S  A checkpoint after S seconds with new events. Default: 10.
  --quiet                 No closing line on stderr.
  -h, --help              This help.

Exit status: the server's own exit status (128+N when killed by signal N);
1 when the log, the config or a plugin cannot be used (the server is not started);
2 for a usage error; 127 when the server command is not found.`;

const REPORT_HELP = `Usage: ${NAME} report [LOG...] [-o FILE]

Renders one self-contained HTML file (no network at view time) from one or
more audit logs; several sessions merge into one report. Without LOG, the
latest session in the default log directory is used.

Options:
  -o, --output FILE   Where to write the report. Default: report.html
  -h, --help          This help.

Exit status: 0 on success, 1 when a log cannot be read, 2 for a usage error.`;

const KEYGEN_HELP = `Usage: ${NAME} keygen [--out PREFIX]

Writes a new Ed25519 key pair for signing log checkpoints: PREFIX.key (the
private key, PKCS#8 PEM, mode 0600) and PREFIX.pub (the public key, SPKI PEM).
Give the private key to "${NAME} proxy --signing-key PREFIX.key" (it is read
from the file, never from the command line, and never logged), and the public
key to whoever verifies logs.

Options:
  -o, --out PREFIX   File name prefix. Default: mcp-audit-signing
  -h, --help         This help.

Exit status: 0 on success, 1 when a file exists already, 2 for a usage error.`;

const INIT_HELP = `Usage: ${NAME} init [--force]

Writes a commented starter classifier config, mcp-audit.jsonc, and its JSON
Schema, mcp-audit.schema.json, into the current directory. "${NAME} proxy"
reads ./mcp-audit.jsonc when --config is not given.

Options:
  --force      Overwrite an existing mcp-audit.jsonc.
  -h, --help   This help.

Exit status: 0 on success, 1 when mcp-audit.jsonc exists, 2 for a usage error.`;

function out(text: string): void {
  console.log(text);
}

function err(text: string): void {
  console.error(`${NAME}: ${text}`);
}

function usage(message: string, help: string): never {
  err(message);
  console.error("");
  console.error(help);
  Deno.exit(EXIT_USAGE);
}

async function proxyCommand(argv: string[]): Promise<number> {
  const dashdash = argv.indexOf("--");
  const own = dashdash === -1 ? argv : argv.slice(0, dashdash);
  let command = dashdash === -1 ? [] : argv.slice(dashdash + 1);
  let values;
  try {
    ({ values } = parseArgs({
      args: own,
      strict: true,
      allowPositionals: false,
      options: {
        log: { type: "string" },
        config: { type: "string" },
        server: { type: "string" },
        "sensitive-tools": { type: "string" },
        "write-tools": { type: "string" },
        "max-payload": { type: "string" },
        "grace-ms": { type: "string" },
        "signing-key": { type: "string" },
        "checkpoint-every": { type: "string" },
        "checkpoint-seconds": { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    usage(
      `${(error as Error).message}. The server command goes after "--".`,
      PROXY_HELP,
    );
  }
  if (values.help) {
    out(PROXY_HELP);
    return 0;
  }
  if (values.server !== undefined) {
    if (command.length > 0) {
      usage(
        `give the server either after "--" or with --server, not both`,
        PROXY_HELP,
      );
    }
    const { splitShellWords } = await import("./lib/shell_words.ts");
    try {
      command = splitShellWords(values.server);
    } catch (error) {
      usage((error as Error).message, PROXY_HELP);
    }
  }
  if (command.length === 0) {
    usage(
      `no server command: put it after "--" or pass --server "<command line>"`,
      PROXY_HELP,
    );
  }
  const maxPayloadBytes = positiveInt(values["max-payload"], "--max-payload");
  const graceMs = positiveInt(values["grace-ms"], "--grace-ms");

  const { runProxy } = await import("./lib/proxy.ts");
  const { CommandNotFoundError } = await import("./lib/server_process.ts");
  const { LogOpenError } = await import("./lib/log_writer.ts");
  const { ConfigError, loadConfig } = await import("./lib/config.ts");
  const { loadPlugins, PluginLoadError, redactionKey } = await import(
    "./lib/plugin_loader.ts"
  );
  const { Pipeline } = await import("./lib/pipeline.ts");
  const { defaultLogDir } = await import("./lib/log_path.ts");
  const { KeyFileError, loadSigningKey } = await import("./lib/signing_key.ts");
  try {
    // Config and plugins are checked before the server starts.
    const { config, path: configPath } = await loadConfig(values.config);
    const list = (v: string | undefined): string[] | undefined =>
      v === undefined
        ? undefined
        : v.split(",").map((s) => s.trim()).filter(Boolean);
    const logDir = config.logDir ?? defaultLogDir();
    const plugins = await loadPlugins(config, {
      configPath,
      flags: {
        sensitiveTools: list(values["sensitive-tools"]),
        writeTools: list(values["write-tools"]),
      },
      redactKey: config.redact === false
        ? undefined
        : await redactionKey(defaultLogDir()),
    });
    const keyPath = values["signing-key"] ??
      (config.signing?.key && configPath
        ? new URL(
          config.signing.key,
          new URL(
            ".",
            `file://${
              configPath.startsWith("/") ? "" : `${Deno.cwd()}/`
            }${configPath}`,
          ),
        ).pathname
        : config.signing?.key);
    const signingKey = keyPath ? await loadSigningKey(keyPath) : undefined;
    const processor = new Pipeline(plugins, {
      hookTimeoutMs: config.hookTimeoutMs,
      onWarning: (message) => err(message),
    });
    const result = await runProxy({
      command,
      logPath: values.log,
      logDir,
      processor,
      maxPayloadBytes: maxPayloadBytes ?? config.maxPayloadBytes,
      graceMs,
      signingKey,
      checkpointEvery:
        positiveInt(values["checkpoint-every"], "--checkpoint-every") ??
          config.signing?.checkpointEvery,
      checkpointSeconds:
        positiveInt(values["checkpoint-seconds"], "--checkpoint-seconds") ??
          config.signing?.checkpointSeconds,
    });
    if (!values.quiet) {
      const s = result.summary;
      err(
        `session logged to ${result.logPath}: ${s.toolCalls} tool call(s), ${s.errors} error(s), ${s.uniqueEntities} unique entit${
          s.uniqueEntities === 1 ? "y" : "ies"
        }` +
          (result.failure ? `; ${result.failure}` : ""),
      );
    }
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommandNotFoundError) {
      err(error.message);
      return EXIT_NOT_FOUND;
    }
    if (
      error instanceof LogOpenError || error instanceof ConfigError ||
      error instanceof PluginLoadError
    ) {
      err(error.message);
      return EXIT_STARTUP;
    }
    throw error;
  }
}

async function keygenCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: "string", short: "o" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    usage((error as Error).message, KEYGEN_HELP);
  }
  if (parsed.values.help) {
    out(KEYGEN_HELP);
    return 0;
  }
  const prefix = parsed.values.out ?? "mcp-audit-signing";
  const { generateKeyPair } = await import("./lib/signing_key.ts");
  const pair = await generateKeyPair();
  try {
    await Deno.writeTextFile(`${prefix}.key`, pair.privatePem, {
      mode: 0o600,
      createNew: true,
    });
    await Deno.chmod(`${prefix}.key`, 0o600).catch(() => {});
    await Deno.writeTextFile(`${prefix}.pub`, pair.publicPem, {
      createNew: true,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      err(
        `${prefix}.key or ${prefix}.pub already exists; choose another name with --out PREFIX.`,
      );
      return EXIT_STARTUP;
    }
    throw error;
  }
  out(
    `Wrote ${prefix}.key (private, mode 0600: give it to the proxy with --signing-key) and ${prefix}.pub (public: give it to verifiers).`,
  );
  out(`Key id: ${pair.keyId}`);
  return 0;
}

async function initCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        force: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    usage((error as Error).message, INIT_HELP);
  }
  if (parsed.values.help) {
    out(INIT_HELP);
    return 0;
  }
  const { starterConfig } = await import("./lib/starter_config.ts");
  const { configJsonSchema } = await import("./lib/json_schema.ts");
  const { CONFIG_FILE } = await import("./lib/config.ts");
  const schemaFile = "mcp-audit.schema.json";
  try {
    await Deno.writeTextFile(CONFIG_FILE, starterConfig(`./${schemaFile}`), {
      createNew: !parsed.values.force,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      err(`${CONFIG_FILE} already exists; pass --force to overwrite it.`);
      return EXIT_STARTUP;
    }
    throw error;
  }
  await Deno.writeTextFile(
    schemaFile,
    JSON.stringify(configJsonSchema(), null, 2) + "\n",
  );
  out(
    `Wrote ${CONFIG_FILE} (the classifier config) and ${schemaFile} (its schema, for your editor).`,
  );
  return 0;
}

async function reportCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        output: { type: "string", short: "o" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    usage((error as Error).message, REPORT_HELP);
  }
  if (parsed.values.help) {
    out(REPORT_HELP);
    return 0;
  }
  const { latestLog, NoLogFoundError } = await import("./lib/log_path.ts");
  let logs = parsed.positionals;
  try {
    if (logs.length === 0) logs = [await latestLog()];
  } catch (error) {
    if (error instanceof NoLogFoundError) {
      err(error.message);
      return EXIT_STARTUP;
    }
    throw error;
  }
  const { writeReport } = await import("./report/write_report.ts");
  const { LogReadError } = await import("./lib/log_reader.ts");
  try {
    const result = await writeReport(
      logs,
      parsed.values.output ?? "report.html",
    );
    for (const s of result.skipped) {
      err(`skipped ${s.path}:${s.line}: ${s.reason}`);
    }
    out(
      `Report written to ${result.outPath} (${result.events} events from ${logs.length} log(s))`,
    );
    return 0;
  } catch (error) {
    if (error instanceof LogReadError) {
      err(error.message);
      return EXIT_STARTUP;
    }
    throw error;
  }
}

function positiveInt(
  value: string | undefined,
  flag: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    usage(`${flag} takes a positive whole number, got "${value}"`, PROXY_HELP);
  }
  return n;
}

/** Runs the CLI with `args` and returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "proxy":
      return await proxyCommand(rest);
    case "report":
      return await reportCommand(rest);
    case "init":
      return await initCommand(rest);
    case "keygen":
      return await keygenCommand(rest);
    case "--version":
    case "-V":
      out(`${NAME} ${VERSION}`);
      return 0;
    case "--help":
    case "-h":
    case "help":
      out(MAIN_HELP);
      return 0;
    case undefined:
      usage("no command given", MAIN_HELP);
      break;
    default:
      usage(`unknown command "${command}"`, MAIN_HELP);
  }
  return EXIT_USAGE;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
