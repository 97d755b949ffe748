#!/usr/bin/env -S deno run --allow-run --allow-read --allow-write --allow-env --v8-flags=--no-allocation-site-pretenuring
// deno-lint-ignore-file no-console -- only the CLI talks to the terminal
/**
 * The `mcp-audit` command line. It only parses arguments and calls into
 * `lib/`; heavy modules (the report) are imported lazily so the proxy starts
 * fast. In proxy mode stdout belongs to the MCP client: nothing of ours is
 * ever printed there.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { NAME, VERSION } from "./lib/util/version.ts";
import type { Plugin } from "./lib/plugin/plugin.ts";

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
  ${NAME} verify [LOG...] [--pubkey FILE]                  check hash chains, tree roots and signatures
  ${NAME} prove LOG --event SEQ [-o BUNDLE]                write an inclusion proof for one event
  ${NAME} verify-proof BUNDLE --pubkey FILE                check an inclusion proof
  ${NAME} summary [LOG...] [--json]                        print the session summary
  ${NAME} check [LOG...] --fail-on RULES                   fail a CI job when a session did something forbidden
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
  --no-seal               Write no hash chain, tree or checkpoints (faster; the
                          log then proves nothing about tampering).
  --rotate SIZE           Start a new log file when the current one reaches SIZE
                          (e.g. 100MB, 1GB): a.jsonl, a.2.jsonl, ...; the chain
                          and tree continue across them.
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

const EXIT_FAILED = 1;
const EXIT_INCOMPLETE = 3;
const EXIT_UNREADABLE = 4;

const VERIFY_HELP =
  `Usage: ${NAME} verify [LOG...] [--pubkey FILE] [--require-signature] [--json]

Checks every line of one or more audit logs: the hash chain of each session,
the Merkle tree root of every checkpoint and, with --pubkey, every
checkpoint's Ed25519 signature (docs/evidence.md). Lines are grouped by
session; a file may hold several sessions, and a session may continue in the
next file given. Reports, with file and line, every edited, inserted,
deleted or reordered line, forged checkpoint, checkpoint signed with another
key, truncated last line (the event in flight at a crash, not tampering),
lost events (gap lines), lines without a hash, and sessions without a
session_end. Without LOG, the latest session in the default log directory.

Without --pubkey, signatures cannot be checked: the output says so, and the
log still verifies when chains and roots hold (pass --require-signature to
fail instead). With --pubkey, an unsigned checkpoint or one signed with
another key fails.

Options:
  --pubkey FILE          The Ed25519 public key (PEM, from "${NAME} keygen").
  --require-signature    Fail unless every checkpoint's signature is checked.
  --json                 Print the report as JSON.
  -h, --help             This help.

Exit status: 0 when everything holds; 1 when something does not (tampering,
a forged or wrongly signed checkpoint, a required signature missing);
3 when nothing contradicts the log but it is incomplete (a session without
session_end, a truncated last line, lost events, lines without a hash);
2 for a usage error; 4 when a log or the key cannot be read.`;

const PROVE_HELP =
  `Usage: ${NAME} prove LOG --event SEQ [--session ID] [--final] [-o BUNDLE]

Writes a proof bundle for one event (docs/evidence.md): its line, its leaf
index, and its RFC 6962 inclusion proof against the first checkpoint after
it (or, with --final, the session's last checkpoint), with that checkpoint's
line. A reviewer checks it with "${NAME} verify-proof BUNDLE --pubkey FILE"
without seeing the rest of the session.

Options:
  --event SEQ       The event's seq (required).
  --session ID      The session, when the log holds more than one.
  --final           Prove against the session's last checkpoint.
  -o, --output FILE Where to write the bundle. Default: proof-<SEQ>.json
  -h, --help        This help.

Exit status: 0 when the bundle is written; 1 when the event or a checkpoint
covering it is not in the log; 2 for a usage error; 4 when the log cannot be read.`;

const VERIFY_PROOF_HELP =
  `Usage: ${NAME} verify-proof BUNDLE --pubkey FILE [--json]

Checks a proof bundle from "${NAME} prove": recomputes the event's leaf hash
from its line's canonical bytes, follows the inclusion proof to the
checkpoint's root, and checks the checkpoint's signature and key id with the
public key.

Options:
  --pubkey FILE   The Ed25519 public key (PEM, from "${NAME} keygen"); required.
  --json          Print the result as JSON.
  -h, --help      This help.

Exit status: 0 when the bundle proves its event; 1 when it does not; 2 for a
usage error; 4 when the bundle or the key cannot be read.`;

const SUMMARY_HELP = `Usage: ${NAME} summary [LOG...] [--json]

Prints each session's summary: tool calls, tools with their classes, errors,
unique entities by type, durations. Taken from the session's session_end
when it has one; otherwise computed from its events. Without LOG, the
latest session in the default log directory.

Options:
  --json       Print the summaries as JSON.
  -h, --help   This help.

Exit status: 0 on success, 2 for a usage error, 4 when a log cannot be read.`;

const CHECK_HELP =
  `Usage: ${NAME} check [LOG...] --fail-on RULES [--pubkey FILE] [--json]

A gate for CI jobs that run agents: lists, with file, line, seq and tool,
every event the rules forbid, and fails when there is one. Without LOG, the
latest session in the default log directory.

Rules (comma-separated):
  write          a tool call classified WRITE
  sensitive      a tool call classified SENSITIVE
  class:LABEL    a tool call with any other class label
  error          a JSON-RPC error response or a tool result with isError
  entity:TYPE    an event that touched an entity of TYPE (e.g. entity:ssn)
  unverified     the log does not verify ("${NAME} verify" would not exit 0)

Options:
  --fail-on RULES        The rules (required).
  --pubkey FILE          For unverified: check signatures with this key.
  --require-signature    For unverified: fail unless signatures are checked.
  --json                 Print the result as JSON.
  -h, --help             This help.

Exit status: 0 when nothing is forbidden; 1 when something is; 2 for a usage
error; 4 when a log or the key cannot be read.`;

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

type CommandOptions = NonNullable<ParseArgsConfig["options"]>;
type Parsed<O extends CommandOptions> = ReturnType<
  typeof parseArgs<
    { args: string[]; options: O; strict: true; allowPositionals: true }
  >
>;

/**
 * Parses a subcommand's arguments (with `--help`/`-h` added): a usage error
 * exits with the subcommand's help; `undefined` means the help was printed.
 */
