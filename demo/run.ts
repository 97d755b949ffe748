// deno-lint-ignore-file no-console -- the demo's main prints its results
/**
 * `deno task demo`: three scenarios, each a scripted agent talking to a real
 * MCP server through `mcp-audit proxy`, exactly as an MCP client would, its log
 * then rendered as a report: the HR agent and the HR server (the session
 * summary is printed), a code freeze whose policy denies a `DROP TABLE`
 * (`demo/freeze.ts`), and a support desk where a ticket's injected
 * instructions make the agent leak tokens (`demo/support.ts`; its findings are
 * printed). Everything lands in `demo-output/` in the working directory.
 *
 * @module
 */
import { connectAgent, runAgentScenario } from "./agent.ts";
import type { SessionEndEvent } from "../lib/audit/event.ts";

const outDir = "demo-output";
const log = `${outDir}/hr-demo.jsonl`;
const report = `${outDir}/report.html`;
const cli = new URL("../cli.ts", import.meta.url).pathname;
const server = new URL("./hr_server.ts", import.meta.url).pathname;
const config = new URL("./mcp-audit.jsonc", import.meta.url).pathname;

await Deno.mkdir(outDir, { recursive: true });
await Deno.remove(log).catch(() => {});

const deno = Deno.execPath();
const proxyArgs = [
  "run",
  "--quiet",
  "--allow-run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--v8-flags=--no-allocation-site-pretenuring,--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks,--regexp-backtracks-before-fallback=1000",
  cli,
  "proxy",
  "--quiet",
  "--log",
  log,
];
try {
  await Deno.stat(config);
  proxyArgs.push("--config", config);
} catch {
  // No demo config yet: the proxy runs with its defaults.
}
proxyArgs.push("--", deno, "run", "--quiet", server);

console.log(`Agent -> mcp-audit proxy -> HR server\n`);
const { client } = await connectAgent(deno, proxyArgs, { stderr: "inherit" });
try {
  await runAgentScenario(client, (line) => console.log(`  ${line}`));
} finally {
  await client.close();
}

// The proxy writes session_end and the final checkpoint as the server
// exits; wait until they are there.
let end: SessionEndEvent | undefined;
for (let i = 0; i < 100 && !end; i++) {
  const events = (await Deno.readTextFile(log)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  if (
    events.at(-1)?.kind === "checkpoint" &&
    events.at(-2)?.kind === "session_end"
  ) end = events.at(-2);
  else await new Promise((r) => setTimeout(r, 50));
}
if (!end) throw new Error(`The proxy did not finish the session in ${log}.`);

const s = end.summary;
console.log(`\nSession summary`);
console.log(`  tool calls:      ${s.toolCalls}`);
console.log(
  `  tools used:      ${
    Object.entries(s.tools).map(([t, n]) => `${t} x${n}`).join(", ")
  }`,
);
for (const [label, tools] of Object.entries(s.toolClasses)) {
  console.log(`  ${(label + ":").padEnd(16)} ${tools.join(", ")}`);
}
console.log(`  unique entities: ${s.uniqueEntities}`);
console.log(`  errors:          ${s.errors}`);
console.log(`  duration:        ${s.durationMs} ms`);

const { writeReport } = await import("../report/write_report.ts");
await writeReport([log], report);
console.log(`\nAudit log: ${log}`);
console.log(`Report:    ${report}`);

// The second scenario: a code freeze, and an agent that tries a DROP TABLE.
const { runFreezeScenario } = await import("./freeze.ts");
const freezeLog = `${outDir}/freeze-demo.jsonl`;
const freezeReport = `${outDir}/freeze-report.html`;
await Deno.remove(freezeLog).catch(() => {});
console.log(`\nCode freeze: agent -> mcp-audit proxy --policy -> database\n`);
await runFreezeScenario(
  [deno, ...proxyArgs.slice(0, proxyArgs.indexOf("proxy") + 1), "--quiet"],
  freezeLog,
  (line) => console.log(`  ${line}`),
);
await writeReport([freezeLog], freezeReport);
console.log(`\nAudit log: ${freezeLog}`);
console.log(`Report:    ${freezeReport}`);

// The third scenario: a support desk, a ticket that talks to the AI, and an
// agent that follows it, leaking the integration tokens into the ticket.
const { runSupportScenario } = await import("./support.ts");
const { findFindings } = await import("../lib/findings/find_findings.ts");
const supportLog = `${outDir}/support-demo.jsonl`;
const supportReport = `${outDir}/support-report.html`;
await Deno.remove(supportLog).catch(() => {});
console.log(`\nSupport desk: agent -> mcp-audit proxy -> support database\n`);
await runSupportScenario(
  [deno, ...proxyArgs.slice(0, proxyArgs.indexOf("proxy") + 1), "--quiet"],
  supportLog,
  (line) => console.log(`  ${line}`),
);
const supportEvents = (await Deno.readTextFile(supportLog)).trim().split("\n")
  .map((l) => JSON.parse(l));
console.log(`\nFindings`);
for (const f of findFindings(supportEvents)) {
  console.log(
    `  ${f.severity.padEnd(6)} ${f.rule}: ${f.title} (seq ${
      f.seqs.join(", ")
    })`,
  );
}
await writeReport([supportLog], supportReport);
console.log(`\nAudit log: ${supportLog}`);
console.log(`Report:    ${supportReport}`);
