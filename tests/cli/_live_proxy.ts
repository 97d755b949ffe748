/**
 * A session that stays open while a test looks at it: the real proxy in
 * front of the scripted server, writing into a log directory, with a line
 * client that makes one call at a time.
 *
 * @module
 */
import { cliArgs, fixtureServer } from "../_helpers.ts";

/** The config the live tests record with: pay is SENSITIVE, send_ WRITE, get_ READ. */
export const LIVE_CONFIG = {
  rules: {
    sensitive: ["get_pay"],
    write: ["send_*"],
    read: ["get_*"],
  },
  entities: [{
    type: "employee",
    pattern: "\\bE\\d{3}\\b",
    in: ["arguments", "result"],
  }],
  plugins: ["sensitivity", "entities"],
};

/** The tools the scripted server lists; a call to any other is a tool error. */
export const LIVE_TOOLS = ["get_pay", "send_mail", "get_employee"];

/** An open session through `mcp-audit proxy`. */
export interface LiveProxy extends AsyncDisposable {
  /** Calls a tool and waits for its answer. */
  call(tool: string, args: Record<string, unknown>): Promise<void>;
  /** Closes the client's side and waits for the proxy to end the session. */
  close(): Promise<void>;
  /** Kills the proxy with SIGKILL: no session_end is written. */
  kill(): Promise<void>;
}

/** Starts the proxy logging into `dir` (its default log directory), with `args` added, and initialises the session as `client`. */
export async function liveProxy(
  dir: string,
  config: string,
  args: string[] = [],
  client = "live-test",
): Promise<LiveProxy> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs([
      "proxy",
      "--quiet",
      "--config",
      config,
      ...args,
      "--",
      ...fixtureServer("scripted_server.ts"),
    ]),
    env: {
      MCP_AUDIT_LOG_DIR: dir,
      TOOLS_JSON: JSON.stringify(LIVE_TOOLS.map((name) => ({ name }))),
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  let out = "";
  let id = 0;
  async function ask(method: string, params?: unknown): Promise<void> {
    const n = ++id;
    await writer.write(
      new TextEncoder().encode(
        JSON.stringify({ jsonrpc: "2.0", id: n, method, params }) + "\n",
      ),
    );
    while (!out.includes(`"id":${n},`) && !out.includes(`"id":${n}}`)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`The proxy closed before answering ${n}.`);
      out += new TextDecoder().decode(value);
    }
  }
  let closed = false;
  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await writer.close().catch(() => {});
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.status;
  }
  await ask("initialize", {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: client, version: "1" },
  });
  await ask("tools/list");
  return {
    call: (tool, args) => ask("tools/call", { name: tool, arguments: args }),
    close,
    async kill(): Promise<void> {
      child.kill("SIGKILL");
      await close();
    },
    [Symbol.asyncDispose]: close,
  };
}

/** The first files of the logs in `dir`, by name. */
export async function firstLogs(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (/_[^_.]+\.jsonl$/.test(e.name)) names.push(`${dir}/${e.name}`);
  }
  return names.sort();
}

/** Runs `mcp-audit <args>` and returns its status and output. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}