function parseCommand<O extends CommandOptions>(
  argv: string[],
  options: O,
  help: string,
  { positionals = false, hint = "" } = {},
): Parsed<O & { help: { type: "boolean"; short: "h" } }> | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { ...options, help: { type: "boolean", short: "h" } } as
        & O
        & { help: { type: "boolean"; short: "h" } },
    });
  } catch (error) {
    usage(`${(error as Error).message}${hint}`, help);
  }
  if (!positionals && parsed.positionals.length > 0) {
    usage(
      `Unexpected argument '${
        parsed.positionals[0]
      }'. This command does not take positional arguments${hint}`,
      help,
    );
  }
  if ((parsed.values as { help?: boolean }).help) {
    out(help);
    return undefined;
  }
  return parsed;
}

async function proxyCommand(
  argv: string[],
  options: MainOptions,
): Promise<number> {
  const dashdash = argv.indexOf("--");
  const own = dashdash === -1 ? argv : argv.slice(0, dashdash);
  let command = dashdash === -1 ? [] : argv.slice(dashdash + 1);
  const parsed = parseCommand(
    own,
    {
      log: { type: "string" },
      config: { type: "string" },
      server: { type: "string" },
      "sensitive-tools": { type: "string" },
      "write-tools": { type: "string" },
      "max-payload": { type: "string" },
      "grace-ms": { type: "string" },
      "signing-key": { type: "string" },
      rotate: { type: "string" },
      "no-seal": { type: "boolean" },
      "checkpoint-every": { type: "string" },
      "checkpoint-seconds": { type: "string" },
      quiet: { type: "boolean" },
    },
    PROXY_HELP,
    { hint: '. The server command goes after "--".' },
  );
  if (!parsed) return 0;
  const { values } = parsed;
  if (values.server !== undefined) {
    if (command.length > 0) {
      usage(
        `give the server either after "--" or with --server, not both`,
        PROXY_HELP,
      );
    }
    const { splitShellWords } = await import("./lib/cli/shell_words.ts");
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

  const { runProxy } = await import("./lib/proxy/proxy.ts");
  const { CommandNotFoundError } = await import(
    "./lib/proxy/server_process.ts"
  );
  const { LogOpenError } = await import("./lib/log/log_writer.ts");
  const { ConfigError, loadConfig } = await import("./lib/config/config.ts");
  const { loadPlugins, PluginLoadError, redactionKey } = await import(
    "./lib/config/plugin_loader.ts"
  );
  const { Pipeline } = await import("./lib/plugin/pipeline.ts");
  const { defaultLogDir } = await import("./lib/log/log_path.ts");
  const { KeyFileError, loadSigningKey } = await import(
    "./lib/seal/signing_key.ts"
  );
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
      registry: options.plugins,
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
            "./",
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
      seal: !values["no-seal"],
      rotateBytes: parseSize(values.rotate, "--rotate"),
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
      error instanceof PluginLoadError || error instanceof KeyFileError
    ) {
      err(error.message);
      return EXIT_STARTUP;
    }
    throw error;
  }
}

