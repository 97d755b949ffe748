/**
 * A session as the finding rules read it: its tool calls (each request
 * joined with its reply by `requestSeq`; a 2026-07-28 logical call of
 * several requests, its `input_required` retries and `tasks/get` polls
 * named by `call`, is one call with its final outcome), the tools' annotations from
 * `tools/list`, and what every message said, for "was this value seen
 * before?". Events are read loosely: anything that is not an object with a
 * `session` and a numeric `seq` is passed over, so any log that parses works.
 * An MCP call that a hook saw (`mcp__server__tool`) and the proxy saw too,
 * in the events read together, is a call of the proxy's session only
 * (lib/audit/mcp_link.ts): the hook's session keeps its messages, for
 * "seen before?", but not the call, so no finding is made twice.
 *
 * @module
 */
import type { FindingEntity } from "./finding.ts";
import { linkMcpCalls, type McpLinks } from "../audit/mcp_link.ts";
import { GUARD_ASK_ID } from "../audit/event.ts";

type Rec = Record<string, unknown>;

/** One `tools/call`, request and reply. */
export interface ToolCall {
  /** The tool's name. */
  tool: string;
  /** Seq of the request. */
  requestSeq: number;
  /** Seq of the reply, when one was logged. */
  replySeq?: number;
  /** `params.arguments` of the request. */
  arguments: unknown;
  /** `result` of a response. */
  result?: unknown;
  /** The reply was a JSON-RPC error or a result with `isError`. */
  failed: boolean;
  /** The reply found nothing: no content, empty text, a zero count or only empty lists. */
  empty: boolean;
  /** Class labels of the request and reply, upper case (shared between calls: never changed). */
  classes: ReadonlySet<string>;
  /** Entities found in the arguments. */
  argumentEntities: FindingEntity[];
  /** Entities found in the reply. */
  resultEntities: FindingEntity[];
}

/** What a tool's `tools/list` annotations said. */
export interface ToolHints {
  /** The tool does not change its environment. */
  readOnlyHint?: boolean;
  /** The tool may destroy or overwrite. */
  destructiveHint?: boolean;
  /** The tool reaches beyond the server's own systems. */
  openWorldHint?: boolean;
}

/** A message event in brief: who sent it and its payload as JSON text. */
export interface SessionMessage {
  /** The event's seq. */
  seq: number;
  /** Who sent it: the client (`c2s`) or the server (`s2c`). */
  dir: "c2s" | "s2c";
  /** `params`, `result` or `error` as JSON text. */
  text: string;
}

/**
 * A message that holds its payload, not its text: the text is made when
 * asked for. The word index reads each text once, and keeps none of them
 * (over a 100,000-event log the texts were 15 MB of the sessions' 40 MB,
 * while the exact scans read one message in all); a text read otherwise
 * (an exact scan, a plugin's rule) is kept.
 */
class PayloadMessage implements SessionMessage {
  readonly seq: number;
  readonly dir: "c2s" | "s2c";
  readonly #payload: unknown;
  #text: string | undefined;

  constructor(seq: number, dir: "c2s" | "s2c", payload: unknown) {
    this.seq = seq;
    this.dir = dir;
    this.#payload = payload;
  }

  get text(): string {
    return this.#text ??= json(this.#payload);
  }

  /** The text, not kept when it was not already. */
  passingText(): string {
    return this.#text ?? json(this.#payload);
  }
}

/** One session, ready for the rules. */
export interface SessionCalls {
  /** The session id. */
  session: string;
  /** Tool calls in request order. */
  calls: ToolCall[];
  /** Every message of the session in seq order. */
  messages: SessionMessage[];
  /** Tool name -> its annotations, from `tools/list` answers. */
  hints: Map<string, ToolHints>;
  /** The scopes the client declared in `_meta["mcp-audit/scope"]` of its requests, in seq order. */
  scopes?: ScopeDeclaration[];
  /** The guard's denials (`decision` events that blocked a request, or would have in monitor mode), in seq order. */
  denials?: Denial[];
  /** What a user confirmed in the session (accepted elicitations, guard approvals), in seq order. */
  confirmations?: Confirmation[];
  /** Whether the client declared the `elicitation` capability in `initialize` (undefined when no initialize was logged). */
  elicitation?: boolean;
  /** The `tool_change` events (definitions that differ from their pins), in seq order. */
  toolChanges?: ToolChange[];
  /** The allowed roots the session declared, in seq order; the last before a call holds for it. */
  roots?: RootsDeclaration[];
}

