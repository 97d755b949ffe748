/**
 * Test helpers for the HTTP transports: `server-everything` in its
 * `streamableHttp` and `sse` modes on a free 127.0.0.1 port, the reverse
 * proxy started as a real `mcp-audit proxy --listen` subprocess, and an
 * SDK client with sampling and elicitation handlers.
 *
 * @module
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { cliArgs } from "../_helpers.ts";

/** A running subprocess, with what it wrote on stderr so far. */
export interface Running extends AsyncDisposable {
  child: Deno.ChildProcess;
  stderr(): string;
  /** Sends SIGTERM and waits for the exit status. */
  stop(): Promise<Deno.CommandStatus>;
}

/** A port free on 127.0.0.1 just now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Starts a process and waits until its stderr matches `ready`. */
export async function spawnUntil(
  argv: string[],
  ready: RegExp,
  env: Record<string, string> = {},
): Promise<Running & { match: RegExpMatchArray }> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  let resolveMatch: (m: RegExpMatchArray) => void = () => {};
  const matched = new Promise<RegExpMatchArray>((r) => resolveMatch = r);
  const reading = (async () => {
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      const m = text.match(ready);
      if (m) resolveMatch(m);
    }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const match = await Promise.race([
    matched,
    child.status.then(() => null),
    new Promise<null>((r) => timer = setTimeout(() => r(null), 30_000)),
  ]);
  clearTimeout(timer);
  let stopped: Promise<Deno.CommandStatus> | undefined;
  const stop = (): Promise<Deno.CommandStatus> => {
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      const status = await child.status;
      await reading;
      return status;
    })();
    return stopped;
  };
  if (!match) {
    await stop();
    throw new Error(`${argv.join(" ")} did not start:\n${text}`);
  }
  return {
    child,
    match,
    stderr: () => text,
    stop,
    async [Symbol.asyncDispose](): Promise<void> {
      await stop();
    },
  };
}

/** `server-everything` over HTTP: its MCP endpoint's URL. */
export async function startEverything(
  mode: "streamableHttp" | "sse",
): Promise<Running & { url: string }> {
  const port = freePort();
  const running = await spawnUntil(
    [
      Deno.execPath(),
      "run",
      "--quiet",
      "-A",
      "npm:@modelcontextprotocol/server-everything@2026.8.31",
      mode,
    ],
    /listening on port|running on port/,
    { PORT: String(port) },
  );
  const path = mode === "sse" ? "/sse" : "/mcp";
  return { ...running, url: `http://127.0.0.1:${port}${path}` };
}

/** `mcp-audit proxy --listen 127.0.0.1:0 --upstream URL`: the local URL. */
export async function startReverse(
  upstream: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Running & { url: string }> {
  const running = await spawnUntil(
    [
      Deno.execPath(),
      ...cliArgs([
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        upstream,
        ...args,
      ]),
    ],
    /listening on (http:\/\/\S+),/,
    env,
  );
  return { ...running, url: running.match[1] };
}

/** An SDK client that answers sampling and elicitation requests. */
export function samplingClient(name: string): Client {
  const client = new Client({ name, version: "1.0.0" }, {
    capabilities: { sampling: {}, elicitation: {} },
  });
  client.setRequestHandler(CreateMessageRequestSchema, () => ({
    model: "test-model",
    role: "assistant",
    content: { type: "text", text: `sampled for ${name}` },
  }));
  client.setRequestHandler(ElicitRequestSchema, () => ({
    action: "accept",
    content: { name: `Ada of ${name}` },
  }));
  return client;
}

/** Runs `mcp-audit <args>` to its end. */
export async function runCli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}
