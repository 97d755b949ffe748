/**
 * Built-in plugin `annotations`: learns the server's own tool annotations
 * from its `tools/list` answers (readOnlyHint, destructiveHint,
 * idempotentHint, openWorldHint) and classifies calls from them when no
 * earlier plugin has classified the call as READ or WRITE. Each label's
 * source names the hint it came from.
 *
 * @module
 */
import {
  definePlugin,
  type Plugin,
  type PluginFindings,
} from "../lib/plugin/kit/mod.ts";

interface Hints {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

const HINTS = [
  "readOnlyHint",
  "destructiveHint",
  "idempotentHint",
  "openWorldHint",
] as const;

/**
 * Creates the `annotations` plugin. Per the MCP specification's defaults, a
 * tool that is not read-only is taken as destructive unless it says
 * `destructiveHint: false`.
 *
 * @example
 * ```ts
 * import { annotationsPlugin } from "./annotations.ts";
 * import assert from "node:assert/strict";
 *
 * const plugin = annotationsPlugin();
 * const listed = {
 *   kind: "response", method: "tools/list", dir: "s2c",
 *   result: { tools: [{ name: "drop_db", annotations: { readOnlyHint: false } }] },
 * };
 * plugin.onMessage?.(listed as never, { event: listed as never, classes: [], entities: [] });
 * assert.deepEqual(
 *   plugin.onToolCall?.({ name: "drop_db", arguments: {}, phase: "request" }, {
 *     event: {} as never, classes: [], entities: [],
 *   }),
 *   { classes: [{ label: "WRITE", source: "readOnlyHint=false" }, { label: "DESTRUCTIVE", source: "destructiveHint" }] },
 * );
 * ```
 */
export function annotationsPlugin(): Plugin {
  const tools = new Map<string, Hints>();
  return definePlugin({
    name: "annotations",
    onMessage(event): void {
      if (event.kind !== "response" || event.method !== "tools/list") return;
      const list = (event.result as { tools?: unknown })?.tools;
      if (!Array.isArray(list)) return;
      for (const tool of list) {
        if (typeof tool?.name !== "string") continue;
        const a = tool.annotations;
        tools.set(
          tool.name,
          typeof a === "object" && a !== null ? a as Hints : {},
        );
      }
    },
    onToolCall(call, context): PluginFindings | undefined {
      if (call.phase !== "request") return;
      const hints = tools.get(call.name);
      if (!hints || !HINTS.some((h) => typeof hints[h] === "boolean")) return;
      if (
        context.classes.some((c) => c.label === "READ" || c.label === "WRITE")
      ) return;
      const classes: { label: string; source: string }[] = [];
      if (hints.readOnlyHint === true) {
        classes.push({ label: "READ", source: "readOnlyHint" });
      } else {
        classes.push({ label: "WRITE", source: "readOnlyHint=false" });
        if (hints.destructiveHint !== false) {
          classes.push({ label: "DESTRUCTIVE", source: "destructiveHint" });
        }
      }
      if (hints.openWorldHint === true) {
        classes.push({ label: "OPEN_WORLD", source: "openWorldHint" });
      }
      return { classes };
    },
  });
}
