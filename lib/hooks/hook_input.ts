/**
 * A coding agent's hook input (the JSON on the hook command's stdin) ->
 * one {@linkcode HookCall}, the same shape for every agent. Field names are
 * the agents' documented ones:
 *
 * - Claude Code, "Hooks reference" (code.claude.com/docs/en/hooks): common
 *   `session_id`, `transcript_path`, `cwd`, `permission_mode`,
 *   `hook_event_name`; `PreToolUse`/`PostToolUse`/`PostToolUseFailure`
 *   add `tool_name`, `tool_input`, `tool_use_id`, then `tool_response`, or
 *   `error` and `is_interrupt`; `UserPromptSubmit` has `prompt`;
 *   `SessionStart` `source`; `SessionEnd` `reason`.
 * - Codex CLI, its generated hook schemas (openai/codex
 *   `codex-rs/hooks/schema/generated/*.command.input.schema.json`): the
 *   same names (`session_id`, `turn_id`, `tool_name` `Bash`/`apply_patch`/
 *   `mcp__server__tool`, `tool_input.command`, `tool_use_id`,
 *   `tool_response`), and `Stop` where Claude Code has `SessionEnd`.
 * - Cursor, "Hooks" (cursor.com/docs/agent/hooks): `conversation_id`,
 *   `generation_id`, `hook_event_name`, `workspace_roots`;
 *   `beforeShellExecution`/`afterShellExecution` (`command`, `cwd`,
 *   `output`), `beforeMCPExecution`/`afterMCPExecution` (`tool_name`,
 *   `tool_input`, `result_json`), `beforeReadFile` (`file_path`),
 *   `afterFileEdit` (`file_path`, `edits`), `beforeSubmitPrompt`
 *   (`prompt`), `stop` (`status`). Cursor gives no call id: a call's id is
 *   made from the generation and what it runs, so its after-event finds it.
 *
 * @module
 */

/** The agents whose hooks `mcp-audit hook` reads. */
export const HOOK_AGENTS = ["claude-code", "cursor", "codex"] as const;

/** One of {@linkcode HOOK_AGENTS}. */
export type HookAgent = typeof HOOK_AGENTS[number];

/** What a hook event is, in the agent's terms mapped to the audit's. */
export type HookPhase =
  | "pre"
  | "post"
  | "failure"
  | "session_start"
  | "session_end"
  | "prompt"
  | "other";

/** One hook event, the same for every agent. */
export interface HookCall {
  /** The agent. */
  agent: HookAgent;
  /** The agent's event name, as it sent it. */
  event: string;
  /** What the event is. */
  phase: HookPhase;
  /** The agent's session (Claude Code, Codex) or conversation (Cursor) id. */
  session: string;
  /** The agent's working directory, when it says. */
  cwd?: string;
  /** The call's id: pre and post events of one call share it. */
  callId?: string;
  /** The tool's name (`Bash`, `Edit`, `mcp__github__create_issue`, ...). */
  tool?: string;
  /** The tool's input. */
  input?: unknown;
  /** The tool's output, on a post event. */
  output?: unknown;
  /** What went wrong, on a failure event. */
  error?: string;
  /** The prompt, on a prompt event. */
  prompt?: string;
  /** Why the session ended or started (`source`, `reason`, `status`). */
  reason?: string;
}

