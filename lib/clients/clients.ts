/**
 * The clients `mcp-audit wrap` knows, by the name the command line uses.
 *
 * @module
 */
import type { McpClient } from "./client.ts";
import { claudeDesktop } from "./claude_desktop.ts";
import { claudeCode } from "./claude_code.ts";
import { vscode } from "./vscode.ts";
import { cursor } from "./cursor.ts";
import { windsurf } from "./windsurf.ts";
import { geminiCli } from "./gemini_cli.ts";
import { codexCli } from "./codex_cli.ts";

/**
 * Every client, in the order `wrap --all` and `wrap --status` list them.
 *
 * @example
 * ```ts
 * import { CLIENTS } from "./clients.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(CLIENTS.length, 7);
 * assert.ok(CLIENTS.some((c) => c.id === "codex" && c.format === "toml"));
 * ```
 */
export const CLIENTS: readonly McpClient[] = [
  claudeDesktop,
  claudeCode,
  vscode,
  cursor,
  windsurf,
  geminiCli,
  codexCli,
];

/**
 * The client named `id`, or `undefined`.
 *
 * @example
 * ```ts
 * import { clientById } from "./clients.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(clientById("vscode")?.serversKey, "servers");
 * assert.equal(clientById("nope"), undefined);
 * ```
 */
export function clientById(id: string): McpClient | undefined {
  return CLIENTS.find((c) => c.id === id);
}
