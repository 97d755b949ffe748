/**
 * The data access map: each entity with the tools and calls that touched it,
 * and back, each tool with the entities it touched. An entity filters the
 * timeline to the calls that touched it.
 *
 * @module
 */
import type { VNode } from "preact";
import type { EntityAccess, ReportModel } from "./model.ts";
import { formatCount, inline } from "./_text.ts";
import { RedactedText } from "./redacted_text.tsx";

/** Props of {@linkcode AccessMap}. */
export interface AccessMapProps {
  model: ReportModel;
  /**
   * Most entities listed; the rest are counted and reachable by search.
   * @default {500}
   */
  maxEntities?: number;
  /**
   * Most entities listed per tool.
   * @default {40}
   */
  maxPerTool?: number;
}

const defaults = {
  maxEntities: 500,
  maxPerTool: 40,
} satisfies Omit<AccessMapProps, "model">;

/**
 * Renders the entity -> tools table and the tool -> entities list.
 *
 * @example
 * ```tsx
 * import { render } from "preact-render-to-string";
 * import { buildReportModel } from "./model.ts";
 * import { AccessMap } from "./access_map.tsx";
 * import assert from "node:assert/strict";
 *
 * assert.match(render(<AccessMap model={buildReportModel([])} />), /No entities/);
 * ```
 */
export function AccessMap(props: AccessMapProps): VNode {
  const { model, maxEntities, maxPerTool } = { ...defaults, ...props };
  const sorted = [...model.entities].sort((a, b) =>
    b.rows.length - a.rows.length || cmp(a.type, b.type) ||
    cmp(a.value, b.value)
  );
  const shown = sorted.slice(0, maxEntities);
  const byTool = model.toolUsage.filter((u) => u.entities.length > 0);
  return (
    <section id="access" aria-labelledby="access-h">
      <h2 id="access-h">Data access map</h2>
      {model.entities.length === 0
        ? <p class="empty">No entities were recorded in this log.</p>
        : (
          <div class="access-grid">
            <div class="panel">
              <h3>
                Entity → tools{" "}
                <span class="h-count">
                  {formatCount(model.entities.length)}
                </span>
              </h3>
              <div class="table-wrap scroll-y">
                <table class="entities">
                  <thead>
                    <tr>
                      <th scope="col" class="col-entity">Entity</th>
                      <th scope="col">
                        <span title="arguments: the agent sent it; result: the server returned it">
                          Found in
                        </span>
                      </th>
                      <th scope="col">Tools</th>
                      <th scope="col" class="num">Calls</th>
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((e) => (
                      <tr
                        key={e.index}
                        data-entity={e.index}
                        data-rows={e.rows.length}
                      >
                        <td class="wrap">
                          <EntityButton entity={e} />
                        </td>
                        <td>
                          <span
                            class="found-list"
                            title={e.paths.map((p) => inline(p, 120)).join(
                              "\n",
                            )}
                          >
                            {e.found.map((f) => (
                              <span class={`found found-${foundClass(f)}`}>
                                {inline(f, 24)}
                              </span>
                            ))}
                          </span>
                        </td>
                        <td class="wrap">
                          {e.tools.map((t) => (
                            <span class="chip">
                              {inline(t.name, 60)}
                              <span class="chip-count">×{t.calls}</span>
                            </span>
                          ))}
                        </td>
                        <td class="num">{formatCount(e.rows.length)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {sorted.length > shown.length && (
                <p class="note">
                  {formatCount(sorted.length - shown.length)}{" "}
                  more entities are not listed; use the timeline's entity filter
                  or search.
                </p>
              )}
            </div>
            <div class="panel">
              <h3>
                Tool → entities{" "}
                <span class="h-count">{formatCount(byTool.length)}</span>
              </h3>
              <div class="scroll-y">
                {byTool.map((u) => (
                  <div class="tool-entities" data-tool={u.name}>
                    <div class="tool-entities-head">
                      <button
                        type="button"
                        class="link tool-filter"
                        data-t={u.index}
                      >
                        {inline(u.name, 80)}
                      </button>
                      <span class="muted">
                        {formatCount(u.entities.length)}{" "}
                        {u.entities.length === 1 ? "entity" : "entities"}
                      </span>
                    </div>
                    <div class="chips">
                      {u.entities.slice(0, maxPerTool).map((i) => (
                        <EntityButton entity={model.entities[i]} />
                      ))}
                      {u.entities.length > maxPerTool && (
                        <span class="muted">
                          and {formatCount(u.entities.length - maxPerTool)} more
                        </span>
                      )}
                    </div>
                  </div>
                ))}
              </div>
            </div>
          </div>
        )}
    </section>
  );
}

function EntityButton({ entity }: { entity: EntityAccess }): VNode {
  return (
    <button
      type="button"
      class="ent"
      data-e={entity.index}
      title={`Show the calls that touched this entity in the timeline\nFound at ${
        entity.paths.map((p) => inline(p, 120)).join(", ")
      }`}
    >
      <span class="ent-type">{inline(entity.type, 40)}</span>
      <span class="ent-value">
        <RedactedText text={entity.value} max={120} />
      </span>
    </button>
  );
}

function foundClass(root: string): string {
  return root === "arguments" || root === "params"
    ? "in"
    : root === "result"
    ? "out"
    : "other";
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
