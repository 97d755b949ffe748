/**
 * The commented starter config that `mcp-audit init` writes.
 *
 * @module
 */

/**
 * The text of a starter `mcp-audit.jsonc`, pointing at `schemaPath`.
 *
 * @example
 * ```ts
 * import { starterConfig } from "./starter_config.ts";
 * import { parseConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 *
 * const config = parseConfig(starterConfig("./mcp-audit.schema.json"), "mcp-audit.jsonc");
 * assert.ok(config.rules?.sensitive?.length);
 * ```
 */
export function starterConfig(schemaPath: string): string {
  return `// mcp-audit classifier config. JSONC: comments and trailing commas are fine.
// Your editor checks it against the schema below. Flags such as
// --sensitive-tools and --write-tools override the lists here.
{
  "$schema": ${JSON.stringify(schemaPath)},

  // Tool names or globs (* and ?) per class. A call can have several classes.
  "rules": {
    "sensitive": ["get_pay*", "*salary*", "*secret*", "read_token*"],
    "write": ["create_*", "update_*", "delete_*", "submit_*", "write_*", "deploy*"],
    "read": ["get_*", "list_*", "search_*", "read_*"],
    // Custom labels: "PII": ["get_employee"],
    "labels": {},
    // Classify by argument values, whatever the tool is called.
    "arguments": [
      { "label": "WRITE", "key": "query", "pattern": "\\\\b(DROP|DELETE|TRUNCATE|UPDATE|INSERT|ALTER)\\\\b" },
    ],
  },

  // Data entities to extract from arguments and results: type, regular expression, where.
  "entities": [
    { "type": "email", "pattern": "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\\\.[A-Za-z]{2,}", "in": ["arguments", "result"] },
    // { "type": "employee", "pattern": "\\\\bE\\\\d{3}\\\\b" },
  ],

  // Secrets and personal data are replaced in the log by [REDACTED:type:hash].
  // Set "redact": false to log values as they are.
  "redact": {
    "emails": true,
    "cards": true,
    "secrets": true,
    "patterns": [
      // { "type": "ssn", "pattern": "\\\\b\\\\d{3}-\\\\d{2}-\\\\d{4}\\\\b" },
    ],
  },

  // The pipeline, in order: built-in names or paths of your own plugins.
  // "plugins": ["sensitivity", "annotations", "entities", "./my_plugin.ts", "redact"],
}
`;
}
