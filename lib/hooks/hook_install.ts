/**
 * The hook entries each agent's settings file needs so that it runs
 * `mcp-audit hook <agent>` on every event we record, and where those files
 * are. Pure functions over parsed JSON, for `wrap <agent> --hooks` (the
 * client-config issue) to write with its backup, dry-run and `unwrap`:
 * {@linkcode addHookEntries} is idempotent and {@linkcode removeHookEntries}
 * takes out exactly what it added.
 *
 * Formats, from each agent's hook reference:
 * - Claude Code (code.claude.com/docs/en/hooks, "Configuration"):
 *   `{"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type":
 *   "command", "command": "..."}]}]}}` in `~/.claude/settings.json`
 *   (user), `.claude/settings.json` (project) or the managed
 *   `managed-settings.json`.
 * - Codex CLI (developers.openai.com/codex/hooks): the same shape in
 *   `~/.codex/hooks.json` or `.codex/hooks.json`; its events are
 *   `SessionStart`, `PreToolUse`, `PostToolUse`, `UserPromptSubmit`, `Stop`.
 * - Cursor (cursor.com/docs/agent/hooks): `{"version": 1, "hooks":
 *   {"beforeShellExecution": [{"command": "..."}]}}` in
 *   `~/.cursor/hooks.json` or `.cursor/hooks.json`.
 *
 * @module
 */
import type { HookAgent } from "./hook_input.ts";

/** The events each agent's settings hook, in the agent's names. */
export const HOOK_EVENTS: Readonly<Record<HookAgent, readonly string[]>> = {
  "claude-code": [
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "SessionEnd",
  ],
  codex: ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse"],
  cursor: [
    "beforeSubmitPrompt",
    "beforeShellExecution",
    "afterShellExecution",
    "beforeMCPExecution",
    "afterMCPExecution",
    "beforeReadFile",
    "afterFileEdit",
    "stop",
  ],
};

/** Events that take a tool-name matcher (Claude Code and Codex). */
const TOOL_EVENTS = new Set([
  "PreToolUse",
  "PostToolUse",
  "PostToolUseFailure",
]);

/** Where an agent's hook settings live. */
export type HookScope = "user" | "project" | "managed";

/**
 * The settings file of `agent` for `scope`, from `home` and the project
 * directory `project`; undefined where the agent has no such file.
 *
 * @example
 * ```ts
 * import { hookSettingsPath } from "./hook_install.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hookSettingsPath("claude-code", "user", { home: "/h", project: "/p" }), "/h/.claude/settings.json");
 * assert.equal(hookSettingsPath("cursor", "project", { home: "/h", project: "/p" }), "/p/.cursor/hooks.json");
 * assert.equal(hookSettingsPath("claude-code", "managed", { home: "", project: "", os: "linux" }), "/etc/claude-code/managed-settings.json");
 * assert.equal(hookSettingsPath("cursor", "managed", { home: "", project: "" }), undefined);
 * ```
 */
export function hookSettingsPath(
  agent: HookAgent,
  scope: HookScope,
  dirs: { home: string; project: string; os?: typeof Deno.build.os },
): string | undefined {
  const base = scope === "user" ? dirs.home : dirs.project;
  if (scope === "managed") {
    if (agent !== "claude-code") return undefined;
    // Claude Code's settings page: managed-settings.json per OS.
    return dirs.os === "darwin"
      ? "/Library/Application Support/ClaudeCode/managed-settings.json"
      : dirs.os === "windows"
      ? "C:\\ProgramData\\ClaudeCode\\managed-settings.json"
      : "/etc/claude-code/managed-settings.json";
  }
  switch (agent) {
    case "claude-code":
      return `${base}/.claude/settings.json`;
    case "codex":
      return `${base}/.codex/hooks.json`;
    case "cursor":
      return `${base}/.cursor/hooks.json`;
  }
}

type Json = Record<string, unknown>;

function entryFor(agent: HookAgent, event: string, command: string): Json {
  if (agent === "cursor") return { command };
  const hook = { type: "command", command };
  return TOOL_EVENTS.has(event) ? { matcher: "*", hooks: [hook] } : {
    hooks: [hook],
  };
}

function mentions(entry: unknown, command: string): boolean {
  if (entry === null || typeof entry !== "object") return false;
  const e = entry as Json;
  if (e.command === command) return true;
  return Array.isArray(e.hooks) &&
    e.hooks.some((h) => (h as Json)?.command === command);
}

/**
 * `settings` (the agent's parsed settings file, `{}` when there is none)
 * with an entry running `command` on each of the agent's events; entries
 * already there are kept, and one that runs `command` is not added twice.
 *
 * @example Idempotent
 * ```ts
 * import { addHookEntries } from "./hook_install.ts";
 * import assert from "node:assert/strict";
 *
 * const once = addHookEntries({ model: "opus" }, "claude-code", "mcp-audit hook claude-code");
 * assert.deepEqual(addHookEntries(once, "claude-code", "mcp-audit hook claude-code"), once);
 * assert.equal((once.hooks as Record<string, unknown[]>).PreToolUse.length, 1);
 * assert.equal(once.model, "opus");
 * ```
 */
export function addHookEntries(
  settings: Json,
  agent: HookAgent,
  command: string,
): Json {
  const hooks: Record<string, unknown[]> = {
    ...(settings.hooks as Record<string, unknown[]> | undefined),
  };
  for (const event of HOOK_EVENTS[agent]) {
    const list = Array.isArray(hooks[event]) ? [...hooks[event]] : [];
    if (!list.some((e) => mentions(e, command))) {
      list.push(entryFor(agent, event, command));
    }
    hooks[event] = list;
  }
  const out: Json = { ...settings, hooks };
  if (agent === "cursor" && out.version === undefined) out.version = 1;
  return out;
}

/**
 * `settings` without the entries that run `command` (events left empty
 * are removed).
 *
 * @example
 * ```ts
 * import { addHookEntries, removeHookEntries } from "./hook_install.ts";
 * import assert from "node:assert/strict";
 *
 * const before = { hooks: { Stop: [{ hooks: [{ type: "command", command: "say done" }] }] } };
 * const added = addHookEntries(before, "codex", "mcp-audit hook codex");
 * assert.deepEqual(removeHookEntries(added, "codex", "mcp-audit hook codex"), before);
 * ```
 */
export function removeHookEntries(
  settings: Json,
  agent: HookAgent,
  command: string,
): Json {
  const hooks: Record<string, unknown[]> = {};
  for (
    const [event, list] of Object.entries(
      (settings.hooks ?? {}) as Record<string, unknown[]>,
    )
  ) {
    const kept = Array.isArray(list)
      ? list.filter((e) => !mentions(e, command))
      : list;
    if (!Array.isArray(kept) || kept.length > 0) hooks[event] = kept;
  }
  void agent;
  return { ...settings, hooks };
}
