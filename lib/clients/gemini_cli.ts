/**
 * Gemini CLI: `~/.gemini/settings.json` and a project's
 * `.gemini/settings.json`; servers under `mcpServers` with `command`,
 * `args`, `env`, `cwd`, `timeout`, `trust`, or a remote `url` (SSE) or
 * `httpUrl` (Streamable HTTP) with `headers`.
 *
 * Sources: https://geminicli.com/docs/tools/mcp-server/ and
 * https://geminicli.com/docs/cli/configuration ("Settings files").
 *
 * @module
 */
import { inHome, type McpClient } from "./client.ts";

/** Gemini CLI's record. */
export const geminiCli: McpClient = {
  id: "gemini-cli",
  title: "Gemini CLI",
  format: "json",
  serversKey: "mcpServers",
  urlKeys: ["httpUrl", "url"],
  headersKey: "headers",
  userFile: (env) => inHome(env, ".gemini", "settings.json"),
  projectFile: (dir) => `${dir}/.gemini/settings.json`,
  docs: [
    "https://geminicli.com/docs/tools/mcp-server/",
    "https://geminicli.com/docs/cli/configuration",
  ],
};
