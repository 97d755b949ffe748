/**
 * A scripted stand-in for an LLM agent: it drives the HR demo server through a
 * fixed sequence of tool calls, including one tool error and one JSON-RPC
 * error, so the audit log has every kind of exchange to show.
 *
 * As a main module it runs the scenario against any server command:
 * `deno run -A demo/agent.ts -- <command> [args...]`.
 *
 * @module
 */

// The SDK's "./*" export maps types to "*.d.ts", so a ".js" subpath finds no types under Deno and
// everything would be `any`; each @ts-types names the same module without the extension.
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  CallToolResultSchema,
  McpError,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";

/** Name the agent reports in `initialize`. */
export const AGENT_NAME = "hr-demo-agent";
/** Version the agent reports in `initialize`. */
export const AGENT_VERSION = "1.0.0";

/** How one tool call ended. */
export type StepOutcome = "ok" | "tool_error" | "protocol_error";

/** One `tools/call` of the scenario and what came back. */
export interface ScenarioStep {
  /** Why the agent made the call, in a few words. */
  readonly purpose: string;
  /** Tool name. */
  readonly tool: string;
  /** Arguments as sent. */
  readonly arguments: Readonly<Record<string, unknown>>;
  /**
   * `ok`: a normal result; `tool_error`: a result with `isError: true`;
   * `protocol_error`: a JSON-RPC error instead of a result.
   */
  readonly outcome: StepOutcome;
  /** `true` when `outcome` is `ok`. */
  readonly ok: boolean;
  /** The result's `isError` flag; `false` when there was no result. */
  readonly isError: boolean;
  /** Text of the tool error, or message of the JSON-RPC error. */
  readonly error?: string;
  /** JSON-RPC error code, for `protocol_error` only. */
  readonly errorCode?: number;
  /** The result's `structuredContent`, when it had one. */
  readonly structuredContent?: Readonly<Record<string, unknown>>;
}

/** Everything the scenario saw, in order. */
export interface ScenarioResult {
  /** Tools the server listed at the start. */
  readonly tools: readonly Tool[];
  /** The tool calls, in the order they were made. */
  readonly steps: readonly ScenarioStep[];
}

/** Options of {@linkcode connectAgent}. */
export interface ConnectAgentOptions {
  /**
   * Where the server's stderr goes.
   *
   * @default {"inherit"}
   */
  stderr?: "inherit" | "pipe" | "ignore";
  /**
   * Variables added to the SDK's small default environment (HOME, PATH, ...)
   * of the server process.
   *
   * @default {{}}
   */
  env?: Record<string, string>;
}

/** A connected agent; close `client` to stop the server process. */
export interface AgentConnection {
  /** The SDK client, initialized. */
  client: Client;
  /** Its transport, which owns the server process. */
  transport: StdioClientTransport;
}

const defaults = { stderr: "inherit", env: {} } satisfies Required<
  ConnectAgentOptions
>;

interface PlannedCall {
  purpose: string;
  tool: string;
  arguments: Record<string, unknown>;
  /** The request's `_meta`. */
  _meta?: Record<string, unknown>;
}

// E003 is an engineer and E007 works in sales: two departments' pay is read.
const PLAN: readonly PlannedCall[] = [
  {
    purpose: "list the engineering team",
    tool: "search_employees",
    arguments: { department: "Engineering" },
    // The user asking is an engineering manager: the session's scope.
    _meta: { "mcp-audit/scope": { department: "Engineering" } },
  },
  {
    purpose: "find a person by name",
    tool: "search_employees",
    arguments: { query: "weber" },
  },
  {
    purpose: "open an engineer's record",
    tool: "get_employee",
    arguments: { employee_id: "E003" },
  },
  {
    purpose: "read an engineer's pay",
    tool: "get_pay_info",
    arguments: { employee_id: "E003" },
  },
  {
    purpose: "read a salesperson's pay",
    tool: "get_pay_info",
    arguments: { employee_id: "E007" },
  },
  {
    purpose: "check German leave rules",
    tool: "get_compliance_rules",
    arguments: { jurisdiction: "DE" },
  },
  {
    purpose: "book year-end leave",
    tool: "submit_time_off",
    arguments: {
      employee_id: "E003",
      start_date: "2025-12-22",
      end_date: "2026-01-02",
      reason: "Year-end holiday",
    },
  },
  {
    purpose: "look up someone who does not exist",
    tool: "get_employee",
    arguments: { employee_id: "E999" },
  },
  {
    purpose: "ask about an unknown jurisdiction",
    tool: "get_compliance_rules",
    arguments: { jurisdiction: "XX" },
  },
];

/**
 * Starts `command` as an MCP server over stdio and connects an SDK client
 * named `hr-demo-agent` to it.
 *
 * @param command Executable of the server (or of a proxy in front of it).
 * @param args Its arguments.
 * @param options Where the server's stderr goes and extra environment.
 * @returns The connected client and its transport.
 * @throws {Error} When the process cannot be started or does not complete `initialize`.
 *
 * @example Connecting to the HR demo server
 * ```ts
 * import { connectAgent } from "./agent.ts";
 * import assert from "node:assert/strict";
 *
 * const server = new URL("./hr_server.ts", import.meta.url).pathname;
 * const { client } = await connectAgent(Deno.execPath(), ["run", "--quiet", server], {
 *   stderr: "ignore",
 * });
 * assert.equal(client.getServerVersion()?.name, "hr-demo");
 * await client.close();
 * ```
 */
