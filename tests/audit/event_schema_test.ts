import assert from "node:assert/strict";
import { AuditEventSchema } from "../../lib/audit/event_schema.ts";
import { loadedModules as loadedFrom } from "../_module_graph.ts";

/** The modules `entry` (relative to this file) loads when run. */
async function loadedModules(entry: string): Promise<string[]> {
  return [...await loadedFrom(new URL(entry, import.meta.url).pathname)];
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