async function keygenCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    out: { type: "string", short: "o" },
  }, KEYGEN_HELP);
  if (!parsed) return 0;
  const prefix = parsed.values.out ?? "mcp-audit-signing";
  const { generateKeyPair } = await import("./lib/seal/signing_key.ts");
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
  const parsed = parseCommand(argv, {
    force: { type: "boolean" },
  }, INIT_HELP);
  if (!parsed) return 0;
  const { starterConfig } = await import("./lib/config/starter_config.ts");
  const { configJsonSchema } = await import("./lib/config/json_schema.ts");
  const { CONFIG_FILE } = await import("./lib/config/config.ts");
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
  const parsed = parseCommand(
    argv,
    {
      output: { type: "string", short: "o" },
    },
    REPORT_HELP,
    { positionals: true },
  );
  if (!parsed) return 0;
  const { latestLogs, NoLogFoundError } = await import("./lib/log/log_path.ts");
  const { orderLogFiles } = await import("./lib/log/log_path.ts");
  let logs = orderLogFiles(parsed.positionals);
  try {
    if (logs.length === 0) logs = await latestLogs();
  } catch (error) {
    if (error instanceof NoLogFoundError) {
      err(error.message);
      return EXIT_STARTUP;
    }
    throw error;
  }
  const { writeReport } = await import("./report/write_report.ts");
  const { LogReadError } = await import("./lib/log/log_reader.ts");
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

function parseSize(
  value: string | undefined,
  flag: string,
): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|KIB|MB|MIB|GB|GIB)?$/i.exec(value.trim());
  const units: Record<string, number> = {
    B: 1,
    KB: 1e3,
    KIB: 1024,
    MB: 1e6,
    MIB: 1024 ** 2,
    GB: 1e9,
    GIB: 1024 ** 3,
  };
  const bytes = m ? Number(m[1]) * units[(m[2] ?? "B").toUpperCase()] : NaN;
  if (!(bytes >= 1024)) {
    usage(
      `${flag} takes a size of at least 1KiB such as 100MB or 1GB, got "${value}"`,
      PROXY_HELP,
    );
  }
  return Math.floor(bytes);
}

