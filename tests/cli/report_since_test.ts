/**
 * `mcp-audit report --since` over a log directory the real proxy wrote:
 * one report of every matching session, narrowed by client.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tempDir } from "../_helpers.ts";
import { LIVE_CONFIG, liveProxy, runCli } from "./_live_proxy.ts";

async function sessionIds(logs: string): Promise<Map<string, string>> {
  const listed = await runCli(["sessions", "--dir", logs, "--json"]);
  const rows: { session: string; client: string }[] = JSON.parse(
    listed.stdout,
  );
  return new Map(rows.map((r) => [r.client, r.session]));
}

Deno.test("report --since renders every session of the directory in one report; --client narrows it; none matching is exit 4", async () => {
  await using dir = await tempDir();
  const logs = `${dir.path}/logs`;
  const config = `${dir.path}/mcp-audit.json`;
  await Deno.writeTextFile(config, JSON.stringify(LIVE_CONFIG));
  for (const client of ["alpha", "beta"]) {
    await using proxy = await liveProxy(logs, config, [], client);
    await proxy.call("get_pay", { id: client === "alpha" ? "E001" : "E002" });
  }
  const ids = await sessionIds(logs);
  const all = `${dir.path}/all.html`;
  const both = await runCli([
    "report",
    "--since",
    "1h",
    "--dir",
    logs,
    "-o",
    all,
  ]);
  assert.equal(both.code, 0, both.stderr);
  assert.match(both.stdout, /from 2 log\(s\)\); verified, unsigned/);
  const html = await Deno.readTextFile(all);
  assert.ok(
    html.includes(ids.get("alpha")!) && html.includes(ids.get("beta")!),
  );

  const one = `${dir.path}/beta.html`;
  const beta = await runCli([
    "report",
    "--since",
    "1h",
    "--client",
    "beta",
    "--dir",
    logs,
    "-o",
    one,
  ]);
  assert.equal(beta.code, 0, beta.stderr);
  assert.match(beta.stdout, /from 1 log\(s\)/);
  const betaHtml = await Deno.readTextFile(one);
  assert.ok(betaHtml.includes(ids.get("beta")!));
  assert.ok(!betaHtml.includes(ids.get("alpha")!));

  const none = await runCli([
    "report",
    "--since",
    "1h",
    "--server",
    "nothing-like-it",
    "--dir",
    logs,
    "-o",
    `${dir.path}/none.html`,
  ]);
  assert.equal(none.code, 4);
  assert.match(none.stderr, /no session in .* matches/);
  await assert.rejects(Deno.stat(`${dir.path}/none.html`));
});
