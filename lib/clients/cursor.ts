/**
 * Cursor: `~/.cursor/mcp.json` (every project) and a project's
 * `.cursor/mcp.json`; servers under `mcpServers`, stdio with `command`,
 * `args`, `env`, `envFile`, remote with `url` and `headers`
 * (`${env:NAME}` interpolated by Cursor).
 *
 * Source: https://cursor.com/docs/context/mcp ("Configuration locations",
 * "Config interpolation").
 *
 * @module
 */
import { inHome, type McpClient } from "./client.ts";

/** Cursor's record. */
export const cursor: McpClient = {
  id: "cursor",
  title: "Cursor",
  format: "json",
  serversKey: "mcpServers",
  urlKeys: ["url"],
  headersKey: "headers",
  userFile: (env) => inHome(env, ".cursor", "mcp.json"),
  projectFile: (dir) => `${dir}/.cursor/mcp.json`,
  docs: ["https://cursor.com/docs/context/mcp"],
};
