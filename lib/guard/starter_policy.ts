/**
 * `policy init --from-log`: a starting policy from the tools a server
 * offered in past sessions and their annotations. Read-only tools are
 * allowed, destructive ones asked about, and the rest left as comments for
 * a person to decide on.
 *
 * @module
 */

/**
 * The starting policy, JSONC text, from log records (the `tools/list`
 * answers and the tools called).
 *
 * @example
 * ```ts
 * import { starterPolicy } from "./starter_policy.ts";
 * import assert from "node:assert/strict";
 *
 * const text = starterPolicy([{ kind: "response", method: "tools/list", result: { tools: [
 *   { name: "read_file", annotations: { readOnlyHint: true } },
 *   { name: "drop_table", annotations: { destructiveHint: true } },
 *   { name: "send_mail" },
 * ] } }]);
 * assert.match(text, /"tool": \["read_file"\], "action": "allow"/);
 * assert.match(text, /"tool": \["drop_table"\], "action": "ask"/);
 * assert.match(text, /\/\/ send_mail/);
 * ```
 */
export function starterPolicy(
  records: Iterable<Record<string, unknown>>,
): string {
  const annotations = new Map<string, Record<string, unknown>>();
  for (const e of records) {
    if (e.kind === "response" && e.method === "tools/list") {
      const tools = (e.result as { tools?: unknown } | undefined)?.tools;
      if (!Array.isArray(tools)) continue;
      for (const t of tools) {
        if (typeof t?.name === "string") {
          annotations.set(t.name, t.annotations ?? {});
        }
      }
    } else if (
      e.kind === "request" && e.method === "tools/call" &&
      typeof e.tool === "string"
    ) {
      if (!annotations.has(e.tool)) annotations.set(e.tool, {});
    }
  }
  const names = [...annotations.keys()].sort();
  const readOnly = names.filter((n) =>
    annotations.get(n)?.readOnlyHint === true
  );
  const destructive = names.filter((n) =>
    annotations.get(n)?.readOnlyHint !== true &&
    annotations.get(n)?.destructiveHint === true
  );
  const rest = names.filter((n) =>
    !readOnly.includes(n) && !destructive.includes(n)
  );
  const q = (list: string[]): string =>
    list.map((n) => JSON.stringify(n)).join(", ");
  const rules: string[] = [];
  if (readOnly.length > 0) {
    rules.push(
      `      // Declared read-only (readOnlyHint).\n      { "id": "read-only", "tool": [${
        q(readOnly)
      }], "action": "allow" }`,
    );
  }
  if (destructive.length > 0) {
    rules.push(
      `      // Declared destructive (destructiveHint): ask the user first.\n      { "id": "destructive", "tool": [${
        q(destructive)
      }], "action": "ask", "reason": "This tool is declared destructive" }`,
    );
  }
  rules.push(
    `      // Destructive SQL in any argument, whatever the tool.\n      { "id": "no-destroy", "class": "DESTRUCTIVE", "action": "ask" }`,
  );
  const undecided = rest.length === 0
    ? ""
    : `\n      // To decide on (no annotations say what they do):\n${
      rest.map((n) =>
        `      // ${n}: { "id": "${n}", "tool": ${
          JSON.stringify(n)
        }, "action": "allow" | "ask" | "deny" | "hide" },`
      ).join("\n")
    }`;
  return `// A starting policy from the tools seen in past sessions (mcp-audit policy init).
// Check it with "mcp-audit policy test" on those logs, in monitor mode first.
{
  "policy": {
    "mode": "monitor",
    "rules": [
${rules.join(",\n")}${undecided}
    ]
  }
}
`;
}
