/**
 * The fleet report's numbers, aggregated in ClickHouse (the page never loads
 * the store): totals, sessions per host and user, the tools used across the
 * fleet with their classes, the entities touched and by whom, and each
 * shipped file's local verification. Every query reads the tables with
 * `FINAL`, so rows delivered twice count once. The numbers are those of
 * the local summary (`lib/audit/summary.ts`), summed over the sessions.
 *
 * @module
 */
import { type ClickHouseStore, sqlString } from "./clickhouse_store.ts";
import { dateTimeText } from "./event_row.ts";
import { TABLES } from "./fleet_schema.ts";

/** Options for {@linkcode fleetReport}. */
export interface FleetReportOptions {
  /** Sessions with events this many milliseconds old or newer. */
  sinceMs: number;
  /** Only sessions with this server (its name in the handshake). */
  server?: string;
  /** Only sessions run by this user. */
  user?: string;
  /** Only sessions run on this host. */
  host?: string;
  /** Most entities listed. @default {500} */
  maxEntities?: number;
}

/** What {@linkcode fleetReport} returns. */
export interface FleetReport {
  /** The store. */
  store: string;
  /** The filters, as given. */
  filters: { since: string; server?: string; user?: string; host?: string };
  /** Over every matching session. */
  totals: {
    sessions: number;
    events: number;
    toolCalls: number;
    errors: number;
    hosts: number;
    users: number;
    uniqueEntities: number;
  };
  /** Sessions per host and user. */
  perHost: {
    host: string;
    user: string;
    sessions: number;
    toolCalls: number;
    errors: number;
    /** Live findings (`finding` events) in their sessions. */
    findings: number;
    /** Calls the guard denied (`decision` events, enforce mode, action deny). */
    denied: number;
  }[];
  /** Tools across the fleet. */
  tools: {
    tool: string;
    calls: number;
    errors: number;
    sessions: number;
    classes: string[];
    users: string[];
    hosts: string[];
  }[];
  /** Entities touched (`type:value`), and by whom. */
  entities: {
    entity: string;
    mentions: number;
    sessions: number;
    users: string[];
    hosts: string[];
    tools: string[];
  }[];
  /** Each shipped file's latest local verification. */
  files: { host: string; path: string; status: string; lines: number }[];
}

interface Raw {
  [key: string]: string | number | string[];
}

const num = (v: unknown): number => Number(v);

/**
 * Aggregates the fleet in ClickHouse.
 *
 * @example
 * ```ts ignore
 * import { ClickHouseStore } from "./clickhouse_store.ts";
 * import { fleetReport } from "./fleet_report.ts";
 *
 * const store = new ClickHouseStore({ url: "http://127.0.0.1:8123" });
 * const report = await fleetReport(store, { sinceMs: 7 * 86_400_000 });
 * console.log(report.totals.sessions);
 * await store.close();
 * ```
 */