/**
 * Directories a server may touch: the client's `roots/list` answer, the
 * filesystem server's `list_allowed_directories` result, or the
 * directories on the filesystem server's command line.
 */
export interface RootsDeclaration {
  /** Seq of the event that declared them (`session_start` for the command line). */
  seq: number;
  /** Where they came from. */
  source: "roots/list" | "list_allowed_directories" | "command";
  /** Absolute paths, without a trailing slash. */
  roots: string[];
}

/** Tool definitions a `tools/list` answer changed against the pins. */
export interface ToolChange {
  /** Seq of the `tool_change` event. */
  seq: number;
  /** Tools whose definition changed. */
  changed: string[];
  /** Tools that were not pinned. */
  added: string[];
  /** Whether the changed and added tools were hidden and their calls denied. */
  enforced: boolean;
}

/**
 * A user's yes in the log: the client's `accept` answer to a server's
 * `elicitation/create` (or, in the 2026-07-28 era, a retry whose
 * `inputResponses` accept), or a guard `ask` the user accepted.
 */
export interface Confirmation {
  /** Seq of the event that holds the answer. */
  seq: number;
  /** For a guard approval: the seq of the request it approved. */
  requestSeq?: number;
}

/** A request the guard denied (or would have, in monitor mode). */
export interface Denial {
  /** Seq of the `decision` event. */
  seq: number;
  /** Seq of the request decided on. */
  requestSeq?: number;
  /** The tool, for `tools/call`. */
  tool?: string;
  /** The policy rule that matched, when one did. */
  rule?: string;
}

/** A scope the client declared: entity type -> the values inside it. */
export interface ScopeDeclaration {
  /** Seq of the request whose `_meta` declared it. */
  seq: number;
  /** Entity type -> allowed values, e.g. `{ department: ["Engineering"] }`. */
  scope: Record<string, string[]>;
}

/** The `_meta` key under which a client declares the session's scope. */
export const SCOPE_META_KEY = "mcp-audit/scope";

/**
 * Splits events into sessions and joins each `tools/call` with its reply;
 * `links` (by default linked here) names the hook-seen calls the proxy
 * also logged, which count as the proxy's.
 *
 * @example
 * ```ts
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const [s] = sessionCalls([
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "get",
 *     params: { name: "get", arguments: { id: "E9" } },
 *     entities: [{ type: "employee", value: "E9", path: "arguments.id" }] },
 *   { seq: 2, session: "s", kind: "response", dir: "s2c", requestSeq: 1,
 *     result: { content: [], isError: true }, isError: true },
 * ]);
 * assert.equal(s.calls[0].failed, true);
 * assert.deepEqual(s.calls[0].argumentEntities, [{ type: "employee", value: "E9" }]);
 * assert.deepEqual(s.messages.map((m) => m.dir), ["c2s", "s2c"]);
 * ```
 */
export function sessionCalls(
  events: readonly unknown[],
  links: McpLinks = linkMcpCalls(events),
): SessionCalls[] {
  const builder = new SessionCallsBuilder(links);
  builder.add(events);
  return builder.sessions();
}

/** A session being built, with its requests by seq. */
interface SessionState {
  s: SessionCalls;
  /** Seq of a request -> its call, until its reply. */
  pending: Map<number, ToolCall>;
  /** Seq of a tools/call request -> its call, for later rounds. */
  firsts: Map<number, ToolCall>;
  /** Seqs of the server's `elicitation/create` requests not answered yet. */
  elicitations: Set<number>;
}

