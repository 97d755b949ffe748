/// <reference lib="dom" />
/**
 * The script that runs in the report page. `CLIENT_SCRIPT` inlines the
 * source of {@linkcode reportPageScript} into the page, so this file is
 * type-checked and linted like the rest, against the DOM's types; nothing in
 * the function may refer to anything outside it but its one argument and the
 * browser's globals, because only its own text reaches the page.
 *
 * It reads the embedded JSON, draws only the timeline rows in view, and
 * handles expand/collapse, filters (tool calls only among them), search and the access map's entity and
 * tool links. It builds DOM with `textContent` only: no log string is ever
 * parsed as HTML.
 *
 * @module
 */
import type { TimelineRow } from "./_timeline_model.ts";

/** A regular expression handed to the page as its source and flags. */
export interface PatternText {
  source: string;
  flags: string;
}

/** What the page script is given: the patterns and names it shares with the server side. */
export interface PageScriptConfig {
  /** Characters that reorder or hide text, shown as escapes (global). */
  hidden: PatternText;
  /** A redaction marker (global). */
  redaction: PatternText;
  /** A line break in one-line text (global). */
  lineBreak: PatternText;
  /** A tab in one-line text (global). */
  tab: PatternText;
  /** Labels in the order shown; others follow, alphabetically. */
  labelOrder: readonly string[];
  /** The tooltip on a redaction marker. */
  redactedTitle: string;
}

/** The JSON the page embeds in `#report-data`. */
export interface PageData {
  v: number;
  /** Label and id of each session. */
  sessions: { l: string; id: string }[];
  /** Tool names, by {@linkcode TimelineRow.n}. */
  tools: string[];
  /** Type and value of each entity, by its index. */
  entities: [type: string, value: string][];
  rows: TimelineRow[];
  /** Each finding's session index, the seqs it rests on and the value it is about (highlighted in its rows), by its index in the Findings section. */
  findings?: [session: number, seqs: number[], value?: string][];
}

/**
 * Runs the report page: fills the filters, draws the timeline and wires the
 * controls, then marks `<html data-ready="1">`. Does nothing when the page
 * has no `#report-data`.
 *
 * @example
 * ```ts
 * import { reportPageScript } from "./_page_script.ts";
 * import assert from "node:assert/strict";
 *
 * // It runs in a page only; what leaves this module is its text, which
 * // parses as a function on its own, with no imports.
 * const text = reportPageScript.toString();
 * assert.equal(typeof new Function(`return (${text});`)(), "function");
 * assert.doesNotMatch(text, /\bimport\b/);
 * ```
 */
