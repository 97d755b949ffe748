/**
 * The rules a 2026-07-28 tool definition's `x-mcp-header` marks must keep
 * (server/tools.mdx, "x-mcp-header"; transports/streamable-http.mdx,
 * "Schema Extension"), and what a client over Streamable HTTP does with a
 * tool that breaks them: it "MUST exclude the invalid tool from the result
 * of `tools/list`" and "SHOULD log a warning ... including the tool name
 * and the reason". The stdio bridge is that client for its stdio one.
 *
 * A mark's value must be a non-empty HTTP token (`1*tchar`, which also
 * keeps out control characters), unique among the schema's marks without
 * regard to case, on a property of type `integer`, `string` or `boolean`
 * (`number` is not allowed; `null` may be added, since a null argument
 * only omits the header), and reached from the schema's root through
 * `properties` keys only: a mark anywhere else (under `items`, `oneOf`,
 * `anyOf`, `allOf`, `not`, `if`/`then`/`else`, `$ref`, `$defs`, or on the
 * root itself) makes the tool invalid.
 *
 * @module
 */

const MARK = "x-mcp-header";
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PRIMITIVE = new Set(["integer", "string", "boolean"]);

/** A tool taken out of a `tools/list` result, and why. */
export interface RejectedTool {
  /** The tool's name (`"(unnamed)"` when it has none). */
  name: string;
  /** Which rule its `x-mcp-header` marks break. */
  reason: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function primitive(type: unknown): boolean {
  if (typeof type === "string") return PRIMITIVE.has(type);
  if (!Array.isArray(type)) return false;
  const kinds = type.filter((t) => t !== "null");
  return kinds.length > 0 && kinds.every((t) => PRIMITIVE.has(t));
}

/**
 * Why a tool's `inputSchema` marks are invalid, or `undefined` when they
 * are all valid (or there are none).
 *
 * @example
 * ```ts
 * import { invalidHeaderMarks } from "./tool_header_rules.ts";
 * import assert from "node:assert/strict";
 *
 * const ok = { type: "object", properties: { region: { type: "string", "x-mcp-header": "Region" } } };
 * assert.equal(invalidHeaderMarks(ok), undefined);
 * const inArray = {
 *   type: "object",
 *   properties: { ids: { type: "array", items: { type: "string", "x-mcp-header": "Id" } } },
 * };
 * assert.match(invalidHeaderMarks(inArray)!, /reached through properties only/);
 * const number = { type: "object", properties: { n: { type: "number", "x-mcp-header": "N" } } };
 * assert.match(invalidHeaderMarks(number)!, /integer, string or boolean/);
 * ```
 */
export function invalidHeaderMarks(schema: unknown): string | undefined {
  const seen = new Map<string, string>();
  let problem: string | undefined;
  const visit = (node: unknown, path: string[], reachable: boolean): void => {
    if (problem) return;
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, [...path, String(i)], false));
      return;
    }
    if (!isObject(node)) return;
    const where = path.length ? `"${path.join(".")}"` : "the schema's root";
    if (MARK in node) {
      const name = node[MARK];
      if (!reachable || path.length === 0) {
        problem =
          `the ${MARK} mark at ${where} is not on a property reached through properties only`;
        return;
      }
      if (typeof name !== "string" || !TOKEN.test(name)) {
        problem = `the ${MARK} value ${
          JSON.stringify(name)
        } at ${where} is not an HTTP header token`;
        return;
      }
      if (!primitive(node.type)) {
        problem =
          `the ${MARK} mark "${name}" at ${where} is on a property of type ${
            JSON.stringify(node.type ?? null)
          }, not integer, string or boolean`;
        return;
      }
      const other = seen.get(name.toLowerCase());
      if (other !== undefined) {
        problem =
          `the ${MARK} value "${name}" at ${where} repeats the one at "${other}" (case-insensitively)`;
        return;
      }
      seen.set(name.toLowerCase(), path.join("."));
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "properties" && isObject(value) && reachable) {
        for (const [prop, sub] of Object.entries(value)) {
          visit(sub, [...path, prop], true);
        }
      } else if (key !== MARK) {
        visit(value, [...path, key], false);
      }
    }
  };
  // The root's own `properties` are the first step of every chain.
  visit(schema, [], true);
  return problem;
}

/**
 * A `tools/list` result without the tools whose marks are invalid, and the
 * tools taken out; `undefined` when none is (the result then passes as it
 * came, byte for byte).
 *
 * @example
 * ```ts
 * import { screenTools } from "./tool_header_rules.ts";
 * import assert from "node:assert/strict";
 *
 * const result = {
 *   tools: [
 *     { name: "ok", inputSchema: { type: "object", properties: { a: { type: "string", "x-mcp-header": "A" } } } },
 *     { name: "twice", inputSchema: { type: "object", properties: {
 *       a: { type: "string", "x-mcp-header": "A" },
 *       b: { type: "string", "x-mcp-header": "a" },
 *     } } },
 *   ],
 * };
 * const screened = screenTools(result)!;
 * assert.deepEqual(screened.result.tools, [result.tools[0]]);
 * assert.equal(screened.rejected[0].name, "twice");
 * assert.equal(screenTools({ tools: [result.tools[0]] }), undefined);
 * ```
 */
export function screenTools(
  result: unknown,
): {
  result: Record<string, unknown> & { tools: unknown[] };
  rejected: RejectedTool[];
} | undefined {
  if (!isObject(result) || !Array.isArray(result.tools)) return undefined;
  const rejected: RejectedTool[] = [];
  const kept = result.tools.filter((tool) => {
    const reason = invalidHeaderMarks(
      isObject(tool) ? tool.inputSchema : undefined,
    );
    if (reason === undefined) return true;
    const name = isObject(tool) && typeof tool.name === "string"
      ? tool.name
      : "(unnamed)";
    rejected.push({ name, reason });
    return false;
  });
  if (rejected.length === 0) return undefined;
  return { result: { ...result, tools: kept }, rejected };
}
