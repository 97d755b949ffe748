/**
 * The sessions in a log directory, as groups of files: each session's log
 * and, when it was rotated, its later parts (`a.jsonl`, `a.2.jsonl`, ...).
 * What `sessions`, `tail` and `report --since` list before reading.
 *
 * @module
 */
import { NoLogFoundError } from "./log_path.ts";

const PART = /^(.*)\.(\d+)\.jsonl$/;

/**
 * Every log in `dir`, each with its rotated parts in order, sorted by the
 * first file's name (names start with the session's start time). A part
 * whose first file is gone is a log of its own. Throws
 * {@linkcode NoLogFoundError} when `dir` cannot be read.
 *
 * @example
 * ```ts
 * import { sessionFiles } from "./session_files.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * for (const name of ["b.jsonl", "a.jsonl", "a.10.jsonl", "a.2.jsonl", "c.2.jsonl", "notes.txt"]) {
 *   await Deno.writeTextFile(`${dir}/${name}`, "");
 * }
 * assert.deepEqual(await sessionFiles(dir), [
 *   [`${dir}/a.jsonl`, `${dir}/a.2.jsonl`, `${dir}/a.10.jsonl`],
 *   [`${dir}/b.jsonl`],
 *   [`${dir}/c.2.jsonl`],
 * ]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function sessionFiles(dir: string): Promise<string[][]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".jsonl")) names.push(entry.name);
    }
  } catch (error) {
    throw new NoLogFoundError(dir, { cause: error });
  }
  const present = new Set(names);
  const groups = new Map<string, { n: number; name: string }[]>();
  for (const name of names) {
    const m = PART.exec(name);
    if (m && present.has(`${m[1]}.jsonl`)) {
      const list = groups.get(m[1]) ?? [];
      list.push({ n: Number(m[2]), name });
      groups.set(m[1], list);
    } else {
      const base = name.slice(0, -".jsonl".length);
      const list = groups.get(base) ?? [];
      list.push({ n: 1, name });
      groups.set(base, list);
    }
  }
  const sep = dir.includes("\\") && !dir.includes("/") ? "\\" : "/";
  return [...groups.keys()].sort().map((base) =>
    groups.get(base)!.sort((a, b) => a.n - b.n).map(({ name }) =>
      `${dir}${sep}${name}`
    )
  );
}
