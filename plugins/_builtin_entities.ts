/**
 * The `entities` plugin's built-in extractors, on with no config: file
 * paths, URLs and their hosts, email addresses, and SQL table names in
 * query arguments. Each is a hand-written scan that reads a string once
 * (no regular expression, so no input can make it slow), and each skips a
 * string without the one character it needs (`/`, `\`, `:`, `@`, a SQL
 * keyword's first letter) at the cost of one `indexOf`.
 *
 * @module
 */

/** Which built-in extractors run; each is on unless set to `false`. */
export interface BuiltinEntities {
  /** `path`: file paths in arguments (whole values, or under keys named like paths) and absolute paths in results. @default {true} */
  path?: boolean;
  /** `url` and `host`: URLs anywhere, and hosts under keys named `host`, `hostname` or `domain`. @default {true} */
  url?: boolean;
  /** `email`: email addresses anywhere. @default {true} */
  email?: boolean;
  /** `table`: table names in SQL text in arguments (FROM, JOIN, INTO, UPDATE, TABLE). @default {true} */
  table?: boolean;
}

/** Where a string was found: in the arguments or in the result. */
export type Side = "args" | "result";

/** Receives one entity: its type and value. */
export type Found = (type: string, value: string) => void;

const PATH_KEY =
  /(?:^|_|-)(?:path|file|filename|dir|directory|folder|source|destination|dest|target|root)s?$|(?:Path|File|Dir|Directory|Folder)s?$/i;
const HOST_KEY = /^(?:host|hostname|domain|server_?name)$/i;
const SQL_KEY = /^(?:sql|query|statement|stmt)$|(?:_sql|Sql|_query|Query)$/i;
const SQL_START =
  /^\s*(?:select|insert|update|delete|with|create|drop|alter|truncate|merge|replace|explain)\b/i;
const MAX_TEXT = 1 << 20;

/**
 * Runs the built-in extractors that `on` enables over one string.
 *
 * @example
 * ```ts
 * import { builtinEntities } from "./_builtin_entities.ts";
 * import assert from "node:assert/strict";
 *
 * const found: string[] = [];
 * builtinEntities("SELECT * FROM tokens WHERE owner = 'a@b.io'", "query", "args",
 *   {}, (type, value) => found.push(`${type}=${value}`));
 * assert.deepEqual(found, ["email=a@b.io", "table=tokens"]);
 * ```
 */
export function builtinEntities(
  text: string,
  key: string | undefined,
  side: Side,
  on: BuiltinEntities,
  found: Found,
): void {
  if (text.length === 0 || text.length > MAX_TEXT) return;
  if (on.path !== false) paths(text, key, side, found);
  if (on.url !== false) {
    urls(text, found);
    if (key !== undefined && HOST_KEY.test(key) && isHost(text)) {
      found("host", text.toLowerCase());
    }
  }
  if (on.email !== false) emails(text, found);
  if (on.table !== false && side === "args") tables(text, key, found);
}

function paths(
  text: string,
  key: string | undefined,
  side: Side,
  found: Found,
): void {
  if (side === "args") {
    if (text.length > 4096 || text.includes("\n") || text.includes("://")) {
      return;
    }
    const named = key !== undefined && PATH_KEY.test(key);
    if (named || looksLikePath(text)) found("path", text);
    return;
  }
  // Results: absolute paths standing as words, as listings print them.
  for (let i = text.indexOf("/"); i !== -1; i = text.indexOf("/", i + 1)) {
    const before = i === 0 ? " " : text[i - 1];
    if (!" \t\n\r\"'(`[:=".includes(before)) continue;
    if (before === ":" && text[i + 1] === "/") continue;
    let end = i + 1, letters = 0;
    while (end < text.length && PATH_CHAR.test(text[end])) {
      if (/[A-Za-z]/.test(text[end])) letters++;
      end++;
    }
    while (end > i + 1 && ".,;:".includes(text[end - 1])) end--;
    if (letters > 0 && end - i >= 3) found("path", text.slice(i, end));
    i = end - 1;
  }
}

const PATH_CHAR = /[\w.\-~@+%/]/;

/** Absolute (`/x`, `~/x`, `C:\x`) or explicitly relative (`./x`, `../x`) with no spaces at the ends. */
function looksLikePath(text: string): boolean {
  if (text !== text.trim() || text.length < 2) return false;
  if (text[0] === "/") return text.length >= 2 && /[\w.~]/.test(text[1]);
  if (text.startsWith("~/") || text.startsWith("./")) return true;
  if (text.startsWith("../")) return true;
  return /^[A-Za-z]:[\\/]/.test(text);
}

