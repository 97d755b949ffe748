/**
 * A small MCP client that follows the 2026-07-28 revision exactly, for the
 * tests: it probes with `server/discover`, puts the protocol version,
 * capabilities and identity in every request's `_meta`, answers
 * `input_required` by retrying under a new id with `inputResponses` and the
 * echoed `requestState`, polls task handles with `tasks/get`, and opens
 * `subscriptions/listen`. Over stdio (a spawned command) or Streamable
 * HTTP (a URL, with `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` headers).
 *
 * @module
 */
import {
  encodeHeaderValue,
  type Message,
  META,
  nameOf,
  paramHeaders,
  TASKS_EXTENSION,
  VERSION,
} from "./_mcp2026.ts";

/** What the client answers an elicitation with: keyed like `inputRequests`. */
export type Elicit = (
  key: string,
  request: { method: string; params: Record<string, unknown> },
) => Record<string, unknown>;

/** How the client sends one request and reads its answer. */
interface Channel {
  request(m: Message, notify: (n: Message) => void): Promise<Message>;
  /** Sends a notification (stdio only: HTTP cancels by closing the stream). */
  notify(m: Message): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@linkcode Mcp2026Client}. */
export interface ClientOptions {
  /** Declare the tasks extension in the capabilities. @default {true} */
  tasks?: boolean;
  /** Answers elicitations; without it the client declares no elicitation capability. */
  elicit?: Elicit;
}

/** The client. */
export class Mcp2026Client {
  #channel: Channel;
  #next = 1;
  #options: ClientOptions;
  #tools = new Map<string, unknown>();

  private constructor(channel: Channel, options: ClientOptions) {
    this.#channel = channel;
    this.#options = options;
  }

  /** A client speaking stdio to `command` (the proxy, or the server itself). */
  static stdio(command: string[], options: ClientOptions = {}): Mcp2026Client {
    return new Mcp2026Client(stdioChannel(command), options);
  }

  /** A client speaking Streamable HTTP to the MCP endpoint `url`. */
  static http(
    url: string,
    options: ClientOptions = {},
  ): Mcp2026Client {
    const client: Mcp2026Client = new Mcp2026Client(
      httpChannel(url, (m) => client.#headersFor(m)),
      options,
    );
    return client;
  }

  /** The `_meta` every request carries (basic/index.mdx, "Per-request protocol fields"). */
  #meta(): Record<string, unknown> {
    const capabilities: Record<string, unknown> = {};
    if (this.#options.elicit) capabilities.elicitation = { form: {} };
    if (this.#options.tasks !== false) {
      capabilities.extensions = { [TASKS_EXTENSION]: {} };
    }
    return {
      [META.protocolVersion]: VERSION,
      [META.clientInfo]: { name: "mcp2026-test-client", version: "1.0.0" },
      [META.clientCapabilities]: capabilities,
    };
  }

  /** The `Mcp-Param-*` headers of a tools/call, from the tool's schema. */
  #headersFor(m: Message): Record<string, string> {
    if (m.method !== "tools/call") return {};
    const schema = this.#tools.get(String(m.params?.name));
    return paramHeaders(
      schema,
      (m.params?.arguments ?? {}) as Record<string, unknown>,
    );
  }

  /**
   * Sends a request with a fresh id; resolves to the whole reply message.
   * `meta` replaces `_meta` fields, for tests of a server's refusals.
   */
  async send(
    method: string,
    params: Record<string, unknown> = {},
    notify: (n: Message) => void = () => {},
    meta: Record<string, unknown> = {},
  ): Promise<Message> {
    const id = this.#next++;
    return await this.#channel.request({
      jsonrpc: "2.0",
      id,
      method,
      params: { ...params, _meta: { ...this.#meta(), ...meta } },
    }, notify);
  }

  /** `server/discover`: the probe (server/discover.mdx). */
  async discover(): Promise<Record<string, unknown>> {
    return resultOf(await this.send("server/discover"));
  }

  /** `tools/list`, remembering each tool's schema for its `Mcp-Param-*` headers. */
  async listTools(): Promise<{ name: string; inputSchema: unknown }[]> {
    const r = resultOf(await this.send("tools/list"));
    const tools = r.tools as { name: string; inputSchema: unknown }[];
    for (const t of tools) this.#tools.set(t.name, t.inputSchema);
    return tools;
  }