export function reportPageScript(config: PageScriptConfig): void {
  type Rec = Record<string, unknown>;

  const dataNode = document.getElementById("report-data");
  if (!dataNode) return;
  const D: Partial<PageData> = JSON.parse(dataNode.textContent || "{}");
  const rows = D.rows || [];
  const tools = D.tools || [];
  const ents = D.entities || [];
  const sessions = D.sessions || [];
  const findings = D.findings || [];
  // A closed row's height (its head and its border) before it is measured:
  // a long tool name wraps, and a row opened shows its details.
  const ROW_H = 35, OVERSCAN = 10, MAX_PRE = 200000;
  const HIDDEN = new RegExp(config.hidden.source, config.hidden.flags);
  const REDACTED = new RegExp(`(${config.redaction.source})`);
  const LINE_BREAK = new RegExp(
    config.lineBreak.source,
    config.lineBreak.flags,
  );
  const TAB = new RegExp(config.tab.source, config.tab.flags);
  const LABEL_ORDER = config.labelOrder;
  const RPC_CODES = new Map([
    ["-32700", "parse error"],
    ["-32600", "invalid request"],
    ["-32601", "method not found"],
    ["-32602", "invalid params"],
    ["-32603", "internal error"],
  ]);
  const STEPS = new Map([
    ["ArrowDown", 1],
    ["ArrowUp", -1],
    ["PageDown", 10],
    ["PageUp", -10],
  ]);
  const scroller = byId<HTMLElement>("tl-scroll");
  const list = byId<HTMLElement>("tl-list");
  const topPad = byId<HTMLElement>("tl-top");
  const bottomPad = byId<HTMLElement>("tl-bottom");
  const countOut = byId<HTMLOutputElement>("tl-count");
  const fSession = document.getElementById(
    "f-session",
  ) as HTMLSelectElement | null;
  const fTool = byId<HTMLSelectElement>("f-tool");
  const fClass = byId<HTMLSelectElement>("f-class");
  const fEntity = byId<HTMLSelectElement>("f-entity");
  const fCalls = byId<HTMLInputElement>("f-calls");
  const fErrors = byId<HTMLInputElement>("f-errors");
  const fPolicy = byId<HTMLInputElement>("f-policy");
  const fText = byId<HTMLInputElement>("f-text");
  const fClear = byId<HTMLButtonElement>("f-clear");
  const state = {
    session: -1,
    tool: -1,
    label: "",
    entity: -1,
    calls: false,
    errors: false,
    policy: false,
    text: "",
    finding: -1,
  };
  let view: number[] = [];
  let offsets = new Float64Array(1);
  const heights = new Map<number, number>();
  const open = new Set<number>();
  let hay: string[] | null = null;
  const cache = new Map<number, HTMLElement>();
  /** The value the active finding is about, while a row it names is built; else "". */
  let hl = "";
  let painting = false, queued = false;

  /** The page's own elements; the page is ours, so they are there. */
  function byId<T extends HTMLElement>(id: string): T {
    return document.getElementById(id) as T;
  }
  function visible(s: unknown): string {
    return String(s).replace(HIDDEN, (c) => {
      let h = c.charCodeAt(0).toString(16).toUpperCase();
      while (h.length < 4) h = "0" + h;
      return "\u27e8U+" + h + "\u27e9";
    });
  }
  function inline(s: unknown, max: number): string {
    const t = visible(s).replace(LINE_BREAK, "\u21b5").replace(TAB, " ");
    return t.length > max ? t.slice(0, max) + "\u2026" : t;
  }
  function el(tag: string, cls?: string, text?: string | null): HTMLElement {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }
  function fmtDur(ms: unknown): string {
    if (typeof ms !== "number") return "";
    if (ms < 1000) return Math.round(ms) + " ms";
    return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + " s";
  }
  function fmtTime(ts: string): string {
    const d = new Date(ts);
    if (isNaN(d.getTime())) return inline(ts || "", 24);
    return d.toISOString().slice(11, 23);
  }
  function labelClass(l: string): string {
    return l === "READ"
      ? "badge read"
      : l === "SENSITIVE"
      ? "badge sensitive"
      : l === "WRITE"
      ? "badge write"
      : l === "DESTRUCTIVE"
      ? "badge destructive"
      : "badge custom";
  }
  function labelCmp(a: string, b: string): number {
    const x = LABEL_ORDER.indexOf(a), y = LABEL_ORDER.indexOf(b);
    return (x < 0 ? 99 : x) - (y < 0 ? 99 : y) || (a < b ? -1 : a > b ? 1 : 0);
  }
  /** Appends text to a node, redaction markers set apart: they are ours, not the tool's. */
  function mark(node: HTMLElement, text: unknown): HTMLElement {
    const parts = String(text).split(REDACTED);
    for (let i = 0; i < parts.length; i++) {
      if (i % 2) {
        const m = el("span", "redacted", parts[i]);
        m.title = config.redactedTitle;
        if (hl && parts[i] === hl) {
          const v = node.appendChild(el("mark", "finding-value"));
          v.appendChild(m);
        } else node.appendChild(m);
      } else if (parts[i]) highlight(node, parts[i]);
    }
    return node;
  }
  /** Appends text, each occurrence of {@linkcode hl} in a `<mark>`. */
  function highlight(node: HTMLElement, text: string): void {
    if (!hl || text.indexOf(hl) < 0) {
      node.appendChild(document.createTextNode(text));
      return;
    }
    const pieces = text.split(hl);
    for (let k = 0; k < pieces.length; k++) {
      if (k > 0) node.appendChild(el("mark", "finding-value", hl));
      if (pieces[k]) node.appendChild(document.createTextNode(pieces[k]));
    }
  }
  /** The active finding's value, when row `r` is one of its events. */
  function findingValue(r: TimelineRow): string {
    const f = state.finding >= 0 ? findings[state.finding] : undefined;
    if (!f || f[2] === undefined || r.s !== f[0]) return "";
    const named = f[1].indexOf(r.q) >= 0 ||
      (r.rq !== undefined && f[1].indexOf(r.rq) >= 0);
    return named ? f[2] : "";
  }
  function errorTypeText(et: string): string {
    if (et === "tool_error") return "tool error (result has isError: true)";
    const known = RPC_CODES.get(et);
    return "JSON-RPC error " + et + (known ? " (" + known + ")" : "");
  }
  function errorMessage(r: TimelineRow): string {
    if (r.st === "error" && isObj(r.er)) {
      if (r.er.$truncated === true) return "error truncated by the proxy";
      return (r.er.code !== undefined ? r.er.code + " " : "") +
        (typeof r.er.message === "string" ? r.er.message : "");
    }
    if (r.st === "tool_error" && isObj(r.r) && Array.isArray(r.r.content)) {
      const t = r.r.content
        .filter((c): c is Rec => isObj(c) && typeof c.text === "string")
        .map((c) => c.text).join(" ");
      return t || "isError: true";
    }
    return "";
  }
  function isObj(v: unknown): v is Rec {
    return v !== null && typeof v === "object" && !Array.isArray(v);
  }
  function compact(v: unknown): string {
    if (v === undefined) return "";
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  }
  function preview(r: TimelineRow): string {
    const x: Rec = isObj(r.x) ? r.x : {};
    switch (r.k) {
      case "request":
        if (r.m === "tools/call" && isObj(r.p)) return compact(r.p.arguments);
        return compact(r.p);
      case "notification":
        return compact(r.p);
      case "response":
      case "error":
        return compact(r.er || r.r);
      case "stderr":
        return String(x.text || "");
      case "invalid":
        return (x.reason || "") + " " + (x.excerpt || "");
      case "gap":
        return "lost " + x.lost + " events: " + (x.reason || "");
      case "session_start":
        return (Array.isArray(x.command) ? x.command : []).join(" ");
      case "session_end": {
        const exit = isObj(x.exit) ? x.exit : undefined;
        return (x.reason || "") +
          (exit ? " \u00b7 exit " + (exit.signal || exit.code) : "") +
          (x.failure ? ": " + x.failure : "");
      }
      case "checkpoint":
        return "Merkle root " + String(x.root || "").slice(0, 16) +
          "\u2026 over " + x.treeSize + " events \u00b7 " +
          (x.signature
            ? "signed, key " + String(x.keyId || "?").slice(0, 16)
            : "unsigned");
      case "finding":
        return "live finding \u00b7 " + x.severity + " " + x.rule + ": " +
          x.title;
      case "decision":
        return x.mode + " " + x.action +
          (x.rule ? " (rule " + x.rule + ")" : "") +
          (x.tool ? " " + x.tool : "") + ": " + x.reason +
          (x.approval ? " \u00b7 approval " + x.approval : "") +
          " \u00b7 " + x.outcome +
          (Array.isArray(x.hidden)
            ? " \u00b7 hidden " + x.hidden.join(", ")
            : "");
      case "tool_change":
        return "tool definitions differ from the pins: " +
          [
            ...(Array.isArray(x.changed) ? x.changed : []).map((c) =>
              "changed " + (isObj(c) ? c.tool : "")
            ),
            ...(Array.isArray(x.added) ? x.added : []).map((t) => "added " + t),
            ...(Array.isArray(x.removed) ? x.removed : []).map((t) =>
              "removed " + t
            ),
          ].join(", ");
      case "handshake":
        return peerName(x.client) + " \u2192 " + peerName(x.server) +
          (x.protocolVersion ? " \u00b7 MCP " + x.protocolVersion : "") +
          (x.via ? " \u00b7 via " + x.via : "");
      default:
        return compact(r.x || {});
    }
  }
  function peerName(p: unknown): string {
    if (!isObj(p)) return "?";
    return String(p.name) + (p.version ? " " + p.version : "");
  }
  function title(r: TimelineRow): string {
    if (r.n !== undefined) return tools[r.n];
    if (r.m) return r.m;
    return r.k;
  }

  // Filtering
  function haystack(i: number): string {
    if (!hay) hay = new Array(rows.length);
    let h = hay[i];
    if (h === undefined) {
      const r = rows[i];
      const parts = [
        title(r),
        r.k,
        r.m || "",
        compact(r.p),
        compact(r.r),
        compact(r.er),
        compact(r.x),
      ];
      if (r.pe !== undefined) parts.push("plugin failed", compact(r.pe));
      if (r.et) parts.push(r.et);
      if (r.tv) parts.push("tampered", ...r.tv);
      if (r.hk) parts.push("hook");
      (r.en || []).forEach((e) => {
        const en = ents[e[0]];
        if (en) parts.push(en[0] + ":" + en[1]);
      });
      (r.c || []).forEach((c) => {
        parts.push(c[0]);
      });
      h = hay[i] = parts.join(" ").toLowerCase();
    }
    return h;
  }
  function matches(i: number): boolean {
    const r = rows[i], s = state;
    if (s.session >= 0 && r.s !== s.session) return false;
    if (s.tool >= 0 && r.n !== s.tool) return false;
    if (s.calls && r.n === undefined) return false;
    if (s.errors && !r.e) return false;
    if (s.policy && r.k !== "decision" && r.k !== "tool_change") return false;
    if (s.label && !(r.c || []).some((c) => c[0] === s.label)) return false;
    if (s.entity >= 0 && !(r.en || []).some((e) => e[0] === s.entity)) {
      return false;
    }
    if (s.text && haystack(i).indexOf(s.text) === -1) return false;
    if (s.finding >= 0) {
      const f = findings[s.finding];
      if (!f || r.s !== f[0]) return false;
      if (
        f[1].indexOf(r.q) < 0 && (r.rq === undefined || f[1].indexOf(r.rq) < 0)
      ) {
        return false;
      }
    }
    return true;
  }
  function applyFilters(): void {
    const v: number[] = [];
    for (let i = 0; i < rows.length; i++) if (matches(i)) v.push(i);
    view = v;
    layout();
    scroller.scrollTop = 0;
    paint();
    const total = rows.length;
    countOut.textContent =
      (v.length === total ? "" : v.length.toLocaleString("en-US") + " of ") +
      total.toLocaleString("en-US") + (total === 1 ? " row" : " rows");
    countOut.setAttribute("data-shown", String(v.length));
    countOut.setAttribute("data-total", String(total));
    document.querySelectorAll("button.finding-filter").forEach((b) => {
      const on = Number(b.getAttribute("data-f")) === state.finding;
      b.classList.toggle("active", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
    document.querySelectorAll("button.ent").forEach((b) => {
      b.classList.toggle(
        "active",
        Number(b.getAttribute("data-e")) === state.entity,
      );
    });
  }

  // Virtual list: offsets are prefix sums of row heights.
  function layout(): void {
    const n = view.length;
    offsets = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      offsets[i + 1] = offsets[i] + (heights.get(view[i]) || ROW_H);
    }
  }
  function firstAt(y: number): number {
    let lo = 0, hi = view.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid + 1] <= y) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  function paint(): void {
    if (painting) return;
    painting = true;
    try {
      // Rows are measured once drawn; redraw until the heights hold.
      for (let pass = 0; pass < 3; pass++) {
        const top = scroller.scrollTop,
          h = scroller.clientHeight || 600,
          n = view.length;
        const start = Math.max(0, firstAt(top) - OVERSCAN);
        const end = Math.min(n, firstAt(top + h) + 1 + OVERSCAN);
        const focused = document.activeElement?.closest(".row") ?? null;
        const focusIdx = focused && list.contains(focused)
          ? focused.getAttribute("data-i")
          : null;
        topPad.style.height = offsets[start] + "px";
        bottomPad.style.height = (offsets[n] - offsets[end]) + "px";
        const nodes: HTMLElement[] = [];
        for (let p = start; p < end; p++) nodes.push(rowNode(view[p]));
        list.replaceChildren(...nodes);
        if (focusIdx !== null) {
          const again = list.querySelector<HTMLElement>(
            '.row[data-i="' + focusIdx + '"] > .row-head',
          );
          if (again) again.focus({ preventScroll: true });
        }
        let changed = false;
        for (let q = 0; q < nodes.length; q++) {
          const idx = view[start + q], want = nodes[q].offsetHeight || ROW_H;
          if ((heights.get(idx) || ROW_H) !== want) {
            if (want === ROW_H) heights.delete(idx);
            else heights.set(idx, want);
            changed = true;
          }
        }
        if (!changed) break;
        layout();
      }
    } finally {
      painting = false;
    }
  }
  function schedule(): void {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      paint();
    });
  }

  // Rows
  function rowNode(i: number): HTMLElement {
    const cached = cache.get(i);
    if (cached) return cached;
    const r = rows[i];
    hl = findingValue(r);
    const node = el("div", "row");
    node.setAttribute("role", "listitem");
    node.setAttribute("data-i", String(i));
    const labels = (r.c || []).map((c) => c[0]).sort(labelCmp);
    if (r.tv) node.classList.add("is-tampered");
    if (r.e) node.classList.add("is-error");
    else if (labels.indexOf("SENSITIVE") >= 0) {
      node.classList.add("is-sensitive");
    } else if (labels.indexOf("WRITE") >= 0) node.classList.add("is-write");
    const head = el("button", "row-head") as HTMLButtonElement;
    head.type = "button";
    head.setAttribute("aria-expanded", open.has(i) ? "true" : "false");
    head.appendChild(el("span", "chev", "\u203a"));
    head.appendChild(el("span", "t-time", fmtTime(r.t)));
    const sess = sessions[r.s] || { l: "?" };
    const sb = el("span", "t-sess");
    sb.appendChild(el("span", "sess sess-" + (r.s % 8), sess.l));
    head.appendChild(sb);
    head.appendChild(
      el(
        "span",
        "t-dir",
        r.d === "c2s" ? "\u2192" : r.d === "s2c" ? "\u2190" : "",
      ),
    );
    const name = el("span", "t-name", inline(title(r), 80));
    if (r.n === undefined && !r.m) name.className = "t-name t-kind";
    head.appendChild(name);
    const badges = el("span", "t-badges");
    const seen = new Set<string>(), tips: string[] = [];
    function badge(cls: string, text: string, tip: string): void {
      const b = el("span", cls, text);
      b.title = tip;
      badges.appendChild(b);
      tips.push(tip);
    }
    if (r.tv) {
      badge(
        "badge tampered",
        "TAMPERED",
        "this line does not match the log's hashes: " + inline(r.tv[0], 200),
      );
    }
    if (r.st === "error") {
      badge("badge error", "RPC ERROR", errorTypeText(r.et || ""));
    } else if (r.st === "tool_error") {
      badge("badge error", "TOOL ERROR", errorTypeText("tool_error"));
    } else if (r.e) badge("badge error", "ERROR", r.k);
    if (r.hk) {
      badge(
        "badge rounds",
        "HOOK + PROXY",
        "seen by the agent's hook (" + hookRef(r.hk) + ") and by the proxy",
      );
    }
    if (r.rd !== undefined && r.rd.length > 1) {
      badge(
        "badge rounds",
        r.rd.length + " ROUNDS",
        "one logical call over " + r.rd.length +
          " requests: " + r.rd.map((d) => d[2] || "?").join(" \u2192 "),
      );
    }
    if (r.k === "decision" && isObj(r.x)) {
      const a = String(r.x.action), blocked = r.x.outcome === "blocked";
      badge(
        a === "allow"
          ? "badge allowed"
          : a === "ask" && !blocked
          ? "badge asked"
          : "badge denied",
        (r.x.mode === "monitor" ? "WOULD " : "") +
          (a === "allow"
            ? "ALLOW"
            : a === "ask"
            ? (blocked ? "ASK: DENIED" : "ASK")
            : a === "hide"
            ? "HIDDEN"
            : "DENIED"),
        "guard decision (" + r.x.mode + "): " + a + ", " + r.x.outcome,
      );
    }
    if (r.k === "tool_change") {
      badge(
        "badge changed",
        "TOOL CHANGED",
        "tool definitions differ from their pins",
      );
    }
    if (r.pe !== undefined) {
      badge(
        "badge plugin",
        "PLUGIN FAILED",
        "a plugin failed on this event: its enrichment may be incomplete",
      );
    }
    labels.forEach((l) => {
      if (seen.has(l)) return;
      seen.add(l);
      const from = (r.c || []).filter((c) => c[0] === l).map((c) =>
        inline(c[1], 60)
      );
      badge(
        labelClass(l),
        inline(l, 16),
        inline(l, 40) + " from " + from.join(", "),
      );
    });
    if (tips.length) badges.title = tips.join("\n");
    head.appendChild(badges);
    const pv = mark(el("span", "t-preview"), inline(preview(r), 240));
    const msg = errorMessage(r);
    if (msg) {
      pv.appendChild(document.createTextNode(" "));
      mark(pv.appendChild(el("span", "t-err")), "\u21d2 " + inline(msg, 200));
    }
    head.appendChild(pv);
    head.appendChild(
      el("span", "t-dur", r.st === "pending" ? "pending" : fmtDur(r.ms)),
    );
    node.appendChild(head);
    if (open.has(i)) node.appendChild(detail(r));
    if (open.has(i)) node.classList.add("open");
    hl = "";
    if (cache.size > 400) cache.clear();
    cache.set(i, node);
    return node;
  }
  function pre(text: string, cls?: string): HTMLElement {
    const s = visible(text);
    const box = el("div");
    box.appendChild(
      mark(el("pre", cls || ""), s.length > MAX_PRE ? s.slice(0, MAX_PRE) : s),
    );
    if (s.length > MAX_PRE) {
      box.appendChild(
        el(
          "div",
          "clip-note",
          "Showing the first " + MAX_PRE.toLocaleString("en-US") + " of " +
            s.length.toLocaleString("en-US") + " characters.",
        ),
      );
    }
    return box;
  }
  function pretty(v: unknown): string {
    if (typeof v === "string") return v;
    try {
      return JSON.stringify(v, null, 2);
    } catch {
      return String(v);
    }
  }
  function payload(
    box: HTMLElement,
    heading: string,
    v: unknown,
    cls?: string,
  ): void {
    if (v === undefined) return;
    box.appendChild(el("h4", "", heading));
    if (isObj(v) && v.$truncated === true) {
      box.appendChild(
        el(
          "div",
          "truncated",
          "Truncated by the proxy: " +
            Number(v.bytes).toLocaleString("en-US") + " bytes, SHA-256 " +
            inline(v.sha256, 80) + ". Preview:",
        ),
      );
      box.appendChild(pre(String(v.preview || ""), cls));
      return;
    }
    box.appendChild(pre(pretty(v), cls));
  }
  function meta(dl: HTMLElement, k: string, v: unknown): void {
    if (v === undefined || v === null || v === "") return;
    dl.appendChild(el("dt", "", k));
    dl.appendChild(el("dd", "", inline(String(v), 400)));
  }
  /** The hook's events of a call the proxy saw too: `S2 seq 3 -> 4`. */
  function hookRef(hk: NonNullable<TimelineRow["hk"]>): string {
    const sess: Partial<PageData["sessions"][number]> = sessions[hk[0]] || {};
    return (sess.l || "?") + " seq " + hk[1] +
      (hk[2] !== undefined ? " \u2192 " + hk[2] : "");
  }
  function detail(r: TimelineRow): HTMLElement {
    const box = el("div", "detail");
    const dl = el("dl");
    const sess: Partial<PageData["sessions"][number]> = sessions[r.s] || {};
    meta(dl, "Session", (sess.l || "") + " " + (sess.id || ""));
    meta(dl, "Seq", r.rq !== undefined ? r.q + " \u2192 " + r.rq : r.q);
    meta(dl, "Time", r.t);
    if (r.hk) meta(dl, "Also seen by", "the agent's hook: " + hookRef(r.hk));
    meta(
      dl,
      "Kind",
      r.k +
        (r.d
          ? " (" +
            (r.d === "c2s" ? "client \u2192 server" : "server \u2192 client") +
            ")"
          : ""),
    );
    meta(dl, "Method", r.m);
    meta(dl, "Tool", r.n !== undefined ? tools[r.n] : undefined);
    meta(
      dl,
      "Duration",
      r.ms !== undefined ? fmtDur(r.ms) + " (" + r.ms + " ms)" : undefined,
    );
    meta(
      dl,
      "Status",
      r.st === "error" || r.st === "tool_error"
        ? errorTypeText(
          r.et || (r.st === "tool_error" ? "tool_error" : "?"),
        )
        : r.st
        ? r.st.replace("_", " ")
        : undefined,
    );
    box.appendChild(dl);
    if (r.tv) {
      box.appendChild(
        el("h4", "", "Tampered: what the verifier found on this row's lines"),
      );
      r.tv.forEach((t) => {
        box.appendChild(pre(t, "error"));
      });
    }
    if (r.c && r.c.length) {
      box.appendChild(el("h4", "", "Classifications"));
      const cl = el("div", "cls-list");
      r.c.slice().sort((a, b) => labelCmp(a[0], b[0])).forEach((c) => {
        const line = el("div");
        line.appendChild(el("span", labelClass(c[0]), inline(c[0], 40)));
        line.appendChild(
          document.createTextNode(" from " + inline(c[1], 120)),
        );
        cl.appendChild(line);
      });
      box.appendChild(cl);
    }
    if (r.en && r.en.length) {
      box.appendChild(el("h4", "", "Entities"));
      const wrap = el("div", "table-wrap");
      const t = el("table"), th = el("tr");
      ["Entity", "Path", "Source"].forEach((x) => {
        th.appendChild(el("th", "", x));
      });
      t.appendChild(th);
      r.en.forEach((e) => {
        const en = ents[e[0]] || ["?", "?"], tr = el("tr"), td = el("td");
        const b = el("button", "ent") as HTMLButtonElement;
        b.type = "button";
        b.setAttribute("data-e", String(e[0]));
        b.title = "Filter the timeline to this entity";
        b.appendChild(el("span", "ent-type", inline(en[0], 40)));
        b.appendChild(mark(el("span", "ent-value"), inline(en[1], 160)));
        td.appendChild(b);
        tr.appendChild(td);
        tr.appendChild(el("td", "mono", inline(e[1], 160)));
        tr.appendChild(el("td", "muted", inline(e[2], 80)));
        t.appendChild(tr);
      });
      wrap.appendChild(t);
      box.appendChild(wrap);
    }
    if (r.k === "request" || r.k === "notification") {
      if (r.m === "tools/call" && isObj(r.p) && "arguments" in r.p) {
        const p = r.p;
        payload(box, "Arguments", p.arguments);
        const other: Rec = {};
        let more = false;
        Object.keys(p).forEach((k) => {
          if (k !== "arguments" && k !== "name") {
            other[k] = p[k];
            more = true;
          }
        });
        if (more) payload(box, "Other params", other);
      } else if (
        isObj(r.p) && r.p.$truncated === true && r.m === "tools/call"
      ) {
        payload(box, "Arguments", r.p);
      } else payload(box, "Params", r.p);
    }
    if (r.r !== undefined) {
      const content = isObj(r.r) && Array.isArray(r.r.content)
        ? r.r.content
        : null;
      const texts = content
        ? content.filter((c): c is Rec & { text: string } =>
          isObj(c) && c.type === "text" && typeof c.text === "string"
        )
        : [];
      if (texts.length) {
        box.appendChild(
          el(
            "h4",
            "",
            r.st === "tool_error" ? "Result text (tool error)" : "Result text",
          ),
        );
        texts.forEach((c) => {
          box.appendChild(pre(c.text, r.st === "tool_error" ? "error" : ""));
        });
      }
      payload(
        box,
        texts.length ? "Result (JSON)" : "Result",
        r.r,
        r.st === "tool_error" && !texts.length ? "error" : "",
      );
    }
    if (r.er !== undefined) payload(box, "Error", r.er, "error");
    if (r.rd !== undefined) {
      payload(
        box,
        "Rounds of this logical call (request seq, reply seq, outcome)",
        r.rd,
      );
    }
    if (r.x !== undefined) payload(box, "Event", r.x);
    if (r.pe !== undefined) {
      payload(
        box,
        "Plugin failures (enrichment of this event may be incomplete)",
        r.pe,
        "plugin-failed",
      );
    }
    return box;
  }
  function toggle(i: number): void {
    if (open.has(i)) {
      open.delete(i);
      heights.delete(i);
    } else open.add(i);
    cache.delete(i);
    layout();
    paint();
  }

  // Controls
  function option(sel: HTMLSelectElement, value: unknown, text: string): void {
    const o = el("option", "", text) as HTMLOptionElement;
    o.value = String(value);
    sel.appendChild(o);
  }
  function byText(a: [string, number], b: [string, number]): number {
    return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
  }
  if (fSession) {
    sessions.forEach((s, i) => {
      option(fSession, i, s.l + " \u00b7 " + inline(s.id, 40));
    });
  }
  tools.map((t, i): [string, number] => [t, i]).sort(byText)
    .forEach((p) => {
      option(fTool, p[1], inline(p[0], 60));
    });
  const labelSet = new Set<string>();
  rows.forEach((r) => {
    (r.c || []).forEach((c) => {
      labelSet.add(c[0]);
    });
  });
  [...labelSet].sort(labelCmp).forEach((l) => {
    option(fClass, l, inline(l, 40));
  });
  ents.map((e, i): [string, number] => [e[0] + ": " + e[1], i]).sort(byText)
    .forEach((p) => {
      option(fEntity, p[1], inline(p[0], 70));
    });

  function readControls(): void {
    state.session = fSession ? Number(fSession.value) : -1;
    state.tool = Number(fTool.value);
    state.label = fClass.value;
    state.entity = Number(fEntity.value);
    state.calls = fCalls.checked;
    state.errors = fErrors.checked;
    state.policy = fPolicy.checked;
    state.text = fText.value.trim().toLowerCase();
    applyFilters();
  }
  let textTimer: ReturnType<typeof setTimeout> | undefined;
  [fSession, fTool, fClass, fEntity, fCalls, fErrors, fPolicy].forEach((c) => {
    if (c) c.addEventListener("change", readControls);
  });
  fText.addEventListener("input", () => {
    clearTimeout(textTimer);
    textTimer = setTimeout(readControls, 150);
  });
  byId("filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    readControls();
  });
  fClear.addEventListener("click", () => {
    if (fSession) fSession.value = "-1";
    fTool.value = "-1";
    fClass.value = "";
    fEntity.value = "-1";
    fCalls.checked = false;
    fErrors.checked = false;
    fPolicy.checked = false;
    fText.value = "";
    if (state.finding >= 0) cache.clear();
    state.finding = -1;
    readControls();
  });
  function focusTimeline(): void {
    byId("timeline").scrollIntoView({ block: "start" });
  }
  document.addEventListener("click", (ev) => {
    const t = ev.target instanceof Element ? ev.target : null;
    if (!t) return;
    const ent = t.closest("button.ent");
    if (ent) {
      const e = Number(ent.getAttribute("data-e"));
      fEntity.value = String(
        state.entity === e && !list.contains(ent) ? -1 : e,
      );
      readControls();
      focusTimeline();
      return;
    }
    const ff = t.closest("button.finding-filter");
    if (ff) {
      // The finding's rows alone; the other filters are cleared so none hides them.
      const f = Number(ff.getAttribute("data-f"));
      if (fSession) fSession.value = "-1";
      fTool.value = "-1";
      fClass.value = "";
      fEntity.value = "-1";
      fCalls.checked = false;
      fErrors.checked = false;
      fText.value = "";
      state.finding = state.finding === f ? -1 : f;
      // Rows are built again, with the finding's value marked in its own.
      cache.clear();
      readControls();
      if (state.finding >= 0) focusTimeline();
      return;
    }
    const tf = t.closest("button.tool-filter");
    if (tf) {
      fTool.value = tf.getAttribute("data-t") ?? "";
      readControls();
      focusTimeline();
      return;
    }
    const head = t.closest(".row-head");
    if (head && list.contains(head)) {
      toggle(Number(head.parentElement?.getAttribute("data-i")));
    }
  });
  function focusRow(pos: number): void {
    if (!view.length) return;
    pos = Math.max(0, Math.min(view.length - 1, pos));
    const y = offsets[pos], h = scroller.clientHeight;
    if (y < scroller.scrollTop) scroller.scrollTop = y;
    else if (offsets[pos + 1] > scroller.scrollTop + h) {
      scroller.scrollTop = offsets[pos + 1] - h;
    }
    paint();
    const n = list.querySelector<HTMLElement>(
      '.row[data-i="' + view[pos] + '"] > .row-head',
    );
    if (n) n.focus({ preventScroll: true });
  }
  list.addEventListener("keydown", (ev) => {
    const head = ev.target instanceof Element
      ? ev.target.closest(".row-head")
      : null;
    if (!head || head.parentElement?.parentElement !== list) return;
    const pos = view.indexOf(
      Number(head.parentElement.getAttribute("data-i")),
    );
    const step = STEPS.get(ev.key);
    if (step) {
      ev.preventDefault();
      focusRow(pos + step);
    } else if (ev.key === "Home") {
      ev.preventDefault();
      focusRow(0);
    } else if (ev.key === "End") {
      ev.preventDefault();
      focusRow(view.length - 1);
    }
  });
  scroller.addEventListener("scroll", schedule, { passive: true });
  globalThis.addEventListener("resize", schedule);
  readControls();
  document.documentElement.setAttribute("data-ready", "1");
}
