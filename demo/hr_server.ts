/**
 * The HR demo's MCP server: five tools over the fixed records in `hr_data.ts`,
 * spoken over stdio. It is the upstream that `mcp-audit` sits in front of.
 *
 * Run it with `deno run --quiet demo/hr_server.ts`; it needs no permissions.
 * stdout carries the protocol only; one readiness line goes to stderr.
 *
 * @module
 */

import process from "node:process";
// The SDK's "./*" export maps types to "*.d.ts", so a ".js" subpath finds no types under Deno and
// everything would be `any`; each @ts-types names the same module without the extension.
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/stdio"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  type CallToolResult,
  ErrorCode,
  isJSONRPCRequest,
  type JSONRPCMessage,
  McpError,
  type MessageExtraInfo,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import {
  COMPLIANCE_RULES,
  type ComplianceRules,
  type Employee,
  EMPLOYEES,
  PAY,
  TIME_OFF_REQUESTS,
  type TimeOffRequest,
} from "./hr_data.ts";

/** Name the server reports in `initialize`. */
export const HR_SERVER_NAME = "hr-demo";
/** Version the server reports in `initialize`. */
export const HR_SERVER_VERSION = "1.0.0";

const DEPARTMENTS = ["Engineering", "Sales", "Finance", "People"] as const;

const SearchInput = z.object({
  query: z.string().optional().describe(
    "Text to look for in name, email or title",
  ),
  department: z.enum(DEPARTMENTS).optional().describe("Only this department"),
});
type SearchInput = z.infer<typeof SearchInput>;

const EmployeeIdInput = z.object({
  employee_id: z.string().describe('Employee id, e.g. "E001"'),
});
type EmployeeIdInput = z.infer<typeof EmployeeIdInput>;

const TimeOffInput = z.object({
  employee_id: z.string().describe('Employee id, e.g. "E001"'),
  start_date: z.iso.date().describe("First day off, YYYY-MM-DD"),
  end_date: z.iso.date().describe("Last day off, YYYY-MM-DD"),
  reason: z.string().max(500).optional().describe(
    "Free text shown to the manager",
  ),
});
type TimeOffInput = z.infer<typeof TimeOffInput>;

const JurisdictionInput = z.object({
  jurisdiction: z.string().describe('Jurisdiction code, e.g. "DE" or "US-CA"'),
});
type JurisdictionInput = z.infer<typeof JurisdictionInput>;

const employeeSummaryShape = {
  id: z.string(),
  name: z.string(),
  department: z.enum(DEPARTMENTS),
  title: z.string(),
  email: z.string(),
};

const employeeShape = {
  ...employeeSummaryShape,
  manager_id: z.string().nullable(),
  jurisdiction: z.string(),
};

const timeOffShape = {
  id: z.string(),
  employee_id: z.string(),
  start_date: z.string(),
  end_date: z.string(),
  reason: z.string().nullable(),
  status: z.enum(["pending", "approved", "rejected"]),
};

/**
 * Builds the HR server, connects it to `transport` and returns it.
 *
 * `get_compliance_rules` answers an unknown jurisdiction with a JSON-RPC error
 * (`InvalidParams`), while the other tools report bad ids as tool results with
 * `isError: true`, so a demo shows both kinds of failure. Each server keeps its
 * own list of time-off requests, starting from the seeded ones.
 *
 * @param transport A transport that is not started yet.
 * @returns The connected server; `close()` it to stop.
 *
 * @example In memory, next to a client
 * ```ts
 * import { startHrServer } from "./hr_server.ts";
 * import { Client } from "@modelcontextprotocol/sdk/client/index.js";
 * import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
 * import assert from "node:assert/strict";
 *
 * const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
 * const server = await startHrServer(serverSide);
 * const client = new Client({ name: "example", version: "1.0.0" });
 * await client.connect(clientSide);
 * const result = await client.callTool({
 *   name: "get_pay_info",
 *   arguments: { employee_id: "E002" },
 * });
 * assert.equal((result.structuredContent as { currency: string }).currency, "USD");
 * await client.close();
 * await server.close();
 * ```
 */
