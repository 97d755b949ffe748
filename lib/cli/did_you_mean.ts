/**
 * Suggestions for mistyped flags and subcommands: the closest known name by
 * edit distance, where one is close enough to be what was meant.
 *
 * @module
 */

/**
 * Edits (insertions, deletions, substitutions, swaps of neighbours) that
 * turn `a` into `b`: the optimal string alignment distance.
 */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i === 0 ? j : i),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The known name closest to `word`, when it is within a third of the
 * word's length in edits (at least one), or starts with it; otherwise
 * `undefined`, so that a far-off guess suggests nothing.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./did_you_mean.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(didYouMean("lgo", ["log", "config", "quiet"]), "log");
 * assert.equal(didYouMean("reprot", ["proxy", "report", "verify"]), "report");
 * assert.equal(didYouMean("sign", ["signing-key", "seal"]), "signing-key");
 * assert.equal(didYouMean("zzz", ["log", "config"]), undefined);
 * ```
 */
export function didYouMean(
  word: string,
  known: readonly string[],
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = distance(word, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  if (
    best !== undefined &&
    bestDistance <= Math.max(1, Math.floor(word.length / 3))
  ) {
    return best;
  }
  return word.length >= 3
    ? known.find((name) => name.startsWith(word))
    : undefined;
}
