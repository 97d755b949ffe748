/**
 * A unified diff of two texts, for `wrap --dry-run`: the longest common
 * subsequence of their lines, shown with three lines of context.
 *
 * @module
 */

/**
 * The unified diff of `before` and `after` (empty when equal).
 *
 * @example
 * ```ts
 * import { unifiedDiff } from "./_unified_diff.ts";
 * import assert from "node:assert/strict";
 *
 * const diff = unifiedDiff("a\nb\nc\n", "a\nB\nc\n", "f.json");
 * assert.equal(diff, "--- f.json\n+++ f.json\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
 * ```
 */
export function unifiedDiff(
  before: string,
  after: string,
  name: string,
  context = 3,
): string {
  if (before === after) return "";
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.at(-1) === "" && b.at(-1) === "") {
    a.pop();
    b.pop();
  }
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs: Uint32Array[] = Array.from(
    { length: a.length + 1 },
    () => new Uint32Array(b.length + 1),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j]
        ? lcs[i + 1][j + 1] + 1
        : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  type Op = { kind: " " | "-" | "+"; text: string; ai: number; bi: number };
  const ops: Op[] = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ kind: " ", text: a[i], ai: i++, bi: j++ });
    } else if (
      i < a.length && (j >= b.length || lcs[i + 1][j] >= lcs[i][j + 1])
    ) {
      ops.push({ kind: "-", text: a[i], ai: i++, bi: j });
    } else {
      ops.push({ kind: "+", text: b[j], ai: i, bi: j++ });
    }
  }
  const out = [`--- ${name}`, `+++ ${name}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k].kind === " ") {
      k++;
      continue;
    }
    let start = Math.max(0, k - context);
    let end = k;
    // Extend the hunk while changes are within 2*context lines of each other.
    while (end < ops.length) {
      if (ops[end].kind !== " ") {
        end++;
        continue;
      }
      let run = end;
      while (run < ops.length && ops[run].kind === " ") run++;
      if (run < ops.length && run - end <= 2 * context) end = run;
      else {
        end = Math.min(ops.length, end + context);
        break;
      }
    }
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.kind !== "+").length;
    const bCount = hunk.filter((o) => o.kind !== "-").length;
    const aStart = hunk[0].ai + (aCount > 0 ? 1 : 0);
    const bStart = hunk[0].bi + (bCount > 0 ? 1 : 0);
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.text}`);
    k = end;
    start = end;
  }
  return out.join("\n") + "\n";
}
