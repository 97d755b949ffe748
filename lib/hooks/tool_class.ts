/**
 * Classes and entities of a coding agent's built-in tool call: shell
 * commands by what their parsed commands do (`shell_command.ts`), file
 * tools by path (READ or WRITE, the path an entity), web tools open-world
 * (the host an entity), MCP tools (`mcp__server__tool`) by their server and
 * tool, left to the same plugins as the proxy's calls.
 *
 * @module
 */
import type { Classification, Entity } from "../audit/event.ts";
import type { HookCall } from "./hook_input.ts";
import { readShellCommand } from "./shell_command.ts";

/** What {@linkcode classifyTool} found. */
export interface ToolClassing {
  /** Classes, with `hooks:<rule>` sources. */
  classes: Classification[];
  /** Paths and hosts. */
  entities: Entity[];
  /** Why a class was given (a destructive command's sentence). */
  reasons: string[];
  /** For an MCP tool, its server and tool. */
  mcp?: { server: string; tool: string };
}

const SHELL_TOOLS = new Set(["Bash", "Shell", "shell", "exec_command"]);
const READ_TOOLS = new Set(["Read", "Glob", "Grep", "LS", "NotebookRead"]);
const WRITE_TOOLS = new Set(["Write", "Edit", "MultiEdit", "NotebookEdit"]);
const WEB_TOOLS = new Set(["WebFetch", "WebSearch", "web_search"]);

/**
 * The MCP server and tool of a hook tool name `mcp__server__tool`.
 *
 * @example
 * ```ts
 * import { mcpToolOf } from "./tool_class.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(mcpToolOf("mcp__github__create_issue"), { server: "github", tool: "create_issue" });
 * assert.equal(mcpToolOf("Bash"), undefined);
 * ```
 */
export function mcpToolOf(
  name: string,
): { server: string; tool: string } | undefined {
  const m = /^mcp__(.+?)__(.+)$/.exec(name);
  return m ? { server: m[1], tool: m[2] } : undefined;
}

/**
 * Classes and entities of one tool call seen through a hook.
 *
 * @example A destructive shell command
 * ```ts
 * import { classifyTool } from "./tool_class.ts";
 * import assert from "node:assert/strict";
 *
 * const c = classifyTool({
 *   agent: "claude-code", event: "PreToolUse", phase: "pre", session: "s",
 *   tool: "Bash", input: { command: "rm -rf /srv/app" },
 * });
 * assert.deepEqual(c.classes.map((x) => x.label), ["DESTRUCTIVE", "WRITE"]);
 * assert.equal(c.entities[0].value, "/srv/app");
 * ```
 */
export function classifyTool(call: HookCall): ToolClassing {
  const out: ToolClassing = { classes: [], entities: [], reasons: [] };
  const tool = call.tool ?? "";
  const input = (call.input ?? {}) as Record<string, unknown>;
  const add = (label: string, rule: string): void => {
    if (!out.classes.some((c) => c.label === label)) {
      out.classes.push({ label, source: `hooks:${rule}` });
    }
  };
  const entity = (type: string, value: unknown, path: string): void => {
    if (typeof value === "string" && value) {
      out.entities.push({ type, value, path, tool, source: "hooks" });
    }
  };
  const mcp = mcpToolOf(tool);
  if (mcp) {
    out.mcp = mcp;
    return out;
  }
  if (SHELL_TOOLS.has(tool) && typeof input.command === "string") {
    const reading = readShellCommand(input.command);
    for (const label of reading.classes) add(label, "shell");
    out.reasons.push(...reading.reasons);
    for (const p of reading.paths) entity("path", p, "arguments.command");
    for (const h of reading.hosts) entity("host", h, "arguments.command");
    if (reading.parseError) out.reasons.push(reading.parseError);
    return out;
  }
  if (tool === "apply_patch" && typeof input.command === "string") {
    // Codex's patch format names each file: "*** Update File: path".
    add("WRITE", "patch");
    for (
      const m of input.command.matchAll(
        /^\*\*\* (Add|Update|Delete) File: (.+)$/gm,
      )
    ) entity("path", m[2].trim(), "arguments.command");
    return out;
  }
  const path = input.file_path ?? input.notebook_path ?? input.path;
  if (READ_TOOLS.has(tool)) {
    add("READ", "file");
    entity("path", path, "arguments.file_path");
  } else if (WRITE_TOOLS.has(tool)) {
    add("WRITE", "file");
    entity("path", path, "arguments.file_path");
  } else if (WEB_TOOLS.has(tool)) {
    add("OPEN_WORLD", "web");
    if (typeof input.url === "string") {
      try {
        entity("host", new URL(input.url).hostname, "arguments.url");
      } catch { /* not a URL: no host */ }
    }
  }
  return out;
}
