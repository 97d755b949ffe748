/**
 * The HR demo scenario run the two ways a user audits it: through
 * `mcp-audit proxy` as a subprocess in front of the HR server, and with
 * one shared redaction key so that a value gets the same marker both ways.
 *
 * @module
 */
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { AuditEvent } from "../lib/audit/event.ts";
import {
  AGENT_NAME,
  AGENT_VERSION,
  runAgentScenario,
  type ScenarioResult,
} from "../demo/agent.ts";
import { cliArgs, HR_SERVER, readEvents } from "./_helpers.ts";

/** Runs `run` with `MCP_AUDIT_REDACT_KEY` set to `key`, as the proxy's environment is. */
export async function withRedactKey<T>(
  key: string,
  run: () => Promise<T>,
): Promise<T> {
  const before = Deno.env.get("MCP_AUDIT_REDACT_KEY");
  Deno.env.set("MCP_AUDIT_REDACT_KEY", key);
  try {
    return await run();
  } finally {
    if (before === undefined) Deno.env.delete("MCP_AUDIT_REDACT_KEY");
    else Deno.env.set("MCP_AUDIT_REDACT_KEY", before);
  }
}

/** The HR scenario through `mcp-audit proxy --config CONFIG` as a subprocess. */
export async function scenarioThroughProxy(
  log: string,
  config: string,
  redactKey: string,
): Promise<ScenarioResult> {
  const client = new Client({ name: AGENT_NAME, version: AGENT_VERSION });
  await client.connect(
    new StdioClientTransport({
      command: Deno.execPath(),
      args: cliArgs([
        "proxy",
        "--quiet",
        "--log",
        log,
        "--config",
        config,
        "--",
        ...HR_SERVER,
      ]),
      env: { MCP_AUDIT_REDACT_KEY: redactKey },
      stderr: "inherit",
    }),
  );
  try {
    return await runAgentScenario(client);
  } finally {
    await client.close();
  }
}

/**
 * Waits for the proxy, which ends its session as the server exits, to
 * write `session_end` and, in a sealed log, the final checkpoint after it.
 */
export async function completeLog(log: string): Promise<AuditEvent[]> {
  for (let i = 0; i < 400; i++) {
    const { events } = await readEvents(log);
    const end = events.findIndex((e) => e.kind === "session_end");
    const sealed = events.some((e) => e.kind === "checkpoint");
    if (
      end !== -1 &&
      (!sealed ||
        (events.at(-1)?.kind === "checkpoint" && events.length - 1 > end))
    ) return events;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`The proxy did not finish the session in ${log}.`);
}