/**
 * Builds the sessions from events given a part at a time, as live findings
 * take them: each {@linkcode SessionCallsBuilder.add} takes the events
 * that came since the last, and {@linkcode SessionCallsBuilder.sessions}
 * gives the sessions over every event so far, as
 * {@linkcode sessionCalls} would over them all (a call whose reply came in
 * a later part is joined with it). The work on an event is done once, not
 * again at each run of the rules. Hook-seen calls are not linked to the
 * proxy's (a live session holds one side only, never both).
 *
 * @example
 * ```ts
 * import { SessionCallsBuilder } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const builder = new SessionCallsBuilder();
 * builder.add([{ seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call",
 *   tool: "get", params: { name: "get", arguments: { id: "E9" } } }]);
 * assert.equal(builder.sessions()[0].calls[0].replySeq, undefined);
 * builder.add([{ seq: 2, session: "s", kind: "error", dir: "s2c", requestSeq: 1, error: { code: -1 } }]);
 * assert.equal(builder.sessions()[0].calls[0].failed, true);
 * ```
 */
export class SessionCallsBuilder {
  /** Each session, with what joins its calls, keyed by seq (within a session, a number is a key). */
  #sessions = new Map<string, SessionState>();
  #links: McpLinks | undefined;
  #classSets = new Map<string, ReadonlySet<string>>();
  /** A class set and the labels an event brought (as they came) -> the set with them. */
  #mixes = new Map<ReadonlySet<string>, Map<string, ReadonlySet<string>>>();
  /** Entity type -> value -> the one object for it. */
  #entityObjects = new Map<string, Map<string, FindingEntity>>();

  /** A builder; `links` names the hook-seen calls to leave to the proxy's. */
  constructor(links?: McpLinks) {
    this.#links = links;
  }

