/**
 * Input for the hostile-text benchmark: `tools/call` lines whose one
 * argument is a long string, benign (words) or shaped to make a
 * backtracking regular expression take time quadratic or worse in its
 * length, sized to stay under the proxy's parse limit (512 KiB) so that
 * the plugins read the whole string.
 *
 * @module
 */
import type { Workload } from "./_workload.ts";

/** The string shapes: `benign`, and what made the audit stall. */
export type Shape = "benign" | "email" | "secrets";

/** A string of `length` characters of the given shape. */
function text(shape: Shape, length: number): string {
  const fill = (unit: string): string =>
    unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
  if (shape === "email") {
    // The shape of issue 15: a.a.a.…@b.b.b.…1, no address in it.
    const half = Math.floor((length - 2) / 4) * 2;
    return ("a.".repeat(half / 2) + "@" + "b.".repeat(half / 2) + "1")
      .padEnd(length, "c");
  }
  if (shape === "secrets") {
    // Prefixes of the secret patterns again and again, none completed.
    return fill(
      "eyJabcdefgh sk-ant-abc -----BEGIN A PRIVATE KEY----- Bearer ab xoxb-1 ",
    );
  }
  return fill("the quarterly ledger review for employee 42 is in draft ");
}

/**
 * `count` `tools/call` lines, each with a string argument of `length`
 * characters of `shape`.
 *
 * @example
 * ```ts
 * import { hostileMessages } from "./_hostile.ts";
 * import assert from "node:assert/strict";
 *
 * const w = hostileMessages("email", 2, 1000);
 * const [line] = new TextDecoder().decode([...w.chunks()][0]).split("\n");
 * assert.match(JSON.parse(line).params.arguments.text, /^a\.a\..*@b\.b\./);
 * assert.equal(w.messages, 2);
 * ```
 */
export function hostileMessages(
  shape: Shape,
  count: number,
  length: number,
): Workload {
  const encoder = new TextEncoder();
  const lines = Array.from({ length: count }, (_, id) =>
    encoder.encode(
      JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: {
          name: "write_note",
          arguments: { text: text(shape, length) },
        },
      }) + "\n",
    ));
  return {
    bytes: lines.reduce((n, l) => n + l.length, 0),
    messages: count,
    *chunks(): Iterable<Uint8Array> {
      yield* lines;
    },
  };
}
