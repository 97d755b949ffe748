/**
 * A plugin's own finding rule (`examples/plugins/outside_host.ts`,
 * written with the plugin kit alone), run by `summary`, `check` and
 * `report` when the config names the plugin, on sessions the real proxy
 * recorded with that config.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cliArgs, tempDir } from "../_helpers.ts";
import { FINDINGS_CONFIG, recordSession } from "./_proxy_session.ts";

const PLUGIN = new URL(
  "../../examples/plugins/outside_host.ts",
  import.meta.url,
).pathname;

/** {@linkcode FINDINGS_CONFIG} with the example plugin after the built-ins, and `findings` settings when given. */
function pluginConfig(findings?: unknown): Record<string, unknown> {
  return {
    ...FINDINGS_CONFIG,
    plugins: [
      ...FINDINGS_CONFIG.plugins,
      { use: PLUGIN, options: { domains: ["example.com"] } },
    ],
    ...(findings === undefined ? {} : { findings }),
  };
}

async function cli(
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: o.code,
    out: new TextDecoder().decode(o.stdout),
    err: new TextDecoder().decode(o.stderr),
  };
}

const SEND = [{ name: "send_webhook" }, { name: "get_status" }];

Deno.test("a plugin's finding rule: summary --json lists it, check --fail-on finding:<its id> fails on it, the report shows it; without the plugin the id is unknown", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.json`;
  const plain = `${dir.path}/plain.json`;
  await Deno.writeTextFile(config, JSON.stringify(pluginConfig()));
  await Deno.writeTextFile(plain, JSON.stringify(FINDINGS_CONFIG));
  const log = `${dir.path}/out.jsonl`;
  const events = await recordSession(
    SEND,
    [
      {
        tool: "send_webhook",
        arguments: { url: "https://hooks.example.com/in", body: "hi" },
      },
      { tool: "get_status", arguments: { note: "see https://rival.test/x" } },
      {
        tool: "send_webhook",
        arguments: { url: "https://Rival.test/collect", body: "figures" },
      },
    ],
    log,
    pluginConfig(),
  );
  const external = events.find((e) =>
    e.kind === "request" && JSON.stringify(e.params ?? null).includes(
      "https://Rival.test/collect",
    )
  )!;
  assert.ok(external, "the proxy logged the outside post");

  // summary --json: exactly one finding of the plugin's rule, on the outside post only.
  const summary = await cli(["summary", log, "--json", "--config", config]);
  assert.equal(summary.code, 0, summary.err);
  const [session] = JSON.parse(summary.out);
  const mine = session.findings.filter((f: { rule: string }) =>
    f.rule === "outside-host"
  );
  assert.deepEqual(
    mine.map((f: Record<string, unknown>) => [
      f.severity,
      f.seqs,
      f.entities,
      f.value,
    ]),
    [[
      "high",
      [external.seq, external.seq + 1],
      [{ type: "host", value: "rival.test" }],
      "rival.test",
    ]],
  );
  const text = await cli(["summary", log, "--config", config]);
  assert.match(
    text.out,
    /high {3}outside-host: send_webhook sent to rival\.test, outside example\.com/,
  );
  // Without the plugin, summary has no such finding.
  const without = await cli(["summary", log, "--json", "--config", plain]);
  assert.equal(without.code, 0, without.err);
  assert.ok(
    !JSON.parse(without.out)[0].findings.some((f: { rule: string }) =>
      f.rule === "outside-host"
    ),
  );

  // check gates on the plugin's rule id, and on its severity.
  for (const failOn of ["finding:outside-host", "finding:high"]) {
    const r = await cli([
      "check",
      log,
      "--fail-on",
      failOn,
      "--config",
      config,
    ]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(
      r.out,
      new RegExp(
        `seq ${external.seq}, request, tool send_webhook: high outside-host: send_webhook sent to rival\\.test`,
      ),
    );
  }
  // The config's findings section applies to a plugin's rule as to a built-in.
  const off = `${dir.path}/off.json`;
  await Deno.writeTextFile(
    off,
    JSON.stringify(pluginConfig({ "outside-host": false })),
  );
  const offCheck = await cli([
    "check",
    log,
    "--fail-on",
    "finding:outside-host",
    "--config",
    off,
  ]);
  assert.equal(offCheck.code, 0, offCheck.out + offCheck.err);
  // Without the plugin, its rule id is a usage error rather than a pass.
  const unknown = await cli([
    "check",
    log,
    "--fail-on",
    "finding:outside-host",
    "--config",
    plain,
  ]);
  assert.equal(unknown.code, 2, unknown.out + unknown.err);
  assert.match(unknown.err, /Unknown finding .*"finding:outside-host"/);

  // The report's Findings section shows it, with its title.
  const html = `${dir.path}/report.html`;
  const report = await cli(["report", log, "-o", html, "--config", config]);
  assert.equal(report.code, 0, report.err);
  const page = await Deno.readTextFile(html);
  assert.match(page, /data-rule="outside-host"/);
  assert.match(
    page,
    /send_webhook sent to rival\.test, outside example\.com/,
  );
  const plainHtml = `${dir.path}/plain.html`;
  await cli(["report", log, "-o", plainHtml, "--config", plain]);
  assert.doesNotMatch(
    await Deno.readTextFile(plainHtml),
    /data-rule="outside-host"/,
  );
});

Deno.test("a plugin's finding rule stays silent on a session that writes only inside its domains, and check passes", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/mcp-audit.json`;
  await Deno.writeTextFile(config, JSON.stringify(pluginConfig()));
  const log = `${dir.path}/in.jsonl`;
  await recordSession(
    SEND,
    [
      { tool: "send_webhook", arguments: { url: "https://example.com/a" } },
      { tool: "send_webhook", arguments: { url: "http://hr.example.com/b" } },
      // Not a WRITE call: an external address here is no finding.
      { tool: "get_status", arguments: { q: "https://rival.test" } },
    ],
    log,
    pluginConfig(),
  );
  const r = await cli([
    "check",
    log,
    "--fail-on",
    "finding:outside-host",
    "--config",
    config,
  ]);
  assert.equal(r.code, 0, r.out + r.err);
  const summary = await cli(["summary", log, "--json", "--config", config]);
  assert.deepEqual(
    JSON.parse(summary.out)[0].findings.filter((f: { rule: string }) =>
      f.rule === "outside-host"
    ),
    [],
  );
});
