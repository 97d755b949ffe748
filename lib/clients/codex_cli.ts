/**
 * Codex CLI: `$CODEX_HOME/config.toml` (default `~/.codex/config.toml`) and
 * a trusted project's `.codex/config.toml`; one `[mcp_servers.NAME]` table
 * per server, stdio with `command`, `args`, `env`, `cwd`, Streamable HTTP
 * with `url` and `http_headers` (literal values; `env_http_headers` and
 * `bearer_token_env_var` name environment variables).
 *
 * Source: https://developers.openai.com/codex/mcp ("Configure with
 * config.toml").
 *
 * @module
 */
import { inHome, type McpClient } from "./client.ts";

/** Codex CLI's record. */
export const codexCli: McpClient = {
  id: "codex",
  title: "Codex CLI",
  format: "toml",
  serversKey: "mcp_servers",
  urlKeys: ["url"],
  headersKey: "http_headers",
  userFile: (env) => {
    const codexHome = env.get("CODEX_HOME");
    return codexHome
      ? `${codexHome}${env.os === "windows" ? "\\" : "/"}config.toml`
      : inHome(env, ".codex", "config.toml");
  },
  projectFile: (dir) => `${dir}/.codex/config.toml`,
  docs: ["https://developers.openai.com/codex/mcp"],
};
