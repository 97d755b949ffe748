/**
 * The freeze demo's database server: an MCP server with one tool,
 * `run_sql`, over a tiny in-memory database of tables. It executes what it
 * gets, DROP TABLE included: stopping that is the proxy's job.
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

/** The database: table -> rows. */
const tables = new Map<string, Record<string, unknown>[]>([
  ["customers", [{ id: 1, name: "Ada" }, { id: 2, name: "Grace" }]],
  ["orders", [{ id: 10, customer: 1, total: 42 }]],
]);

/** Runs one statement of the few this database knows. */
function run(sql: string): string {
  const text = sql.trim().replace(/;$/, "");
  const drop = /^drop\s+table\s+(\w+)$/i.exec(text);
  if (drop) {
    tables.delete(drop[1].toLowerCase());
    return `dropped table ${drop[1]}`;
  }
  const count = /^select\s+count\(\*\)\s+from\s+(\w+)$/i.exec(text);
  if (count) {
    const rows = tables.get(count[1].toLowerCase());
    if (!rows) throw new Error(`no such table: ${count[1]}`);
    return `${rows.length}`;
  }
  if (/^show\s+tables$/i.test(text)) return [...tables.keys()].join(", ");
  throw new Error(`this demo database does not know "${text}"`);
}

const server = new Server({ name: "demo-db", version: "1.0.0" }, {
  capabilities: { tools: {} },
});
server.setRequestHandler(ListToolsRequestSchema, () => ({
  tools: [{
    name: "run_sql",
    description: "Runs one SQL statement on the production database",
    inputSchema: {
      type: "object",
      properties: { sql: { type: "string" } },
      required: ["sql"],
    },
  }],
}));
server.setRequestHandler(CallToolRequestSchema, (request) => {
  try {
    const sql = String(request.params.arguments?.sql ?? "");
    return { content: [{ type: "text", text: run(sql) }] };
  } catch (error) {
    return {
      content: [{ type: "text", text: (error as Error).message }],
      isError: true,
    };
  }
});
await server.connect(new StdioServerTransport());