export async function startHrServer(transport: Transport): Promise<McpServer> {
  const server = createHrServer();
  await server.connect(transport);
  rejectUnknownJurisdictions(transport);
  return server;
}

function createHrServer(): McpServer {
  const server = new McpServer({
    name: HR_SERVER_NAME,
    version: HR_SERVER_VERSION,
  });
  const timeOff: TimeOffRequest[] = [...TIME_OFF_REQUESTS];

  server.registerTool(
    "search_employees",
    {
      title: "Search employees",
      description:
        "Lists employees whose name, email or title contains `query` (case-insensitive), optionally within one department. Without arguments it lists everyone.",
      inputSchema: SearchInput,
      outputSchema: {
        employees: z.array(z.object(employeeSummaryShape)),
        count: z.number().int(),
      },
      annotations: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    function searchEmployees(
      { query, department }: SearchInput,
    ): CallToolResult {
      const needle = query?.trim().toLowerCase() ?? "";
      const employees = EMPLOYEES
        .filter((e) => department === undefined || e.department === department)
        .filter((e) =>
          needle === "" ||
          [e.name, e.email, e.title].some((field) =>
            field.toLowerCase().includes(needle)
          )
        )
        .map(({ id, name, department, title, email }) => ({
          id,
          name,
          department,
          title,
          email,
        }));
      return success({ employees, count: employees.length });
    },
  );

  server.registerTool(
    "get_employee",
    {
      title: "Get employee",
      description:
        "Returns one employee's directory record: contact, role, manager, jurisdiction.",
      inputSchema: EmployeeIdInput,
      outputSchema: employeeShape,
      annotations: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    function getEmployee({ employee_id }: EmployeeIdInput): CallToolResult {
      const employee = findEmployee(employee_id);
      if (employee === undefined) return unknownEmployee(employee_id);
      return success({
        id: employee.id,
        name: employee.name,
        department: employee.department,
        title: employee.title,
        email: employee.email,
        manager_id: employee.managerId,
        jurisdiction: employee.jurisdiction,
      });
    },
  );

  server.registerTool(
    "get_pay_info",
    {
      title: "Get pay info",
      description:
        "Returns one employee's annual base salary, its currency and the masked bank account it is paid into.",
      inputSchema: EmployeeIdInput,
      outputSchema: {
        employee_id: z.string(),
        name: z.string(),
        base_salary: z.number(),
        currency: z.string(),
        bank_account: z.string(),
      },
      annotations: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    function getPayInfo({ employee_id }: EmployeeIdInput): CallToolResult {
      const employee = findEmployee(employee_id);
      const pay = PAY.find((p) => p.employeeId === employee?.id);
      if (employee === undefined || pay === undefined) {
        return unknownEmployee(employee_id);
      }
      return success({
        employee_id: employee.id,
        name: employee.name,
        base_salary: pay.baseSalary,
        currency: pay.currency,
        bank_account: pay.bankAccount,
      });
    },
  );

  server.registerTool(
    "submit_time_off",
    {
      title: "Submit time off",
      description:
        "Files a new pending time-off request for an employee. Dates are YYYY-MM-DD and inclusive. Every call creates a new request.",
      inputSchema: TimeOffInput,
      outputSchema: timeOffShape,
      // Adds a record and never changes or removes one; repeating it files a second request.
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    function submitTimeOff(
      { employee_id, start_date, end_date, reason }: TimeOffInput,
    ): CallToolResult {
      const employee = findEmployee(employee_id);
      if (employee === undefined) return unknownEmployee(employee_id);
      if (end_date < start_date) {
        return failure(
          `End date "${end_date}" is before start date "${start_date}"; swap them or fix the end date`,
        );
      }
      const request: TimeOffRequest = {
        id: nextTimeOffId(timeOff),
        employeeId: employee.id,
        startDate: start_date,
        endDate: end_date,
        reason: reason ?? null,
        status: "pending",
      };
      timeOff.push(request);
      return success({
        id: request.id,
        employee_id: request.employeeId,
        start_date: request.startDate,
        end_date: request.endDate,
        reason: request.reason,
        status: request.status,
      });
    },
  );

  server.registerTool(
    "get_compliance_rules",
    {
      title: "Get compliance rules",
      description:
        `Returns the working-time, leave and pay-transparency rules of one jurisdiction (${
          knownJurisdictions().join(", ")
        }). An unknown jurisdiction is a JSON-RPC InvalidParams error.`,
      inputSchema: JurisdictionInput,
      outputSchema: {
        jurisdiction: z.string(),
        max_weekly_hours: z.number(),
        min_annual_leave_days: z.number(),
        pay_transparency: z.string(),
      },
      annotations: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    function getComplianceRules(
      { jurisdiction }: JurisdictionInput,
    ): CallToolResult {
      const rules = requireRules(jurisdiction);
      return success({
        jurisdiction: rules.jurisdiction,
        max_weekly_hours: rules.maxWeeklyHours,
        min_annual_leave_days: rules.minAnnualLeaveDays,
        pay_transparency: rules.payTransparency,
      });
    },
  );

  return server;
}

/**
 * McpServer turns every error thrown inside a tool callback into an `isError`
 * result, so the jurisdiction check that must fail at the protocol level runs
 * here, on the incoming message, before the tool is dispatched.
 */
function rejectUnknownJurisdictions(transport: Transport): void {
  const deliver = transport.onmessage;
  if (deliver === undefined) {
    throw new TypeError(
      "The transport has no message handler; connect the server first",
    );
  }
  transport.onmessage = function guardedOnMessage<T extends JSONRPCMessage>(
    message: T,
    extra?: MessageExtraInfo,
  ): void {
    if (
      isJSONRPCRequest(message) && message.method === "tools/call" &&
      message.params?.name === "get_compliance_rules"
    ) {
      const args = message.params.arguments;
      const jurisdiction = typeof args === "object" && args !== null
        ? (args as Record<string, unknown>).jurisdiction
        : undefined;
      if (typeof jurisdiction === "string") {
        try {
          requireRules(jurisdiction);
        } catch (error) {
          if (!(error instanceof McpError)) throw error;
          transport.send({
            jsonrpc: "2.0",
            id: message.id,
            error: {
              code: error.code,
              message: unknownJurisdictionText(jurisdiction),
              data: error.data,
            },
          }).catch((sendError: Error) => transport.onerror?.(sendError));
          return;
        }
      }
    }
    deliver(message, extra);
  };
}

function findEmployee(id: string): Employee | undefined {
  const wanted = id.trim().toUpperCase();
  return EMPLOYEES.find((e) => e.id === wanted);
}

function knownJurisdictions(): string[] {
  return COMPLIANCE_RULES.map((r) => r.jurisdiction);
}

function requireRules(jurisdiction: string): ComplianceRules {
  const wanted = jurisdiction.trim().toUpperCase();
  const rules = COMPLIANCE_RULES.find((r) => r.jurisdiction === wanted);
  if (rules === undefined) {
    throw new McpError(
      ErrorCode.InvalidParams,
      unknownJurisdictionText(jurisdiction),
      {
        jurisdiction,
        known: knownJurisdictions(),
      },
    );
  }
  return rules;
}

function unknownJurisdictionText(jurisdiction: string): string {
  return `Unknown jurisdiction "${jurisdiction}"; use one of ${
    knownJurisdictions().join(", ")
  }`;
}

function nextTimeOffId(existing: readonly TimeOffRequest[]): string {
  const highest = Math.max(
    1000,
    ...existing.map((r) => Number(r.id.slice("TO-".length))),
  );
  return `TO-${highest + 1}`;
}

function success(structured: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: "text", text: JSON.stringify(structured) }],
    structuredContent: structured,
  };
}

function failure(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

function unknownEmployee(id: string): CallToolResult {
  return failure(`No employee with id "${id}"`);
}

if (import.meta.main) {
  const server = await startHrServer(new StdioServerTransport());
  // Without this the process would outlive its client: stdin ending is the only goodbye on stdio.
  process.stdin.once("end", function closeOnEndOfInput(): void {
    server.close().catch(() => {});
  });
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `${HR_SERVER_NAME}: ready (${EMPLOYEES.length} employees)\n`,
    ),
  );
}
