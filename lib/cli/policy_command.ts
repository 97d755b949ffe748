/**
 * `mcp-audit policy test|init`: a guard policy run over past logs before it
 * enforces anything, and a starting policy written from them.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { logArgs, readingFiles } from "./log_files.ts";
import { UsageError } from "./usage_error.ts";

/** The help of `mcp-audit policy`. */
export const POLICY_HELP =
  `Usage: ${NAME} policy test POLICY --log FILE... [--name NAME] [--json]
       ${NAME} policy init --from-log FILE... [--out FILE]

test   Runs the policy in POLICY (a JSONC file with a "policy" key, or a
       config) over the tool calls of past sessions and prints, per rule,
       which calls it would have allowed, denied or asked about, by seq.
       Arguments are tested as the log holds them (redacted values as
       redacted); annotations come from each session's tools/list.
init   Writes a starting policy from the tools seen in the logs and their
       annotations: read-only tools allowed, destructive ones asked about,
       the rest as comments to decide on. To stdout, or to --out FILE.

Options:
  --log FILE        A log to replay (repeat for more).
  --from-log FILE   A log to learn the tools from (repeat for more).
  --name NAME       The server's name for "server" rules, as --name gave it to the proxy.
  --out FILE        Where "init" writes the policy (refused if it exists).
  --json            "test": print the decisions as JSON.
  -h, --help        This help.

Exit status (as check): 0 when the policy would deny nothing in the logs;
1 when it would deny or hide a call; 2 for a usage error; 4 when a log
cannot be read; 1 when the policy file is invalid (named with file, line and key).`;

async function records(paths: string[]): Promise<Record<string, unknown>[]> {
  const { readRecords } = await import("../log/log_lines.ts");
  const all: Record<string, unknown>[] = [];
  for (const path of paths) await readRecords(path, (e) => all.push(e));
  return all;
}

/**
 * Runs `mcp-audit policy` and returns the exit status; a bad command line
 * throws `UsageError`.
 *
 * @example A missing subcommand is a usage error
 * ```ts
 * import { policyCommand } from "./policy_command.ts";
 * import { UsageError } from "./usage_error.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(policyCommand([], { out: () => {}, err: () => {} }), UsageError);
 * ```
 */
export async function policyCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      log: { type: "string", multiple: true },
      "from-log": { type: "string", multiple: true },
      name: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean" },
    },
    POLICY_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  const [sub, ...rest] = parsed.positionals;
  const { values } = parsed;
  if (sub === "test") {
    if (rest.length !== 1) {
      throw new UsageError("policy test takes one POLICY file", POLICY_HELP);
    }
    const logs = await logArgs(values.log ?? [], context, { announce: true });
    if (typeof logs === "number") return logs;
    const { loadPolicy } = await import("./proxy_command.ts");
    const { ConfigError } = await import("../config/config.ts");
    let policy;
    try {
      policy = await loadPolicy(rest[0]);
    } catch (error) {
      if (error instanceof ConfigError) {
        context.err(error.message);
        return EXIT.failed;
      }
      throw error;
    }
    return await readingFiles(context, async () => {
      const { replayPolicy, formatReplay } = await import(
        "../guard/replay.ts"
      );
      const report = replayPolicy(policy, await records(logs), {
        name: values.name,
      });
      context.out(
        values.json
          ? JSON.stringify(report.calls, null, 2)
          : formatReplay(policy, report),
      );
      const denied = report.calls.some((c) =>
        c.decision.action === "deny" || c.decision.action === "hide"
      );
      return denied ? EXIT.failed : EXIT.ok;
    });
  }
  if (sub === "init") {
    if (rest.length > 0) {
      throw new UsageError(
        `policy init takes no positional argument, got "${rest[0]}"`,
        POLICY_HELP,
      );
    }
    if (!values["from-log"]?.length) {
      throw new UsageError("policy init needs --from-log FILE", POLICY_HELP);
    }
    const logs = await logArgs(values["from-log"], context);
    if (typeof logs === "number") return logs;
    return await readingFiles(context, async () => {
      const { starterPolicy } = await import("../guard/starter_policy.ts");
      const text = starterPolicy(await records(logs));
      if (values.out) {
        try {
          await Deno.writeTextFile(values.out, text, { createNew: true });
        } catch (error) {
          context.err(
            `cannot write "${values.out}" (${
              (error as Error).message
            }); choose another --out, or remove the file.`,
          );
          return EXIT.failed;
        }
        context.err(`wrote a starting policy to ${values.out}`);
      } else context.out(text.trimEnd());
      return EXIT.ok;
    });
  }
  throw new UsageError(
    sub === undefined
      ? "policy needs a subcommand: test or init"
      : `unknown policy subcommand "${sub}": use test or init`,
    POLICY_HELP,
  );
}
