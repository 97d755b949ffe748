/**
 * The support-desk demo's server: an MCP stdio server over in-memory
 * `tickets` and `integration_tokens` tables, with read tools, a SELECT-only
 * `query` tool, and tools that write to tickets. It serves whatever its
 * data holds, the injected ticket included.
 *
 * @module
 */
// @ts-types="@modelcontextprotocol/sdk/server/index"
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
// @ts-types="@modelcontextprotocol/sdk/server/stdio"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { INTEGRATION_TOKENS, type Ticket, TICKETS } from "./support_data.ts";

const tables: Record<string, () => Record<string, unknown>[]> = {
  tickets: () =>
    TICKETS.map(({ id, customer, subject, status }) => ({
      id,
      customer,
      subject,
      status,
    })),
  integration_tokens: () => INTEGRATION_TOKENS.map((t) => ({ ...t })),
};

/** Runs `SELECT * | cols FROM table`: the only statement it knows. */
function select(sql: string): Record<string, unknown>[] {
  const m = /^\s*select\s+(.+?)\s+from\s+(\w+)\s*;?\s*$/i.exec(sql);
  if (!m) throw new Error(`this demo database runs only SELECT ... FROM t`);
  const table = tables[m[2].toLowerCase()];
  if (!table) throw new Error(`no such table: ${m[2]}`);
  const cols = m[1].trim() === "*"
    ? undefined
    : m[1].split(",").map((c) => c.trim());
  return table().map((row) =>
    cols ? Object.fromEntries(cols.map((c) => [c, row[c]])) : row
  );
}

function ticket(id: unknown): Ticket {
  const t = TICKETS.find((t) => t.id === id);
  if (!t) throw new Error(`no ticket ${String(id)}`);
  return t;
}

function ok(value: Record<string, unknown>): {
  content: { type: string; text: string }[];
  structuredContent: Record<string, unknown>;
} {
  return {
    content: [{ type: "text", text: JSON.stringify(value) }],
    structuredContent: value,
  };
}

const READ = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
const ID = {
  type: "object",
  properties: { ticket_id: { type: "string" } },
  required: ["ticket_id"],
};

const server = new Server({ name: "support-desk", version: "1.0.0" }, {
  capabilities: { tools: {} },
});
server.setRequestHandler(ListToolsRequestSchema, () => ({
  tools: [
    {
      name: "list_tickets",
      description: "Lists the open support tickets",
      inputSchema: { type: "object", properties: {} },
      annotations: READ,
    },
    {
      name: "get_ticket",
      description: "Reads one ticket with its body and messages",
      inputSchema: ID,
      annotations: READ,
    },
    {
      name: "query",
      description: "Runs a read-only SQL SELECT on the support database",
      inputSchema: {
        type: "object",
        properties: { sql: { type: "string" } },
        required: ["sql"],
      },
      annotations: READ,
    },
    {
      name: "add_ticket_message",
      description: "Adds a message to a ticket; the customer sees it",
      inputSchema: {
        type: "object",
        properties: {
          ticket_id: { type: "string" },
          message: { type: "string" },
        },
        required: ["ticket_id", "message"],
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    {
      name: "update_ticket",
      description: "Sets a ticket's status",
      inputSchema: {
        type: "object",
        properties: {
          ticket_id: { type: "string" },
          status: { type: "string", enum: ["open", "pending", "closed"] },
        },
        required: ["ticket_id", "status"],
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
  ],
}));
server.setRequestHandler(CallToolRequestSchema, (request) => {
  const args = (request.params.arguments ?? {}) as Record<string, unknown>;
  try {
    switch (request.params.name) {
      case "list_tickets":
        return ok({ tickets: tables.tickets() });
      case "get_ticket":
        return ok({ ...ticket(args.ticket_id) });
      case "query":
        return ok({ rows: select(String(args.sql ?? "")) });
      case "add_ticket_message": {
        const t = ticket(args.ticket_id);
        t.messages.push(String(args.message ?? ""));
        return ok({ ticket_id: t.id, messages: t.messages.length });
      }
      case "update_ticket": {
        const t = ticket(args.ticket_id);
        t.status = String(args.status);
        return ok({ ticket_id: t.id, status: t.status });
      }
    }
    throw new Error(`unknown tool ${request.params.name}`);
  } catch (error) {
    return {
      content: [{ type: "text", text: (error as Error).message }],
      isError: true,
    };
  }
});
await server.connect(new StdioServerTransport());
