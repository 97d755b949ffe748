/**
 * The report's stylesheet, inlined in the page: system fonts only, a light
 * and a dark theme that follow the system setting, and colours that carry
 * meaning (sensitive purple, write amber, errors red, read blue).
 *
 * @module
 */

/**
 * The CSS of the report page.
 *
 * @example
 * ```ts
 * import { REPORT_CSS } from "./styles.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(REPORT_CSS, /prefers-color-scheme: dark/);
 * assert.doesNotMatch(REPORT_CSS, /url\(/);
 * ```
 */
export const REPORT_CSS: string = `
:root {
  color-scheme: light dark;
  --bg: #f5f6f8; --panel: #ffffff; --panel-2: #f0f2f5; --border: #dde1e7;
  --text: #1b1f24; --muted: #5d6673; --accent: #2155d6; --focus: #2f6feb;
  --read-bg: #e3edff; --read-fg: #1d4ed8; --read-bd: #bcd2ff;
  --sens-bg: #f1e9ff; --sens-fg: #6b21d9; --sens-bd: #d6c2ff;
  --write-bg: #fff2d6; --write-fg: #8a4b05; --write-bd: #f5d08a;
  --err-bg: #fde9e9; --err-fg: #b42318; --err-bd: #f6baba;
  --custom-bg: #eef0f3; --custom-fg: #3d4652; --custom-bd: #d3d8df;
  --ok-bg: #e6f6ec; --ok-fg: #176b3a; --ok-bd: #a9dcbc;
  --row-hover: #f3f6fb; --row-open: #f7f9fc; --bar: #9db7ef;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1116; --panel: #161b22; --panel-2: #1d232c; --border: #2b333f;
    --text: #e4e8ee; --muted: #97a1b0; --accent: #7aa7ff; --focus: #7aa7ff;
    --read-bg: #15274a; --read-fg: #9cc0ff; --read-bd: #25427a;
    --sens-bg: #2a1c4d; --sens-fg: #cbb2ff; --sens-bd: #4a3386;
    --write-bg: #382708; --write-fg: #f7c66b; --write-bd: #6b4b10;
    --err-bg: #3d1517; --err-fg: #ff9f9a; --err-bd: #74282b;
    --custom-bg: #232a34; --custom-fg: #c3cad4; --custom-bd: #38414e;
    --ok-bg: #10281a; --ok-fg: #8fdcaa; --ok-bd: #235236;
    --row-hover: #1b222c; --row-open: #1a2029; --bar: #36568f;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--text); font: 14px/1.45 var(--sans); }
body { margin: 0; min-width: 0; overflow-wrap: anywhere; }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
a { color: var(--accent); }
h1 { font-size: 20px; margin: 0 0 2px; font-weight: 650; }
h2 { font-size: 16px; margin: 0 0 12px; font-weight: 650; }
h3 { font-size: 13px; margin: 0 0 8px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.muted { color: var(--muted); }
.err { color: var(--err-fg); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 1px; border-radius: 3px; }
header.top {
  display: flex; justify-content: space-between; align-items: flex-end; gap: 16px; flex-wrap: wrap;
  padding: 18px 28px 14px; background: var(--panel); border-bottom: 1px solid var(--border);
}
header.top p { margin: 0; }
header nav { display: flex; gap: 14px; }
header nav a { text-decoration: none; font-weight: 500; }
main { padding: 18px 28px 40px; max-width: 1480px; margin: 0 auto; display: grid; gap: 18px; min-width: 0; }
main > * { min-width: 0; }
section { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 16px 18px; min-width: 0; }
.notice { background: var(--panel-2); border: 1px solid var(--border); border-radius: 10px; padding: 10px 14px; margin: 0; }
.notice ul { margin: 6px 0 0; padding-left: 20px; }
.notice-warn { background: var(--write-bg); border-color: var(--write-bd); color: var(--write-fg); }
.integrity { border-width: 1px 1px 1px 5px; }
.integrity h2 { display: flex; gap: 8px; align-items: baseline; margin-bottom: 6px; }
.integrity p { margin: 0 0 4px; }
.integrity-problems { margin: 8px 0 0; padding-left: 20px; }
.integrity-problems li + li { margin-top: 3px; }
.key-id { overflow-wrap: anywhere; }
.integrity-signed { background: var(--ok-bg); border-color: var(--ok-bd); border-left-color: var(--ok-fg); }
.integrity-signed h2 { color: var(--ok-fg); }
.integrity-signature_not_checked, .integrity-unsigned { border-left-color: var(--ok-fg); }
.integrity-signature_not_checked h2, .integrity-unsigned h2 { color: var(--ok-fg); }
.integrity-incomplete, .integrity-not_verified { background: var(--write-bg); border-color: var(--write-bd); border-left-color: var(--write-fg); }
.integrity-incomplete h2, .integrity-not_verified h2 { color: var(--write-fg); }
.integrity-failed { background: var(--err-bg); border-color: var(--err-bd); border-left-color: var(--err-fg); }
.integrity-failed h2 { color: var(--err-fg); }
.note { display: block; color: var(--muted); font-size: 12.5px; }
.empty { color: var(--muted); margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.card { background: var(--panel-2); border: 1px solid var(--border); border-radius: 8px; padding: 12px 14px; }
.card-value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; line-height: 1.15; }
.card-label { color: var(--muted); font-size: 12.5px; margin-top: 2px; }
.card-note { display: block; font-size: 11.5px; }
.card-error { background: var(--err-bg); border-color: var(--err-bd); }
.card-error .card-value, .card-error .card-label { color: var(--err-fg); }
.peers { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: baseline; margin: 12px 0 0; }
.peers + .peers { margin-top: 4px; }
.peer-label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.peer { font-weight: 600; unicode-bidi: isolate; }
/* A table is never squeezed below its longest word: on a narrow screen it
   scrolls sideways inside its card instead. (The page's overflow-wrap:
   anywhere would let cells shrink to one character.) */
.table-wrap { overflow-x: auto; max-width: 100%; overscroll-behavior-x: contain; }
.scroll-y { max-height: 420px; overflow-y: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--border); text-align: left; vertical-align: top; overflow-wrap: normal; }
th { font-size: 12px; font-weight: 600; color: var(--muted); background: var(--panel); position: sticky; top: 0; }
td.wrap { min-width: 12em; }
table.sessions { margin-top: 14px; }
table.sessions td .note { font-size: 12px; }
.sess { display: inline-block; min-width: 26px; text-align: center; padding: 0 5px; border-radius: 4px; font-size: 11.5px; font-weight: 700; color: #fff; }
.sess-0 { background: #2f6feb; } .sess-1 { background: #0f8a6c; } .sess-2 { background: #c2410c; } .sess-3 { background: #7c3aed; }
.sess-4 { background: #be185d; } .sess-5 { background: #0e7490; } .sess-6 { background: #4d7c0f; } .sess-7 { background: #6b7280; }
.sess-id { color: var(--muted); }
.badge {
  display: inline-flex; align-items: center; gap: 4px; padding: 0 7px; border-radius: 999px;
  font-size: 11px; font-weight: 700; letter-spacing: .03em; line-height: 19px; border: 1px solid;
  white-space: nowrap; max-width: 100%; overflow: hidden; text-overflow: ellipsis; unicode-bidi: isolate;
}
.badge.read { background: var(--read-bg); color: var(--read-fg); border-color: var(--read-bd); }
.badge.sensitive { background: var(--sens-bg); color: var(--sens-fg); border-color: var(--sens-bd); }
.badge.denied { background: #7a1f1f; color: #fff; border-color: #7a1f1f; }
.badge.asked { background: #6b4e00; color: #fff; border-color: #6b4e00; }
.badge.allowed { background: var(--panel-2); color: var(--muted, inherit); border-color: var(--border); }
.badge.changed { background: #5b2a86; color: #fff; border-color: #5b2a86; }
.tool-changes { border: 2px solid #5b2a86; border-radius: 10px; padding: 10px 14px; }
.tool-changes pre { white-space: pre-wrap; margin: 4px 0 8px; }
.badge.write { background: var(--write-bg); color: var(--write-fg); border-color: var(--write-bd); }
.badge.custom { background: var(--custom-bg); color: var(--custom-fg); border-color: var(--custom-bd); }
.badge.error { background: var(--err-bg); color: var(--err-fg); border-color: var(--err-bd); }
.badge.destructive { background: var(--err-fg); color: var(--panel); border-color: var(--err-fg); }
.badge.plugin { background: var(--write-bg); color: var(--write-fg); border-color: var(--write-fg); border-style: dashed; }
.badge.rounds { background: var(--custom-bg); color: var(--custom-fg); border-color: var(--custom-bd); border-style: dotted; }
.redacted {
  font-family: var(--mono); font-size: .95em; color: var(--muted); background: var(--panel-2);
  border: 1px dotted var(--muted); border-radius: 3px; padding: 0 2px; cursor: help; unicode-bidi: isolate;
}
.t-err { color: var(--err-fg); }
mark.finding-value { background: #ffe066; color: #1a1a1a; border-radius: 2px; padding: 0 1px; }
.h-count { color: var(--muted); font-weight: 500; margin-left: 4px; text-transform: none; }
table.entities th.col-entity { min-width: 200px; }
.found-list { display: inline-flex; flex-wrap: wrap; gap: 3px; }
.found { font-size: 11px; padding: 0 6px; border-radius: 4px; border: 1px solid var(--border); line-height: 18px; white-space: nowrap; }
.found-in { background: var(--read-bg); color: var(--read-fg); border-color: var(--read-bd); }
.found-out { background: var(--panel-2); color: var(--text); }
.found-other { color: var(--muted); }
code.command { color: var(--muted); overflow-wrap: anywhere; }
.badge-count { font-weight: 600; opacity: .8; }
.badges { display: flex; flex-wrap: wrap; gap: 4px; }
.label-totals { display: flex; flex-wrap: wrap; gap: 8px 18px; margin: 0 0 12px; }
.label-total { display: inline-flex; gap: 6px; align-items: center; color: var(--muted); font-size: 12.5px; }
table.tools .calls { display: inline-flex; align-items: center; justify-content: flex-end; gap: 8px; }
svg.bar { width: 90px; height: 8px; background: var(--panel-2); border-radius: 2px; }
svg.bar rect { fill: var(--bar); }
button { font: inherit; color: inherit; }
button.link { background: none; border: 0; padding: 0; color: var(--accent); cursor: pointer; text-align: left; font-family: var(--mono); font-size: 13px; unicode-bidi: isolate; }
button.link:hover { text-decoration: underline; }
button.secondary { background: var(--panel-2); border: 1px solid var(--border); border-radius: 6px; padding: 5px 12px; cursor: pointer; }
.access-grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
@media (max-width: 900px) { .access-grid { grid-template-columns: minmax(0, 1fr); } }
.panel { min-width: 0; }
.chip { display: inline-flex; gap: 4px; padding: 1px 7px; margin: 1px 4px 1px 0; border-radius: 5px; background: var(--panel-2); border: 1px solid var(--border); font-family: var(--mono); font-size: 12px; unicode-bidi: isolate; }
.chip-count { color: var(--muted); }
.chips { display: flex; flex-wrap: wrap; gap: 4px; }
button.ent {
  display: inline-flex; gap: 6px; align-items: baseline; max-width: 100%; padding: 1px 8px; border-radius: 5px; cursor: pointer;
  background: var(--panel-2); border: 1px solid var(--border); font-size: 12px; text-align: left; min-width: 0;
}
button.ent:hover { border-color: var(--accent); }
button.ent.active { background: var(--read-bg); border-color: var(--accent); }
.ent-type { color: var(--muted); font-size: 11px; white-space: nowrap; }
.ent-value { font-family: var(--mono); overflow-wrap: anywhere; unicode-bidi: isolate; min-width: 0; }
td .ent-value { overflow-wrap: normal; }
td button.ent { max-width: none; }
.tool-entities { padding: 8px 0; border-bottom: 1px solid var(--border); }
.tool-entities-head { display: flex; justify-content: space-between; gap: 8px; margin-bottom: 6px; }
.section-head { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; }
ol.findings { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; }
.finding { border: 1px solid var(--border); border-left-width: 4px; border-radius: 8px; background: var(--panel); padding: 6px 12px; }
.finding > summary { cursor: pointer; }
.finding > p { margin: 6px 0; }
.finding.sev-high { border-left-color: var(--err-fg); }
.finding.sev-medium { border-left-color: var(--write-fg); }
.finding.sev-low { border-left-color: var(--border); }
.finding code.prove { display: block; margin-top: 4px; overflow-wrap: anywhere; user-select: all; }
.badge.sev-high { background: var(--err-fg); color: var(--panel); border-color: var(--err-fg); }
.badge.sev-medium { background: var(--write-bg); color: var(--write-fg); border-color: var(--write-bd); }
.badge.sev-low { background: var(--panel-2); color: var(--muted); border-color: var(--border); }
button.finding-filter.active { border-color: var(--read-fg); color: var(--read-fg); }
#tl-count { color: var(--muted); font-size: 12.5px; }
.filters { display: flex; flex-wrap: wrap; gap: 10px 14px; align-items: flex-end; margin-bottom: 12px; }
.filters label { display: flex; flex-direction: column; gap: 3px; font-size: 12px; color: var(--muted); min-width: 0; }
.filters label.check { flex-direction: row; align-items: center; gap: 6px; padding-bottom: 6px; color: var(--text); font-size: 13px; }
.filters label.grow { flex: 1 1 220px; }
.filters select, .filters input[type=search] {
  font: inherit; font-size: 13px; color: var(--text); background: var(--panel); border: 1px solid var(--border);
  border-radius: 6px; padding: 5px 8px; max-width: 260px; min-width: 0;
}
.filters input[type=search] { max-width: none; width: 100%; }
.tl-head, .row-head {
  display: grid; grid-template-columns: 16px 96px 52px 20px minmax(120px, 210px) minmax(60px, 250px) minmax(0, 1fr) 76px;
  gap: 10px; align-items: center; padding: 0 10px;
}
.tl-head { font-size: 12px; font-weight: 600; color: var(--muted); padding-bottom: 6px; border-bottom: 1px solid var(--border); }
.tl-scroll { height: 62vh; min-height: 320px; overflow-y: auto; overflow-x: hidden; position: relative; border-bottom: 1px solid var(--border); contain: strict; }
.row { border-bottom: 1px solid var(--border); min-width: 0; }
.row-head {
  width: 100%; min-height: 34px; border: 0; background: none; cursor: pointer; text-align: left; font-size: 13px;
  white-space: nowrap; overflow: hidden; border-left: 3px solid transparent;
}
.row-head > span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; unicode-bidi: isolate; }
.row-head:hover { background: var(--row-hover); }
.row.open > .row-head { background: var(--row-open); }
.row.is-error > .row-head { border-left-color: var(--err-fg); }
.row.is-sensitive > .row-head { border-left-color: var(--sens-fg); }
.row.is-write > .row-head { border-left-color: var(--write-fg); }
.row.is-tampered > .row-head { border-left: 3px double var(--err-fg); background: var(--err-bg); }
.badge.tampered { background: var(--err-fg); color: var(--panel); border-color: var(--err-fg); }
.chev { color: var(--muted); transition: transform .1s; display: inline-block; }
.row.open .chev { transform: rotate(90deg); }
.t-time { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.t-name { font-family: var(--mono); font-size: 12.5px; font-weight: 600; }
/* A tool name is shown whole: it wraps in its column (the row grows). */
.row-head > .t-name { white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: anywhere; padding: 3px 0; }
.t-kind { color: var(--muted); font-weight: 400; }
.t-dir { color: var(--muted); text-align: center; }
.t-preview { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.t-badges { display: flex; gap: 3px; }
.t-badges > .badge { flex-shrink: 0; }
.t-dur { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); font-size: 12px; }
.row.is-error .t-name { color: var(--err-fg); }
.detail { padding: 10px 14px 14px 39px; background: var(--row-open); border-top: 1px dashed var(--border); min-width: 0; }
.detail dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 14px; margin: 0 0 10px; font-size: 12.5px; }
.detail dt { color: var(--muted); }
.detail dd { margin: 0; overflow-wrap: anywhere; unicode-bidi: isolate; }
.detail h4 { margin: 12px 0 4px; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.detail pre {
  margin: 0; padding: 8px 10px; background: var(--panel); border: 1px solid var(--border); border-radius: 6px;
  white-space: pre-wrap; overflow-wrap: anywhere; max-height: 360px; overflow: auto; unicode-bidi: isolate;
}
.detail pre.error { border-color: var(--err-bd); background: var(--err-bg); color: var(--err-fg); }
.detail pre.plugin-failed { border-color: var(--write-bd); background: var(--write-bg); color: var(--write-fg); }
.detail table { width: auto; font-size: 12.5px; }
.detail td, .detail th { padding: 3px 10px 3px 0; position: static; background: none; }
.cls-list { display: flex; flex-direction: column; gap: 3px; font-size: 12.5px; }
.truncated { border: 1px solid var(--write-bd); background: var(--write-bg); color: var(--write-fg); border-radius: 6px; padding: 6px 10px; font-size: 12.5px; margin-bottom: 6px; }
.clip-note { color: var(--muted); font-size: 12px; margin-top: 4px; }
@media (max-width: 760px) {
  /* A row in two or three lines: when, who and how long; the tool name on
     a line of its own; the badges under it. The preview is in the details. */
  .tl-head { display: none; }
  .row-head {
    grid-template-columns: 16px auto auto minmax(0, 1fr) auto;
    grid-template-areas: "chev time sess dir dur" ". name name name name" ". badges badges badges badges";
    gap: 0 8px; padding: 5px 10px;
  }
  .row-head > .chev { grid-area: chev; } .row-head > .t-time { grid-area: time; }
  .row-head > .t-sess { grid-area: sess; } .row-head > .t-dir { grid-area: dir; text-align: left; }
  .row-head > .t-dur { grid-area: dur; } .row-head > .t-name { grid-area: name; padding: 1px 0 0; }
  .row-head > .t-badges { grid-area: badges; flex-wrap: wrap; margin-top: 3px; overflow: visible; }
  .row-head > .t-badges:empty, .row-head > .t-preview { display: none; }
  .detail { padding-left: 14px; }
  main { padding: 12px; }
  header.top { padding: 14px 12px 10px; }
  section { padding: 14px 12px; }
}
`;
