/**
 * A small MCP server that follows the 2026-07-28 revision exactly, for the
 * tests: no `initialize`, every request checked for its `_meta`,
 * `server/discover`, `resultType` on every result, a multi round-trip tool,
 * a task from the tasks extension, and `subscriptions/listen`.
 *
 *   deno run mcp2026_server.ts           # stdio
 *   deno run --allow-net mcp2026_server.ts --http   # Streamable HTTP on 127.0.0.1, port printed
 *
 * Tools: `echo` (returns its `text`), `login` (elicits a GitHub login by
 * `input_required`, then greets it), `build` (a task when the client
 * declares the tasks extension: done on the second `tasks/get`),
 * `query` (its `region` is mirrored in `Mcp-Param-Region`, and the optional
 * `options.limit` and `options.dryRun` in `Mcp-Param-Limit` and
 * `Mcp-Param-Dry-Run`: over HTTP a call without them, or with values that
 * differ from the body, is refused with -32020 HeaderMismatch). With
 * `--bad-tools`, `tools/list` also holds tools whose `x-mcp-header` marks
 * break the rules of server/tools.mdx (on a `number`, under `items`, the
 * same name twice without regard to case, a name that is not a token),
 * which a client over Streamable HTTP must leave out.
 *
 * @module
 */
import { createHmac, randomBytes } from "node:crypto";
import {
  decodeHeaderValue,
  ERROR,
  type Message,
  META,
  nameOf,
  paramHeaders,
  TASKS_EXTENSION,
  VERSION,
} from "./_mcp2026.ts";

const SERVER_INFO = { name: "mcp2026-test-server", version: "1.0.0" };

const TOOLS = [
  {
    name: "echo",
    description: "Returns its text",
    inputSchema: {
      type: "object",
      properties: { text: { type: "string" } },
      required: ["text"],
    },
  },
  {
    name: "login",
    description: "Asks for the user's GitHub login, then greets them",
    inputSchema: { type: "object", properties: {} },
  },
  {
    name: "build",
    description: "A long build: a task when the client supports tasks",
    inputSchema: {
      type: "object",
      properties: { target: { type: "string" } },
    },
  },
  {
    name: "query",
    description: "Runs a query in a region",
    inputSchema: {
      type: "object",
      properties: {
        region: { type: "string", "x-mcp-header": "Region" },
        query: { type: "string" },
        options: {
          type: "object",
          properties: {
            limit: { type: "integer", "x-mcp-header": "Limit" },
            dryRun: { type: "boolean", "x-mcp-header": "Dry-Run" },
          },
        },
      },
      required: ["region", "query"],
    },
  },
];

/** Tools whose marks are invalid, each for one rule (`--bad-tools`). */
const BAD_TOOLS = [
  {
    name: "bad_number",
    description: "A mark on a number",
    inputSchema: {
      type: "object",
      properties: { ratio: { type: "number", "x-mcp-header": "Ratio" } },
    },
  },
  {
    name: "bad_items",
    description: "A mark under items",
    inputSchema: {
      type: "object",
      properties: {
        ids: {
          type: "array",
          items: { type: "string", "x-mcp-header": "Id" },
        },
      },
    },
  },
  {
    name: "bad_duplicate",
    description: "The same mark twice",
    inputSchema: {
      type: "object",
      properties: {
        a: { type: "string", "x-mcp-header": "Zone" },
        b: { type: "string", "x-mcp-header": "zone" },
      },
    },
  },
  {
    name: "bad_token",
    description: "A mark that is no header name",
    inputSchema: {
      type: "object",
      properties: { a: { type: "string", "x-mcp-header": "Bad Name" } },
    },
  },
];
const LISTED: unknown[] = Deno.args.includes("--bad-tools")
  ? [...TOOLS, ...BAD_TOOLS]
  : TOOLS;

/** Thrown to answer a request with a JSON-RPC error (and an HTTP status). */
class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The requestState key: MRTR asks servers to protect its integrity. */
const STATE_KEY = randomBytes(32);

