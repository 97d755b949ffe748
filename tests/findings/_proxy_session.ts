/**
 * Sessions for the finding tests, recorded by the real proxy: the scripted
 * server lists the given tools and answers each with its canned result,
 * and a line client makes the given calls one after the other.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { cliArgs, fixtureServer, readEvents, tempDir } from "../_helpers.ts";
import { completeLog, scenarioThroughProxy } from "../_hr_scenario.ts";

/** A tool the scripted server lists, with what it answers. */
export interface ScriptedTool {
  name: string;
  annotations?: Record<string, boolean>;
  /** The result (or results in turn) a call answers; "ok" when absent. */
  result?: unknown;
}

/** One call the client makes. */
export interface ScriptedCall {
  tool: string;
  arguments: Record<string, unknown>;
  /** The request's `_meta`, when it has one. */
  _meta?: Record<string, unknown>;
  /** How long the client waits after the answer before its next call (an agent thinking). */
  pauseMs?: number;
}

/** The config the finding tests record with: pay is SENSITIVE, send_/update_/delete_ WRITE. */
export const FINDINGS_CONFIG = {
  rules: {
    sensitive: ["get_pay", "get_credentials"],
    write: ["send_*", "update_*", "delete_*"],
    read: ["get_*", "search_*", "lookup_*"],
  },
  entities: [{
    type: "employee",
    pattern: "\\bE\\d{3}\\b",
    in: ["arguments", "result"],
  }],
  redact: { secrets: true },
  plugins: ["sensitivity", "annotations", "entities", "redact"],
};

/** A text result whose structured content is `value`. */
export function structured(value: Record<string, unknown>): unknown {
  return {
    content: [{ type: "text", text: JSON.stringify(value) }],
    structuredContent: value,
  };
}

/** A tool error result. */
export function toolError(text: string): unknown {
  return { content: [{ type: "text", text }], isError: true };
}

/** Records a session through `mcp-audit proxy` (into `log`, or a temporary file; with {@linkcode FINDINGS_CONFIG} unless another config is given) and returns its events. */
export async function recordSession(
  tools: ScriptedTool[],
  calls: ScriptedCall[],
  log?: string,
  configObject: Record<string, unknown> = FINDINGS_CONFIG,
): Promise<AuditEvent[]> {
  await using dir = await tempDir();
  log ??= `${dir.path}/session.jsonl`;
  const config = `${dir.path}/mcp-audit.json`;
  await Deno.writeTextFile(config, JSON.stringify(configObject));
  const results: Record<string, unknown> = {};
  for (const t of tools) if (t.result !== undefined) results[t.name] = t.result;
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--log",
      log,
      "--config",
      config,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    env: {
      TOOLS_JSON: JSON.stringify(
        tools.map(({ name, annotations }) => ({ name, annotations })),
      ),
      RESULTS_JSON: JSON.stringify(results),
      MCP_AUDIT_REDACT_KEY: "findings-test-key",
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  let out = "";
  // Each call waits for its answer, so the log holds them in the order made.
  async function ask(
    id: number,
    method: string,
    params?: unknown,
  ): Promise<void> {
    await writer.write(
      new TextEncoder().encode(
        JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n",
      ),
    );
    while (!out.includes(`"id":${id},`) && !out.includes(`"id":${id}}`)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`The proxy closed before answering ${id}.`);
      out += new TextDecoder().decode(value);
    }
  }
  await ask(1, "initialize", {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "findings-test", version: "1" },
  });
  await ask(2, "tools/list");
  let id = 3;
  for (const call of calls) {
    await ask(id++, "tools/call", {
      name: call.tool,
      arguments: call.arguments,
      ...(call._meta && { _meta: call._meta }),
    });
    if (call.pauseMs) await new Promise((r) => setTimeout(r, call.pauseMs));
  }
  await writer.close();
  while (!(await reader.read()).done) { /* drain */ }
  assert.equal((await child.status).code, 0);
  return (await readEvents(log)).events;
}

/** The HR demo scenario recorded by the proxy with the demo's config (into `log`, or a temporary file). */
export async function recordHrDemo(log?: string): Promise<AuditEvent[]> {
  await using dir = await tempDir();
  log ??= `${dir.path}/hr.jsonl`;
  await scenarioThroughProxy(
    log,
    new URL("../../demo/mcp-audit.jsonc", import.meta.url).pathname,
    "findings-test-key",
  );
  return await completeLog(log);
}