  /** Takes the next events (any parsed log lines, in log order). */
  add(events: readonly unknown[]): void {
    for (const item of events) {
      const e = rec(item);
      if (!e || typeof e.session !== "string" || typeof e.seq !== "number") {
        continue;
      }
      let state = this.#sessions.get(e.session);
      if (!state) {
        state = {
          s: { session: e.session, calls: [], messages: [], hints: new Map() },
          pending: new Map(),
          firsts: new Map(),
          elicitations: new Set(),
        };
        this.#sessions.set(e.session, state);
      }
      const { s, pending, firsts } = state;
      const kind = e.kind;
      if (
        kind === "decision" && e.action === "ask" &&
        e.approval === "accepted" && typeof e.requestSeq === "number"
      ) {
        (s.confirmations ??= []).push({
          seq: e.seq,
          requestSeq: e.requestSeq,
        });
        continue;
      }
      if (
        kind === "decision" &&
        (e.outcome === "blocked" || e.action === "deny" || e.action === "hide")
      ) {
        (s.denials ??= []).push({
          seq: e.seq,
          ...(typeof e.requestSeq === "number" && { requestSeq: e.requestSeq }),
          ...(typeof e.tool === "string" && { tool: e.tool }),
          ...(typeof e.rule === "string" && { rule: e.rule }),
        });
        continue;
      }
      if (kind === "tool_change") {
        const names = (v: unknown): string[] =>
          Array.isArray(v)
            ? v.map((c) => typeof c === "string" ? c : rec(c)?.tool).filter((
              t,
            ): t is string => typeof t === "string")
            : [];
        (s.toolChanges ??= []).push({
          seq: e.seq,
          changed: names(e.changed),
          added: names(e.added),
          enforced: e.enforced === true,
        });
        continue;
      }
      if (kind === "session_start") {
        const roots = commandRoots(e.command);
        if (roots.length > 0) {
          (s.roots ??= []).push({ seq: e.seq, source: "command", roots });
        }
        continue;
      }
      if (
        kind !== "request" && kind !== "response" && kind !== "error" &&
        kind !== "notification"
      ) continue;
      if (kind === "response" && e.dir === "c2s") {
        const listed = rec(e.result)?.roots;
        if (Array.isArray(listed)) {
          const roots = listed.map((r) => fileUriPath(rec(r)?.uri)).filter((
            p,
          ): p is string => p !== undefined);
          (s.roots ??= []).push({ seq: e.seq, source: "roots/list", roots });
        }
      }
      const dir = e.dir === "s2c" ? "s2c" : "c2s";
      const payload = kind === "response"
        ? e.result
        : kind === "error"
        ? e.error
        : e.params;
      s.messages.push(new PayloadMessage(e.seq, dir, payload));
      if (dir === "c2s" && kind !== "response" && kind !== "error") {
        const declared = scopeOf(rec(rec(e.params)?._meta)?.[SCOPE_META_KEY]);
        if (declared) (s.scopes ??= []).push({ seq: e.seq, scope: declared });
        if (e.method === "initialize") {
          s.elicitation =
            rec(rec(e.params)?.capabilities)?.elicitation !== undefined;
        }
        if (accepts(rec(e.params)?.inputResponses)) {
          (s.confirmations ??= []).push({ seq: e.seq });
        }
      }
      if (
        kind === "request" && dir === "s2c" &&
        e.method === "elicitation/create" && !isGuardAsk(e.id)
      ) {
        state.elicitations.add(e.seq);
      } else if (
        kind === "response" && dir === "c2s" &&
        typeof e.requestSeq === "number" &&
        state.elicitations.delete(e.requestSeq) &&
        rec(e.result)?.action === "accept"
      ) {
        (s.confirmations ??= []).push({ seq: e.seq });
      }
      const first = kind === "request" ? rec(e.call)?.seq : undefined;
      const logical = typeof first === "number" ? firsts.get(first) : undefined;
      if (logical) {
        // A later round of a call already counted: its reply decides the call.
        pending.set(e.seq, logical);
        logical.classes = this.#classes(logical.classes, e.classes);
      } else if (
        kind === "request" && e.method === "tools/call" &&
        !this.#links?.isHookSide(e)
      ) {
        const params = rec(e.params);
        const call: ToolCall = {
          tool: typeof e.tool === "string"
            ? e.tool
            : String(params?.name ?? "(unnamed)"),
          requestSeq: e.seq,
          arguments: params?.arguments,
          failed: false,
          empty: false,
          classes: this.#classes(NO_CLASSES, e.classes),
          argumentEntities: this.#entities(e.entities, "arguments"),
          resultEntities: [],
        };
        s.calls.push(call);
        pending.set(e.seq, call);
        firsts.set(e.seq, call);
      } else if (kind === "response" || kind === "error") {
        if (e.method === "tools/list" && kind === "response") {
          readHints(s.hints, e.result);
        }
        const key = e.requestSeq;
        const call = typeof key === "number" ? pending.get(key) : undefined;
        if (!call) continue;
        pending.delete(key as number);
        call.replySeq = e.seq;
        call.classes = this.#classes(call.classes, e.classes);
        const found = this.#entities(e.entities, "");
        if (found.length > 0) call.resultEntities.push(...found);
        const r = rec(e.result);
        if (kind === "error") call.failed = true;
        else if (
          r?.resultType === "input_required" || r?.resultType === "task" ||
          e.taskStatus === "working" || e.taskStatus === "input_required"
        ) {
          // An interim reply: the call goes on in a later round.
        } else if (typeof e.taskStatus === "string") {
          // A finished task: its result is the call's.
          call.result = r?.result;
          call.failed = r?.status === "failed" ||
            rec(r?.result)?.isError === true;
          call.empty = r?.status === "completed" && foundNothing(r?.result);
        } else {
          call.result = e.result;
          call.failed = e.isError === true || r?.isError === true;
          call.empty = foundNothing(e.result);
          if (call.tool === "list_allowed_directories" && !call.failed) {
            const roots = allowedDirectories(e.result);
            if (roots.length > 0) {
              (s.roots ??= []).push({
                seq: e.seq,
                source: "list_allowed_directories",
                roots,
              });
            }
          }
        }
      }
    }
  }

