/**
 * The rule `path-outside-roots`: a tool call names a file path outside the
 * directories the server may touch: the roots the client gave in its
 * `roots/list` answer, or the filesystem server's allowed directories (its
 * `list_allowed_directories` result, or its command line). Medium when the
 * server refused the call (the agent tried), high when it did not (the call
 * reached outside).
 *
 * @module
 */
import type { Finding, FindingRule } from "./finding.ts";
import {
  normalPath,
  type RootsDeclaration,
  type SessionCalls,
} from "./session_calls.ts";

/** Whether `path` (normalised) is one of `roots` or inside one. */
function inside(path: string, roots: readonly string[]): boolean {
  return roots.some((r) =>
    path === r || path.startsWith(r === "/" ? r : `${r}/`)
  );
}

const SOURCE: Readonly<Record<RootsDeclaration["source"], string>> = {
  "roots/list": "the client's roots/list answer",
  "list_allowed_directories": "the server's list_allowed_directories result",
  "command": "the filesystem server's command line",
};

/**
 * Finds paths outside the allowed roots.
 *
 * @example
 * ```ts
 * import { pathOutsideRoots } from "./path_outside_roots.ts";
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const [s] = sessionCalls([
 *   { seq: 0, session: "s", kind: "session_start",
 *     command: ["npx", "@modelcontextprotocol/server-filesystem", "/srv/docs"] },
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "read_text_file",
 *     params: { name: "read_text_file", arguments: { path: "/srv/docs/../secrets/key" } },
 *     entities: [{ type: "path", value: "/srv/docs/../secrets/key", path: "arguments.path" }] },
 *   { seq: 2, session: "s", kind: "response", dir: "s2c", requestSeq: 1,
 *     result: { content: [{ type: "text", text: "Access denied" }], isError: true }, isError: true },
 * ]);
 * const [f] = pathOutsideRoots.find(s);
 * assert.deepEqual([f.severity, f.seqs, f.value], ["medium", [0, 1, 2], "/srv/docs/../secrets/key"]);
 * ```
 */
export const pathOutsideRoots: FindingRule = {
  id: "path-outside-roots",
  description:
    "a call names a path outside the allowed roots (the client's roots/list, the filesystem server's allowed directories); high when the call was not refused",
  find: function findPathOutsideRoots(session: SessionCalls): Finding[] {
    const declared = session.roots ?? [];
    if (declared.length === 0) return [];
    const findings: Finding[] = [];
    for (const call of session.calls) {
      let roots: RootsDeclaration | undefined;
      for (const d of declared) if (d.seq < call.requestSeq) roots = d;
      if (!roots || roots.roots.length === 0) continue;
      const outside = call.argumentEntities.filter((e) => {
        if (e.type !== "path") return false;
        const p = normalPath(e.value);
        return p !== undefined && !inside(p, roots!.roots);
      });
      if (outside.length === 0) continue;
      const names = outside.map((e) => `"${e.value}"`).join(", ");
      const allowed = roots.roots.join(", ");
      findings.push({
        rule: pathOutsideRoots.id,
        session: session.session,
        severity: call.failed ? "medium" : "high",
        title: call.failed
          ? `${call.tool} tried ${names}, outside the allowed roots`
          : `${call.tool} reached ${names}, outside the allowed roots`,
        explanation:
          `The call to ${call.tool} (seq ${call.requestSeq}) names ${names}, outside ${allowed} (${
            SOURCE[roots.source]
          }, seq ${roots.seq}). ${
            call.failed
              ? "The server refused it; an agent that reaches past its roots may be following instructions it found, or probing."
              : "The call was not refused: the server touched a path it was not given."
          }`,
        seqs: [
          roots.seq,
          call.requestSeq,
          ...(call.replySeq === undefined ? [] : [call.replySeq]),
        ],
        entities: outside,
        value: outside[0].value,
      });
    }
    return findings;
  },
};
