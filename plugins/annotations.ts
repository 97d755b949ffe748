/**
 * Built-in plugin `annotations`: learns the server's own tool annotations
 * from its `tools/list` answers (readOnlyHint, destructiveHint,
 * idempotentHint, openWorldHint) and classifies calls from them. What the
 * annotations say adds to what name rules said: a `write_*` rule's WRITE
 * and the server's DESTRUCTIVE both stand (a label already there is not
 * added twice). With `defer: true` the annotations are used only for calls
 * no earlier plugin classified READ or WRITE. Each label's source names the
 * hint it came from.
 *
 * @module
 */
import { z } from "zod";
import {
  definePlugin,
  type Plugin,
  type PluginFindings,
} from "../lib/plugin/kit/mod.ts";

/** Options of the `annotations` plugin. */
export interface AnnotationsOptions {
  /**
   * Use the annotations only for calls that no earlier plugin classified
   * READ or WRITE, instead of adding them to what name rules said.
   * @default {false}
   */
  defer?: boolean;
}

/** Validates {@linkcode AnnotationsOptions}. */
export const AnnotationsOptionsSchema: z.ZodType<AnnotationsOptions> = z
  .object({ defer: z.boolean().optional() }).strict();

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
 * `destructiveHint: false`. Throws a zod error for invalid options.
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
export function annotationsPlugin(options: AnnotationsOptions = {}): Plugin {
  const { defer = false } = AnnotationsOptionsSchema.parse(options);
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
        defer &&
        context.classes.some((c) => c.label === "READ" || c.label === "WRITE")
      ) return;
      const derived: { label: string; source: string }[] = [];
      if (hints.readOnlyHint === true) {
        derived.push({ label: "READ", source: "readOnlyHint" });
      } else {
        derived.push({ label: "WRITE", source: "readOnlyHint=false" });
        if (hints.destructiveHint !== false) {
          derived.push({ label: "DESTRUCTIVE", source: "destructiveHint" });
        }
      }
      if (hints.openWorldHint === true) {
        derived.push({ label: "OPEN_WORLD", source: "openWorldHint" });
      }
      // Add up with what earlier plugins said: each label once.
      const classes = derived.filter((d) =>
        !context.classes.some((c) => c.label === d.label)
      );
      return classes.length > 0 ? { classes } : undefined;
    },
  });
}