  /**
   * `had` with the labels of `classes` added: one set for each mix of
   * labels, shared by the calls that have it (over a 100,000-event log a
   * set per call was 8 MB).
   */
  #classes(had: ReadonlySet<string>, classes: unknown): ReadonlySet<string> {
    if (!Array.isArray(classes) || classes.length === 0) return had;
    // Most events bring the labels another event brought to the same set:
    // the mix is looked up by the set and the labels as they came.
    let labels = "";
    for (const c of classes) {
      const label = rec(c)?.label;
      if (typeof label === "string") labels += `${label}\u0000`;
    }
    if (labels === "") return had;
    let known = this.#mixes.get(had);
    if (known === undefined) this.#mixes.set(had, known = new Map());
    const seen = known.get(labels);
    if (seen !== undefined) return seen;
    const mix = new Set(had);
    for (const c of classes) {
      const label = rec(c)?.label;
      if (typeof label === "string") mix.add(label.toUpperCase());
    }
    let shared: ReadonlySet<string> = had;
    if (mix.size !== had.size) {
      const key = [...mix].sort().join("\u0000");
      shared = this.#classSets.get(key) ?? mix;
      this.#classSets.set(key, shared);
    }
    known.set(labels, shared);
    return shared;
  }

  /** The entities of an event under `under`, each type and value one object for the session's calls. */
  #entities(list: unknown, under: string): FindingEntity[] {
    const out = entities(list, under);
    for (let i = 0; i < out.length; i++) {
      let values = this.#entityObjects.get(out[i].type);
      if (values === undefined) {
        this.#entityObjects.set(out[i].type, values = new Map());
      }
      const shared = values.get(out[i].value);
      if (shared === undefined) values.set(out[i].value, out[i]);
      else out[i] = shared;
    }
    return out;
  }

  /**
   * The sessions so far, in the order they began: new objects at each
   * call (a rule may key what it works out on one), over lists that later
   * events extend.
   */
  sessions(): SessionCalls[] {
    return [...this.#sessions.values()].map(({ s }) => ({ ...s }));
  }
}

/**
 * Whether `value` occurs in a message of the session before `seq`, from
 * either side or only from `dir`. It counts where it stands as a whole:
 * `E003` is not in `E0031` (an end of the value that is a letter, digit,
 * `_` or `-` may not touch another such character).
 *
 * @example
 * ```ts
 * import { seenBefore } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const s = { session: "s", calls: [], hints: new Map(),
 *   messages: [{ seq: 1, dir: "s2c" as const, text: '{"id":"E1","n":"E20"}' }] };
 * assert.equal(seenBefore(s, "E1", 2), true);
 * assert.equal(seenBefore(s, "E2", 2), false);
 * assert.equal(seenBefore(s, "E1", 1), false);
 * assert.equal(seenBefore(s, "E1", 2, "c2s"), false);
 * ```
 */
export function seenBefore(
  session: SessionCalls,
  value: string,
  seq: number,
  dir?: "c2s" | "s2c",
): boolean {
  // JSON text escapes quotes and backslashes; look for the value as it is written there.
  const written = json(value).slice(1, -1);
  // A value standing whole in a text brings its words whole: the word
  // index rules most values out without a scan, and the exact scan starts
  // where the last of its words first appeared. Without it each question
  // would read the whole session, quadratic over a long log.
  const words = tokenize(written);
  let from = -Infinity;
  if (words.length > 0) {
    const index = wordIndex(session);
    for (const word of words) {
      const first = index.get(word);
      const at = first === undefined
        ? undefined
        : dir === "c2s"
        ? first[0]
        : dir === "s2c"
        ? first[1]
        : Math.min(first[0], first[1]);
      if (at === undefined || at >= seq) return false;
      if (at > from) from = at;
    }
  }
  const messages = session.messages;
  for (let i = firstAtOrAfter(messages, from); i < messages.length; i++) {
    const m = messages[i];
    if (m.seq >= seq) break;
    if (dir !== undefined && m.dir !== dir) continue;
    if (standsIn(m.text, written)) return true;
  }
  return false;
}

