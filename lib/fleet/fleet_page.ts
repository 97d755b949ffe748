/**
 * The fleet report as one self-contained HTML page: no network at view
 * time (a Content-Security-Policy allows only its own inlined style), every
 * string from the store escaped, and the numbers also embedded as JSON
 * (`<script type="application/json" id="fleet-data">`) for tools to read.
 *
 * @module
 */
import type { FleetReport } from "./fleet_report.ts";

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(
    ">",
    "&gt;",
  ).replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

function table(
  caption: string,
  head: string[],
  rows: (string | number)[][],
): string {
  const th = head.map((h) => `<th>${escape(h)}</th>`).join("");
  const body = rows.length === 0
    ? `<tr><td colspan="${head.length}">none</td></tr>`
    : rows.map((r) =>
      `<tr>${
        r.map((c) =>
          typeof c === "number"
            ? `<td class="n">${c}</td>`
            : `<td>${escape(c)}</td>`
        ).join("")
      }</tr>`
    ).join("\n");
  return `<section><h2>${
    escape(caption)
  }</h2><table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></section>`;
}

const STYLE =
  `body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d232a;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e6e9ee;background:#14171c}th{background:#232831!important}td,th{border-color:#333a45!important}}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;min-width:40rem}
th,td{border:1px solid #d5d9e0;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f2f4f7}
td.n{text-align:right;font-variant-numeric:tabular-nums}.totals span{display:inline-block;margin-right:1.5rem}
.totals b{font-size:1.3rem;display:block}`;

/**
 * The page.
 *
 * @example
 * ```ts
 * import { fleetPage } from "./fleet_page.ts";
 * import assert from "node:assert/strict";
 *
 * const html = fleetPage({
 *   store: "http://h:8123/db", filters: { since: "2026-01-01 00:00:00 UTC" },
 *   totals: { sessions: 1, events: 3, toolCalls: 1, errors: 0, hosts: 1, users: 1, uniqueEntities: 0 },
 *   perHost: [{ host: "<h>", user: "u", sessions: 1, toolCalls: 1, errors: 0, findings: 0, denied: 0 }],
 *   tools: [], entities: [], files: [],
 * });
 * assert.match(html, /&lt;h&gt;/);
 * assert.doesNotMatch(html, /<h>/);
 * ```
 */
export function fleetPage(report: FleetReport): string {
  const t = report.totals;
  const f = report.filters;
  const filters = [
    `since ${f.since}`,
    ...(f.server !== undefined ? [`server ${f.server}`] : []),
    ...(f.user !== undefined ? [`user ${f.user}`] : []),
    ...(f.host !== undefined ? [`host ${f.host}`] : []),
  ].join(", ");
  const data = JSON.stringify(report).replaceAll("<", "\\u003c");
  const stat = (label: string, n: number): string =>
    `<span data-stat="${escape(label)}"><b>${n}</b>${escape(label)}</span>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>mcp-audit fleet report</title><style>${STYLE}</style></head>
<body>
<h1>Fleet report</h1>
<p>${escape(report.store)}: ${escape(filters)}</p>
<p class="totals">${stat("sessions", t.sessions)}${
    stat("tool calls", t.toolCalls)
  }${stat("errors", t.errors)}${stat("events", t.events)}${
    stat("hosts", t.hosts)
  }${stat("users", t.users)}${stat("entities", t.uniqueEntities)}</p>
${
    table(
      "Sessions per host and user",
      [
        "host",
        "user",
        "sessions",
        "tool calls",
        "errors",
        "findings",
        "denied",
      ],
      report.perHost.map((r) => [
        r.host,
        r.user,
        r.sessions,
        r.toolCalls,
        r.errors,
        r.findings,
        r.denied,
      ]),
    )
  }
${
    table(
      "Tools across the fleet",
      ["tool", "calls", "errors", "sessions", "classes", "users", "hosts"],
      report.tools.map((r) => [
        r.tool,
        r.calls,
        r.errors,
        r.sessions,
        r.classes.join(", "),
        r.users.join(", "),
        r.hosts.join(", "),
      ]),
    )
  }
${
    table(
      "Entities touched, and by whom",
      ["entity", "mentions", "sessions", "users", "hosts", "tools"],
      report.entities.map((r) => [
        r.entity,
        r.mentions,
        r.sessions,
        r.users.join(", "),
        r.hosts.join(", "),
        r.tools.join(", "),
      ]),
    )
  }
${
    table(
      "Shipped files and their local verification",
      ["host", "file", "verified locally", "lines"],
      report.files.map((r) => [r.host, r.path, r.status, r.lines]),
    )
  }
<script type="application/json" id="fleet-data">${data}</script>
</body></html>
`;
}
