/**
 * `mcp-audit check`: a CI gate that fails when a session did something forbidden.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { UsageError } from "./usage_error.ts";
import { EXIT } from "./exit_codes.ts";
import { logArgs, readingFiles } from "./log_files.ts";
import { configFindingRuleSet } from "./config_finding_rules.ts";

/** The help of `mcp-audit check`. */
export const CHECK_HELP =
  `Usage: ${NAME} check [LOG...] --fail-on RULES [--pubkey FILE] [--json]

A gate for CI jobs that run agents: lists, with file, line, seq and tool,
every event the rules forbid, and fails when there is one. Without LOG, the
latest session in the default log directory: the one that started last by
its session_start (signed with the log, not the file name), named on stderr.

Rules (comma-separated):
  write          a tool call classified WRITE
  sensitive      a tool call classified SENSITIVE
  class:LABEL    a tool call with any other class label
  error          a JSON-RPC error response or a tool result with isError
  entity:TYPE    an event that touched an entity of TYPE (e.g. entity:ssn)
  finding:SEVERITY
                 a finding of that severity or worse (high, medium, low),
                 listed at the first event it rests on
  finding:RULE   a finding of that rule: data-flow-out, unseen-identifier,
                 write-without-read, unconfirmed-write, repeated-call,
                 error-storm, instructions-in-data, scope-crossing,
                 write-after-denial, tool-changed, path-outside-roots,
                 a rule of a plugin the config names, or one a finding
                 event in the log names (logged live, its plugin not
                 loaded here)
  denied         a request the guard's policy blocked (or, in monitor mode,
                 would have blocked: a deny or hide decision)
  tool-changed   a tools/list answer whose tool definitions differ from the
                 pins (a tool added, removed or changed)
  unverified     the log does not verify ("${NAME} verify" would not exit 0),
                 or events come after the last signed checkpoint (a crash,
                 or a log rolled back and continued; listed with seq range)

Options:
  --fail-on RULES        The rules (required).
  --pubkey FILE          For unverified: check signatures with this key.
  --require-signature    For unverified: fail unless signatures are checked.
  --config FILE          The config the proxy used (default ./mcp-audit.jsonc
                         if present): entity:TYPE rules whose type none of its
                         extractors yields are warned about, and its
                         "findings" settings (rules off, severities,
                         thresholds, scope) apply to finding: rules.
  --json                 Print the result as JSON.
  -h, --help             This help.

Exit status: 0 when nothing is forbidden; 1 when something is; 2 for a usage
error; 4 when a log or the key cannot be read.`;

/**
 * Warns for each `entity:TYPE` rule whose type no extractor of the config
 * yields: a log recorded with that config cannot hold such an entity, so
 * the rule would pass by construction, which a gate must not do silently.
 */
async function warnUnyieldedEntities(
  rules: { kind: string; type?: string; name: string }[],
  configPath: string | undefined,
  context: CommandContext,
): Promise<void> {
  const wanted = rules.filter((r) => r.kind === "entity");
  if (wanted.length === 0) return;
  const { loadConfig } = await import("../config/config.ts");
  let config;
  try {
    ({ config } = await loadConfig(configPath));
  } catch (error) {
    context.err(`${(error as Error).message} (read to check the entity rules)`);
    return;
  }
  const types = new Set((config.entities ?? []).map((x) => x.type));
  for (const entry of config.plugins ?? []) {
    if (typeof entry === "object" && entry.use === "entities") {
      const extractors =
        (entry.options as { extractors?: { type?: unknown }[] })
          ?.extractors ?? [];
      for (const x of extractors) {
        if (typeof x?.type === "string") types.add(x.type);
      }
    }
  }
  const ids = config.idArguments !== false;
  for (const rule of wanted) {
    const type = rule.type!;
    if (types.has(type)) continue;
    context.err(
      `warning: ${rule.name}: no extractor in ${
        configPath ?? "the config"
      } yields entities of type "${type}" (it has: ${
        types.size > 0 ? [...types].join(", ") : "none"
      }${
        ids ? `; arguments named like ${type}_id would` : ""
      }), so a log recorded with it holds none and the rule cannot fail. Add an extractor for "${type}" to "entities", or pass the config the proxy used with --config.`,
    );
  }
}

/**
 * Runs `mcp-audit check` with its arguments and returns the exit status;
 * a bad command line throws `UsageError`.
 *
 * @example Printing the help
 * ```ts
 * import { checkCommand, CHECK_HELP } from "./check_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await checkCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [CHECK_HELP]);
 * ```
 */
export async function checkCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      "fail-on": { type: "string" },
      pubkey: { type: "string" },
      "require-signature": { type: "boolean" },
      json: { type: "boolean" },
      config: { type: "string" },
    },
    CHECK_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const { values } = parsed;
  const {
    checkLogs,
    formatCheckReport,
    loggedFindingRules,
    parseFailOn,
    UnknownFindingRuleError,
  } = await import("../evidence/check.ts");
  // A plugin's rule ids are known once the config's plugins are loaded.
  const ruleSet = /finding:/i.test(values["fail-on"] ?? "")
    ? await configFindingRuleSet(values.config, CHECK_HELP)
    : undefined;
  const findingRules = ruleSet?.rules;
  let rules;
  let logs: string[] | number | undefined;
  try {
    rules = parseFailOn(values["fail-on"] ?? "", ruleSet?.known);
  } catch (error) {
    if (!(error instanceof UnknownFindingRuleError)) {
      throw new UsageError((error as Error).message, CHECK_HELP);
    }
    // A rule whose plugin is not loaded may still be named by a finding
    // the proxy logged live: the gate is then on that logged finding.
    logs = await logArgs(parsed.positionals, context, { announce: true });
    if (typeof logs === "number") return logs;
    const paths = logs;
    let logged: string[] = [];
    const read = await readingFiles(context, async () => {
      logged = await loggedFindingRules(paths);
      return EXIT.ok;
    });
    if (read !== EXIT.ok) return read;
    try {
      rules = parseFailOn(values["fail-on"] ?? "", [
        ...(ruleSet?.known ?? []),
        ...logged,
      ]);
    } catch (again) {
      throw new UsageError((again as Error).message, CHECK_HELP);
    }
  }
  await warnUnyieldedEntities(rules, values.config, context);
  logs ??= await logArgs(parsed.positionals, context, { announce: true });
  if (typeof logs === "number") return logs;
  const paths = logs;
  return await readingFiles(context, async () => {
    const { loadVerifyKey } = await import("../seal/signing_key.ts");
    const report = await checkLogs(paths, rules, {
      publicKey: values.pubkey ? await loadVerifyKey(values.pubkey) : undefined,
      requireSignature: values["require-signature"],
    }, findingRules);
    context.out(
      values.json ? JSON.stringify(report, null, 2) : formatCheckReport(report),
    );
    return report.ok ? EXIT.ok : EXIT.failed;
  });
}