/**
 * Whether `written` occurs in `text` with no word character glued to an end
 * of it that is a word character.
 *
 * @example
 * ```ts
 * import { standsIn } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(standsIn("id E003.", "E003"), true);
 * assert.equal(standsIn("E0031 E003", "E003"), true);
 * assert.equal(standsIn("E0031", "E003"), false);
 * ```
 */
export function standsIn(text: string, written: string): boolean {
  if (written === "") return true;
  const head = isWord(written[0]), tail = isWord(written[written.length - 1]);
  for (
    let i = text.indexOf(written);
    i !== -1;
    i = text.indexOf(written, i + 1)
  ) {
    if (head && isWord(text[i - 1])) continue;
    if (tail && isWord(text[i + written.length])) continue;
    return true;
  }
  return false;
}

function isWord(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}_-]/u.test(c);
}

/**
 * The words of a text: runs of letters, digits, `_` and `-`. Any text
 * that holds a value holds its words.
 *
 * @example
 * ```ts
 * import { tokenize } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(tokenize('{"id":"E003","note":"[REDACTED:email:1a2b]"}'),
 *   ["id", "E003", "note", "REDACTED", "email", "1a2b"]);
 * ```
 */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  forEachWord(text, (word) => words.push(word));
  return words;
}

/**
 * Calls `found` with each run of /[\p{L}\p{N}_-]+/gu in `text`, in order,
 * without building an array of them (the word index's use: over a
 * 100,000-event log the arrays were a third of its time).
 */
function forEachWord(text: string, found: (word: string) => void): void {
  // The runs are scanned by hand: ASCII (most of a log) is looked up in a
  // table, and only other characters ask the Unicode pattern, which over
  // every character was most of the word index's time on a 100,000-event
  // log. tests/findings/seen_before_test.ts checks the two agree on random
  // text.
  let start = -1;
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    let word: boolean;
    let size = 1;
    if (c < 128) word = ASCII_WORD[c] === 1;
    else {
      const cp = text.codePointAt(i)!;
      if (cp > 0xffff) size = 2;
      word = WORD_CHAR.test(String.fromCodePoint(cp));
    }
    if (word) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      found(text.slice(start, i));
      start = -1;
    }
    i += size;
  }
  if (start >= 0) found(text.slice(start));
}

const WORD_CHAR = /^[\p{L}\p{N}_-]$/u;
/** 1 for the ASCII characters of a word: letters, digits, `_` and `-`. */
const ASCII_WORD = Uint8Array.from(
  { length: 128 },
  (_, c) => WORD_CHAR.test(String.fromCharCode(c)) ? 1 : 0,
);

/** A session's word index, and how many of its messages it holds. */
interface WordIndex {
  words: Map<string, [number, number]>;
  indexed: number;
}

// Keyed by the list of messages, which the session's later events extend
// (see SessionCallsBuilder): the index then takes only the new messages.
const wordIndexes = new WeakMap<SessionMessage[], WordIndex>();

/** Word -> the seq of the first c2s and s2c message holding it (Infinity when none). */
function wordIndex(session: SessionCalls): Map<string, [number, number]> {
  const messages = session.messages;
  let index = wordIndexes.get(messages);
  if (index === undefined) {
    index = { words: new Map(), indexed: 0 };
    wordIndexes.set(messages, index);
  }
  const words = index.words;
  let side: 0 | 1 = 0, seq = 0;
  const note = (word: string): void => {
    let first = words.get(word);
    if (!first) {
      first = [Infinity, Infinity];
      words.set(word, first);
    }
    if (first[side] === Infinity) first[side] = seq;
  };
  for (; index.indexed < messages.length; index.indexed++) {
    const m = messages[index.indexed];
    side = m.dir === "c2s" ? 0 : 1;
    seq = m.seq;
    forEachWord(
      m instanceof PayloadMessage ? m.passingText() : m.text,
      note,
    );
  }
  return words;
}

