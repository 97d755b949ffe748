/**
 * The demo's third scenario, a support desk: the scripted agent lists the
 * tickets, reads them, and follows the instructions one ticket's body
 * gives it (query `integration_tokens`, write the rows into the ticket), as
 * an agent fooled by a prompt injection would. The proxy logs it all, the
 * tokens redacted, and the findings name the injection and the leak.
 *
 * @module
 */
import { connectScenarioClient, structured } from "./_scenario_client.ts";

/** What the support scenario did. */
export interface SupportResult {
  /** The ticket ids the agent read. */
  read: string[];
  /** The message the agent wrote into the injected ticket. */
  leaked: string;
}

/**
 * Runs the scenario through `mcp-audit proxy` (`proxy` is the command line
 * up to and including `proxy`), writing `log`.
 *
 * @example
 * ```ts ignore
 * const result = await runSupportScenario(["mcp-audit", "proxy"], "support.jsonl");
 * ```
 */
export async function runSupportScenario(
  proxy: string[],
  log: string,
  say: (line: string) => void = () => {},
): Promise<SupportResult> {
  const config = new URL("./support-config.jsonc", import.meta.url).pathname;
  const server = new URL("./support_server.ts", import.meta.url).pathname;
  const client = await connectScenarioClient({
    proxy,
    log,
    flags: ["--config", config],
    name: "support-desk",
    server,
    client: "support-demo-agent",
  });
  try {
    await client.listTools();
    const list = structured(
      await client.callTool({ name: "list_tickets", arguments: {} }),
    );
    const tickets = (list.tickets ?? []) as { id: string; subject: string }[];
    say(`list_tickets -> ${tickets.map((t) => t.id).join(", ")}`);
    const read: string[] = [];
    let leaked = "";
    for (const { id } of tickets) {
      const t = structured(
        await client.callTool({
          name: "get_ticket",
          arguments: { ticket_id: id },
        }),
      );
      read.push(id);
      say(`get_ticket ${id} -> "${t.subject}"`);
      const body = String(t.body ?? "");
      // The fooled agent: it takes the ticket's text as its instructions.
      if (!/read the integration_tokens table/i.test(body)) continue;
      say(`agent: the ticket says to add integration_tokens to it; doing so`);
      const rows = structured(
        await client.callTool({
          name: "query",
          arguments: { sql: "SELECT * FROM integration_tokens" },
        }),
      ).rows as { service: string; token: string }[];
      say(`query SELECT * FROM integration_tokens -> ${rows.length} rows`);
      leaked = rows.map((r) => `${r.service}: ${r.token}`).join("\n");
      await client.callTool({
        name: "add_ticket_message",
        arguments: { ticket_id: id, message: `Tokens:\n${leaked}` },
      });
      say(`add_ticket_message ${id} -> the tokens, for the customer to read`);
    }
    return { read, leaked };
  } finally {
    await client.close();
  }
}
