/**
 * Plugins that threw or timed out: the report lists them apart from errors,
 * because the enrichment (labels, entities) of the events they failed on may
 * be incomplete.
 *
 * @module
 */
import { clipString, LIMITS } from "./_clip.ts";
import { type LooseEvent, rec, str } from "./_loose_event.ts";
import { cmp } from "./_order.ts";

/** A plugin that failed on some events, so their enrichment may be incomplete. */
export interface PluginFailure {
  /** The plugin's name, as in the event's `pluginErrors`. */
  plugin: string;
  /** Events it failed on. */
  events: number;
  /** The first error message. */
  error: string;
}

/**
 * Counts, per plugin, the events whose `pluginErrors` name it.
 *
 * @returns The failures, most failed events first.
 *
 * @example
 * ```ts
 * import { readLooseEvents } from "./_loose_event.ts";
 * import { countPluginFailures } from "./_plugin_failures_model.ts";
 * import assert from "node:assert/strict";
 *
 * const failures = countPluginFailures(readLooseEvents([
 *   { kind: "request", session: "s", pluginErrors: [{ plugin: "a", error: "boom" }] },
 *   { kind: "response", session: "s", pluginErrors: [
 *     { plugin: "a", error: "again" }, { plugin: "b", error: "timed out" },
 *   ] },
 * ]));
 * assert.deepEqual(failures, [
 *   { plugin: "a", events: 2, error: "boom" },
 *   { plugin: "b", events: 1, error: "timed out" },
 * ]);
 * ```
 */
export function countPluginFailures(
  events: readonly LooseEvent[],
): PluginFailure[] {
  const failures = new Map<string, PluginFailure>();
  for (const event of events) {
    const value = event.fields.pluginErrors;
    if (value === undefined) continue;
    const seen = new Set<string>();
    for (const item of Array.isArray(value) ? value : [value]) {
      const plugin = clipString(str(rec(item)?.plugin) ?? "?", LIMITS.name);
      if (seen.has(plugin)) continue;
      seen.add(plugin);
      const f = failures.get(plugin) ??
        {
          plugin,
          events: 0,
          error: clipString(str(rec(item)?.error) ?? "", 500),
        };
      f.events++;
      failures.set(plugin, f);
    }
  }
  return [...failures.values()].sort((a, b) =>
    b.events - a.events || cmp(a.plugin, b.plugin)
  );
}
