/**
 * The rule `data-flow-out`: a value a SENSITIVE call returned turns up
 * later in the arguments of a call to another tool, whole or inside a
 * text. Only values unlikely to match by chance count (entity values,
 * redaction markers, strings of 12 characters or more, or 8 with a digit),
 * and not those the client itself sent before the sensitive answer came.
 *
 * @module
 */
import type { Finding, FindingEntity, FindingRule } from "./finding.ts";
import {
  isOutward,
  seenBefore,
  type SessionCalls,
  standsIn,
  stringLeaves,
  stringValues,
  tokenize,
  type ToolCall,
} from "./session_calls.ts";

/** A redaction marker, `[REDACTED:<type>:<hash>]`; its type is group 1. */
const MARKER = /\[REDACTED:([A-Za-z0-9_.:-]{1,64}):[0-9a-f]{6,64}\]/g;

/** Most values of one answer followed. */
const MAX_VALUES = 200;

interface Candidate extends FindingEntity {
  /** Where in the sensitive answer it was. */
  from: string;
}

/**
 * Finds values flowing from a SENSITIVE answer into another tool's arguments.
 *
 * @example
 * ```ts
 * import { dataFlowOut } from "./data_flow_out.ts";
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const [s] = sessionCalls([
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "get_pay",
 *     params: { name: "get_pay", arguments: {} }, classes: [{ label: "SENSITIVE" }] },
 *   { seq: 2, session: "s", kind: "response", dir: "s2c", requestSeq: 1,
 *     result: { structuredContent: { iban: "DE44500105175407324931" } } },
 *   { seq: 3, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "send_mail",
 *     params: { name: "send_mail", arguments: { body: "IBAN DE44500105175407324931" } },
 *     classes: [{ label: "WRITE" }] },
 * ]);
 * const [f] = dataFlowOut.find(s);
 * assert.equal(f.severity, "high");
 * assert.deepEqual(f.seqs, [2, 3]);
 * ```
 */
export const dataFlowOut: FindingRule = {
  id: "data-flow-out",
  description:
    "a value a SENSITIVE call returned appears later in the arguments of another tool",
  find: function findDataFlowOut(session: SessionCalls): Finding[] {
    const findings: Finding[] = [];
    let byWord: Map<string, number[]> | undefined;
    for (const source of session.calls) {
      if (!source.classes.has("SENSITIVE") || source.replySeq === undefined) {
        continue;
      }
      const replySeq = source.replySeq;
      const candidates = valuesOf(source).filter((c) =>
        !seenBefore(session, c.value, replySeq, "c2s")
      );
      if (candidates.length === 0) continue;
      byWord ??= argumentWords(session.calls);
      // Target call index -> the values found in its arguments, and where.
      const found = new Map<number, { c: Candidate; at: string }[]>();
      for (const c of candidates) {
        for (const i of callsWithWords(byWord, c.value)) {
          const target = session.calls[i];
          if (target.requestSeq <= replySeq || target.tool === source.tool) {
            continue;
          }
          const leaf = stringLeaves(target.arguments, "arguments").find((
            [, text],
          ) => contains(text, c.value));
          if (!leaf) continue;
          const hits = found.get(i) ?? [];
          hits.push({ c, at: leaf[0] });
          found.set(i, hits);
        }
      }
      for (const [i, hits] of [...found].sort((a, b) => a[0] - b[0])) {
        const target = session.calls[i];
        const outward = isOutward(target, session.hints.get(target.tool));
        const first = hits[0];
        const more = hits.length > 1 ? ` and ${hits.length - 1} more` : "";
        findings.push({
          rule: dataFlowOut.id,
          severity: outward ? "high" : "medium",
          title: `Data from ${source.tool} went into a call to ${target.tool}`,
          explanation: `${
            describe(first.c)
          }${more}, returned by the SENSITIVE call ${source.tool} (seq ${replySeq}, ${first.c.from}), appears in the arguments of ${target.tool} (seq ${target.requestSeq}, ${first.at}). ${
            outward
              ? `${target.tool} writes or reaches outside (${
                outwardWhy(target)
              }), so the data may have left.`
              : `${target.tool} is not known to write; check that it may see this data.`
          } The client had not sent this value itself before.`,
          session: session.session,
          seqs: [replySeq, target.requestSeq],
          entities: hits.map(({ c }) => ({ type: c.type, value: c.value })),
          value: first.c.value,
        });
      }
    }
    return findings;
  },
};

