/**
 * `mcp-audit report` says whether the log can be trusted: it verifies what
 * it renders with `verify`'s own code, on real sealed logs recorded through
 * the proxy, and shows the verdict at the top of the page.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tempDir } from "../_helpers.ts";
import { cli, embeddedRows, recordSession } from "./_sealed_session.ts";

/** The verdict section of a page: its state and its text. */
function verdict(html: string): { state: string; text: string } {
  const m = html.match(
    /<section id="integrity" data-state="([a-z_]+)"[^>]*>([\s\S]*?)<\/section>/,
  );
  assert.ok(m, "the page has the verdict section");
  assert.ok(
    html.indexOf('id="integrity"') < html.indexOf('id="summary"'),
    "the verdict comes before the summary",
  );
  return { state: m[1], text: m[2].replace(/<[^>]+>/g, "") };
}

Deno.test("`report` on a signed log: verified and signed with the key's fingerprint given --pubkey, signed but not checked without it", async () => {
  await using dir = await tempDir();
  assert.equal((await cli(["keygen", "--out", "k"], dir.path)).code, 0);
  await recordSession(`${dir.path}/s.jsonl`, {
    texts: ["alpha", "bravo", "charlie"],
    proxyArgs: ["--signing-key", `${dir.path}/k.key`],
  });
  const keyId = JSON.parse(
    (await cli(["verify", "--json", "--pubkey", "k.pub", "s.jsonl"], dir.path))
      .stdout,
  ).keyId;
  assert.match(keyId, /^[0-9a-f]{64}$/);

  const checked = await cli(
    ["report", "s.jsonl", "--pubkey", "k.pub", "-o", "checked.html"],
    dir.path,
  );
  assert.equal(checked.code, 0, checked.stderr);
  assert.match(
    checked.stdout,
    new RegExp(`verified and signed \\(key ${keyId}\\)`),
  );
  const signed = verdict(await Deno.readTextFile(`${dir.path}/checked.html`));
  assert.equal(signed.state, "signed");
  assert.match(signed.text, /Verified and signed/);
  assert.ok(signed.text.includes(keyId), "the page names the key id");

  const unchecked = await cli(["report", "s.jsonl", "-o", "u.html"], dir.path);
  assert.equal(unchecked.code, 0, unchecked.stderr);
  const notChecked = verdict(await Deno.readTextFile(`${dir.path}/u.html`));
  assert.equal(notChecked.state, "signature_not_checked");
  assert.match(notChecked.text, /signed, signature not checked/);
  assert.match(notChecked.text, /--pubkey FILE/);

  // Another key: the checkpoints are not signed by it, as verify says.
  assert.equal((await cli(["keygen", "--out", "other"], dir.path)).code, 0);
  const wrong = await cli(
    ["report", "s.jsonl", "--pubkey", "other.pub", "-o", "w.html"],
    dir.path,
  );
  assert.equal(wrong.code, 1);
  assert.equal(
    verdict(await Deno.readTextFile(`${dir.path}/w.html`)).state,
    "failed",
  );
});

