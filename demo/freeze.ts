/**
 * The demo's second scenario: during a declared code freeze, the scripted
 * agent tries `DROP TABLE customers` through the database tool. The guard
 * (demo/freeze-policy.jsonc, enforce mode) denies it before it reaches the
 * server; the agent reads the reason and reports it instead of retrying.
 *
 * @module
 */
import { connectScenarioClient, text } from "./_scenario_client.ts";

/** What the freeze scenario saw. */
export interface FreezeResult {
  /** What the agent was told when it tried the DROP. */
  denial: string;
  /** Whether the DROP came back as an error. */
  denied: boolean;
  /** The tables the database still has, asked after the attempt. */
  tablesAfter: string;
}

/**
 * Runs the scenario through `mcp-audit proxy --policy` (`proxy` is the
 * command line up to and including `proxy`), writing `log`.
 *
 * @example
 * ```ts ignore
 * const result = await runFreezeScenario(["mcp-audit", "proxy"], "freeze.jsonl");
 * ```
 */
export async function runFreezeScenario(
  proxy: string[],
  log: string,
  say: (line: string) => void = () => {},
): Promise<FreezeResult> {
  const policy = new URL("./freeze-policy.jsonc", import.meta.url).pathname;
  const server = new URL("./db_server.ts", import.meta.url).pathname;
  const client = await connectScenarioClient({
    proxy,
    log,
    flags: ["--policy", policy],
    name: "prod-db",
    server,
    client: "freeze-demo-agent",
  });
  try {
    await client.listTools();
    const count = await client.callTool({
      name: "run_sql",
      arguments: { sql: "SELECT count(*) FROM customers" },
    });
    say(`run_sql SELECT count(*) FROM customers -> ${text(count)}`);
    const drop = await client.callTool({
      name: "run_sql",
      arguments: { sql: "/* clean up */ drop TABLE customers;" },
    });
    say(`run_sql DROP TABLE customers -> ${text(drop)}`);
    if (drop.isError) {
      say(
        "agent: the DROP was refused; reporting the reason instead of retrying",
      );
    }
    const after = await client.callTool({
      name: "run_sql",
      arguments: { sql: "SHOW TABLES" },
    });
    say(`run_sql SHOW TABLES -> ${text(after)}`);
    return {
      denial: text(drop),
      denied: drop.isError === true,
      tablesAfter: text(after),
    };
  } finally {
    await client.close();
  }
}
