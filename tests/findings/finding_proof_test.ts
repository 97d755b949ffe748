/**
 * A finding handed over as evidence: `summary` and the report show, for
 * each finding, the `mcp-audit prove` command for its events (and its
 * logged `finding` event); run as shown, it writes their inclusion proofs
 * in one file that `verify-proof` checks with the public key, and fails
 * for an altered event or an empty list. The report also links that file
 * itself, to download from the page.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cliArgs, tempDir } from "../_helpers.ts";
import {
  FINDINGS_CONFIG,
  recordSession,
  type ScriptedTool,
  structured,
} from "./_proxy_session.ts";

const TOOLS: ScriptedTool[] = [
  { name: "get_employee", result: structured({ id: "E001", name: "Ada" }) },
  { name: "delete_employee" },
  { name: "update_employee" },
];

async function cli(
  args: string[],
  cwd?: string,
): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    cwd,
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

/** The words of a command line as `proveCommandLine` quotes them. */
function words(line: string): string[] {
  return [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replaceAll("'\\''", "'") : m[2]
  );
}

Deno.test("finding proof: the command summary and the report show proves the finding's events and its logged finding event; verify-proof checks them, and fails for an altered one", async () => {
  await using dir = await tempDir();
  const key = `${dir.path}/audit`;
  assert.equal((await cli(["keygen", "--out", key])).code, 0);
  // A space in the log's directory: the command must quote it.
  await Deno.mkdir(`${dir.path}/my logs`);
  const log = `${dir.path}/my logs/live.jsonl`;
  const config = {
    ...FINDINGS_CONFIG,
    liveFindings: true,
    signing: { key: `${key}.key` },
    policy: {
      mode: "enforce",
      rules: [{ id: "no-delete", tool: "delete_*", action: "deny" }],
    },
  };
  const events = await recordSession(
    TOOLS,
    [
      { tool: "get_employee", arguments: { id: "E001" } },
      { tool: "delete_employee", arguments: { id: "E001" } },
      { tool: "update_employee", arguments: { id: "E001", status: "left" } },
    ],
    log,
    config,
  );
  const logged = events.find((e) =>
    e.kind === "finding" && e.rule === "write-after-denial"
  );
  assert.ok(logged && logged.kind === "finding", "logged live");

  const summary = await cli(["summary", log, "--json"]);
  assert.equal(summary.code, 0, summary.err);
  const finding = JSON.parse(summary.out)[0].findings.find((
    f: { rule: string },
  ) => f.rule === "write-after-denial");
  assert.ok(finding, summary.out);
  assert.equal(finding.loggedSeq, logged.seq);
  const argv = words(finding.prove);
  assert.deepEqual(argv.slice(0, 3), ["mcp-audit", "prove", log]);
  const proved = [...finding.seqs, logged.seq].sort((a, b) => a - b);
  assert.equal(argv[argv.indexOf("--event") + 1], proved.join(","));
  const text = await cli(["summary", log]);
  assert.ok(text.out.includes(`prove: ${finding.prove}`), text.out);

  // The report shows the same command for the same finding.
  const html = `${dir.path}/r.html`;
  assert.equal((await cli(["report", log, "-o", html])).code, 0);
  const page = (await Deno.readTextFile(html)).replaceAll("&#39;", "'");
  assert.ok(page.includes(finding.prove), "the report shows the command");

  // Run as shown (in a directory of its own), it writes the proofs.
  const out = `${dir.path}/handover`;
  await Deno.mkdir(out);
  const prove = await cli(argv.slice(1), out);
  assert.equal(prove.code, 0, prove.err);
  const file = `${out}/${argv[argv.indexOf("-o") + 1]}`;
  const written = await Deno.readTextFile(file);
  const bundles = JSON.parse(written);
  assert.deepEqual(bundles.map((b: { seq: number }) => b.seq), proved);

  // The page's link downloads the same bytes, under the same name.
  const name = argv[argv.indexOf("-o") + 1];
  const link = page.match(
    new RegExp(
      `<a class="proof-download" href="data:application/json;base64,([A-Za-z0-9+/=]+)" download="${
        name.replaceAll(".", "\\.")
      }">`,
    ),
  );
  assert.ok(link, "the report links the finding's proofs");
  assert.equal(
    new TextDecoder().decode(Uint8Array.fromBase64(link[1])),
    written,
  );
  const downloaded = `${out}/downloaded.json`;
  await Deno.writeTextFile(
    downloaded,
    new TextDecoder().decode(Uint8Array.fromBase64(link[1])),
  );
  const checked = await cli([
    "verify-proof",
    downloaded,
    "--pubkey",
    `${key}.pub`,
  ]);
  assert.equal(checked.code, 0, checked.out + checked.err);
  const ok = await cli(["verify-proof", file, "--pubkey", `${key}.pub`]);
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.match(ok.out, new RegExp(`all ${proved.length} events are proved`));
  assert.equal(ok.out.match(/^VERIFIED: seq/gm)?.length, proved.length);
  assert.match(ok.out, new RegExp(`VERIFIED: seq ${logged.seq} \\(finding\\)`));

  // An altered event fails, and so does an empty list.
  bundles[1].event = bundles[1].event.replace('"seq":', '"seq": ');
  const altered = `${out}/altered.json`;
  await Deno.writeTextFile(altered, JSON.stringify(bundles));
  const bad = await cli(["verify-proof", altered, "--pubkey", `${key}.pub`]);
  assert.equal(bad.code, 1, bad.out);
  assert.match(bad.out, /FAIL: bundle 2: /);
  assert.match(bad.out, /FAILED: 1 of \d+ bundles do not prove their event/);
  const empty = `${out}/empty.json`;
  await Deno.writeTextFile(empty, "[]");
  const none = await cli(["verify-proof", empty, "--pubkey", `${key}.pub`]);
  assert.equal(none.code, 1, none.out);
  assert.match(none.out, /nothing to prove/);
});

Deno.test("prove --event takes seqs separated by commas, and names a bad one", async () => {
  await using dir = await tempDir();
  const bad = await cli(["prove", `${dir.path}/x.jsonl`, "--event", "3,x"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /seqs separated by commas \(3,4,9\), got "3,x"/);
});