/** Hook input that is not what the agent documents. */
export class HookInputError extends Error {
  /** A message naming what is missing. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HookInputError";
  }
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

const CLAUDE_PHASES: Record<string, HookPhase> = {
  PreToolUse: "pre",
  PostToolUse: "post",
  PostToolUseFailure: "failure",
  SessionStart: "session_start",
  SessionEnd: "session_end",
  Stop: "other",
  UserPromptSubmit: "prompt",
};

const CURSOR_PHASES: Record<string, HookPhase> = {
  beforeShellExecution: "pre",
  afterShellExecution: "post",
  beforeMCPExecution: "pre",
  afterMCPExecution: "post",
  beforeReadFile: "pre",
  afterFileEdit: "post",
  beforeSubmitPrompt: "prompt",
  stop: "session_end",
};

/**
 * Reads one hook input (parsed JSON) of `agent`. Throws
 * {@linkcode HookInputError} when it has no session id or event name.
 *
 * @example A Claude Code PreToolUse input
 * ```ts
 * import { readHookInput } from "./hook_input.ts";
 * import assert from "node:assert/strict";
 *
 * const call = readHookInput("claude-code", {
 *   session_id: "abc", hook_event_name: "PreToolUse", cwd: "/w",
 *   tool_name: "Bash", tool_input: { command: "ls" }, tool_use_id: "toolu_1",
 * });
 * assert.equal(call.phase, "pre");
 * assert.equal(call.callId, "toolu_1");
 * ```
 */
export function readHookInput(agent: HookAgent, input: unknown): HookCall {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new HookInputError(
      `the ${agent} hook input is not a JSON object; run this command from the agent's hook settings`,
    );
  }
  const o = input as Record<string, unknown>;
  const event = str(o.hook_event_name);
  const session = agent === "cursor"
    ? str(o.conversation_id) ?? str(o.session_id)
    : str(o.session_id);
  if (!event || !session) {
    throw new HookInputError(
      `the ${agent} hook input has no ${
        !event
          ? '"hook_event_name"'
          : agent === "cursor"
          ? '"conversation_id"'
          : '"session_id"'
      }; run this command from the agent's hook settings`,
    );
  }
  if (agent === "cursor") return cursorCall(event, session, o);
  const phase = CLAUDE_PHASES[event] ?? "other";
  const call: HookCall = { agent, event, phase, session, cwd: str(o.cwd) };
  if (o.tool_name !== undefined) {
    call.tool = str(o.tool_name);
    call.input = o.tool_input;
    call.callId = str(o.tool_use_id);
  }
  if (phase === "post") call.output = o.tool_response;
  if (phase === "failure") {
    call.error = str(o.error) ??
      (o.is_interrupt === true ? "interrupted" : "the tool failed");
  }
  if (phase === "prompt") call.prompt = str(o.prompt);
  call.reason = str(o.source) ?? str(o.reason);
  return call;
}

function cursorCall(
  event: string,
  session: string,
  o: Record<string, unknown>,
): HookCall {
  const phase = CURSOR_PHASES[event] ?? "other";
  const roots = Array.isArray(o.workspace_roots) ? o.workspace_roots : [];
  const call: HookCall = {
    agent: "cursor",
    event,
    phase,
    session,
    cwd: str(o.cwd) ?? str(roots[0]),
    reason: str(o.status),
  };
  const generation = str(o.generation_id) ?? "";
  if (event.endsWith("ShellExecution")) {
    call.tool = "Shell";
    call.input = { command: str(o.command) ?? "" };
    call.callId = `${generation}:shell:${str(o.command) ?? ""}`;
    if (phase === "post") call.output = { output: o.output };
  } else if (event.endsWith("MCPExecution")) {
    // Cursor's tool_input is a JSON string in some versions, an object in others.
    let input = o.tool_input;
    if (typeof input === "string") {
      try {
        input = JSON.parse(input);
      } catch { /* kept as text */ }
    }
    call.tool = `mcp__${serverName(o)}__${str(o.tool_name) ?? "?"}`;
    call.input = input;
    call.callId = `${generation}:mcp:${str(o.tool_name) ?? ""}:${
      typeof o.tool_input === "string"
        ? o.tool_input
        : JSON.stringify(o.tool_input)
    }`;
    if (phase === "post") call.output = o.result_json;
  } else if (event === "beforeReadFile") {
    call.tool = "Read";
    call.input = { file_path: str(o.file_path) };
    call.callId = `${generation}:read:${str(o.file_path) ?? ""}`;
  } else if (event === "afterFileEdit") {
    // An edit has no before-event: a post with no pre is logged as both.
    call.tool = "Edit";
    call.input = { file_path: str(o.file_path), edits: o.edits };
    call.callId = `${generation}:edit:${str(o.file_path) ?? ""}`;
    call.output = { edits: o.edits };
  }
  if (phase === "prompt") call.prompt = str(o.prompt);
  return call;
}

/** An MCP server's name for Cursor, which gives its URL or command. */
function serverName(o: Record<string, unknown>): string {
  const url = str(o.url);
  if (url) {
    try {
      return new URL(url).hostname;
    } catch { /* below */ }
  }
  const command = str(o.command);
  return command ? command.split(/\s+/).pop()!.replace(/[^\w.-]/g, "_") : "mcp";
}
