/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`,
 * pinned in deno.json) runs its server scenarios over Streamable HTTP
 * against its own reference server (tests/fixtures/conformance_everything_server.ts,
 * copied from the suite's repository at the same version) twice: directly,
 * and through `mcp-audit proxy --listen 127.0.0.1:0`. Every scenario the
 * direct run passes must pass through the proxy, and the proxy's log must
 * verify.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../lib/audit/event.ts";
import { readEvents, tempDir } from "../_helpers.ts";
import {
  freePort,
  runCli,
  type Running,
  spawnUntil,
  startReverse,
} from "./_http_servers.ts";

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const SUITE = "npm:@modelcontextprotocol/conformance@0.1.16";
const SERVER = new URL(
  "../fixtures/conformance_everything_server.ts",
  import.meta.url,
).pathname;

/** The suite's reference server on a free 127.0.0.1 port. */
async function startReferenceServer(): Promise<Running & { url: string }> {
  const port = freePort();
  const running = await spawnUntil(
    [Deno.execPath(), "run", "--quiet", "-A", "--config", CONFIG, SERVER],
    /listening on port/,
    { PORT: String(port) },
  );
  return { ...running, url: `http://127.0.0.1:${port}/mcp` };
}

/** One scenario's outcome, from the checks.json the suite wrote. */
interface Outcome {
  passed: number;
  failed: number;
  /** Each failed check's id and error message, for the failure's message. */
  failures: string[];
}

/**
 * Runs every server scenario (`--suite all`), or only `scenario`, against
 * `url` and reads the checks each scenario wrote under `outDir`. A
 * scenario passes when at least one of its checks succeeded and none
 * failed.
 */
async function runSuite(
  url: string,
  outDir: string,
  scenario?: string,
): Promise<
  {
    outcomes: Map<string, Outcome>;
    passing: string[];
    checks: number;
    text: string;
  }
> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "-A",
      "--config",
      CONFIG,
      SUITE,
      "server",
      "--url",
      url,
      ...(scenario ? ["--scenario", scenario] : ["--suite", "all"]),
      "-o",
      outDir,
    ],
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  const outcomes = new Map<string, Outcome>();
  for await (const entry of Deno.readDir(outDir)) {
    const name = entry.name.match(/^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/)
      ?.[1];
    assert.ok(name, `unexpected result folder ${entry.name}`);
    const checks = JSON.parse(
      await Deno.readTextFile(`${outDir}/${entry.name}/checks.json`),
    ) as { id: string; status: string; errorMessage?: string }[];
    const outcome = outcomes.get(name) ??
      { passed: 0, failed: 0, failures: [] };
    for (const check of checks) {
      if (check.status === "SUCCESS") outcome.passed++;
      if (check.status === "FAILURE") {
        outcome.failed++;
        outcome.failures.push(`${check.id}: ${check.errorMessage ?? "failed"}`);
      }
    }
    outcomes.set(name, outcome);
  }
  const checks = [...outcomes.values()].reduce((n, o) => n + o.passed, 0);
  const passing = [...outcomes].filter(([, o]) => o.passed > 0 && !o.failed)
    .map(([name]) => name).sort();
  return { outcomes, passing, checks, text };
}

/**
 * The reference server asks for sampling and elicitation with
 * `server.request` and no related request, so the SDK's server transport
 * sends the request on the client's standalone GET stream, and drops it
 * when that stream has not reached the server yet (its `send`: "Stream is
 * disconnected"); the tool call then waits 60 s and fails. The SDK client
 * opens that stream without waiting for it, as the scenario makes its
 * call, so either may arrive first: directly too (tools-call-sampling
 * failed so once in ten runs of this test), and more often with a hop
 * between them. So a scenario in `names` that did not pass is run again
 * alone, up to twice: one the proxy loses every time still fails the test.
 * Returns the scenarios that passed on a retry.
 */
