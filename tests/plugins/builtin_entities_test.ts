import assert from "node:assert/strict";
import { entitiesPlugin } from "../../plugins/entities.ts";
import { builtinEntities } from "../../plugins/_builtin_entities.ts";
import { parseConfig } from "../../lib/config/config.ts";

function scan(
  text: string,
  key: string | undefined,
  side: "args" | "result",
): string[] {
  const found: string[] = [];
  builtinEntities(text, key, side, {}, (t, v) => found.push(`${t}=${v}`));
  return found;
}

Deno.test("built-in extractors: paths, URLs and hosts, emails and SQL tables, each where it stands", () => {
  assert.deepEqual(scan("/etc/passwd", "path", "args"), ["path=/etc/passwd"]);
  assert.deepEqual(scan("notes/todo.md", "file_path", "args"), [
    "path=notes/todo.md",
  ]);
  assert.deepEqual(scan("C:\\Users\\me\\a.txt", "x", "args"), [
    "path=C:\\Users\\me\\a.txt",
  ]);
  assert.deepEqual(
    scan("[FILE] /srv/data/a.csv\n[DIR] /srv/data/old.", undefined, "result"),
    ["path=/srv/data/a.csv", "path=/srv/data/old"],
  );
  assert.deepEqual(
    scan("see https://api.example.com/v1/x?y=1, then stop.", "q", "args"),
    ["url=https://api.example.com/v1/x?y=1", "host=api.example.com"],
  );
  assert.deepEqual(scan("file:///tmp/a%20b.txt", undefined, "result"), [
    "path=/tmp/a b.txt",
  ]);
  assert.deepEqual(scan("db.internal.example", "host", "args"), [
    "host=db.internal.example",
  ]);
  assert.deepEqual(scan("Mail ann.lee+hr@corp.example.org.", "body", "args"), [
    "email=ann.lee+hr@corp.example.org",
  ]);
  assert.deepEqual(
    scan(
      "SELECT t.token, u.name FROM integration_tokens AS t JOIN public.\"users\" u ON u.id = t.owner -- from secrets\nWHERE note = 'from audit'",
      "sql",
      "args",
    ),
    ["table=integration_tokens", "table=public.users"],
  );
  assert.deepEqual(
    scan("INSERT INTO log (a) SELECT a FROM a1, a2 x", "query", "args"),
    ["table=log", "table=a1", "table=a2"],
  );
  assert.deepEqual(
    scan("DROP TABLE IF EXISTS tmp_x; UPDATE accounts SET a = 1", "q", "args"),
    ["table=tmp_x", "table=accounts"],
  );
});

Deno.test("built-in extractors stay silent on near-misses: and/or, fractions, bare words, @handles, SQL words in prose, SQL in results", () => {
  assert.deepEqual(scan("read and/or write 1/2 of it", "text", "args"), []);
  assert.deepEqual(scan("hello", "name", "args"), []);
  assert.deepEqual(scan("ask @ann or a@b", "body", "args"), []);
  assert.deepEqual(scan("user@localhost", "body", "args"), []);
  assert.deepEqual(scan("Pick one from the list", "text", "args"), []);
  assert.deepEqual(scan("SELECT * FROM t", "sql", "result"), []);
  assert.deepEqual(scan("a / b", undefined, "result"), []);
  assert.deepEqual(scan("not a host!", "host", "args"), []);
});

Deno.test("built-in extractors: on by default in the plugin, each switchable off, all off with false, and the config validates them", () => {
  const call = {
    name: "query",
    phase: "request" as const,
    arguments: { sql: "SELECT * FROM tickets", path: "/srv/t", to: "a@b.io" },
  };
  const context = { event: {} as never, classes: [], entities: [] };
  const types = (builtins?: false | Record<string, boolean>): string[] => {
    const found = entitiesPlugin({ idArguments: false, builtins })
      .onToolCall?.(call, context);
    return found && "entities" in found
      ? (found.entities ?? []).map((e) => `${e.type}=${e.value}`)
      : [];
  };
  assert.deepEqual(types(), ["table=tickets", "path=/srv/t", "email=a@b.io"]);
  assert.deepEqual(types({ table: false, email: false }), ["path=/srv/t"]);
  assert.deepEqual(types(false), []);
  assert.deepEqual(
    parseConfig(`{ "builtinEntities": { "url": false } }`, "c.jsonc")
      .builtinEntities,
    { url: false },
  );
  assert.throws(
    () => parseConfig(`{ "builtinEntities": { "ip": false } }`, "c.jsonc"),
    /c\.jsonc:1:\d+: .*builtinEntities/,
  );
});

Deno.test("built-in extractors read a hostile string once: 400 KB of a.a.a@ runs", () => {
  const text = "a.".repeat(50_000) + "@" + "b.".repeat(50_000) + "@";
  const hostile = text.repeat(2);
  const t0 = performance.now();
  const found = scan(hostile, "body", "args");
  const ms = performance.now() - t0;
  assert.ok(found.length <= 2, String(found.length));
  // No speed target: this fails only if the scan is quadratic (minutes).
  assert.ok(ms < 30_000);
});
