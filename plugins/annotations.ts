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
  /**
   * A directory where the tools each server listed are remembered, by the
   * server's name, so that a later session whose client calls tools
   * without listing them first is still classified, from what that server
   * listed last (the source says so). Without it nothing is remembered.
   */
  memory?: string;
}

/** Validates {@linkcode AnnotationsOptions}. */
export const AnnotationsOptionsSchema: z.ZodType<AnnotationsOptions> = z
  .object({ defer: z.boolean().optional(), memory: z.string().optional() })
  .strict();

/** What is remembered of a server's tool list. */
interface Remembered {
  server: string;
  listedAt: string;
  tools: Record<string, Hints>;
}

/** A server's name as a file name: what the name allows, and a short hash to keep names apart. */
function memoryFile(dir: string, server: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < server.length; i++) {
    hash = Math.imul(hash ^ server.charCodeAt(i), 0x01000193);
  }
  const safe = server.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 60);
  return `${dir}/${safe}-${(hash >>> 0).toString(16)}.json`;
}

function recall(dir: string, server: string): Remembered | undefined {
  try {
    const found = JSON.parse(Deno.readTextFileSync(memoryFile(dir, server)));
    return found?.server === server && typeof found.tools === "object"
      ? found as Remembered
      : undefined;
  } catch {
    return undefined;
  }
}

function remember(dir: string, memory: Remembered): void {
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = memoryFile(dir, memory.server);
    Deno.writeTextFileSync(`${file}.tmp`, JSON.stringify(memory), {
      mode: 0o600,
    });
    Deno.renameSync(`${file}.tmp`, file);
  } catch {
    // Remembering is a convenience: a read-only directory costs only that.
  }
}

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
  const { defer = false, memory } = AnnotationsOptionsSchema.parse(options);
  const tools = new Map<string, Hints>();
  let server: string | undefined;
  let listed = false;
  // What the server listed in an earlier session, while this one has not listed.
  let recalled: Remembered | undefined;
  return definePlugin({
    name: "annotations",
    onMessage(event): void {
      if (event.kind !== "response") return;
      if (event.method === "initialize") {
        const name = (event.result as { serverInfo?: { name?: unknown } })
          ?.serverInfo?.name;
        if (typeof name === "string" && name !== "") {
          server = name;
          if (memory && !listed) recalled = recall(memory, name);
        }
        return;
      }
      if (event.method !== "tools/list") return;
      const list = (event.result as { tools?: unknown })?.tools;
      if (!Array.isArray(list)) return;
      listed = true;
      recalled = undefined;
      for (const tool of list) {
        if (typeof tool?.name !== "string") continue;
        const a = tool.annotations;
        tools.set(
          tool.name,
          typeof a === "object" && a !== null ? a as Hints : {},
        );
      }
      if (memory && server) {
        remember(memory, {
          server,
          listedAt: new Date().toISOString(),
          tools: Object.fromEntries(tools),
        });
      }
    },
    onToolCall(call, context): PluginFindings | undefined {
      if (call.phase !== "request") return;
      const remembered = tools.has(call.name)
        ? undefined
        : recalled?.tools[call.name];
      const hints = tools.get(call.name) ?? remembered;
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
      ).map((d) =>
        remembered && recalled
          ? {
            ...d,
            source:
              `${d.source}, as ${recalled.server} listed it at ${recalled.listedAt}`,
          }
          : d
      );
      return classes.length > 0 ? { classes } : undefined;
    },
  });
}