function sign(payload: string): string {
  const mac = createHmac("sha256", STATE_KEY).update(payload).digest("hex");
  return `${btoa(payload)}.${mac}`;
}

function verify(state: string): Record<string, unknown> {
  const [body, mac] = state.split(".");
  const payload = atob(body ?? "");
  const want = createHmac("sha256", STATE_KEY).update(payload).digest("hex");
  if (mac !== want) {
    throw new RpcError(ERROR.invalidParams, "requestState failed verification");
  }
  return JSON.parse(payload);
}

/** Tasks by id: the number of polls each has had. */
const tasks = new Map<string, { polls: number; target: string }>();

function result(body: Record<string, unknown>): Record<string, unknown> {
  return {
    resultType: "complete",
    ...body,
    _meta: { [META.serverInfo]: SERVER_INFO },
  };
}

/** Checks the per-request `_meta` (basic/index.mdx, "Per-request protocol fields"). */
function checkMeta(params: Record<string, unknown> | undefined): {
  capabilities: Record<string, unknown>;
} {
  const meta = params?._meta as Record<string, unknown> | undefined;
  const version = meta?.[META.protocolVersion];
  const capabilities = meta?.[META.clientCapabilities];
  if (typeof version !== "string" || typeof capabilities !== "object") {
    throw new RpcError(
      ERROR.invalidParams,
      `Missing _meta ${META.protocolVersion} or ${META.clientCapabilities}`,
    );
  }
  if (version !== VERSION) {
    throw new RpcError(
      ERROR.unsupportedProtocolVersion,
      `Unsupported protocol version ${version}`,
      { supported: [VERSION], requested: version },
    );
  }
  return { capabilities: capabilities as Record<string, unknown> };
}

/**
 * Answers one request. `notify` sends a notification on the request's own
 * stream; for `subscriptions/listen` the answer is `undefined` (the stream
 * stays open until the client cancels it).
 */
export function answer(
  m: Message,
  notify: (n: Message) => void,
): Record<string, unknown> | undefined {
  const params = m.params ?? {};
  if (m.method === "initialize") {
    // A legacy client: name the versions this server speaks (versioning.mdx).
    throw new RpcError(
      ERROR.unsupportedProtocolVersion,
      "This server speaks only protocol version 2026-07-28",
      { supported: [VERSION], requested: String(params.protocolVersion) },
    );
  }
  const { capabilities } = checkMeta(params);
  switch (m.method) {
    case "server/discover":
      return result({
        supportedVersions: [VERSION],
        capabilities: {
          tools: {},
          extensions: { [TASKS_EXTENSION]: {} },
        },
        instructions: "Test server for the 2026-07-28 revision.",
        ttlMs: 60000,
        cacheScope: "public",
      });
    case "tools/list":
      return result({ tools: LISTED, ttlMs: 60000, cacheScope: "public" });
    case "tools/call":
      return callTool(params, capabilities);
    case "tasks/get": {
      const task = tasks.get(String(params.taskId));
      if (!task) throw new RpcError(ERROR.invalidParams, "Unknown taskId");
      task.polls++;
      const base = {
        taskId: params.taskId,
        createdAt: new Date().toISOString(),
        lastUpdatedAt: new Date().toISOString(),
        ttlMs: 60000,
        pollIntervalMs: 10,
      };
      if (task.polls < 2) return result({ ...base, status: "working" });
      return result({
        ...base,
        status: "completed",
        result: {
          content: [{ type: "text", text: `built ${task.target}` }],
          isError: false,
        },
      });
    }
    case "tasks/cancel":
    case "tasks/update":
      if (!tasks.has(String(params.taskId))) {
        throw new RpcError(ERROR.invalidParams, "Unknown taskId");
      }
      return result({});
    case "subscriptions/listen": {
      const asked = (params.notifications ?? {}) as Record<string, unknown>;
      const agreed: Record<string, unknown> = {};
      if (asked.toolsListChanged === true) agreed.toolsListChanged = true;
      notify({
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: {
          _meta: { [META.subscriptionId]: m.id },
          notifications: agreed,
        },
      });
      return undefined;
    }
    default:
      throw new RpcError(
        ERROR.methodNotFound,
        `Method not found: ${m.method}`,
        undefined,
        404,
      );
  }
}