/** Index of the first message whose seq is `seq` or later (messages are in seq order). */
function firstAtOrAfter(messages: SessionMessage[], seq: number): number {
  let lo = 0, hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (messages[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The string leaves of a value with their paths, strings inside text
 * content parsed as JSON when they are JSON.
 *
 * @example
 * ```ts
 * import { stringLeaves } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(stringLeaves({ a: ["x", { b: "y" }], n: 1 }), [["a[0]", "x"], ["a[1].b", "y"]]);
 * ```
 */
export function stringLeaves(value: unknown, path = ""): [string, string][] {
  const out: [string, string][] = [];
  walk(value, path, out, 0);
  return out;
}

function walk(
  value: unknown,
  path: string,
  out: [string, string][],
  depth: number,
): void {
  if (depth > 32) return;
  if (typeof value === "string") out.push([path, value]);
  else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, out, depth + 1));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      walk(v, path ? `${path}.${k}` : k, out, depth + 1);
    }
  }
}

/**
 * The string leaves of a value without their paths, in the order
 * {@linkcode stringLeaves} gives them: for rules that read only the
 * texts, which then build no path strings.
 *
 * @example
 * ```ts
 * import { stringValues } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(stringValues({ a: ["x", { b: "y" }], n: 1 }), ["x", "y"]);
 * ```
 */
export function stringValues(value: unknown): string[] {
  const out: string[] = [];
  walkValues(value, out, 0);
  return out;
}

function walkValues(value: unknown, out: string[], depth: number): void {
  if (depth > 32) return;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      walkValues(value[i], out, depth + 1);
    }
  } else if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) walkValues(v, out, depth + 1);
  }
}

/**
 * Whether a call writes or reaches outside the session's systems: classed
 * WRITE, DESTRUCTIVE or OPEN_WORLD, or annotated `openWorldHint: true` or
 * `readOnlyHint: false` by its server.
 *
 * @example
 * ```ts
 * import { isOutward, type ToolCall } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const call = { classes: new Set(["READ"]) as ReadonlySet<string> } as ToolCall;
 * assert.equal(isOutward(call, undefined), false);
 * assert.equal(isOutward(call, { openWorldHint: true }), true);
 * ```
 */
export function isOutward(
  call: ToolCall,
  hints: ToolHints | undefined,
): boolean {
  return call.classes.has("WRITE") || call.classes.has("DESTRUCTIVE") ||
    call.classes.has("OPEN_WORLD") || hints?.openWorldHint === true ||
    hints?.readOnlyHint === false;
}

function readHints(hints: Map<string, ToolHints>, result: unknown): void {
  const tools = rec(result)?.tools;
  if (!Array.isArray(tools)) return;
  for (const t of tools) {
    const name = rec(t)?.name;
    const a = rec(rec(t)?.annotations);
    if (typeof name !== "string" || !a) continue;
    const h: ToolHints = {};
    for (
      const k of ["readOnlyHint", "destructiveHint", "openWorldHint"] as const
    ) {
      if (typeof a[k] === "boolean") h[k] = a[k] as boolean;
    }
    hints.set(name, h);
  }
}

function foundNothing(result: unknown): boolean {
  const r = rec(result);
  if (!r) return result === undefined || result === null;
  const structured = rec(r.structuredContent);
  if (structured) {
    if (structured.count === 0 || structured.total === 0) return true;
    const lists = Object.values(structured).filter(Array.isArray);
    if (
      lists.length > 0 && lists.length === Object.keys(structured).length &&
      lists.every((l) => l.length === 0)
    ) return true;
    return false;
  }
  if (!Array.isArray(r.content)) return false;
  return r.content.every((c) => {
    const text = rec(c)?.text;
    return rec(c)?.type === "text" && typeof text === "string" &&
      text.trim() === "";
  });
}