async function logArgs(positionals: string[]): Promise<string[] | number> {
  const { latestLogs, NoLogFoundError, orderLogFiles } = await import(
    "./lib/log/log_path.ts"
  );
  if (positionals.length > 0) return orderLogFiles(positionals);
  try {
    return await latestLogs();
  } catch (error) {
    if (error instanceof NoLogFoundError) {
      err(error.message);
      return EXIT_UNREADABLE;
    }
    throw error;
  }
}

/** Runs `body`, turning unreadable logs and key files into exit status 4. */
async function readingFiles(body: () => Promise<number>): Promise<number> {
  const { LogReadError } = await import("./lib/log/log_reader.ts");
  const { KeyFileError } = await import("./lib/seal/signing_key.ts");
  try {
    return await body();
  } catch (error) {
    if (error instanceof LogReadError || error instanceof KeyFileError) {
      err(error.message);
      return EXIT_UNREADABLE;
    }
    throw error;
  }
}

async function verifyCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      pubkey: { type: "string" },
      "require-signature": { type: "boolean" },
      json: { type: "boolean" },
    },
    VERIFY_HELP,
    { positionals: true },
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const logs = await logArgs(parsed.positionals);
  if (typeof logs === "number") return logs;
  return await readingFiles(async () => {
    const { loadVerifyKey } = await import("./lib/seal/signing_key.ts");
    const { verifyLogs } = await import("./lib/evidence/verify.ts");
    const { formatVerifyReport } = await import(
      "./lib/evidence/verify_text.ts"
    );
    const report = await verifyLogs(logs, {
      publicKey: values.pubkey ? await loadVerifyKey(values.pubkey) : undefined,
      requireSignature: values["require-signature"],
    });
    out(
      values.json
        ? JSON.stringify(report, null, 2)
        : formatVerifyReport(report),
    );
    return report.status === "verified"
      ? 0
      : report.status === "failed"
      ? EXIT_FAILED
      : EXIT_INCOMPLETE;
  });
}

async function proveCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      event: { type: "string" },
      session: { type: "string" },
      final: { type: "boolean" },
      output: { type: "string", short: "o" },
    },
    PROVE_HELP,
    { positionals: true },
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 1) usage("give one LOG", PROVE_HELP);
  const seq = Number(values.event);
  if (values.event === undefined || !Number.isInteger(seq) || seq < 0) {
    usage(
      `--event takes the event's seq, a whole number, got "${
        values.event ?? ""
      }"`,
      PROVE_HELP,
    );
  }
  const logs = await logArgs(positionals);
  if (typeof logs === "number") return logs;
  return await readingFiles(async () => {
    const { buildProof, ProofError } = await import("./lib/evidence/proof.ts");
    try {
      const bundle = await buildProof(logs[0], {
        seq,
        session: values.session,
        final: values.final,
      });
      const output = values.output ?? `proof-${seq}.json`;
      await Deno.writeTextFile(output, JSON.stringify(bundle, null, 2) + "\n");
      out(
        `Wrote ${output}: seq ${seq} (leaf ${bundle.leafIndex}) in the tree of ${bundle.treeSize} at ${bundle.source?.path}:${bundle.source?.checkpointLine}`,
      );
      return 0;
    } catch (error) {
      if (error instanceof ProofError) {
        err(error.message);
        return EXIT_FAILED;
      }
      throw error;
    }
  });
}