function callTool(
  params: Record<string, unknown>,
  capabilities: Record<string, unknown>,
): Record<string, unknown> {
  const args = (params.arguments ?? {}) as Record<string, unknown>;
  const text = (t: string) => [{ type: "text", text: t }];
  switch (params.name) {
    case "echo":
      return result({ content: text(String(args.text)), isError: false });
    case "query":
      return result({
        content: text(
          `ran in ${args.region}: ${args.query}${
            args.options === undefined
              ? ""
              : ` with ${JSON.stringify(args.options)}`
          }`,
        ),
        isError: false,
      });
    case "login": {
      const responses = params.inputResponses as
        | Record<string, { action?: string; content?: { name?: string } }>
        | undefined;
      const login = responses?.github_login;
      if (typeof params.requestState === "string") {
        const state = verify(params.requestState);
        if (state.tool !== "login") {
          throw new RpcError(
            ERROR.invalidParams,
            "requestState is for another request",
          );
        }
      }
      if (login?.action === "accept" && login.content?.name) {
        return result({
          content: text(`Hello, ${login.content.name}`),
          isError: false,
        });
      }
      if (!("elicitation" in capabilities)) {
        throw new RpcError(
          ERROR.missingRequiredClientCapability,
          "login needs the elicitation capability",
          { requiredCapabilities: { elicitation: {} } },
        );
      }
      return {
        resultType: "input_required",
        inputRequests: {
          github_login: {
            method: "elicitation/create",
            params: {
              mode: "form",
              message: "Please provide your GitHub username",
              requestedSchema: {
                type: "object",
                properties: { name: { type: "string" } },
                required: ["name"],
              },
            },
          },
        },
        requestState: sign(JSON.stringify({ tool: "login", at: Date.now() })),
        _meta: { [META.serverInfo]: SERVER_INFO },
      };
    }
    case "build": {
      const target = String(args.target ?? "all");
      const extensions = capabilities.extensions as
        | Record<string, unknown>
        | undefined;
      if (!extensions || !(TASKS_EXTENSION in extensions)) {
        return result({ content: text(`built ${target}`), isError: false });
      }
      const taskId = crypto.randomUUID();
      tasks.set(taskId, { polls: 0, target });
      const now = new Date().toISOString();
      return {
        resultType: "task",
        taskId,
        status: "working",
        statusMessage: "Building",
        createdAt: now,
        lastUpdatedAt: now,
        ttlMs: 60000,
        pollIntervalMs: 10,
        _meta: { [META.serverInfo]: SERVER_INFO },
      };
    }
    default:
      throw new RpcError(ERROR.invalidParams, `Unknown tool: ${params.name}`);
  }
}

/** The reply to a request, or the error for what it threw; with its HTTP status. */
function reply(
  m: Message,
  notify: (n: Message) => void,
): { message?: Message; status: number } {
  try {
    const r = answer(m, notify);
    return r === undefined
      ? { status: 200 }
      : { message: { jsonrpc: "2.0", id: m.id, result: r }, status: 200 };
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    const error: Message["error"] = { code: e.code, message: e.message };
    if (e.data !== undefined) error.data = e.data;
    return { message: { jsonrpc: "2.0", id: m.id, error }, status: e.status };
  }
}

/** Serves stdio: one JSON-RPC message per line each way (transports/stdio.mdx). */
async function serveStdio(): Promise<void> {
  const encoder = new TextEncoder();
  const write = (m: Message) =>
    Deno.stdout.writeSync(encoder.encode(JSON.stringify(m) + "\n"));
  let buffered = "";
  const decoder = new TextDecoder();
  for await (const chunk of Deno.stdin.readable) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === "") continue;
      const m = JSON.parse(line) as Message;
      // Notifications (notifications/cancelled) need no answer.
      if (m.id === undefined) continue;
      const { message } = reply(m, write);
      if (message) write(message);
    }
  }
}

