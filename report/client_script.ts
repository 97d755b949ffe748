/**
 * The report's only script, inlined in the page and allowed by its hash in
 * the Content-Security-Policy. It reads the embedded JSON, draws only the
 * timeline rows in view, and handles expand/collapse, filters, search and
 * the access map's entity and tool links. It builds DOM with `textContent`
 * only: no log string is ever parsed as HTML.
 *
 * @module
 */

/**
 * The script text. It contains no `</script` and no template literals.
 *
 * @example
 * ```ts
 * import { CLIENT_SCRIPT } from "./client_script.ts";
 * import assert from "node:assert/strict";
 *
 * assert.doesNotMatch(CLIENT_SCRIPT, /innerHTML|<\/script/i);
 * ```
 */
export const CLIENT_SCRIPT: string = String.raw`(function () {
"use strict";
var dataNode = document.getElementById("report-data");
if (!dataNode) return;
var D = JSON.parse(dataNode.textContent || "{}");
var rows = D.rows || [], tools = D.tools || [], ents = D.entities || [], sessions = D.sessions || [];
var ROW_H = 34, OVERSCAN = 10, MAX_PRE = 200000;
var REDACTED = /(\[REDACTED:[A-Za-z0-9_.:-]{1,64}:[0-9a-f]{6,64}\])/;
var LABEL_ORDER = ["READ", "SENSITIVE", "WRITE", "DESTRUCTIVE", "OPEN_WORLD"];
var RPC_CODES = { "-32700": "parse error", "-32600": "invalid request", "-32601": "method not found",
  "-32602": "invalid params", "-32603": "internal error" };
var HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
var scroller = document.getElementById("tl-scroll");
var list = document.getElementById("tl-list");
var topPad = document.getElementById("tl-top");
var bottomPad = document.getElementById("tl-bottom");
var countOut = document.getElementById("tl-count");
var fSession = document.getElementById("f-session");
var fTool = document.getElementById("f-tool");
var fClass = document.getElementById("f-class");
var fEntity = document.getElementById("f-entity");
var fErrors = document.getElementById("f-errors");
var fText = document.getElementById("f-text");
var fClear = document.getElementById("f-clear");
var state = { session: -1, tool: -1, label: "", entity: -1, errors: false, text: "" };
var view = [], offsets = new Float64Array(1), heights = new Map(), open = new Set();
var hay = null, cache = new Map(), painting = false, queued = false;

function visible(s) {
  return String(s).replace(HIDDEN, function (c) {
    var h = c.charCodeAt(0).toString(16).toUpperCase();
    while (h.length < 4) h = "0" + h;
    return "\u27e8U+" + h + "\u27e9";
  });
}
function inline(s, max) {
  var t = visible(s).replace(/\r?\n/g, "\u21b5").replace(/\t/g, " ");
  return t.length > max ? t.slice(0, max) + "\u2026" : t;
}
function el(tag, cls, text) {
  var n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined && text !== null) n.textContent = text;
  return n;
}
function fmtDur(ms) {
  if (typeof ms !== "number") return "";
  if (ms < 1000) return Math.round(ms) + " ms";
  return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + " s";
}
function fmtTime(ts) {
  var d = new Date(ts);
  if (isNaN(d.getTime())) return inline(ts || "", 24);
  return d.toISOString().slice(11, 23);
}
function labelClass(l) {
  return l === "READ" ? "badge read" : l === "SENSITIVE" ? "badge sensitive" : l === "WRITE" ? "badge write" :
    l === "DESTRUCTIVE" ? "badge destructive" : "badge custom";
}
function labelCmp(a, b) {
  var x = LABEL_ORDER.indexOf(a), y = LABEL_ORDER.indexOf(b);
  return (x < 0 ? 99 : x) - (y < 0 ? 99 : y) || (a < b ? -1 : a > b ? 1 : 0);
}
/* Appends text to a node, redaction markers set apart: they are ours, not the tool's. */
function mark(node, text) {
  var parts = String(text).split(REDACTED);
  for (var i = 0; i < parts.length; i++) {
    if (i % 2) {
      var m = el("span", "redacted", parts[i]);
      m.title = "redacted by mcp-audit";
      node.appendChild(m);
    } else if (parts[i]) node.appendChild(document.createTextNode(parts[i]));
  }
  return node;
}
function errorTypeText(et) {
  if (et === "tool_error") return "tool error (result has isError: true)";
  return "JSON-RPC error " + et + (RPC_CODES[et] ? " (" + RPC_CODES[et] + ")" : "");
}
function errorMessage(r) {
  if (r.st === "error" && isObj(r.er)) {
    if (r.er.$truncated === true) return "error truncated by the proxy";
    return (r.er.code !== undefined ? r.er.code + " " : "") + (typeof r.er.message === "string" ? r.er.message : "");
  }
  if (r.st === "tool_error" && isObj(r.r) && Array.isArray(r.r.content)) {
    var t = r.r.content.filter(function (c) { return isObj(c) && typeof c.text === "string"; })
      .map(function (c) { return c.text; }).join(" ");
    return t || "isError: true";
  }
  return "";
}
function toolName(r) { return r.n !== undefined ? tools[r.n] : ""; }
function isObj(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
function compact(v) {
  if (v === undefined) return "";
  try { return JSON.stringify(v); } catch (e) { return String(v); }
}
function preview(r) {
  var x = r.x || {};
  switch (r.k) {
    case "request":
      if (r.m === "tools/call" && isObj(r.p)) return compact(r.p.arguments);
      return compact(r.p);
    case "notification": return compact(r.p);
    case "response": case "error": return compact(r.er || r.r);
    case "stderr": return x.text || "";
    case "invalid": return (x.reason || "") + " " + (x.excerpt || "");
    case "gap": return "lost " + x.lost + " events: " + (x.reason || "");
    case "session_start": return (x.command || []).join(" ");
    case "session_end":
      return (x.reason || "") + (x.exit ? " \u00b7 exit " + (x.exit.signal || x.exit.code) : "") +
        (x.failure ? ": " + x.failure : "");
    case "checkpoint":
      return "Merkle root " + String(x.root || "").slice(0, 16) + "\u2026 over " + x.treeSize + " events \u00b7 " +
        (x.signature ? "signed, key " + String(x.keyId || "?").slice(0, 16) : "unsigned");
    case "handshake":
      return peerName(x.client) + " \u2192 " + peerName(x.server) +
        (x.protocolVersion ? " \u00b7 MCP " + x.protocolVersion : "") + (x.via ? " \u00b7 via " + x.via : "");
    default: return compact(x);
  }
}
function peerName(p) {
  if (!isObj(p)) return "?";
  return String(p.name) + (p.version ? " " + p.version : "");
}
function title(r) {
  if (r.n !== undefined) return tools[r.n];
  if (r.m) return r.m;
  return r.k;
}

/* Filtering */
function haystack(i) {
  if (!hay) hay = new Array(rows.length);
  var h = hay[i];
  if (h === undefined) {
    var r = rows[i], parts = [title(r), r.k, r.m || "", compact(r.p), compact(r.r), compact(r.er), compact(r.x)];
    if (r.pe !== undefined) parts.push("plugin failed", compact(r.pe));
    if (r.et) parts.push(r.et);
    (r.en || []).forEach(function (e) { var en = ents[e[0]]; if (en) parts.push(en[0] + ":" + en[1]); });
    (r.c || []).forEach(function (c) { parts.push(c[0]); });
    h = hay[i] = parts.join(" ").toLowerCase();
  }
  return h;
}
function matches(i) {
  var r = rows[i], s = state;
  if (s.session >= 0 && r.s !== s.session) return false;
  if (s.tool >= 0 && r.n !== s.tool) return false;
  if (s.errors && !r.e) return false;
  if (s.label) {
    var c = r.c || [], ok = false;
    for (var k = 0; k < c.length; k++) if (c[k][0] === s.label) { ok = true; break; }
    if (!ok) return false;
  }
  if (s.entity >= 0) {
    var en = r.en || [], hit = false;
    for (var j = 0; j < en.length; j++) if (en[j][0] === s.entity) { hit = true; break; }
    if (!hit) return false;
  }
  if (s.text && haystack(i).indexOf(s.text) === -1) return false;
  return true;
}
function applyFilters() {
  var v = [];
  for (var i = 0; i < rows.length; i++) if (matches(i)) v.push(i);
  view = v;
  layout();
  scroller.scrollTop = 0;
  paint();
  var total = rows.length;
  countOut.textContent = (v.length === total ? "" : v.length.toLocaleString("en-US") + " of ") +
    total.toLocaleString("en-US") + (total === 1 ? " row" : " rows");
  countOut.setAttribute("data-shown", String(v.length));
  countOut.setAttribute("data-total", String(total));
  document.querySelectorAll("button.ent").forEach(function (b) {
    b.classList.toggle("active", Number(b.getAttribute("data-e")) === state.entity);
  });
}

/* Virtual list: offsets are prefix sums of row heights */
function layout() {
  var n = view.length;
  offsets = new Float64Array(n + 1);
  for (var i = 0; i < n; i++) offsets[i + 1] = offsets[i] + (heights.get(view[i]) || ROW_H);
}
function firstAt(y) {
  var lo = 0, hi = view.length;
  while (lo < hi) { var mid = (lo + hi) >> 1; if (offsets[mid + 1] <= y) lo = mid + 1; else hi = mid; }
  return lo;
}
function paint() {
  if (painting) return;
  painting = true;
  try {
    for (var pass = 0; pass < 3; pass++) {
      var top = scroller.scrollTop, h = scroller.clientHeight || 600, n = view.length;
      var start = Math.max(0, firstAt(top) - OVERSCAN);
      var end = Math.min(n, firstAt(top + h) + 1 + OVERSCAN);
      var focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".row") : null;
      var focusIdx = focused && list.contains(focused) ? focused.getAttribute("data-i") : null;
      topPad.style.height = offsets[start] + "px";
      bottomPad.style.height = (offsets[n] - offsets[end]) + "px";
      var nodes = [];
      for (var p = start; p < end; p++) nodes.push(rowNode(view[p]));
      list.replaceChildren.apply(list, nodes);
      if (focusIdx !== null) {
        var again = list.querySelector('.row[data-i="' + focusIdx + '"] > .row-head');
        if (again) again.focus({ preventScroll: true });
      }
      var changed = false;
      for (var q = 0; q < nodes.length; q++) {
        var idx = view[start + q], want = open.has(idx) ? nodes[q].offsetHeight : ROW_H;
        if ((heights.get(idx) || ROW_H) !== want) {
          if (want === ROW_H) heights.delete(idx); else heights.set(idx, want);
          changed = true;
        }
      }
      if (!changed) break;
      layout();
    }
  } finally { painting = false; }
}
function schedule() {
  if (queued) return;
  queued = true;
  requestAnimationFrame(function () { queued = false; paint(); });
}

/* Rows */
function rowNode(i) {
  var cached = cache.get(i);
  if (cached) return cached;
  var r = rows[i];
  var node = el("div", "row");
  node.setAttribute("role", "listitem");
  node.setAttribute("data-i", String(i));
  var labels = (r.c || []).map(function (c) { return c[0]; }).sort(labelCmp);
  if (r.e) node.classList.add("is-error");
  else if (labels.indexOf("SENSITIVE") >= 0) node.classList.add("is-sensitive");
  else if (labels.indexOf("WRITE") >= 0) node.classList.add("is-write");
  var head = el("button", "row-head");
  head.type = "button";
  head.setAttribute("aria-expanded", open.has(i) ? "true" : "false");
  head.appendChild(el("span", "chev", "\u203a"));
  head.appendChild(el("span", "t-time", fmtTime(r.t)));
  var sess = sessions[r.s] || { l: "?" };
  var sb = el("span");
  sb.appendChild(el("span", "sess sess-" + (r.s % 8), sess.l));
  head.appendChild(sb);
  head.appendChild(el("span", "t-dir", r.d === "c2s" ? "\u2192" : r.d === "s2c" ? "\u2190" : ""));
  var name = el("span", "t-name", inline(title(r), 80));
  if (r.n === undefined && !r.m) name.className = "t-name t-kind";
  head.appendChild(name);
  var badges = el("span", "t-badges");
  var seen = {}, tips = [];
  function badge(cls, text, tip) {
    var b = el("span", cls, text);
    b.title = tip;
    badges.appendChild(b);
    tips.push(tip);
  }
  if (r.st === "error") badge("badge error", "RPC ERROR", errorTypeText(r.et || ""));
  else if (r.st === "tool_error") badge("badge error", "TOOL ERROR", errorTypeText("tool_error"));
  else if (r.e) badge("badge error", "ERROR", r.k);
  if (r.pe !== undefined) badge("badge plugin", "PLUGIN FAILED", "a plugin failed on this event: its enrichment may be incomplete");
  labels.forEach(function (l) {
    if (seen[l]) return;
    seen[l] = 1;
    var from = (r.c || []).filter(function (c) { return c[0] === l; }).map(function (c) { return inline(c[1], 60); });
    badge(labelClass(l), inline(l, 16), inline(l, 40) + " from " + from.join(", "));
  });
  if (tips.length) badges.title = tips.join("\n");
  head.appendChild(badges);
  var pv = mark(el("span", "t-preview"), inline(preview(r), 240));
  var msg = errorMessage(r);
  if (msg) {
    pv.appendChild(document.createTextNode(" "));
    mark(pv.appendChild(el("span", "t-err")), "\u21d2 " + inline(msg, 200));
  }
  head.appendChild(pv);
  head.appendChild(el("span", "t-dur", r.st === "pending" ? "pending" : fmtDur(r.ms)));
  node.appendChild(head);
  if (open.has(i)) node.appendChild(detail(r));
  if (open.has(i)) node.classList.add("open");
  if (cache.size > 400) cache.clear();
  cache.set(i, node);
  return node;
}
function pre(text, cls) {
  var s = visible(text);
  var box = el("div");
  box.appendChild(mark(el("pre", cls || ""), s.length > MAX_PRE ? s.slice(0, MAX_PRE) : s));
  if (s.length > MAX_PRE) box.appendChild(el("div", "clip-note", "Showing the first " + MAX_PRE.toLocaleString("en-US") + " of " + s.length.toLocaleString("en-US") + " characters."));
  return box;
}
function pretty(v) {
  if (typeof v === "string") return v;
  try { return JSON.stringify(v, null, 2); } catch (e) { return String(v); }
}
function payload(box, heading, v, cls) {
  if (v === undefined) return;
  box.appendChild(el("h4", "", heading));
  if (isObj(v) && v.$truncated === true) {
    box.appendChild(el("div", "truncated", "Truncated by the proxy: " +
      Number(v.bytes).toLocaleString("en-US") + " bytes, SHA-256 " + inline(v.sha256, 80) + ". Preview:"));
    box.appendChild(pre(String(v.preview || ""), cls));
    return;
  }
  box.appendChild(pre(pretty(v), cls));
}
function meta(dl, k, v) {
  if (v === undefined || v === null || v === "") return;
  dl.appendChild(el("dt", "", k));
  dl.appendChild(el("dd", "", inline(String(v), 400)));
}
function detail(r) {
  var box = el("div", "detail");
  var dl = el("dl");
  var sess = sessions[r.s] || {};
  meta(dl, "Session", (sess.l || "") + " " + (sess.id || ""));
  meta(dl, "Seq", r.rq !== undefined ? r.q + " \u2192 " + r.rq : r.q);
  meta(dl, "Time", r.t);
  meta(dl, "Kind", r.k + (r.d ? " (" + (r.d === "c2s" ? "client \u2192 server" : "server \u2192 client") + ")" : ""));
  meta(dl, "Method", r.m);
  meta(dl, "Tool", r.n !== undefined ? tools[r.n] : undefined);
  meta(dl, "Duration", r.ms !== undefined ? fmtDur(r.ms) + " (" + r.ms + " ms)" : undefined);
  meta(dl, "Status", r.st === "error" || r.st === "tool_error" ? errorTypeText(r.et || (r.st === "tool_error" ? "tool_error" : "?"))
    : r.st ? r.st.replace("_", " ") : undefined);
  box.appendChild(dl);
  if (r.c && r.c.length) {
    box.appendChild(el("h4", "", "Classifications"));
    var cl = el("div", "cls-list");
    r.c.slice().sort(function (a, b) { return labelCmp(a[0], b[0]); }).forEach(function (c) {
      var line = el("div");
      line.appendChild(el("span", labelClass(c[0]), inline(c[0], 40)));
      line.appendChild(document.createTextNode(" from " + inline(c[1], 120)));
      cl.appendChild(line);
    });
    box.appendChild(cl);
  }
  if (r.en && r.en.length) {
    box.appendChild(el("h4", "", "Entities"));
    var wrap = el("div", "table-wrap");
    var t = el("table"), th = el("tr");
    ["Entity", "Path", "Source"].forEach(function (x) { th.appendChild(el("th", "", x)); });
    t.appendChild(th);
    r.en.forEach(function (e) {
      var en = ents[e[0]] || ["?", "?"], tr = el("tr"), td = el("td");
      var b = el("button", "ent");
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
      payload(box, "Arguments", r.p.arguments);
      var other = {}, more = false;
      Object.keys(r.p).forEach(function (k) { if (k !== "arguments" && k !== "name") { other[k] = r.p[k]; more = true; } });
      if (more) payload(box, "Other params", other);
    } else if (isObj(r.p) && r.p.$truncated === true && r.m === "tools/call") {
      payload(box, "Arguments", r.p);
    } else payload(box, "Params", r.p);
  }
  if (r.r !== undefined) {
    var content = isObj(r.r) && Array.isArray(r.r.content) ? r.r.content : null;
    var texts = content ? content.filter(function (c) { return isObj(c) && c.type === "text" && typeof c.text === "string"; }) : [];
    if (texts.length) {
      box.appendChild(el("h4", "", r.st === "tool_error" ? "Result text (tool error)" : "Result text"));
      texts.forEach(function (c) { box.appendChild(pre(c.text, r.st === "tool_error" ? "error" : "")); });
    }
    payload(box, texts.length ? "Result (JSON)" : "Result", r.r, r.st === "tool_error" && !texts.length ? "error" : "");
  }
  if (r.er !== undefined) payload(box, "Error", r.er, "error");
  if (r.x !== undefined) payload(box, "Event", r.x);
  if (r.pe !== undefined) payload(box, "Plugin failures (enrichment of this event may be incomplete)", r.pe, "plugin-failed");
  return box;
}
function toggle(i) {
  if (open.has(i)) { open.delete(i); heights.delete(i); } else open.add(i);
  cache.delete(i);
  layout();
  paint();
}

/* Controls */
function option(sel, value, text) {
  var o = el("option", "", text);
  o.value = String(value);
  sel.appendChild(o);
}
if (fSession) sessions.forEach(function (s, i) { option(fSession, i, s.l + " \u00b7 " + inline(s.id, 40)); });
tools.map(function (t, i) { return [t, i]; }).sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; })
  .forEach(function (p) { option(fTool, p[1], inline(p[0], 60)); });
var labelSet = {};
rows.forEach(function (r) { (r.c || []).forEach(function (c) { labelSet[c[0]] = 1; }); });
Object.keys(labelSet).sort(labelCmp).forEach(function (l) { option(fClass, l, inline(l, 40)); });
ents.map(function (e, i) { return [e[0] + ": " + e[1], i]; }).sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; })
  .forEach(function (p) { option(fEntity, p[1], inline(p[0], 70)); });

function readControls() {
  state.session = fSession ? Number(fSession.value) : -1;
  state.tool = Number(fTool.value);
  state.label = fClass.value;
  state.entity = Number(fEntity.value);
  state.errors = fErrors.checked;
  state.text = fText.value.trim().toLowerCase();
  applyFilters();
}
var textTimer = 0;
[fSession, fTool, fClass, fEntity, fErrors].forEach(function (c) { if (c) c.addEventListener("change", readControls); });
fText.addEventListener("input", function () { clearTimeout(textTimer); textTimer = setTimeout(readControls, 150); });
document.getElementById("filters").addEventListener("submit", function (ev) { ev.preventDefault(); readControls(); });
fClear.addEventListener("click", function () {
  if (fSession) fSession.value = "-1";
  fTool.value = "-1"; fClass.value = ""; fEntity.value = "-1"; fErrors.checked = false; fText.value = "";
  readControls();
});
function focusTimeline() {
  document.getElementById("timeline").scrollIntoView({ block: "start" });
}
document.addEventListener("click", function (ev) {
  var t = ev.target && ev.target.closest ? ev.target : null;
  if (!t) return;
  var ent = t.closest("button.ent");
  if (ent) {
    var e = Number(ent.getAttribute("data-e"));
    fEntity.value = String(state.entity === e && !list.contains(ent) ? -1 : e);
    readControls();
    focusTimeline();
    return;
  }
  var tf = t.closest("button.tool-filter");
  if (tf) {
    fTool.value = tf.getAttribute("data-t");
    readControls();
    focusTimeline();
    return;
  }
  var head = t.closest(".row-head");
  if (head && list.contains(head)) toggle(Number(head.parentNode.getAttribute("data-i")));
});
function focusRow(pos) {
  if (!view.length) return;
  pos = Math.max(0, Math.min(view.length - 1, pos));
  var y = offsets[pos], h = scroller.clientHeight;
  if (y < scroller.scrollTop) scroller.scrollTop = y;
  else if (offsets[pos + 1] > scroller.scrollTop + h) scroller.scrollTop = offsets[pos + 1] - h;
  paint();
  var n = list.querySelector('.row[data-i="' + view[pos] + '"] > .row-head');
  if (n) n.focus({ preventScroll: true });
}
list.addEventListener("keydown", function (ev) {
  var head = ev.target.closest ? ev.target.closest(".row-head") : null;
  if (!head || head.parentNode.parentNode !== list) return;
  var pos = view.indexOf(Number(head.parentNode.getAttribute("data-i")));
  var step = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }[ev.key];
  if (step) { ev.preventDefault(); focusRow(pos + step); }
  else if (ev.key === "Home") { ev.preventDefault(); focusRow(0); }
  else if (ev.key === "End") { ev.preventDefault(); focusRow(view.length - 1); }
});
scroller.addEventListener("scroll", schedule, { passive: true });
window.addEventListener("resize", schedule);
readControls();
document.documentElement.setAttribute("data-ready", "1");
})();
`;
