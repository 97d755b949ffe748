/**
 * The built-in extractors give the rules something to work with out of
 * the box: sessions recorded by the real proxy whose config declares no
 * extractor for paths, URLs, emails or tables.
 *
 * @module
 */
import assert from "node:assert/strict";
import { findFindings } from "../../lib/findings/find_findings.ts";
import { recordSession, structured, toolError } from "./_proxy_session.ts";

Deno.test("with no extractor configured, a delete of a path nothing read is a finding naming the path, and a failed read of an unseen path is one too", async () => {
  const events = await recordSession([
    { name: "delete_file" },
    { name: "read_file", result: toolError("ENOENT: no such file") },
  ], [
    { tool: "delete_file", arguments: { path: "/srv/notes/plan.md" } },
    { tool: "read_file", arguments: { path: "/srv/notes/ghost.md" } },
  ]);
  const call = events.find((e) =>
    e.kind === "request" && "tool" in e && e.tool === "delete_file"
  );
  assert.deepEqual(
    call && "entities" in call
      ? call.entities?.filter((e) => e.type === "path")
      : undefined,
    [{
      type: "path",
      value: "/srv/notes/plan.md",
      path: "arguments.path",
      source: "entities",
      tool: "delete_file",
    }],
  );
  const found = findFindings(events).map((f) =>
    `${f.rule} ${f.entities.map((e) => `${e.type}=${e.value}`).join(",")}`
  );
  assert.deepEqual(found.sort(), [
    "unconfirmed-write path=/srv/notes/plan.md",
    "unseen-identifier path=/srv/notes/ghost.md",
    "write-without-read path=/srv/notes/plan.md",
  ]);
});

Deno.test("near-miss: a path the agent listed before deleting it, and an email and table it was given, make no finding", async () => {
  const events = await recordSession([
    {
      name: "search_files",
      result: structured({ matches: "/srv/notes/plan.md\n/srv/notes/old.md" }),
    },
    { name: "delete_file" },
    { name: "lookup_sql", result: structured({ rows: [] }) },
  ], [
    { tool: "search_files", arguments: { pattern: "plan" } },
    { tool: "delete_file", arguments: { path: "/srv/notes/plan.md" } },
  ]);
  const types = new Set(
    events.flatMap((e) =>
      "entities" in e ? (e.entities ?? []).map((x) => x.type) : []
    ),
  );
  assert.ok(types.has("path"));
  assert.deepEqual(
    findFindings(events).filter((f) => f.rule === "write-without-read"),
    [],
  );
});