export async function connectAgent(
  command: string,
  args: string[],
  options: ConnectAgentOptions = {},
): Promise<AgentConnection> {
  const { stderr, env } = { ...defaults, ...options };
  const transport = new StdioClientTransport({ command, args, stderr, env });
  const client = new Client({ name: AGENT_NAME, version: AGENT_VERSION });
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close();
    throw new Error(
      `Could not connect to the MCP server "${[command, ...args].join(" ")}": ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  return { client, transport };
}

/**
 * Plays the HR scenario on a connected client: `tools/list`, two searches, an
 * employee record, pay of two people in different departments, German
 * compliance rules, a time-off request, then an unknown employee (a tool
 * error) and an unknown jurisdiction (a JSON-RPC error). Both errors are
 * recorded, not thrown.
 *
 * @param client A connected client.
 * @param log Receives one line per step as it completes.
 * @returns The listed tools and every step's outcome.
 * @throws {Error} When the connection fails in a way that is not a JSON-RPC error.
 *
 * @example Against the HR server
 * ```ts
 * import { connectAgent, runAgentScenario } from "./agent.ts";
 * import assert from "node:assert/strict";
 *
 * const server = new URL("./hr_server.ts", import.meta.url).pathname;
 * const { client } = await connectAgent(Deno.execPath(), ["run", "--quiet", server], {
 *   stderr: "ignore",
 * });
 * const result = await runAgentScenario(client);
 * assert.deepEqual(
 *   result.steps.filter((step) => !step.ok).map((step) => step.outcome),
 *   ["tool_error", "protocol_error"],
 * );
 * await client.close();
 * ```
 */
export async function runAgentScenario(
  client: Client,
  log: (line: string) => void = ignore,
): Promise<ScenarioResult> {
  const { tools } = await client.listTools();
  log(
    `tools/list -> ${tools.length} tools: ${
      tools.map((tool) => tool.name).join(", ")
    }`,
  );
  const steps: ScenarioStep[] = [];
  for (const call of PLAN) {
    const step = await callTool(client, call);
    steps.push(step);
    log(formatStep(steps.length, step));
  }
  return { tools, steps };
}

async function callTool(
  client: Client,
  call: PlannedCall,
): Promise<ScenarioStep> {
  const asked = {
    purpose: call.purpose,
    tool: call.tool,
    arguments: call.arguments,
  };
  try {
    // callTool's type also admits the pre-2024 `toolResult` shape; the scenario wants today's.
    const result = CallToolResultSchema.parse(
      await client.callTool({
        name: call.tool,
        arguments: call.arguments,
        ...(call._meta && { _meta: call._meta }),
      }),
    );
    const structuredContent = result.structuredContent;
    if (result.isError === true) {
      return {
        ...asked,
        outcome: "tool_error",
        ok: false,
        isError: true,
        error: firstText(result.content),
        ...(structuredContent !== undefined && { structuredContent }),
      };
    }
    return {
      ...asked,
      outcome: "ok",
      ok: true,
      isError: false,
      ...(structuredContent !== undefined && { structuredContent }),
    };
  } catch (error) {
    if (!(error instanceof McpError)) throw error;
    return {
      ...asked,
      outcome: "protocol_error",
      ok: false,
      isError: false,
      // The client prefixes "MCP error <code>: "; the step keeps the message the server sent.
      error: error.message.replace(`MCP error ${error.code}: `, ""),
      errorCode: error.code,
    };
  }
}

function firstText(
  content: readonly { type: string; text?: unknown }[],
): string {
  const text = content.find((part) => part.type === "text")?.text;
  return typeof text === "string" ? text : "";
}

function formatStep(index: number, step: ScenarioStep): string {
  const call = `${index}. ${step.tool} ${JSON.stringify(step.arguments)}`;
  switch (step.outcome) {
    case "ok":
      return `${call} -> ok ${
        clip(JSON.stringify(step.structuredContent ?? {}), 100)
      }`;
    case "tool_error":
      return `${call} -> tool error: ${step.error}`;
    case "protocol_error":
      return `${call} -> JSON-RPC error ${step.errorCode}: ${step.error}`;
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

function ignore(_line: string): void {}

if (import.meta.main) {
  const [first, ...rest] = Deno.args;
  const [command, ...args] = first === "--" ? rest : [first, ...rest];
  if (command === undefined || command === "") {
    // deno-lint-ignore no-console
    console.error(
      "Usage: deno run -A demo/agent.ts -- <server command> [args...]",
    );
    Deno.exit(2);
  }
  const { client } = await connectAgent(command, args);
  try {
    // deno-lint-ignore no-console
    await runAgentScenario(client, (line) => console.log(line));
  } finally {
    await client.close();
  }
}