export async function fleetReport(
  store: ClickHouseStore,
  options: FleetReportOptions,
): Promise<FleetReport> {
  const db = store.database;
  const events = `${db}.${TABLES.events} FINAL`;
  const sinceText = dateTimeText(
    new Date(Date.now() - options.sinceMs).toISOString(),
  );
  // The sessions in range: by any of their rows' time, then the filters.
  const where = [`ts >= ${sqlString(sinceText)}`];
  if (options.host !== undefined) {
    where.push(`host = ${sqlString(options.host)}`);
  }
  if (options.user !== undefined) {
    where.push(`user = ${sqlString(options.user)}`);
  }
  if (options.server !== undefined) {
    const needle = `"server":{"name":${JSON.stringify(options.server)}`;
    where.push(
      `session IN (SELECT session FROM ${events} WHERE kind = 'handshake' AND position(line, ${
        sqlString(needle)
      }) > 0)`,
    );
  }
  const sessions = `session IN (SELECT session FROM ${events} WHERE ${
    where.join(" AND ")
  })`;
  const isCall = `kind = 'request' AND method = 'tools/call' AND tool != ''`;
  const isError = `(kind = 'error' OR (kind = 'response' AND error != ''))`;
  const [totals] = await store.rows<Raw>(
    `SELECT uniqExact(session) AS sessions, count() AS events, countIf(${isCall}) AS toolCalls, countIf(${isError}) AS errors, uniqExact(host) AS hosts, uniqExact(user) AS users FROM ${events} WHERE ${sessions}`,
  );
  const [unique] = await store.rows<Raw>(
    `SELECT uniqExact(entity) AS n FROM ${events} ARRAY JOIN entities AS entity WHERE ${sessions}`,
  );
  const perHost = await store.rows<Raw>(
    `SELECT host, user, uniqExact(session) AS sessions, countIf(${isCall}) AS toolCalls, countIf(${isError}) AS errors, countIf(kind = 'finding') AS findings, countIf(kind = 'decision' AND position(line, '"action":"deny"') > 0 AND position(line, '"mode":"enforce"') > 0) AS denied FROM ${events} WHERE ${sessions} GROUP BY host, user ORDER BY host, user`,
  );
  const tools = await store.rows<Raw>(
    `SELECT tool, countIf(${isCall}) AS calls, countIf(${isError}) AS errors, uniqExact(session) AS sessions, groupUniqArrayArray(classes) AS classes, groupUniqArray(user) AS users, groupUniqArray(host) AS hosts FROM ${events} WHERE ${sessions} AND tool != '' AND kind IN ('request', 'response', 'error') GROUP BY tool ORDER BY calls DESC, tool`,
  );
  const entities = await store.rows<Raw>(
    `SELECT entity, count() AS mentions, uniqExact(session) AS sessions, groupUniqArray(user) AS users, groupUniqArray(host) AS hosts, groupUniqArray(tool) AS tools FROM ${events} ARRAY JOIN entities AS entity WHERE ${sessions} GROUP BY entity ORDER BY mentions DESC, entity LIMIT ${
      Math.floor(options.maxEntities ?? 500)
    }`,
  );
  const fileWhere = [
    `checked_at >= ${sqlString(sinceText)}`,
    ...(options.host !== undefined
      ? [`host = ${sqlString(options.host)}`]
      : []),
  ];
  const files = await store.rows<Raw>(
    `SELECT host, path, status, lines FROM ${db}.${TABLES.files} FINAL WHERE ${
      fileWhere.join(" AND ")
    } ORDER BY host, path`,
  );
  const sorted = (v: unknown): string[] =>
    [...(v as string[])].filter((s) => s !== "").sort();
  return {
    store: store.label,
    filters: {
      since: `${sinceText} UTC`,
      server: options.server,
      user: options.user,
      host: options.host,
    },
    totals: {
      sessions: num(totals.sessions),
      events: num(totals.events),
      toolCalls: num(totals.toolCalls),
      errors: num(totals.errors),
      hosts: num(totals.hosts),
      users: num(totals.users),
      uniqueEntities: num(unique.n),
    },
    perHost: perHost.map((r) => ({
      host: String(r.host),
      user: String(r.user),
      sessions: num(r.sessions),
      toolCalls: num(r.toolCalls),
      errors: num(r.errors),
      findings: num(r.findings),
      denied: num(r.denied),
    })),
    tools: tools.map((r) => ({
      tool: String(r.tool),
      calls: num(r.calls),
      errors: num(r.errors),
      sessions: num(r.sessions),
      classes: sorted(r.classes),
      users: sorted(r.users),
      hosts: sorted(r.hosts),
    })),
    entities: entities.map((r) => ({
      entity: String(r.entity),
      mentions: num(r.mentions),
      sessions: num(r.sessions),
      users: sorted(r.users),
      hosts: sorted(r.hosts),
      tools: sorted(r.tools),
    })),
    files: files.map((r) => ({
      host: String(r.host),
      path: String(r.path),
      status: String(r.status),
      lines: num(r.lines),
    })),
  };
}