async function retryFailed(
  run: Awaited<ReturnType<typeof runSuite>>,
  names: readonly string[],
  url: string,
  dir: string,
): Promise<string[]> {
  const passed: string[] = [];
  for (const name of names) {
    if (run.passing.includes(name)) continue;
    for (let attempt = 0; attempt < 2; attempt++) {
      const again = await runSuite(
        url,
        await Deno.makeTempDir({ dir }),
        name,
      );
      const outcome = again.outcomes.get(name);
      if (again.passing.includes(name) && outcome) {
        run.checks += outcome.passed - (run.outcomes.get(name)?.passed ?? 0);
        run.outcomes.set(name, outcome);
        run.passing = [...run.passing, name].sort();
        passed.push(name);
        break;
      }
    }
  }
  return passed;
}

Deno.test("conformance suite: every server scenario that passes directly against the reference server passes through the reverse proxy, and the proxy's log verifies", async () => {
  await using dir = await tempDir();
  await using upstream = await startReferenceServer();

  const direct = await runSuite(
    upstream.url,
    await Deno.makeTempDir({
      dir: dir.path,
    }),
  );
  // Not vacuous: the direct run passes scenarios that exercise the
  // transport (SSE responses, server-to-client requests, subscriptions).
  assert.ok(direct.passing.length >= 1, direct.text);
  const required = [
    "server-initialize",
    "tools-call-with-progress",
    "tools-call-sampling",
    "resources-subscribe",
  ];
  // Those with a failed check (not those with none at all) get another go.
  const failedDirect = [...direct.outcomes].filter(([, o]) => o.failed > 0)
    .map(([name]) => name);
  const retried = await retryFailed(
    direct,
    failedDirect,
    upstream.url,
    dir.path,
  );
  for (const name of required) {
    assert.ok(direct.passing.includes(name), `${name} direct:\n${direct.text}`);
  }

  const log = `${dir.path}/conformance.jsonl`;
  const proxy = await startReverse(upstream.url, ["--log", log]);
  let proxied;
  try {
    proxied = await runSuite(
      proxy.url,
      await Deno.makeTempDir({ dir: dir.path }),
    );
    retried.push(
      ...(await retryFailed(proxied, direct.passing, proxy.url, dir.path)).map(
        (name) => `${name} (proxied)`,
      ),
    );
  } finally {
    await proxy.stop();
  }
  const lost = direct.passing.filter((n) => !proxied.passing.includes(n));
  // A scenario lost names its failed checks; both processes' stderr follow.
  const why = lost.map((name) =>
    `${name}: ${proxied.outcomes.get(name)?.failures.join("; ") ?? "no result"}`
  );
  assert.deepEqual(
    lost,
    [],
    `passed directly, not through the proxy:\n${
      why.join("\n")
    }\n${proxied.text}\nthe proxy's stderr:\n${
      proxy.stderr().slice(-10_000)
    }\nthe server's:\n${upstream.stderr().slice(-10_000)}`,
  );
  // deno-lint-ignore no-console -- the figures for the report
  console.log(
    `conformance: ${direct.passing.length}/${direct.outcomes.size} scenarios (${direct.checks} checks) direct, ${proxied.passing.length}/${proxied.outcomes.size} (${proxied.checks} checks) proxied${
      retried.length > 0 ? `; passed when run again: ${retried.join(", ")}` : ""
    }`,
  );

  // The proxied run went through the proxy: its sessions are in the log.
  const { events } = await readEvents(log);
  const starts = events.filter((e) => e.kind === "session_start") as Extract<
    AuditEvent,
    { kind: "session_start" }
  >[];
  assert.ok(starts.length >= direct.passing.length - 1, `${starts.length}`);
  assert.ok(starts.every((s) => s.transport === "streamable-http"));
  const tools = new Set(
    events.flatMap((e) => e.kind === "request" && e.tool ? [e.tool] : []),
  );
  for (const tool of ["test_tool_with_progress", "test_sampling"]) {
    assert.ok(tools.has(tool), `${tool} not logged`);
  }
  const verified = await runCli(["verify", log]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});
