/**
 * The rule `path-outside-roots` on sessions the real proxy recorded in
 * front of the reference filesystem server
 * (`@modelcontextprotocol/server-filesystem`), with no config but live
 * findings: paths outside its allowed directories (from its command line,
 * then from the client's `roots/list` answer) are findings, a `..` that
 * climbs out and a sibling sharing the root's prefix too; paths inside stay
 * silent.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { findFindings } from "../../lib/findings/find_findings.ts";
import { cliArgs, readEvents, tempDir } from "../_helpers.ts";

const FILESYSTEM_SERVER = [
  Deno.execPath(),
  "run",
  "--quiet",
  "-A",
  "npm:@modelcontextprotocol/server-filesystem@2026.8.31",
];

interface Call {
  tool: string;
  arguments: Record<string, unknown>;
}

/**
 * Runs the filesystem server on `root` through `mcp-audit proxy` and makes
 * `calls`; with `clientRoots`, the client declares roots and answers the
 * server's `roots/list` with them.
 */
async function record(
  dir: string,
  root: string,
  calls: Call[],
  clientRoots?: string[],
): Promise<{ events: AuditEvent[]; answers: Map<number, unknown> }> {
  const log = `${dir}/fs-${crypto.randomUUID().slice(0, 8)}.jsonl`;
  const config = `${dir}/mcp-audit.json`;
  await Deno.writeTextFile(config, JSON.stringify({ liveFindings: true }));
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--log",
      log,
      "--config",
      config,
      "--",
      ...FILESYSTEM_SERVER,
      root,
    ]),
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const answers = new Map<number, unknown>();
  const until = (id: number) => read(() => answers.has(id));
  let buffered = "";
  const send = (message: unknown) =>
    writer.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
  let rootsAnswered = false;
  /** Reads until `done`, answering the server's roots/list on the way. */
  async function read(done: () => boolean): Promise<void> {
    while (!done()) {
      const { value, done } = await lines.read();
      if (done) throw new Error("The proxy closed before it answered.");
      buffered += value;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const m = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (m.method === "roots/list" && m.id !== undefined) {
          await send({
            jsonrpc: "2.0",
            id: m.id,
            result: {
              roots: (clientRoots ?? []).map((r) => ({
                uri: `file://${r}`,
                name: "work",
              })),
            },
          });
          rootsAnswered = true;
        } else if (m.id !== undefined && m.method === undefined) {
          answers.set(m.id, m.result ?? m.error);
        }
      }
    }
  }
  await send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: clientRoots ? { roots: { listChanged: true } } : {},
      clientInfo: { name: "roots-test", version: "1" },
    },
  });
  await until(1);
  await send({ jsonrpc: "2.0", method: "notifications/initialized" });
  let id = 2;
  await send({ jsonrpc: "2.0", id, method: "tools/list" });
  await until(id++);
  if (clientRoots) {
    // The server asks for the roots after `initialized` and takes them in
    // its own time (it checks each directory): the calls wait until it
    // has said so on stderr, which the proxy logs.
    await read(() => rootsAnswered);
    const deadline = Date.now() + 20_000;
    while (
      !(await Deno.readTextFile(log)).includes(
        "Updated allowed directories from MCP roots",
      )
    ) {
      if (Date.now() > deadline) {
        throw new Error("The server never took the client's roots.");
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  for (const call of calls) {
    await send({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: call.tool, arguments: call.arguments },
    });
    await until(id++);
  }
  await writer.close();
  while (!(await lines.read()).done) { /* drain */ }
  assert.equal((await child.status).code, 0);
  return { events: (await readEvents(log)).events, answers };
}

function text(answer: unknown): string {
  return JSON.stringify(answer);
}

Deno.test("path-outside-roots: against the filesystem server's allowed directory, an outside read, a climbing '..' and a prefix sibling are findings; inside reads are not; logged live too", async () => {
  await using dir = await tempDir();
  const root = `${dir.path}/root`;
  const outside = `${dir.path}/outside`;
  await Deno.mkdir(root);
  await Deno.mkdir(outside);
  await Deno.mkdir(`${root}-other`);
  await Deno.mkdir(`${root}/sub`);
  await Deno.writeTextFile(`${root}/sub/inside.txt`, "inside");
  await Deno.writeTextFile(`${outside}/secret.txt`, "secret");
  await Deno.writeTextFile(`${root}-other/x.txt`, "x");
  const read = (path: string): Call => ({
    tool: "read_text_file",
    arguments: { path },
  });
  const { events, answers } = await record(dir.path, root, [
    read(`${root}/sub/inside.txt`),
    read(`${root}/sub/../sub/inside.txt`),
    read(`${outside}/secret.txt`),
    read(`${root}/../outside/secret.txt`),
    read(`${root}-other/x.txt`),
    { tool: "list_allowed_directories", arguments: {} },
  ]);
  // The server itself refused the outside paths and served the inside ones.
  assert.match(text(answers.get(3)), /inside/);
  assert.match(text(answers.get(5)), /Access denied/);
  const found = findFindings(events).filter((f) =>
    f.rule === "path-outside-roots"
  );
  assert.deepEqual(
    found.map((f) => [f.severity, f.value]).sort(),
    [
      ["medium", `${outside}/secret.txt`],
      ["medium", `${root}-other/x.txt`],
      ["medium", `${root}/../outside/secret.txt`],
    ].sort(),
  );
  const start = events.find((e) => e.kind === "session_start")!;
  for (const f of found) {
    assert.equal(f.seqs[0], start.seq, "cites the command line");
    assert.match(f.explanation, /the filesystem server's command line/);
    assert.ok(f.explanation.includes(root));
  }
  // The proxy logged them as it ran.
  const live = events.filter((e) =>
    e.kind === "finding" && e.rule === "path-outside-roots"
  );
  assert.equal(live.length, 3, JSON.stringify(live));
});

Deno.test("path-outside-roots: once the client's roots/list answer narrows the roots, a read under the command-line directory is a finding citing that answer", async () => {
  await using dir = await tempDir();
  const root = `${dir.path}/root`;
  const work = `${dir.path}/root/work`;
  await Deno.mkdir(work, { recursive: true });
  await Deno.writeTextFile(`${root}/private.txt`, "private");
  await Deno.writeTextFile(`${work}/notes.txt`, "notes");
  const { events, answers } = await record(dir.path, root, [
    { tool: "read_text_file", arguments: { path: `${work}/notes.txt` } },
    { tool: "read_text_file", arguments: { path: `${root}/private.txt` } },
  ], [work]);
  assert.match(text(answers.get(3)), /notes/);
  assert.match(text(answers.get(4)), /Access denied/);
  const found = findFindings(events).filter((f) =>
    f.rule === "path-outside-roots"
  );
  assert.deepEqual(found.map((f) => [f.severity, f.value]), [[
    "medium",
    `${root}/private.txt`,
  ]]);
  const listed = events.find((e) =>
    e.kind === "response" && e.dir === "c2s" &&
    JSON.stringify(e.result).includes('"roots"')
  );
  assert.ok(listed, "the client's roots/list answer is in the log");
  assert.equal(found[0].seqs[0], listed.seq);
  assert.match(found[0].explanation, /the client's roots\/list answer/);
});