/** Word -> indices of the calls whose arguments hold it. */
function argumentWords(calls: readonly ToolCall[]): Map<string, number[]> {
  const index = new Map<string, number[]>();
  calls.forEach((call, i) => {
    for (const text of stringValues(call.arguments)) {
      for (const word of tokenize(text)) {
        const list = index.get(word);
        if (!list) index.set(word, [i]);
        else if (list[list.length - 1] !== i) list.push(i);
      }
    }
  });
  return index;
}

/** The calls whose arguments hold every word of `value`: the rarest word's list. */
function callsWithWords(index: Map<string, number[]>, value: string): number[] {
  let best: number[] | undefined;
  for (const word of tokenize(value)) {
    const list = index.get(word);
    if (!list) return [];
    if (!best || list.length < best.length) best = list;
  }
  return best ?? [];
}

/** The values of a sensitive answer worth following. */
function valuesOf(call: ToolCall): Candidate[] {
  const out: Candidate[] = [];
  const add = (c: Candidate) => {
    if (!out.some((o) => o.value === c.value)) out.push(c);
  };
  for (const [path, text] of answerLeaves(call.result)) {
    for (const m of text.matchAll(MARKER)) {
      add({ type: m[1], value: m[0], from: path });
    }
    // A text holding a marker is followed by its marker alone.
    const value = text.trim();
    if (value.includes("[REDACTED:")) continue;
    const entity = call.resultEntities.find((e) => e.value === value);
    if (entity) add({ ...entity, from: path });
    else if (value.length >= 12 || (value.length >= 8 && /\d/.test(value))) {
      add({ type: "text", value, from: path });
    }
  }
  for (const e of call.resultEntities) {
    if (e.value.length >= 2) add({ ...e, from: "result" });
  }
  // A huge answer is followed by its first values, to keep the rule linear.
  return out.slice(0, MAX_VALUES);
}

/** String leaves of a result: structured content, and text content (parsed when it is JSON). */
function answerLeaves(result: unknown): [string, string][] {
  const r = result as { structuredContent?: unknown; content?: unknown };
  if (r === null || typeof r !== "object") return [];
  const leaves = stringLeaves(r.structuredContent, "result.structuredContent");
  if (Array.isArray(r.content)) {
    r.content.forEach((c: { text?: unknown }, i: number) => {
      if (typeof c?.text !== "string") return;
      const path = `result.content[${i}].text`;
      // Only a text opening with `{` or `[` can parse to an object: others
      // are followed whole without the parse's throw, which on a
      // 100,000-event log was most of this rule's time.
      if (!JSON_OBJECT_START.test(c.text)) {
        leaves.push([path, c.text]);
        return;
      }
      try {
        const parsed = JSON.parse(c.text);
        if (parsed !== null && typeof parsed === "object") {
          leaves.push(...stringLeaves(parsed, path));
          return;
        }
      } catch {
        // Plain text: followed whole.
      }
      leaves.push([path, c.text]);
    });
  }
  return leaves;
}

const JSON_OBJECT_START = /^[ \t\n\r]*[{[]/;

/** Whether `text` holds `value`: whole, or inside it at word bounds (as the word index finds it). */
function contains(text: string, value: string): boolean {
  return text === value || standsIn(text, value);
}

function describe(c: Candidate): string {
  if (c.value.startsWith("[REDACTED:")) {
    return `A redacted ${c.type} (marker ${c.value}; the secret itself is not in the log)`;
  }
  return c.type === "text"
    ? `The text "${clip(c.value)}"`
    : `The ${c.type} "${clip(c.value)}"`;
}

function outwardWhy(call: ToolCall): string {
  const labels = ["WRITE", "DESTRUCTIVE", "OPEN_WORLD"].filter((l) =>
    call.classes.has(l)
  );
  return labels.length ? `classed ${labels.join(", ")}` : "per its annotations";
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
