/**
 * The session summary: the headline numbers a reviewer reads first, then one
 * line per session with its client, server, times and how it ended.
 *
 * @module
 */
import type { VNode } from "preact";
import type { ReportModel, SessionModel, SummaryNumbers } from "./model.ts";
import { formatCount, formatDuration, formatTime, inline } from "./_text.ts";

/** Props of {@linkcode Summary}. */
export interface SummaryProps {
  model: ReportModel;
}

/**
 * Renders the summary cards and the session table.
 *
 * @example
 * ```tsx
 * import { render } from "preact-render-to-string";
 * import { buildReportModel } from "./model.ts";
 * import { Summary } from "./summary.tsx";
 * import assert from "node:assert/strict";
 *
 * const html = render(<Summary model={buildReportModel([])} />);
 * assert.match(html, /data-metric="toolCalls" data-value="0"/);
 * ```
 */
export function Summary({ model }: SummaryProps): VNode {
  const t = model.totals;
  const errorClass = t.errors > 0 ? "card card-error" : "card";
  const single = model.sessions.length === 1 ? model.sessions[0] : undefined;
  const kinds = model.errorKinds;
  return (
    <section id="summary" aria-labelledby="summary-h">
      <h2 id="summary-h">Session summary</h2>
      <div class="cards">
        <Card
          metric="toolCalls"
          label="Tool calls"
          value={t.toolCalls}
          note={model.seenByBoth > 0
            ? `${
              formatCount(model.seenByBoth)
            } seen by both an agent's hook and the proxy, counted once`
            : undefined}
        />
        <Card metric="toolsUsed" label="Tools used" value={t.toolsUsed} />
        <Card
          metric="uniqueEntities"
          label="Unique entities"
          value={t.uniqueEntities}
        />
        <Card
          metric="errors"
          label="Errors"
          value={t.errors}
          class={errorClass}
          note={kinds.rpc + kinds.tool === t.errors && t.errors > 0
            ? `${formatCount(kinds.rpc)} JSON-RPC${rpcKinds(kinds)} · ${
              formatCount(kinds.tool)
            } tool`
            : undefined}
        />
        <div
          class="card"
          data-metric="durationMs"
          data-value={t.durationMs ?? ""}
        >
          <div class="card-value">{formatDuration(t.durationMs)}</div>
          <div class="card-label">
            {model.sessions.length > 1 ? "Total duration" : "Duration"}
          </div>
        </div>
        <Card
          metric="sessions"
          label={model.sessions.length === 1 ? "Session" : "Sessions"}
          value={model.sessions.length}
          note={`${formatCount(model.eventCount)} events`}
        />
      </div>
      {single && <Peers session={single} />}
      {model.pluginFailures.length > 0 && <PluginFailures model={model} />}
      {model.sessions.length > 0 && <SessionTable model={model} />}
    </section>
  );
}

interface CardProps {
  metric: keyof SummaryNumbers | "sessions";
  label: string;
  value: number;
  note?: string;
  class?: string;
}

function Card(props: CardProps): VNode {
  return (
    <div
      class={props.class ?? "card"}
      data-metric={props.metric}
      data-value={props.value}
    >
      <div class="card-value">{formatCount(props.value)}</div>
      <div class="card-label">
        {props.label}
        {props.note && <span class="card-note">{props.note}</span>}
      </div>
    </div>
  );
}

function peerText(
  peer: { name: string; version?: string } | undefined,
): string {
  if (!peer) return "unknown";
  return inline(peer.version ? `${peer.name} ${peer.version}` : peer.name, 120);
}

function Peers({ session }: { session: SessionModel }): VNode {
  return (
    <>
      <PeerLine session={session} />
      {session.command && (
        <p class="peers">
          <span class="peer-label">Server command</span>
          <code class="command">
            {inline(session.command.join(" "), 300)}
          </code>
        </p>
      )}
    </>
  );
}

function PeerLine({ session }: { session: SessionModel }): VNode {
  return (
    <p class="peers">
      <span class="peer-label">Client</span>
      <span class="peer" data-peer="client">{peerText(session.client)}</span>
      <span class="arrow" aria-hidden="true">→</span>
      <span class="peer-label">Server</span>
      <span class="peer" data-peer="server">{peerText(session.server)}</span>
      {session.protocolVersion && (
        <span class="muted">
          MCP {inline(session.protocolVersion, 40)}
        </span>
      )}
    </p>
  );
}

