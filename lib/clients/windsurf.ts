/**
 * Windsurf (Cascade): `~/.codeium/windsurf/mcp_config.json`
 * (`%USERPROFILE%\.codeium\windsurf\mcp_config.json` on Windows); servers
 * under `mcpServers`, remote ones with `serverUrl` (or `url`) and `headers`.
 *
 * Source: https://docs.windsurf.com/windsurf/cascade/mcp ("Configuring MCP
 * tools", "Remote HTTP MCPs").
 *
 * @module
 */
import { inHome, type McpClient } from "./client.ts";

/** Windsurf's record. */
export const windsurf: McpClient = {
  id: "windsurf",
  title: "Windsurf",
  format: "json",
  serversKey: "mcpServers",
  urlKeys: ["serverUrl", "url"],
  headersKey: "headers",
  userFile: (env) => inHome(env, ".codeium", "windsurf", "mcp_config.json"),
  docs: ["https://docs.windsurf.com/windsurf/cascade/mcp"],
};