/** Checks the request headers against the body (streamable-http.mdx, "Server Validation"). */
function headerProblem(request: Request, m: Message): string | undefined {
  const h = request.headers;
  const version = h.get("mcp-protocol-version");
  const meta = m.params?._meta as Record<string, unknown> | undefined;
  if (version === null) return "MCP-Protocol-Version header is missing";
  if (version !== meta?.[META.protocolVersion]) {
    return `MCP-Protocol-Version header ${version} does not match _meta`;
  }
  if (h.get("mcp-method") !== m.method) {
    return `Mcp-Method header value '${
      h.get("mcp-method")
    }' does not match body value '${m.method}'`;
  }
  const name = nameOf(m.method!, m.params);
  if (name !== undefined) {
    const header = h.get("mcp-name");
    if (header === null) return "Mcp-Name header is missing";
    if (decodeHeaderValue(header) !== name) {
      return `Mcp-Name header value '${header}' does not match body value '${name}'`;
    }
  }
  if (m.method === "tools/call") {
    const tool = TOOLS.find((t) => t.name === m.params?.name);
    const args = (m.params?.arguments ?? {}) as Record<string, unknown>;
    const want = tool ? paramHeaders(tool.inputSchema, args) : {};
    for (const [header, value] of Object.entries(want)) {
      const got = h.get(header);
      if (got === null) return `${header} header is missing`;
      if (decodeHeaderValue(got) !== decodeHeaderValue(value)) {
        return `${header} header value '${got}' does not match the body`;
      }
    }
  }
  return undefined;
}

/** Serves Streamable HTTP at /mcp on 127.0.0.1 (transports/streamable-http.mdx). */
function serveHttp(): Deno.HttpServer {
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => {
      // The one line a test reads to find the endpoint.
      Deno.stdout.writeSync(
        new TextEncoder().encode(`http://127.0.0.1:${port}/mcp\n`),
      );
    },
  }, async (request) => {
    const json = (body: unknown, status: number) =>
      Response.json(body, { status });
    const origin = request.headers.get("origin");
    if (
      origin !== null &&
      !/^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(origin)
    ) {
      return json({
        jsonrpc: "2.0",
        error: { code: -32600, message: "Origin not allowed" },
      }, 403);
    }
    if (new URL(request.url).pathname !== "/mcp") {
      return new Response("Not Found", { status: 404 });
    }
    // No GET stream and no sessions in this revision.
    if (request.method !== "POST") {
      return new Response(null, { status: 405, headers: { allow: "POST" } });
    }
    const accept = request.headers.get("accept") ?? "";
    if (
      !accept.includes("application/json") ||
      !accept.includes("text/event-stream")
    ) {
      return json({
        jsonrpc: "2.0",
        error: {
          code: -32600,
          message: "Accept must list application/json and text/event-stream",
        },
      }, 400);
    }
    let m: Message;
    try {
      m = await request.json();
    } catch {
      return json({
        jsonrpc: "2.0",
        error: { code: -32700, message: "Parse error" },
      }, 400);
    }
    if (m.id === undefined) return new Response(null, { status: 202 });
    const problem = headerProblem(request, m);
    if (problem) {
      return json({
        jsonrpc: "2.0",
        id: m.id,
        error: {
          code: ERROR.headerMismatch,
          message: `Header mismatch: ${problem}`,
        },
      }, 400);
    }
    if (m.method !== "subscriptions/listen") {
      const { message, status } = reply(m, () => {});
      return json(message, status);
    }
    // The listen stream: SSE that stays open until the client closes it.
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller): void {
        const { message } = reply(
          m,
          (n) =>
            controller.enqueue(
              encoder.encode(`data: ${JSON.stringify(n)}\n\n`),
            ),
        );
        if (message) {
          controller.enqueue(
            encoder.encode(`data: ${JSON.stringify(message)}\n\n`),
          );
          controller.close();
        }
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      },
    });
  });
}

if (import.meta.main) {
  if (Deno.args.includes("--http")) serveHttp();
  else await serveStdio();
}