function PluginFailures({ model }: SummaryProps): VNode {
  return (
    <div class="notice notice-warn" id="plugin-failures">
      <strong>
        Plugins failed on some events; their classifications, entities or
        redactions may be missing there.
      </strong>
      <ul>
        {model.pluginFailures.map((f) => (
          <li data-plugin={f.plugin} data-events={f.events}>
            <code>{inline(f.plugin, 80)}</code> failed on{" "}
            {formatCount(f.events)} {f.events === 1 ? "event" : "events"}
            {f.error && <>: {inline(f.error, 200)}</>}
          </li>
        ))}
      </ul>
      <span class="note">
        Their timeline rows carry a PLUGIN FAILED badge; search for “plugin
        failed” to list them.
      </span>
    </div>
  );
}

function SessionTable({ model }: SummaryProps): VNode {
  return (
    <div class="table-wrap">
      <table class="sessions">
        <thead>
          <tr>
            <th scope="col">Session</th>
            <th scope="col">Client → server</th>
            <th scope="col">Started</th>
            <th scope="col" class="num">Duration</th>
            <th scope="col" class="num">Tool calls</th>
            <th scope="col" class="num">Tools</th>
            <th scope="col" class="num">Entities</th>
            <th scope="col" class="num">Errors</th>
            <th scope="col">Ended</th>
          </tr>
        </thead>
        <tbody>
          {model.sessions.map((s) => (
            <tr key={s.index} data-session={s.index}>
              <td>
                <span class={`sess sess-${s.index % 8}`}>{s.label}</span>{" "}
                <code class="sess-id" title={inline(s.id, 200)}>
                  {inline(s.id, 40)}
                </code>
              </td>
              <td class="wrap">
                {peerText(s.client)} → {peerText(s.server)}
                {/* One session has its command above the table. */}
                {model.sessions.length > 1 && s.command && (
                  <code class="command note" data-command={s.index}>
                    {inline(s.command.join(" "), 300)}
                  </code>
                )}
              </td>
              <td>{formatTime(s.start)}</td>
              <td class="num">{formatDuration(s.numbers.durationMs)}</td>
              <td class="num">{formatCount(s.numbers.toolCalls)}</td>
              <td class="num">{formatCount(s.numbers.toolsUsed)}</td>
              <td class="num">{formatCount(s.numbers.uniqueEntities)}</td>
              <td class={s.numbers.errors ? "num err" : "num"}>
                {formatCount(s.numbers.errors)}
              </td>
              <td class="wrap">
                <Ending session={s} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Ending({ session: s }: { session: SessionModel }): VNode {
  const notes: string[] = [];
  if (!s.endReason) notes.push("no session_end: counted from the events");
  if (s.failure) notes.push(inline(s.failure, 300));
  if (s.lost) notes.push(`${formatCount(s.lost)} events lost (gap)`);
  if (s.pending) notes.push(`${formatCount(s.pending)} requests unanswered`);
  for (const m of s.mismatches) notes.push(m);
  if (s.countedByProxy) {
    notes.push(
      `${
        formatCount(s.countedByProxy)
      } MCP call(s) the proxy saw too, counted in its session`,
    );
  }
  if (s.seenByHook) {
    notes.push(`${formatCount(s.seenByHook)} call(s) seen by a hook too`);
  }
  return (
    <>
      <span class={s.failure || !s.endReason ? "err" : undefined}>
        {s.endReason ? inline(s.endReason, 40).replace("_", " ") : "unknown"}
      </span>
      {notes.map((n, i) => <span key={i} class="note">{n}</span>)}
    </>
  );
}

/** The JSON-RPC 2.0 names: the note names only the errors MCP defines. */
const JSON_RPC_NAMES = new Set([
  "ParseError",
  "InvalidRequest",
  "MethodNotFound",
  "InvalidParams",
  "InternalError",
]);

/**
 * The JSON-RPC errors of the kinds MCP names (`HeaderMismatch`,
 * `UnsupportedProtocolVersion`, ...), most first, as ` (HeaderMismatch 2)`.
 */
function rpcKinds(kinds: ReportModel["errorKinds"]): string {
  const entries = Object.entries(kinds.byKind ?? {}).filter(([k]) =>
    !JSON_RPC_NAMES.has(k) && !/^-?\d+$/.test(k)
  ).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return "";
  const shown = entries.slice(0, 3).map(([k, n]) =>
    `${k.length > 40 ? k.slice(0, 39) + "\u2026" : k} ${formatCount(n)}`
  );
  if (entries.length > 3) shown.push(`+${entries.length - 3} more`);
  return ` (${shown.join(", ")})`;
}
