/**
 * Claude Desktop: `claude_desktop_config.json`, servers under `mcpServers`.
 *
 * Sources: https://modelcontextprotocol.io/quickstart/user (macOS
 * `~/Library/Application Support/Claude/claude_desktop_config.json`,
 * Windows `%APPDATA%\Claude\claude_desktop_config.json`). Anthropic ships
 * no Linux build; the community builds read
 * `$XDG_CONFIG_HOME/Claude/claude_desktop_config.json` (`~/.config/Claude/`),
 * which is where this looks there.
 *
 * @module
 */
import { appData, type McpClient } from "./client.ts";

/** Claude Desktop's record. */
export const claudeDesktop: McpClient = {
  id: "claude-desktop",
  title: "Claude Desktop",
  format: "json",
  serversKey: "mcpServers",
  urlKeys: ["url"],
  headersKey: "headers",
  userFile: (env) =>
    [appData(env), "Claude", "claude_desktop_config.json"].join(
      env.os === "windows" ? "\\" : "/",
    ),
  docs: ["https://modelcontextprotocol.io/quickstart/user"],
};
