/**
 * The plugin API: what a classifier plugin is and what its hooks see and
 * return. Plugins tag tool calls (READ, SENSITIVE, WRITE, custom labels),
 * extract the data entities they touched, and redact secrets before
 * anything reaches the disk. Built-in plugins use exactly this API.
 *
 * @module
 */
import type { FindingRule } from "../findings/finding.ts";
import type {
  Classification,
  Entity,
  JsonRpcMessageEvent,
} from "../audit/event.ts";
import type { Schema } from "../audit/schema.ts";

/** A tool call as the plugins see it, at its request or at its response. */
export interface ToolCall {
  /** The tool's name (`gen_ai.tool.name`). */
  readonly name: string;
  /** The call's arguments, as the client sent them. */
  readonly arguments: unknown;
  /** `request` when the client asks, `response` when the server answers. */
  readonly phase: "request" | "response";
  /** The tool result (content, structuredContent, isError), at the response. */
  readonly result?: unknown;
  /** The JSON-RPC error, when the call failed that way. */
  readonly error?: {
    readonly code: number;
    readonly message: string;
    readonly data?: unknown;
  };
  /** The result's `isError`. */
  readonly isError?: boolean;
}

/** What a hook sees besides its input: the event and what earlier plugins added. */
export interface HookContext {
  /** The event being enriched (read-only). */
  readonly event: Readonly<JsonRpcMessageEvent>;
  /** Classifications added so far by earlier plugins (and, at a response, at the request); frozen. */
  readonly classes: readonly Classification[];
  /** Entities added so far by earlier plugins; frozen. */
  readonly entities: readonly Entity[];
}

/** An entity as a plugin reports it; the pipeline adds the tool and the source. */
export interface FoundEntity {
  /** The entity's type, e.g. `employee`. */
  type: string;
  /** The entity's value, e.g. `E003`. */
  value: string;
  /** Where it was found, e.g. `arguments.employee_id` or `result.content[0].text`. */
  path: string;
}

/** What a hook returns: labels and entities to add. Nothing is mutated in place. */
export interface PluginFindings {
  /** Labels; an object may name a more precise source, e.g. `{ label: "WRITE", source: "rule:query" }`. */
  classes?: (string | { label: string; source?: string })[];
  /** Entities the message touched. */
  entities?: FoundEntity[];
}

/** A hook's return: findings, nothing, or a promise of either. */
export type HookResult = PluginFindings | void | Promise<PluginFindings | void>;

/**
 * A plugin: a name and one or two hooks. Hooks must not mutate their inputs;
 * they return what they add, and the pipeline merges it.
 */
export interface Plugin<Options = unknown> {
  /** Shown in sources (`name` or `name:detail`) and in failure reports. */
  readonly name: string;
  /** Validates the options given in the config before `setup` sees them; a zod schema fits. */
  readonly options?: Schema<Options>;
  /** Called once before the first event with the plugin's options from the config. */
  setup?(options: Options): void | Promise<void>;
  /** Called for every `tools/call` request and its response. */
  onToolCall?(call: ToolCall, context: HookContext): HookResult;
  /** Called for every JSON-RPC message event (requests, notifications, responses, errors). */
  onMessage?(
    event: Readonly<JsonRpcMessageEvent>,
    context: HookContext,
  ): HookResult;
  /**
   * Redaction: called for every string the log would hold (arguments,
   * results, errors, excerpts, stderr, entity values) after all plugins have
   * classified; return a replacement, or `undefined` to keep the string. Runs
   * only on what is logged, never on the forwarded traffic. Must be synchronous.
   */
  redact?(value: string, path: string): string | undefined;
  /**
   * Finding rules the plugin adds to the built-in ones: each a function of
   * one session's calls and messages, run by `report`, `summary` and
   * `check` (which load module plugins from the config for them). The
   * config's `findings` section switches them off or sets their severity
   * by their ids, as for the built-ins.
   */
  readonly findings?: readonly FindingRule[];
}

/**
 * Declares a plugin with its types checked. It returns its argument: the
 * point is the editor's help.
 *
 * @example A plugin that tags calls touching payroll
 * ```ts
 * import { definePlugin } from "./plugin.ts";
 * import assert from "node:assert/strict";
 *
 * const payroll = definePlugin({
 *   name: "payroll",
 *   onToolCall(call) {
 *     if (call.phase === "request" && call.name.includes("pay")) return { classes: ["PAYROLL"] };
 *     return undefined;
 *   },
 * });
 * assert.deepEqual(
 *   payroll.onToolCall?.({ name: "get_pay_info", arguments: {}, phase: "request" }, {
 *     event: {} as never, classes: [], entities: [],
 *   }),
 *   { classes: ["PAYROLL"] },
 * );
 * ```
 */
export function definePlugin<Options = unknown>(
  plugin: Plugin<Options>,
): Plugin<Options> {
  return plugin;
}
