/**
 * Claude Code: user and local scope in `~/.claude.json` (user servers under
 * `mcpServers`, local ones under `projects["<path>"].mcpServers`), project
 * scope in a project's `.mcp.json` (`mcpServers`). Remote entries have
 * `type: "http"` or `"sse"`, `url` and `headers`; `${VAR}` is expanded by
 * Claude Code in command, args, env, url and headers.
 *
 * Source: https://code.claude.com/docs/en/mcp ("MCP installation scopes",
 * "Environment variable expansion in .mcp.json").
 *
 * @module
 */
import { inHome, type McpClient } from "./client.ts";

/** Claude Code's record. */
export const claudeCode: McpClient = {
  id: "claude-code",
  title: "Claude Code",
  format: "json",
  serversKey: "mcpServers",
  urlKeys: ["url"],
  headersKey: "headers",
  userFile: (env) => inHome(env, ".claude.json"),
  projectFile: (dir) => `${dir}/.mcp.json`,
  moreServerMaps(root: unknown): string[][] {
    const projects = (root as { projects?: unknown } | null)?.projects;
    if (!projects || typeof projects !== "object") return [];
    return Object.entries(projects as Record<string, unknown>)
      .filter(([, p]) =>
        p !== null && typeof p === "object" &&
        typeof (p as { mcpServers?: unknown }).mcpServers === "object"
      )
      .map(([path]) => ["projects", path, "mcpServers"]);
  },
  docs: ["https://code.claude.com/docs/en/mcp"],
};