async function verifyProofCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      pubkey: { type: "string" },
      json: { type: "boolean" },
    },
    VERIFY_PROOF_HELP,
    { positionals: true },
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) usage("give one BUNDLE", VERIFY_PROOF_HELP);
  if (!values.pubkey) {
    usage(
      "--pubkey is required: a proof is only as good as the checkpoint's signature",
      VERIFY_PROOF_HELP,
    );
  }
  const pubkey = values.pubkey;
  return await readingFiles(async () => {
    const { loadVerifyKey } = await import("./lib/seal/signing_key.ts");
    const { verifyProof } = await import("./lib/evidence/proof.ts");
    let bundle: unknown;
    try {
      bundle = JSON.parse(await Deno.readTextFile(positionals[0]));
    } catch (error) {
      err(
        `Cannot read the proof bundle "${positionals[0]}": ${
          (error as Error).message
        }. Pass the JSON file "${NAME} prove" wrote.`,
      );
      return EXIT_UNREADABLE;
    }
    const check = await verifyProof(bundle, await loadVerifyKey(pubkey));
    const ok = check.problems.length === 0;
    if (values.json) {
      out(JSON.stringify({ ok, ...check }, null, 2));
    } else if (ok) {
      out(
        `VERIFIED: seq ${check.seq} (${check.kind}${
          check.tool ? ` ${check.tool}` : ""
        }) of session ${check.session} is in the signed checkpoint of ${check.treeSize} events (key ${check.keyId})`,
      );
    } else {
      for (const p of check.problems) out(`FAIL: ${p}`);
      out(`FAILED: the bundle does not prove its event`);
    }
    return ok ? 0 : EXIT_FAILED;
  });
}

async function summaryCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      json: { type: "boolean" },
    },
    SUMMARY_HELP,
    { positionals: true },
  );
  if (!parsed) return 0;
  const logs = await logArgs(parsed.positionals);
  if (typeof logs === "number") return logs;
  return await readingFiles(async () => {
    const { formatSummaries, summarizeLogs } = await import(
      "./lib/evidence/summary_text.ts"
    );
    const sessions = await summarizeLogs(logs);
    out(
      parsed.values.json
        ? JSON.stringify(sessions, null, 2)
        : formatSummaries(sessions),
    );
    return 0;
  });
}

async function checkCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      "fail-on": { type: "string" },
      pubkey: { type: "string" },
      "require-signature": { type: "boolean" },
      json: { type: "boolean" },
    },
    CHECK_HELP,
    { positionals: true },
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const { checkLogs, formatCheckReport, parseFailOn } = await import(
    "./lib/evidence/check.ts"
  );
  let rules;
  try {
    rules = parseFailOn(values["fail-on"] ?? "");
  } catch (error) {
    usage((error as Error).message, CHECK_HELP);
  }
  const logs = await logArgs(parsed.positionals);
  if (typeof logs === "number") return logs;
  return await readingFiles(async () => {
    const { loadVerifyKey } = await import("./lib/seal/signing_key.ts");
    const report = await checkLogs(logs, rules, {
      publicKey: values.pubkey ? await loadVerifyKey(values.pubkey) : undefined,
      requireSignature: values["require-signature"],
    });
    out(
      values.json ? JSON.stringify(report, null, 2) : formatCheckReport(report),
    );
    return report.ok ? 0 : EXIT_FAILED;
  });
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

/** Options for {@linkcode main}, for programs that embed the CLI. */
export interface MainOptions {
  /**
   * Plugins compiled in, by the name a config's `plugins` list uses for
   * them: a binary built from a file that passes them here carries them.
   */
  plugins?: Readonly<Record<string, Plugin>>;
}

/**
 * Runs the CLI with `args` and returns the exit status. A program that
 * imports it can compile custom plugins into a binary.
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
  const [command, ...rest] = args;
  switch (command) {
    case "proxy":
      return await proxyCommand(rest, options);
    case "report":
      return await reportCommand(rest);
    case "init":
      return await initCommand(rest);
    case "keygen":
      return await keygenCommand(rest);
    case "verify":
      return await verifyCommand(rest);
    case "prove":
      return await proveCommand(rest);
    case "verify-proof":
      return await verifyProofCommand(rest);
    case "summary":
      return await summaryCommand(rest);
    case "check":
      return await checkCommand(rest);
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
  if ("WorkerGlobalScope" in globalThis) {
    // In the bundle the log's worker runs this same file: serve the log.
    const { isLogThread, serveLogThread } = await import(
      "./lib/log/log_thread.ts"
    );
    if (isLogThread()) serveLogThread();
  } else {
    Deno.exit(await main(Deno.args));
  }
}