Deno.test("`report` on a log with one edited line exits 1 as verify does, names the line and marks its event TAMPERED", async () => {
  await using dir = await tempDir();
  await recordSession(`${dir.path}/s.jsonl`, {
    texts: ["alpha", "bravo", "charlie"],
  });
  const lines = (await Deno.readTextFile(`${dir.path}/s.jsonl`)).split("\n");
  const at = lines.findIndex((l) =>
    l.includes('"kind":"response"') && l.includes("bravo")
  );
  assert.ok(at > 0);
  const seq = JSON.parse(lines[at]).seq;
  lines[at] = lines[at].replace("bravo", "BRAVO");
  await Deno.writeTextFile(`${dir.path}/edited.jsonl`, lines.join("\n"));
  const line = at + 1;

  const verified = await cli(["verify", "edited.jsonl"], dir.path);
  assert.equal(verified.code, 1, "verify fails the file");
  const run = await cli(["report", "edited.jsonl", "-o", "r.html"], dir.path);
  assert.equal(run.code, 1, "report fails it too");
  assert.match(run.stdout, /FAILED verification/);
  assert.match(
    run.stderr,
    new RegExp(
      `edited\\.jsonl:${line}: line ${line} \\(seq ${seq}, response\\)`,
    ),
  );
  const html = await Deno.readTextFile(`${dir.path}/r.html`);
  const v = verdict(html);
  assert.equal(v.state, "failed");
  assert.match(v.text, /tampered/);
  assert.match(
    html,
    new RegExp(`data-kind="edited" data-where="edited\\.jsonl:${line}"`),
  );
  const rows = embeddedRows(html);
  const marked = rows.filter((r) => r.tv);
  const call = marked.find((r) => r.rq === seq);
  assert.ok(call, "the edited reply's call is marked");
  assert.match(call.tv![0], new RegExp(`^edited\\.jsonl:${line}: edited: `));
  assert.ok(
    marked.every((r) => r.rq === seq || r.k === "checkpoint"),
    "only the edited event and the checkpoints that no longer match are marked",
  );
  assert.ok(html.includes("BRAVO"), "the edited text is shown, marked");
});

Deno.test("`report` says an unsigned log is verified but unsigned, a session still running is incomplete, and --no-verify that it did not verify", async () => {
  await using dir = await tempDir();
  await recordSession(`${dir.path}/s.jsonl`, { texts: ["alpha", "bravo"] });
  const plain = await cli(["report", "s.jsonl", "-o", "a.html"], dir.path);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /; verified, unsigned$/m);
  const unsigned = verdict(await Deno.readTextFile(`${dir.path}/a.html`));
  assert.equal(unsigned.state, "unsigned");
  assert.match(unsigned.text, /Verified, unsigned/);

  // A session still running: its log stops before session_end.
  const lines = (await Deno.readTextFile(`${dir.path}/s.jsonl`)).split("\n");
  const end = lines.findIndex((l) => l.includes('"kind":"session_end"'));
  await Deno.writeTextFile(
    `${dir.path}/running.jsonl`,
    lines.slice(0, end).join("\n") + "\n",
  );
  const running = await cli(
    ["report", "running.jsonl", "-o", "b.html"],
    dir.path,
  );
  assert.equal(running.code, 0, "incomplete is shown, not a failure");
  const incomplete = verdict(await Deno.readTextFile(`${dir.path}/b.html`));
  assert.equal(incomplete.state, "incomplete");
  assert.match(incomplete.text, /missing session end/);

  const skipped = await cli(
    ["report", "running.jsonl", "--no-verify", "-o", "c.html"],
    dir.path,
  );
  assert.equal(skipped.code, 0);
  assert.match(skipped.stdout, /not verified \(--no-verify\)/);
  const none = verdict(await Deno.readTextFile(`${dir.path}/c.html`));
  assert.equal(none.state, "not_verified");
  assert.match(none.text, /--no-verify/);

  const help = await cli(["report", "--help"], dir.path);
  assert.match(help.stdout, /--pubkey FILE/);
  assert.match(help.stdout, /--no-verify/);
  assert.match(
    help.stdout,
    /1 when it was written but the log failed\s+verification/,
  );
});

Deno.test("`report` on a file with no audit events exits 4 naming it and writes nothing", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/empty.jsonl`, "");
  await Deno.writeTextFile(
    `${dir.path}/README.md`,
    "# Notes\n\nNot a log.\n",
  );
  for (const name of ["empty.jsonl", "README.md"]) {
    const run = await cli(["report", name, "-o", "out.html"], dir.path);
    assert.equal(run.code, 4, `${name}: exit 4`);
    assert.match(
      run.stderr,
      new RegExp(`^mcp-audit: no audit events in "${name}"`),
    );
    assert.equal(run.stdout, "");
    await assert.rejects(
      () => Deno.stat(`${dir.path}/out.html`),
      Deno.errors.NotFound,
      "no report is written",
    );
  }
});
