/**
 * VS Code: `mcp.json` in the user profile folder, and a workspace's
 * `.vscode/mcp.json`; servers under `servers`, input variables under
 * `inputs` (left alone), JSONC. A stdio entry has `type: "stdio"`,
 * `command`, `args`, `env`, `envFile`; a remote one `type: "http"` or
 * `"sse"`, `url` and `headers`. `${input:id}` and `${env:NAME}` are
 * resolved by VS Code when it starts the server, so they stay as written.
 *
 * Sources: https://code.visualstudio.com/docs/copilot/reference/mcp-configuration
 * (the format), https://code.visualstudio.com/docs/configure/settings#_settings-file-locations
 * (the user folder: `%APPDATA%\Code\User`, `~/Library/Application Support/Code/User`,
 * `~/.config/Code/User`).
 *
 * @module
 */
import { appData, type McpClient } from "./client.ts";

/** VS Code's record. */
export const vscode: McpClient = {
  id: "vscode",
  title: "VS Code",
  format: "json",
  serversKey: "servers",
  urlKeys: ["url"],
  headersKey: "headers",
  userFile: (env) =>
    [appData(env), "Code", "User", "mcp.json"].join(
      env.os === "windows" ? "\\" : "/",
    ),
  projectFile: (dir) => `${dir}/.vscode/mcp.json`,
  docs: [
    "https://code.visualstudio.com/docs/copilot/reference/mcp-configuration",
    "https://code.visualstudio.com/docs/configure/settings#_settings-file-locations",
  ],
};
