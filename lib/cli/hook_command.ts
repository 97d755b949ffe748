/**
 * `mcp-audit hook <agent>`: the command a coding agent's hook settings run
 * before and after its tool calls. It reads the hook's JSON from stdin,
 * appends the audit events to the session's sealed log, and answers a
 * pre-event with the guard's decision in the agent's own format.
 *
 * @module
 */
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { UsageError } from "./usage_error.ts";
import { escapeControls } from "../util/terminal_text.ts";
import type { HookReply } from "../hooks/hook_client.ts";

/** The help of `mcp-audit hook`. */
export const HOOK_HELP =
  `Usage: ${NAME} hook <claude-code|cursor|codex> [--log FILE] [--config FILE] [--policy FILE] [--no-prompts]

The command a coding agent's hooks run (README "Agent hooks"): reads one hook
event as JSON on stdin, in the format the agent documents, and appends it to a
sealed audit log, one audited session per agent session: a tool call's pre-
and post-events become a paired request and response, classed (shell
commands by what they run: rm -rf, DROP, git push --force, kubectl delete,
terraform destroy are DESTRUCTIVE; file tools READ or WRITE by path; web
fetches OPEN_WORLD) and redacted by the config's plugins. With a guard
policy (--policy, or the config's "policy", as for the proxy), each
pre-event is decided and the decision sealed in the log; in "enforce" mode a
rule's deny, ask or allow is answered, with the reason, in the agent's
format ("monitor" records only). An MCP tool call (mcp__server__tool) that
"${NAME} proxy" logged too is counted once when both logs are read together
(summary, report, check): as the proxy's call, the hook's events linked to
it. Nothing else is printed on stdout.

Options:
  --log FILE     The log to append to. Default: hooks-<agent>-<session>.jsonl
                 in the log directory.
  --config FILE  The mcp-audit.jsonc to use. Default: ./mcp-audit.jsonc if
                 present in the agent's working directory.
  --policy FILE  A JSONC file holding { "policy": {...} } (README "Guard
                 mode"); replaces the config's "policy". If it cannot be
                 read or is invalid, the guard fails closed: every tool
                 call is denied, the reason naming the file and the problem.
                 So is every call when the config holds a policy and cannot
                 be loaded (nothing is recorded then).
  --no-prompts   Record only the length of the user's prompts.
  --serve BASE   Be the per-user hook writer that the fast hook client
                 (dist/mcp-audit-hook.js, installed by "wrap <agent>
                 --hooks") talks to: listen on the Unix socket BASE.sock,
                 record each client's event as this command would, and
                 exit after 60 s without one (MCP_AUDIT_HOOK_IDLE_MS).
                 Started by the client (and by the compiled binary's
                 hook command); not run by hand. While one runs, this
                 command hands its event to it too.
  -h, --help     This help.

Exit status: 0 when recorded (a deny is an answer, not an error), 1 when the
event could not be recorded (a non-blocking error for every agent: the tool
call goes on, the reason is on stderr), 2 for a usage error.`;

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

/** The per-user writer: each request runs as the command would, in its cwd. */
async function serve(base: string, context: CommandContext): Promise<number> {
  const { serveHooks } = await import("../hooks/hook_server.ts");
  // One event into a throwaway log first: the first client's event is not
  // the one that waits for modules to load and code to warm up.
  const warm = await Deno.makeTempFile({ suffix: ".jsonl" });
  await hookRun(
    ["claude-code", "--log", warm],
    { out: () => {}, err: () => {}, plugins: context.plugins },
    () =>
      Promise.resolve(JSON.stringify({
        session_id: "warm-up",
        hook_event_name: "PreToolUse",
        tool_name: "Bash",
        tool_input: { command: "true" },
        tool_use_id: "warm-up",
      })),
  ).catch(() => {});
  await Deno.remove(warm).catch(() => {});
  const idle = Number(Deno.env.get("MCP_AUDIT_HOOK_IDLE_MS") ?? "");
  await serveHooks(
    base,
    async function handle(request): Promise<HookReply> {
      Deno.chdir(request.cwd);
      const out: string[] = [];
      const err: string[] = [];
      const each: CommandContext = {
        out: (text) => out.push(escapeControls(text)),
        err: (text) => err.push(`${NAME}: ${escapeControls(text)}`),
        plugins: context.plugins,
      };
      let exit;
      try {
        exit = await hookRun(
          request.argv,
          each,
          () => Promise.resolve(request.input),
        );
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        err.push(`${NAME}: ${error.message}`, error.usage);
        exit = EXIT.usage;
      }
      return { stdout: out.map((t) => `${t}\n`).join(""), stderr: err, exit };
    },
    Number.isFinite(idle) && idle > 0 ? { idleMs: idle } : {},
  );
  return EXIT.ok;
}

