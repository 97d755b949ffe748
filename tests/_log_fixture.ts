/**
 * A seeded generator of schema-valid audit logs for the report tests and the
 * benchmark, until real proxy logs are available. Every event is checked with
 * `AuditEventSchema.parse`, so the fixture cannot drift from the schema.
 *
 * @module
 */
import { seeded } from "./_seeded.ts";
import {
  type AuditEvent,
  type Classification,
  type Entity,
  type PeerInfo,
  SCHEMA_VERSION,
  type Summary,
} from "../lib/audit/event.ts";
import { AuditEventSchema } from "../lib/audit/event_schema.ts";

/** A tool call to put in the log as given (used for hostile input). */
export interface FixtureCall {
  tool: string;
  arguments: unknown;
  /** The `tools/call` result; a text content item is made when absent. */
  result?: unknown;
  /** Mark the result as a tool error. */
  isError?: boolean;
  /** Answer with a JSON-RPC error instead of a result. */
  rpcError?: { code: number; message: string; data?: unknown };
  classes?: Classification[];
  /** Entities on the request event. */
  entities?: Entity[];
  /** Entities on the response event. */
  resultEntities?: Entity[];
}

/** Options for {@linkcode generateLog}. */
export interface FixtureOptions {
  /** @default {1} */
  seed?: number;
  /** Number of generated `tools/call` pairs (besides the two failing ones). @default {12} */
  calls?: number;
  /** @default {"sess-0001"} */
  session?: string;
  /** @default {"2025-06-02T09:00:00.000Z"} */
  start?: string;
  /** Calls appended after the generated ones. */
  extra?: FixtureCall[];
  /** Server stderr lines. */
  stderr?: string[];
  /** @default {{ name: "hr-agent", version: "1.4.0" }} */
  client?: PeerInfo;
  /** @default {{ name: "hr-server", version: "0.9.2" }} */
  server?: PeerInfo;
  /** Leave out `session_end` (a session that never ended cleanly). @default {false} */
  noEnd?: boolean;
}

const defaults = {
  seed: 1,
  calls: 12,
  session: "sess-0001",
  start: "2025-06-02T09:00:00.000Z",
  extra: [] as FixtureCall[],
  stderr: [] as string[],
  client: { name: "hr-agent", version: "1.4.0" },
  server: { name: "hr-server", version: "0.9.2" },
  noEnd: false,
} satisfies FixtureOptions;

const READ = { label: "READ", source: "classify:name" };
const SENSITIVE = { label: "SENSITIVE", source: "sensitivity:config" };
const WRITE = { label: "WRITE", source: "classify:name" };

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Radia"];
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Perlman"];

/**
 * Generates one session's log: session_start, initialize and its handshake,
 * tools/list, `calls` tool calls, one tool error, one JSON-RPC error, the
 * `extra` calls, stderr lines, and a session_end whose summary matches.
 */
