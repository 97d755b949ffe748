/**
 * JSON Schemas generated from the zod schemas, so that other tools can read
 * our logs (and editors can check configs) without our code.
 *
 * @module
 */
import { z } from "zod";
import { AuditEventZodSchema } from "../audit/event_schema.ts";
import { ConfigSchema } from "./config.ts";

/**
 * The JSON Schema (draft 2020-12) of one audit log line.
 *
 * @example
 * ```ts
 * import { eventJsonSchema } from "./json_schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(eventJsonSchema().title, "mcp-audit event");
 * ```
 */
export function eventJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(AuditEventZodSchema, {
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: "mcp-audit event",
    description:
      "One line of an mcp-audit JSONL log. Field meanings follow the OpenTelemetry MCP semantic conventions: method = mcp.method.name, tool = gen_ai.tool.name, id = jsonrpc.request.id, session = mcp.session.id, errorType = error.type.",
    ...Object.fromEntries(
      Object.entries(schema).filter(([k]) => k !== "$schema"),
    ),
  };
}

/**
 * The JSON Schema of `mcp-audit.jsonc`, for editors (`"$schema"` in the file).
 *
 * @example
 * ```ts
 * import { configJsonSchema } from "./json_schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok("rules" in (configJsonSchema().properties as object));
 * ```
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigSchema, {
    unrepresentable: "any",
    io: "input",
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: "mcp-audit config (mcp-audit.jsonc)",
    ...Object.fromEntries(
      Object.entries(schema).filter(([k]) => k !== "$schema"),
    ),
  };
}