function urls(text: string, found: Found): void {
  for (
    let i = text.indexOf("://");
    i !== -1;
    i = text.indexOf("://", i + 3)
  ) {
    let start = i;
    while (start > 0 && /[A-Za-z0-9+.-]/.test(text[start - 1])) start--;
    while (start < i && !/[A-Za-z]/.test(text[start])) start++;
    if (start === i) continue;
    let end = i + 3;
    while (end < text.length && !/[\s"'<>`\\{}|^]/.test(text[end])) end++;
    while (end > i + 3 && ".,;:!?)]".includes(text[end - 1])) end--;
    const raw = text.slice(start, end);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      continue;
    }
    if (url.protocol === "file:") {
      if (url.pathname.length > 1) {
        found("path", decodeURIComponent(url.pathname));
      }
    } else {
      found("url", raw);
      if (url.hostname) found("host", url.hostname);
    }
    i = end - 3;
  }
}

function isHost(text: string): boolean {
  return text.length <= 253 &&
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/
      .test(text);
}

const LOCAL = /[A-Za-z0-9._%+-]/;
const DOMAIN = /[A-Za-z0-9.-]/;

function emails(text: string, found: Found): void {
  // Each expansion stops at the next `@`, so the text is read about once.
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    let start = at;
    while (start > 0 && LOCAL.test(text[start - 1])) start--;
    while (start < at && text[start] === ".") start++;
    if (start === at) continue;
    let end = at + 1;
    while (end < text.length && DOMAIN.test(text[end])) end++;
    while (end > at + 1 && (text[end - 1] === "." || text[end - 1] === "-")) {
      end--;
    }
    const domain = text.slice(at + 1, end);
    const dot = domain.lastIndexOf(".");
    if (dot <= 0 || !/^[A-Za-z]{2,}$/.test(domain.slice(dot + 1))) continue;
    if (domain.includes("..")) continue;
    found("email", text.slice(start, end));
    at = end - 1;
  }
}

function tables(text: string, key: string | undefined, found: Found): void {
  const named = key !== undefined && SQL_KEY.test(key);
  if (!named && !SQL_START.test(text)) return;
  const words = sqlTokens(text);
  for (let i = 0; i < words.length; i++) {
    const w = words[i].toLowerCase();
    let next = i + 1;
    if (w === "table") {
      // CREATE/DROP/ALTER/TRUNCATE TABLE [IF [NOT] EXISTS] name
      while (/^(?:if|not|exists)$/i.test(words[next] ?? "")) next++;
    } else if (w === "update" || w === "into" || w === "join") {
      // one name follows
    } else if (w === "from") {
      // FROM a [AS] x, b [AS] y
      for (;;) {
        const name = tableName(words[next]);
        if (name === undefined) break;
        found("table", name);
        next++;
        if (/^as$/i.test(words[next] ?? "")) next += 2;
        else if (
          words[next] && tableName(words[next]) &&
          !KEYWORDS.has(words[next].toLowerCase())
        ) next++;
        if (words[next] !== ",") break;
        next++;
      }
      continue;
    } else continue;
    const name = tableName(words[next]);
    if (name !== undefined) found("table", name);
  }
}

const KEYWORDS = new Set([
  "select",
  "where",
  "join",
  "inner",
  "left",
  "right",
  "full",
  "outer",
  "cross",
  "on",
  "group",
  "order",
  "limit",
  "offset",
  "union",
  "having",
  "natural",
  "using",
  "set",
  "values",
  "returning",
  "lateral",
  "as",
  "with",
]);

/** A token that names a table (quotes taken off), or undefined for a keyword, `(` or punctuation. */
function tableName(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const parts = token.split(".");
  const bare = parts.map((p) => p.replace(/^["`[](.*)["`\]]$/, "$1"));
  if (!bare.every((p) => /^[A-Za-z_][\w$]*$/.test(p))) return undefined;
  if (parts.length === 1 && KEYWORDS.has(bare[0].toLowerCase())) {
    return undefined;
  }
  return bare.join(".");
}

/** Words, quoted identifiers, `,` and `(` of SQL text; string literals and comments left out. */
function sqlTokens(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length && out.length < 10_000) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      i = end === -1 ? text.length : end + 1;
    } else if (c === "-" && text[i + 1] === "-") {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end + 1;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? text.length : end + 2;
    } else if (c === "," || c === "(" || c === ")" || c === ";") {
      out.push(c);
      i++;
    } else if (/[\w"`[$.]/.test(c)) {
      let end = i;
      while (end < text.length) {
        const d = text[end];
        if (d === '"' || d === "`" || d === "[") {
          const close = text.indexOf(d === "[" ? "]" : d, end + 1);
          end = close === -1 ? text.length : close + 1;
        } else if (/[\w$.]/.test(d)) end++;
        else break;
      }
      out.push(text.slice(i, end));
      i = end;
    } else i++;
  }
  return out;
}