export function generateLog(options: FixtureOptions = {}): AuditEvent[] {
  const o = { ...defaults, ...options };
  const random = seeded(o.seed);
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)];
  const events: AuditEvent[] = [];
  let seq = 0;
  let clock = Date.parse(o.start);
  let nextId = 0;
  const ts = (advance: number): string => {
    clock += advance;
    return new Date(clock).toISOString();
  };
  const base = (advance: number) => ({
    v: SCHEMA_VERSION,
    seq: seq++,
    ts: ts(advance),
    session: o.session,
  });
  const push = (event: unknown): void => {
    events.push(AuditEventSchema.parse(event));
  };
  const bytes = (value: unknown): number =>
    new TextEncoder().encode(JSON.stringify(value)).length;

  push({
    ...base(0),
    kind: "session_start",
    command: ["deno", "run", "-A", "hr_server.ts"],
    pid: 4242,
    proxyPid: 4241,
    cwd: "/srv/agents",
    proxy: { name: "mcp-audit", version: "0.1.0" },
  });
  const init = {
    ...base(12),
    kind: "request",
    dir: "c2s",
    id: nextId++,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", clientInfo: o.client },
  };
  push({ ...init, bytes: bytes(init.params) + 40 });
  const initResult = {
    protocolVersion: "2025-06-18",
    serverInfo: o.server,
    capabilities: { tools: {} },
  };
  push({
    ...base(30),
    kind: "response",
    dir: "s2c",
    bytes: bytes(initResult) + 40,
    id: init.id,
    method: "initialize",
    requestSeq: init.seq,
    durationMs: 30,
    result: initResult,
  });
  push({
    ...base(0),
    kind: "handshake",
    via: "initialize",
    protocolVersion: "2025-06-18",
    client: o.client,
    server: o.server,
  });
  push({
    ...base(3),
    kind: "notification",
    dir: "c2s",
    bytes: 54,
    method: "notifications/initialized",
  });
  const listReq = base(5);
  push({
    ...listReq,
    kind: "request",
    dir: "c2s",
    bytes: 46,
    id: nextId++,
    method: "tools/list",
  });
  const listResult = {
    tools: ["search_employees", "get_pay_info", "submit_time_off"].map((
      name,
    ) => ({ name, inputSchema: { type: "object" } })),
  };
  push({
    ...base(8),
    kind: "response",
    dir: "s2c",
    bytes: bytes(listResult) + 40,
    id: nextId - 1,
    method: "tools/list",
    requestSeq: listReq.seq,
    durationMs: 8,
    result: listResult,
  });

  const employee = (): { id: string; name: string; email: string } => {
    const n = 1000 + Math.floor(random() * 400);
    const first = pick(FIRST);
    const last = pick(LAST);
    return {
      id: `E${n}`,
      name: `${first} ${last}`,
      email: `${first}.${last}${n}@example.com`.toLowerCase(),
    };
  };
  const ent = (
    type: string,
    value: string,
    path: string,
    tool: string,
  ): Entity => ({ type, value, path, tool, source: `entities:${type}` });

  const calls: FixtureCall[] = [];
  for (let i = 0; i < o.calls; i++) {
    const e = employee();
    const kind = random();
    if (kind < 0.4) {
      const query = pick(LAST);
      const hits = [e, employee()];
      calls.push({
        tool: "search_employees",
        arguments: { query, limit: 10 },
        classes: [READ],
        result: {
          content: [{
            type: "text",
            text: JSON.stringify(hits.map((h) => ({ id: h.id, name: h.name }))),
          }],
          structuredContent: { employees: hits },
        },
        resultEntities: hits.flatMap((h, k) => [
          ent(
            "employee_id",
            h.id,
            `result.structuredContent.employees[${k}].id`,
            "search_employees",
          ),
          ent(
            "email",
            h.email,
            `result.structuredContent.employees[${k}].email`,
            "search_employees",
          ),
        ]),
      });
    } else if (kind < 0.75) {
      calls.push({
        tool: "get_pay_info",
        arguments: { employee_id: e.id },
        classes: [READ, SENSITIVE],
        entities: [
          ent("employee_id", e.id, "arguments.employee_id", "get_pay_info"),
        ],
        result: {
          content: [{
            type: "text",
            text: `Salary for ${e.name}: ${
              60000 + Math.floor(random() * 90000)
            } EUR, IBAN DE89 3704 0044 0532 0130 00`,
          }],
        },
      });
    } else {
      calls.push({
        tool: "submit_time_off",
        arguments: {
          employee_id: e.id,
          start: "2025-07-01",
          end: "2025-07-11",
          reason: "Summer holiday",
        },
        classes: [WRITE],
        entities: [
          ent("employee_id", e.id, "arguments.employee_id", "submit_time_off"),
        ],
        result: {
          content: [{
            type: "text",
            text: `Request TO-${Math.floor(random() * 9000) + 1000} submitted`,
          }],
        },
      });
    }
  }
  const failing = employee();
  calls.push({
    tool: "submit_time_off",
    arguments: {
      employee_id: failing.id,
      start: "2025-08-10",
      end: "2025-08-01",
    },
    classes: [WRITE],
    entities: [
      ent(
        "employee_id",
        failing.id,
        "arguments.employee_id",
        "submit_time_off",
      ),
    ],
    isError: true,
    result: {
      content: [{ type: "text", text: "End date is before start date" }],
      isError: true,
    },
  });
  calls.push({
    tool: "get_pay_info",
    arguments: { employee: "everyone" },
    classes: [READ, SENSITIVE],
    rpcError: {
      code: -32602,
      message: "Invalid params: employee_id is required",
    },
  });
  calls.push(...o.extra);

  for (const call of calls) {
    const params = { name: call.tool, arguments: call.arguments };
    const request = {
      ...base(40 + Math.floor(random() * 400)),
      kind: "request",
      dir: "c2s",
      bytes: bytes(params) + 50,
      id: nextId++,
      method: "tools/call",
      params,
      tool: call.tool,
      ...(call.classes ? { classes: call.classes } : {}),
      ...(call.entities ? { entities: call.entities } : {}),
    };
    push(request);
    const duration = 5 + Math.floor(random() * 300);
    const reply = {
      ...base(duration),
      dir: "s2c",
      id: request.id,
      method: "tools/call",
      tool: call.tool,
      requestSeq: request.seq,
      durationMs: duration,
      ...(call.classes ? { classes: call.classes } : {}),
    };
    if (call.rpcError) {
      push({
        ...reply,
        kind: "error",
        bytes: bytes(call.rpcError) + 40,
        errorType: String(call.rpcError.code),
        error: call.rpcError,
      });
    } else {
      const result = call.result ??
        { content: [{ type: "text", text: "ok" }] };
      push({
        ...reply,
        kind: "response",
        bytes: bytes(result) + 40,
        result,
        ...(call.isError ? { isError: true, errorType: "tool_error" } : {}),
        ...(call.resultEntities ? { entities: call.resultEntities } : {}),
      });
    }
  }
  for (const text of o.stderr) {
    push({ ...base(1), kind: "stderr", text });
  }
  if (!o.noEnd) {
    const endTs = base(20);
    push({
      ...endTs,
      kind: "session_end",
      reason: "client_closed",
      exit: { code: 0, signal: null },
      summary: summarize(events, Date.parse(endTs.ts) - Date.parse(o.start)),
      pending: [],
      protocolVersion: "2025-06-18",
      client: o.client,
      server: o.server,
      stderr: {
        bytes: o.stderr.reduce((n, s) => n + s.length, 0),
        loggedBytes: o.stderr.reduce((n, s) => n + s.length, 0),
      },
    });
  }
  return events;
}