  /**
   * Calls a tool to its final result: each `input_required` is answered by
   * a retry under a new id (basic/patterns/mrtr.mdx), and a task handle is
   * polled with `tasks/get` until it is terminal (the tasks extension).
   * Returns the final result and the id of every request it took.
   */
  async callTool(
    name: string,
    args: Record<string, unknown> = {},
  ): Promise<{ result: Record<string, unknown>; ids: (string | number)[] }> {
    const ids: (string | number)[] = [];
    let extra: Record<string, unknown> = {};
    for (let round = 0; round < 10; round++) {
      const reply = await this.send("tools/call", {
        name,
        arguments: args,
        ...extra,
      });
      ids.push(reply.id!);
      const r = resultOf(reply);
      if (r.resultType === "input_required") {
        extra = {};
        const requests = (r.inputRequests ?? {}) as Record<
          string,
          { method: string; params: Record<string, unknown> }
        >;
        const responses: Record<string, unknown> = {};
        for (const [key, request] of Object.entries(requests)) {
          if (!this.#options.elicit) throw new Error(`Cannot answer ${key}`);
          responses[key] = this.#options.elicit(key, request);
        }
        if (Object.keys(requests).length > 0) extra.inputResponses = responses;
        if (typeof r.requestState === "string") {
          extra.requestState = r.requestState;
        }
        continue;
      }
      if (r.resultType === "task") {
        const taskId = String(r.taskId);
        for (;;) {
          await new Promise((ok) =>
            setTimeout(ok, Number(r.pollIntervalMs ?? 10))
          );
          const poll = await this.send("tasks/get", { taskId });
          ids.push(poll.id!);
          const task = resultOf(poll);
          if (task.status === "completed") {
            return { result: task.result as Record<string, unknown>, ids };
          }
          if (task.status === "failed" || task.status === "cancelled") {
            throw new Error(`Task ${taskId} ${task.status}`);
          }
        }
      }
      if (r.resultType !== "complete") {
        throw new Error(`Unrecognised resultType ${r.resultType}`);
      }
      return { result: r, ids };
    }
    throw new Error(`${name}: still input_required after 10 rounds`);
  }

  /**
   * Opens `subscriptions/listen` and resolves with the acknowledgment; the
   * stream stays open until {@linkcode close} (basic/patterns/subscriptions.mdx).
   * Over stdio, `cancel()` ends it with `notifications/cancelled`.
   */
  listen(
    notifications: Record<string, unknown>,
  ): Promise<{ ack: Message; id: number; cancel(): Promise<void> }> {
    const id = this.#next;
    return new Promise((resolve, reject) => {
      this.send("subscriptions/listen", { notifications }, (n) => {
        if (n.method === "notifications/subscriptions/acknowledged") {
          resolve({
            ack: n,
            id,
            cancel: () =>
              this.#channel.notify({
                jsonrpc: "2.0",
                method: "notifications/cancelled",
                params: { requestId: id, reason: "done" },
              }),
          });
        }
      }).catch(reject);
    });
  }

  /** Closes the channel: stdin (stdio) or the open streams (HTTP). */
  async close(): Promise<void> {
    await this.#channel.close();
  }
}

function resultOf(m: Message): Record<string, unknown> {
  if (m.error) {
    throw new Error(`${m.error.code} ${m.error.message}`);
  }
  return m.result!;
}

/** stdio (transports/stdio.mdx): newline-delimited JSON on the child's stdin and stdout. */
function stdioChannel(command: string[]): Channel {
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const waiting = new Map<string | number, {
    resolve(m: Message): void;
    notify(n: Message): void;
  }>();
  const encoder = new TextEncoder();
  const reading = (async () => {
    let buffered = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl;
      while ((nl = buffered.indexOf("\n")) !== -1) {
        const m = JSON.parse(buffered.slice(0, nl)) as Message;
        buffered = buffered.slice(nl + 1);
        if (m.id !== undefined && m.method === undefined) {
          waiting.get(m.id)?.resolve(m);
          waiting.delete(m.id);
        } else if (m.method !== undefined) {
          // On stdio every subscription shares the channel: demultiplex by subscriptionId.
          const sub = (m.params?._meta as Record<string, unknown> | undefined)
            ?.[META.subscriptionId] as string | number | undefined;
          if (sub !== undefined) waiting.get(sub)?.notify(m);
        }
      }
    }
  })();
  return {
    request(m, notify): Promise<Message> {
      return new Promise((resolve) => {
        waiting.set(m.id!, { resolve, notify });
        writer.write(encoder.encode(JSON.stringify(m) + "\n"));
      });
    },
    async notify(m): Promise<void> {
      await writer.write(encoder.encode(JSON.stringify(m) + "\n"));
    },
    async close(): Promise<void> {
      await writer.close();
      await reading;
      await child.status;
    },
  };
}

/** Streamable HTTP (transports/streamable-http.mdx): one POST per message, with the request headers. */
function httpChannel(
  url: string,
  extraHeaders: (m: Message) => Record<string, string>,
): Channel {
  const open = new Set<AbortController>();
  return {
    async request(m, notify): Promise<Message> {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": VERSION,
        "mcp-method": m.method!,
        ...extraHeaders(m),
      };
      const name = nameOf(m.method!, m.params);
      if (name !== undefined) headers["mcp-name"] = encodeHeaderValue(name);
      const abort = new AbortController();
      open.add(abort);
      const response = await fetch(url, {
        method: "POST",
        headers,
        body: JSON.stringify(m),
        signal: abort.signal,
      });
      if (
        !response.headers.get("content-type")?.startsWith("text/event-stream")
      ) {
        open.delete(abort);
        return await response.json() as Message;
      }
      // An SSE stream: notifications, then (perhaps) the response.
      const reader = response.body!.pipeThrough(new TextDecoderStream())
        .getReader();
      let buffered = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffered += value;
          let end;
          while ((end = buffered.indexOf("\n\n")) !== -1) {
            const event = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const data = event.split("\n").filter((l) => l.startsWith("data:"))
              .map((l) => l.slice(5).trimStart()).join("\n");
            if (data === "") continue;
            const message = JSON.parse(data) as Message;
            if (message.method !== undefined) notify(message);
            else return message;
          }
        }
      } catch (e) {
        if (!abort.signal.aborted) throw e;
      } finally {
        open.delete(abort);
      }
      return {
        jsonrpc: "2.0",
        id: m.id,
        error: { code: 0, message: "stream closed" },
      };
    },
    notify(): Promise<void> {
      // Closing the stream is the cancellation on HTTP; see close().
      return Promise.resolve();
    },
    close(): Promise<void> {
      for (const abort of open) abort.abort();
      open.clear();
      return Promise.resolve();
    },
  };
}
