/**
 * The per-user hook writer behind {@linkcode runHookClient}'s fast path:
 * `mcp-audit hook --serve BASE` listens on the Unix socket `BASE.sock`,
 * runs each request as `mcp-audit hook` would (one at a time, in the
 * request's working directory) and answers with what that would have
 * printed. It holds an exclusive lock on `BASE.lock` (which holds its pid)
 * while it lives, so at
 * most one writer serves a key however many clients start one, and it
 * goes when idle or sent SIGTERM. Appends still take the log's own lock
 * (`hook_log.ts`), so a writer and full hook processes may share a log.
 *
 * @module
 */
import type { HookReply, HookRequest } from "./hook_client.ts";

/** Options for {@linkcode serveHooks}. */
export interface ServeHooksOptions {
  /**
   * Stop after this long without a request (ms).
   * @default {60000}
   */
  idleMs?: number;
  /**
   * Give up on a client that sends nothing for this long (ms).
   * @default {5000}
   */
  readTimeoutMs?: number;
}

const defaults = {
  idleMs: 60_000,
  readTimeoutMs: 5_000,
} satisfies ServeHooksOptions;

/** All of a connection's bytes up to its end (not `conn.readable`, which closes the connection at the end). */
async function readAll(conn: Deno.UnixConn): Promise<string> {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n) as Uint8Array<ArrayBuffer>);
  }
  return new TextDecoder().decode(await new Blob(chunks).bytes());
}

async function readRequest(
  conn: Deno.UnixConn,
  timeoutMs: number,
): Promise<HookRequest> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const text = await Promise.race([
      readAll(conn),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("the client sent no request")),
          timeoutMs,
        );
      }),
    ]);
    const request = JSON.parse(text) as HookRequest;
    if (
      request?.v !== 1 || !Array.isArray(request.argv) ||
      typeof request.cwd !== "string" || typeof request.input !== "string"
    ) {
      throw new Error("not a hook request");
    }
    return request;
  } finally {
    clearTimeout(timer);
  }
}

async function answer(
  conn: Deno.UnixConn,
  handle: (request: HookRequest) => Promise<HookReply>,
  timeoutMs: number,
): Promise<void> {
  try {
    let reply: HookReply;
    try {
      reply = await handle(await readRequest(conn, timeoutMs));
    } catch (error) {
      reply = {
        stdout: "",
        stderr: [`mcp-audit: the hook writer failed: ${error}`],
        exit: 1,
      };
    }
    const bytes = new TextEncoder().encode(JSON.stringify(reply));
    for (let at = 0; at < bytes.length;) {
      at += await conn.write(bytes.subarray(at));
    }
  } catch {
    // The client went away: nothing to tell it.
  } finally {
    try {
      conn.close();
    } catch { /* closed already */ }
  }
}

/**
 * Serves hook requests on `${base}.sock` until idle, one at a time;
 * returns at once (false) when another writer holds `${base}.lock`.
 *
 * The example is not run by `deno task test`: a Unix socket needs
 * `--allow-net` without a host list, which the test task does not grant.
 * tests/hooks/hook_client_test.ts runs the writer as a real process.
 *
 * @example Two requests, then idle
 * ```ts ignore
 * import { serveHooks } from "./hook_server.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const served = serveHooks(`${dir}/w`, async (r) => ({ stdout: r.input.toUpperCase(), stderr: [], exit: 0 }), { idleMs: 300 });
 * await new Promise((r) => setTimeout(r, 100));
 * const conn = await Deno.connect({ transport: "unix", path: `${dir}/w.sock` });
 * await conn.write(new TextEncoder().encode(JSON.stringify({ v: 1, argv: [], cwd: dir, input: "hi" })));
 * await conn.closeWrite();
 * assert.equal(JSON.parse(await new Response(conn.readable).text()).stdout, "HI");
 * assert.equal(await served, true);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function serveHooks(
  base: string,
  handle: (request: HookRequest) => Promise<HookReply>,
  options: ServeHooksOptions = {},
): Promise<boolean> {
  const { idleMs, readTimeoutMs } = { ...defaults, ...options };
  const lock = await Deno.open(`${base}.lock`, {
    create: true,
    write: true,
    mode: 0o600,
  });
  try {
    if (!(await lock.tryLock(true))) return false;
    // Who serves: for `kill`, and for tests that stop it.
    await lock.truncate();
    await lock.write(new TextEncoder().encode(`${Deno.pid}\n`));
    const path = `${base}.sock`;
    await Deno.remove(path).catch(() => {});
    const listener = Deno.listen({ transport: "unix", path });
    await Deno.chmod(path, 0o600).catch(() => {});
    await Deno.remove(`${base}.starting`).catch(() => {});
    let timer = setTimeout(() => listener.close(), idleMs);
    // Stopped by its pid: finish what was asked, then go as when idle.
    const stop = (): void => {
      clearTimeout(timer);
      try {
        listener.close();
      } catch { /* closed already */ }
    };
    const signals = Deno.build.os === "windows"
      ? []
      : (["SIGTERM", "SIGINT"] as const);
    for (const signal of signals) Deno.addSignalListener(signal, stop);
    let queue = Promise.resolve();
    try {
      for await (const conn of listener) {
        clearTimeout(timer);
        // One at a time: a request runs in its own working directory.
        queue = queue.then(() => answer(conn, handle, readTimeoutMs)).then(
          () => {
            clearTimeout(timer);
            timer = setTimeout(() => listener.close(), idleMs);
          },
        );
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    } finally {
      clearTimeout(timer);
      for (const signal of signals) Deno.removeSignalListener(signal, stop);
      await queue;
      await Deno.remove(path).catch(() => {});
    }
    return true;
  } finally {
    lock.close();
  }
}