/**
 * A declared scope in the form the rules read, or undefined when `value`
 * is not an object of strings or string lists.
 *
 * @example
 * ```ts
 * import { scopeOf } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(scopeOf({ department: "Engineering", region: ["EU", "UK"] }),
 *   { department: ["Engineering"], region: ["EU", "UK"] });
 * assert.equal(scopeOf("Engineering"), undefined);
 * ```
 */
export function scopeOf(value: unknown): Record<string, string[]> | undefined {
  const r = rec(value);
  if (!r) return undefined;
  const out: Record<string, string[]> = {};
  for (const [type, v] of Object.entries(r)) {
    const values = typeof v === "string"
      ? [v]
      : Array.isArray(v) && v.every((x) => typeof x === "string")
      ? v as string[]
      : undefined;
    if (values) out[type] = values;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const NO_CLASSES: ReadonlySet<string> = new Set();

/**
 * Whether an `elicitation/create` id is the guard's own (`ask`): its
 * answer is the guard's to judge, and its `decision` event says how.
 */
function isGuardAsk(id: unknown): boolean {
  return typeof id === "string" && id.startsWith(GUARD_ASK_ID);
}

/** Whether a retry's `inputResponses` hold an accepted elicitation. */
function accepts(responses: unknown): boolean {
  const r = rec(responses);
  if (!r) return false;
  return Object.values(r).some((v) =>
    rec(v)?.action === "accept" || rec(rec(v)?.result)?.action === "accept"
  );
}

function entities(list: unknown, under: string): FindingEntity[] {
  const out: FindingEntity[] = [];
  if (!Array.isArray(list)) return out;
  for (const x of list) {
    const r = rec(x);
    if (typeof r?.type !== "string" || typeof r.value !== "string") continue;
    const path = typeof r.path === "string" ? r.path : "";
    if (under && !path.startsWith(under)) continue;
    if (out.some((o) => o.type === r.type && o.value === r.value)) continue;
    out.push({ type: r.type, value: r.value });
  }
  return out;
}

function rec(value: unknown): Rec | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Rec
    : undefined;
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}

/**
 * An absolute POSIX path without `.`, `..`, doubled or trailing slashes;
 * undefined for a relative one.
 *
 * @example
 * ```ts
 * import { normalPath } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(normalPath("/srv/root/../etc//passwd"), "/srv/etc/passwd");
 * assert.equal(normalPath("notes.md"), undefined);
 * ```
 */
export function normalPath(path: string): string | undefined {
  if (!path.startsWith("/")) return undefined;
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** The path of a `file:` URI, normalised. */
function fileUriPath(uri: unknown): string | undefined {
  if (typeof uri !== "string" || !uri.startsWith("file://")) return undefined;
  try {
    return normalPath(decodeURIComponent(new URL(uri).pathname));
  } catch {
    return undefined;
  }
}

/** The directories on the filesystem server's command line (the absolute paths after its package or script name). */
function commandRoots(command: unknown): string[] {
  if (!Array.isArray(command)) return [];
  const at = command.findIndex((w) =>
    typeof w === "string" && /server-filesystem/.test(w)
  );
  if (at < 0) return [];
  return command.slice(at + 1).flatMap((w) => {
    const p = typeof w === "string" ? normalPath(w) : undefined;
    return p === undefined ? [] : [p];
  });
}

/** The directories a `list_allowed_directories` result names, one a line after its heading. */
function allowedDirectories(result: unknown): string[] {
  const content = rec(result)?.content;
  if (!Array.isArray(content)) return [];
  const text = content.map((c) => rec(c)?.text).filter((t) =>
    typeof t === "string"
  ).join("\n");
  return text.split("\n").flatMap((line) => {
    const p = normalPath(line.trim());
    return p === undefined ? [] : [p];
  });
}
