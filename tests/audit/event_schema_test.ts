import assert from "node:assert/strict";
import { AuditEventSchema } from "../../lib/audit/event_schema.ts";

/** The modules `entry` loads when run: code dependencies, static and dynamic (`import type` is not loaded). */
async function loadedModules(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success, `deno info ${entry}`);
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
  return [...seen];
}

Deno.test("the proxy's modules load no zod: the event interfaces are apart from their schemas", async () => {
  const zod = (s: string): boolean => /[/:]zod@/.test(s);
  const proxy = await loadedModules("../../lib/proxy/proxy.ts");
  assert.ok(proxy.some((s) => s.endsWith("/lib/audit/correlator.ts")));
  assert.deepEqual(proxy.filter(zod), []);
  assert.deepEqual(
    proxy.filter((s) => s.endsWith("/lib/audit/event_schema.ts")),
    [],
  );
  assert.deepEqual(
    (await loadedModules("../../lib/audit/event.ts")).filter(zod),
    [],
  );
  // The walk does see zod where it is loaded.
  assert.ok(
    (await loadedModules("../../lib/audit/event_schema.ts")).some(zod),
  );
});

Deno.test("a response event with a truncated error payload is valid; one without its id is not", () => {
  const reply = {
    v: 1,
    seq: 4,
    ts: "2026-01-01T00:00:00Z",
    session: "s",
    kind: "error",
    dir: "s2c",
    bytes: 900_000,
    id: 7,
    error: { $truncated: true, bytes: 900_000, sha256: "ab", preview: "{" },
  };
  assert.equal(AuditEventSchema.parse(reply).kind, "error");
  const { id: _, ...withoutId } = reply;
  const result = AuditEventSchema.safeParse(withoutId);
  assert.equal(result.success, false);
  if (!result.success) assert.deepEqual(result.error.issues[0].path, ["id"]);
});
