/**
 * The modules a file loads when it runs, read from `deno info --json`:
 * for tests that hold the start-up cost of an entry point (what the proxy
 * or the API may load) to account.
 *
 * @module
 */
import assert from "node:assert/strict";

/**
 * The specifiers `path` loads when run: code dependencies, static and
 * dynamic, followed from it (`import type` is erased, so not loaded).
 */
export async function loadedModules(path: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", path],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success, `deno info ${path}`);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string } }[];
    }[];
  };
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    const specifier = todo.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of modules.get(specifier)?.dependencies ?? []) {
      if (dep.code) todo.push(dep.code.specifier);
    }
  }
  return seen;
}