/** The session summary the proxy would write for `events`. */
function summarize(events: AuditEvent[], durationMs: number): Summary {
  const tools: Record<string, number> = {};
  const toolClasses: Record<string, string[]> = {};
  const entities = new Map<string, { type: string; value: string }>();
  let toolCalls = 0;
  let errors = 0;
  let invalid = 0;
  const messages = { c2s: 0, s2c: 0 };
  for (const event of events) {
    if (event.kind === "invalid") invalid++;
    if (
      event.kind === "request" || event.kind === "response" ||
      event.kind === "error" || event.kind === "notification"
    ) {
      messages[event.dir]++;
    }
    if (event.kind === "request" && event.method === "tools/call") {
      toolCalls++;
      const tool = event.tool ?? "";
      tools[tool] = (tools[tool] ?? 0) + 1;
    }
    if (event.kind === "error") errors++;
    if (event.kind === "response" && event.isError) errors++;
    if (event.kind === "request" || event.kind === "response") {
      for (const c of event.classes ?? []) {
        const list = toolClasses[c.label] ??= [];
        if (event.tool && !list.includes(event.tool)) list.push(event.tool);
      }
      for (const e of event.entities ?? []) {
        entities.set(`${e.type}\u0000${e.value}`, {
          type: e.type,
          value: e.value,
        });
      }
    }
  }
  return {
    toolCalls,
    tools,
    toolClasses,
    entities: [...entities.values()],
    uniqueEntities: entities.size,
    errors,
    messages,
    invalid,
    durationMs,
  };
}

/** The events as JSON Lines, one event per line, ending with a newline. */
export function toJsonl(events: readonly unknown[]): string {
  return events.map((e) => JSON.stringify(e)).join("\n") + "\n";
}

/** Writes `events` to `path` as JSON Lines. */
export async function writeLog(
  path: string,
  events: readonly unknown[],
): Promise<void> {
  await Deno.writeTextFile(path, toJsonl(events));
}