/**
 * Runs `mcp-audit hook` with its arguments and returns the exit status.
 *
 * @example Printing the help
 * ```ts
 * import { hookCommand, HOOK_HELP } from "./hook_command.ts";
 * import assert from "node:assert/strict";
 *
 * const printed: string[] = [];
 * const status = await hookCommand(["--help"], { out: (t) => printed.push(t), err: () => {} });
 * assert.equal(status, 0);
 * assert.deepEqual(printed, [HOOK_HELP]);
 * ```
 */
export async function hookCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const { HOOK_AGENTS } = await import("../hooks/hook_input.ts");
  if (
    argv.some((a) => a === "-h" || a === "--help" || a.startsWith("--serve")) ||
    !(HOOK_AGENTS as readonly string[]).includes(argv[0])
  ) {
    // Help, the writer itself, or a usage error: before reading stdin.
    return await hookRun(argv, context, readStdin);
  }
  // The fast path: a per-user writer that is running records the event
  // (the heavy modules stay unloaded); the compiled binary, which has no
  // fast client beside it, starts one for the next event.
  const input = await readStdin();
  const { askHookWriter, printHookReply, selfHookProgram } = await import(
    "../hooks/hook_client.ts"
  );
  const program = selfHookProgram();
  const reply = input.trim() === ""
    ? undefined
    : await askHookWriter(program, argv, input, {
      start: program.direct === true,
    });
  if (reply) {
    await printHookReply(reply);
    return reply.exit;
  }
  return await hookRun(argv, context, () => Promise.resolve(input));
}

async function hookRun(
  argv: string[],
  context: CommandContext,
  input: () => Promise<string>,
): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      log: { type: "string" },
      config: { type: "string" },
      policy: { type: "string" },
      "no-prompts": { type: "boolean" },
      serve: { type: "string" },
    },
    HOOK_HELP,
    context,
    { positionals: true },
  );
  if (!parsed) return EXIT.ok;
  if (parsed.values.serve !== undefined) {
    if (parsed.positionals.length) {
      throw new UsageError("--serve takes no agent", HOOK_HELP);
    }
    return await serve(parsed.values.serve, context);
  }
  const { HOOK_AGENTS, readHookInput } = await import(
    "../hooks/hook_input.ts"
  );
  const [agent, ...extra] = parsed.positionals;
  if (!agent) throw new UsageError("no agent given", HOOK_HELP);
  if (!(HOOK_AGENTS as readonly string[]).includes(agent) || extra.length) {
    throw new UsageError(
      extra.length
        ? `unexpected argument ${extra[0]}`
        : `unknown agent ${agent} (one of ${HOOK_AGENTS.join(", ")})`,
      HOOK_HELP,
    );
  }
  const text = await input();
  let call;
  try {
    call = readHookInput(agent as typeof HOOK_AGENTS[number], JSON.parse(text));
  } catch (error) {
    context.err(
      `${
        error instanceof SyntaxError
          ? `the hook input on stdin is not JSON (${error.message})`
          : (error as Error).message
      }; the event was not recorded`,
    );
    return EXIT.failed;
  }
  let guardPolicy;
  let policy;
  if (parsed.values.policy !== undefined) {
    const { loadPolicy } = await import("./proxy_command.ts");
    try {
      guardPolicy = await loadPolicy(parsed.values.policy);
    } catch (error) {
      // A guard fails closed: a policy that cannot be used denies every call.
      const { unusablePolicy } = await import("../hooks/hook_guard.ts");
      policy = unusablePolicy(parsed.values.policy, (error as Error).message);
      context.err(
        `${(error as Error).message}; the guard fails closed: ${
          call.phase === "pre"
            ? "this call is denied"
            : "every tool call is denied until the policy is fixed"
        }`,
      );
    }
  }
  const { runHook } = await import("../hooks/run_hook.ts");
  const result = await runHook(call, {
    logPath: parsed.values.log,
    configPath: parsed.values.config,
    guardPolicy,
    policy,
    prompts: parsed.values["no-prompts"] ? false : undefined,
    registry: context.plugins,
  });
  if (result.stdout) context.out(result.stdout);
  if (result.warning) context.err(result.warning);
  return result.exit;
}
