/**
 * The stdio proxy: relays bytes between an MCP client (our stdin/stdout) and
 * a server process unchanged and as they arrive, and taps a copy of each
 * chunk into the audit path (frames -> messages -> events -> plugins -> log).
 * Auditing never holds the relay back except through the bounded queue's
 * backpressure, and never breaks it: an audit failure becomes a warning.
 *
 * @module
 */
import type { SessionEndEvent, Summary } from "../audit/event.ts";
import type { Pipeline } from "../plugin/pipeline.ts";
import { AuditSession } from "../session/audit_session.ts";
import type { SigningKey } from "../seal/signing_key.ts";
import {
  resolveCommand,
  type ServerProcess,
  startServer,
} from "./server_process.ts";

/** Options for {@linkcode runProxy}. */
export interface ProxyOptions {
  /** The server command and its arguments. */
  command: string[];
  /**
   * The log file to append to (created with mode 0600). Without it, a new
   * file named by start time and server goes into `logDir`.
   */
  logPath?: string;
  /** Where a session's log goes when `logPath` is not given. @default {defaultLogDir()} */
  logDir?: string;
  /** The plugin pipeline; without it, events are logged as correlated. */
  processor?: Pipeline;
  /** The client's side: where requests come from. @default {Deno.stdin.readable} */
  input?: ReadableStream<Uint8Array>;
  /** The client's side: where server output goes. @default {Deno.stdout.writable} */
  output?: WritableStream<Uint8Array>;
  /** Where server stderr and our warnings go. @default {Deno.stderr.writable} */
  errors?: WritableStream<Uint8Array>;
  /** Frames larger than this have their payload truncated in the log. @default {65536} */
  maxPayloadBytes?: number;
  /** Lines longer than this are hashed, not parsed. @default {67108864} */
  maxLineBytes?: number;
  /**
   * Messages larger than this are skimmed (id, method, tool name, isError)
   * rather than parsed; plugins then see their size, hash and preview only.
   * Never less than `maxPayloadBytes`. @default {524288}
   */
  maxParseBytes?: number;
  /** Server stderr bytes recorded in the log per session. @default {1048576} */
  maxStderrBytes?: number;
  /** After the client closes stdin: how long the server gets to exit before SIGTERM, then SIGKILL. @default {2000} */
  graceMs?: number;
  /** Pass SIGINT and SIGTERM received by this process on to the server. @default {true} */
  forwardSignals?: boolean;
  /** Start a new log file after this many bytes (`a.jsonl`, `a.2.jsonl`, ...). */
  rotateBytes?: number;
  /** Seal lines into the hash chain and Merkle tree, with checkpoints. @default {true} */
  seal?: boolean;
  /** Signs checkpoints (see `loadSigningKey`); unsigned checkpoints without it. */
  signingKey?: SigningKey;
  /** A checkpoint after this many events. @default {1000} */
  checkpointEvery?: number;
  /** A checkpoint after this many seconds with new events. @default {10} */
  checkpointSeconds?: number;
  /** Environment for the server; inherits ours when absent. */
  env?: Record<string, string>;
  /**
   * Seal and write the log in a worker thread, so that the relay and the
   * plugins use one core and the log's hashing another. An unsealed log is
   * written in this thread: there is too little to gain.
   * @default {seal !== false}
   */
  logThread?: boolean;
}

/** What a proxy run ended with. */
export interface ProxyResult {
  /** The server's exit status (128 + signal number when killed by a signal). */
  exitCode: number;
  /** The log written (its first file, when rotated). */
  logPath: string;
  /** Every log file written, in order. */
  logPaths: string[];
  /** The session id. */
  session: string;
  /** The session summary, as written in `session_end`. */
  summary: Summary;
  /** Why the session ended. */
  reason: SessionEndEvent["reason"];
  /** What went wrong, when something did. */
  failure?: string;
  /** Events lost to failed log writes. */
  lostEvents: number;
}

const defaults = {
  maxPayloadBytes: 64 * 1024,
  maxLineBytes: 64 * 1024 * 1024,
  maxParseBytes: 512 * 1024,
  maxStderrBytes: 1024 * 1024,
  graceMs: 2000,
  forwardSignals: true,
} satisfies Partial<ProxyOptions>;

const encoder = new TextEncoder();
const STDERR_IN_FLIGHT_MAX = 16 * 1024 * 1024;

/**
 * Runs the proxy until the server has exited and every event is logged.
 * Throws `CommandNotFoundError` before anything starts when the server
 * cannot be found, and `LogOpenError` (server never started) when the log
 * cannot be opened.
 *
 * @example Wrapping a server that echoes one line
 * ```ts ignore
 * import { runProxy } from "./proxy.ts";
 *
 * const result = await runProxy({ command: ["my-mcp-server"], logPath: "/tmp/session.jsonl" });
 * console.log(result.summary.toolCalls);
 * ```
 */
export async function runProxy(options: ProxyOptions): Promise<ProxyResult> {
  const opts = { ...options } as ProxyOptions & typeof defaults;
  for (const [key, value] of Object.entries(defaults)) {
    // An option passed as undefined takes its default.
    if (opts[key as keyof typeof defaults] === undefined) {
      (opts as unknown as Record<string, unknown>)[key] = value;
    }
  }
  // Find the server before creating a log, and open the log before starting the server.
  resolveCommand(opts.command[0] ?? "");
  const errorsWriter = (opts.errors ?? Deno.stderr.writable).getWriter();
  const warned = new Set<string>();
  const warn = (message: string): void => {
    if (warned.has(message)) return;
    warned.add(message);
    errorsWriter.write(encoder.encode(`mcp-audit: ${message}\n`)).catch(
      () => {},
    );
  };
  let audit: AuditSession;
  try {
    audit = await AuditSession.open({
      logPath: opts.logPath,
      logDir: opts.logDir,
      command: opts.command,
      processor: opts.processor,
      maxPayloadBytes: opts.maxPayloadBytes,
      maxParseBytes: opts.maxParseBytes,
      maxLineBytes: opts.maxLineBytes,
      onWarning: warn,
      seal: opts.seal,
      rotateBytes: opts.rotateBytes,
      signingKey: opts.signingKey,
      checkpointEvery: opts.checkpointEvery,
      checkpointSeconds: opts.checkpointSeconds,
      thread: opts.logThread ?? opts.seal !== false,
    });
  } catch (error) {
    errorsWriter.releaseLock();
    throw error;
  }

  let server: ServerProcess;
  try {
    server = startServer(opts.command, { env: opts.env });
  } catch (error) {
    await audit.end({
      reason: "proxy_error",
      failure: `the server could not be started: ${error}`,
    });
    errorsWriter.releaseLock();
    throw error;
  }
  audit.start({ pid: server.child.pid });

  // Our own stdin and stdout are read into reused buffers: nothing downstream
  // keeps a chunk (the relay awaits each write; the taps copy what they keep).
  const input = opts.input ?? Deno.stdin.readable;
  const inputReader = chunkReader(input, opts.input === undefined);
  const serverOut = chunkReader(server.child.stdout, opts.output === undefined);
  // Auditing must never break the relay: a failure there is a warning.
  const c2sTap = audit.tap("c2s", { reusedChunks: inputReader.reused });
  const s2cTap = audit.tap("s2c", { reusedChunks: serverOut.reused });

  let clientClosedFirst = false;
  let serverExited = false;
  let signalled: string | undefined;
  const timers: ReturnType<typeof setTimeout>[] = [];

  const stopServerAfterGrace = (): void => {
    timers.push(setTimeout(() => {
      server.signal("SIGTERM");
      timers.push(setTimeout(() => server.signal("SIGKILL"), opts.graceMs));
    }, opts.graceMs));
  };

  // Client -> server.
  const serverIn = server.child.stdin.getWriter();
  const c2s = (async () => {
    let serverInOpen = true;
    try {
      while (true) {
        const value = await inputReader.read();
        if (value === undefined) break;
        // Start the write, then audit before yielding: the bytes are on their
        // way, and no answer to them can be logged before they are.
        const written = serverInOpen ? serverIn.write(value) : undefined;
        const wait = c2sTap.push(value);
        if (written) {
          try {
            await written;
          } catch {
            serverInOpen = false; // The server is gone; keep auditing what the client sends.
          }
        }
        if (wait) await wait;
      }
    } catch {
      // Input cancelled because the server ended.
    } finally {
      c2sTap.end();
      if (!serverExited) clientClosedFirst = true;
      try {
        await serverIn.close();
      } catch {
        // Already closed.
      }
      if (!serverExited) stopServerAfterGrace();
    }
  })();

  // Server -> client.
  const outputWriter = (opts.output ?? Deno.stdout.writable).getWriter();
  const s2c = (async () => {
    let clientOpen = true;
    try {
      while (true) {
        const value = await serverOut.read();
        if (value === undefined) break;
        // As above: forwarded first, logged before anything else can run.
        const written = clientOpen ? outputWriter.write(value) : undefined;
        const wait = s2cTap.push(value);
        if (written) {
          try {
            await written;
          } catch {
            clientOpen = false; // Keep draining so the server never blocks on a full pipe.
          }
        }
        if (wait) await wait;
      }
    } finally {
      s2cTap.end();
      try {
        await outputWriter.close();
      } catch {
        // The client already went away.
      }
    }
  })();

  // Server stderr: always drained, passed through, recorded up to a bound.
  let stderrBytes = 0;
  let stderrLogged = 0;
  // Passed through without waiting, so a client that never reads our stderr
  // cannot stall the server; past a bound in flight, passthrough drops bytes.
  let stderrInFlight = 0;
  let lastStderrWrite: Promise<void> = Promise.resolve();
  const stderrDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of server.child.stderr) {
      stderrBytes += chunk.length;
      if (stderrInFlight < STDERR_IN_FLIGHT_MAX) {
        stderrInFlight += chunk.length;
        lastStderrWrite = errorsWriter.write(chunk).catch(() => {}).finally(
          () => {
            stderrInFlight -= chunk.length;
          },
        );
      } else {
        warn(
          "the client is not reading stderr; some server stderr was not passed through",
        );
      }
      if (stderrLogged < opts.maxStderrBytes) {
        const part = chunk.subarray(0, opts.maxStderrBytes - stderrLogged);
        stderrLogged += part.length;
        const text = decoder.decode(part, {
          stream: part.length === chunk.length,
        });
        audit.stderr(text);
      }
    }
  })();

  const signalHandlers: [Deno.Signal, () => void][] = [];
  if (opts.forwardSignals) {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      const handler = (): void => {
        signalled = sig;
        server.signal(sig);
      };
      try {
        Deno.addSignalListener(sig, handler);
        signalHandlers.push([sig, handler]);
      } catch {
        // Not supported on this platform (SIGTERM on Windows).
      }
    }
  }

  const status = await server.child.status;
  serverExited = true;
  // Stop whatever the server left running in its group, then let the pipes finish.
  server.signal("SIGTERM");
  const killLeftovers = setTimeout(
    () => server.signal("SIGKILL"),
    opts.graceMs,
  );
  await Promise.all([s2c, stderrDone]);
  clearTimeout(killLeftovers);
  for (const t of timers) clearTimeout(t);
  for (const [sig, handler] of signalHandlers) {
    Deno.removeSignalListener(sig, handler);
  }
  if (!clientClosedFirst) {
    // The server ended first: stop reading from the client.
    await inputReader.cancel().catch(() => {});
  }
  await c2s;

  const reason: SessionEndEvent["reason"] = signalled
    ? "signal"
    : clientClosedFirst
    ? "client_closed"
    : "server_exited";
  const failure = describeFailure(status, reason, audit.pending(), signalled);
  const end = await audit.end({
    reason,
    exit: { code: status.code, signal: status.signal ?? null },
    failure,
    stderr: { bytes: stderrBytes, loggedBytes: stderrLogged },
  });
  await lastStderrWrite;
  errorsWriter.releaseLock();
  const result: ProxyResult = {
    exitCode: status.code,
    logPath: audit.logPath,
    logPaths: audit.logPaths,
    session: audit.session,
    summary: end.summary,
    reason,
    lostEvents: audit.lostEvents,
  };
  if (failure) result.failure = failure;
  return result;
}

/** Bytes read at a time from a pipe (its usual capacity on Linux). */
const READ_BYTES = 64 * 1024;

/** Reads chunks from a stream, possibly into one reused buffer. */
interface ChunkReader {
  /** The next chunk, or `undefined` at the end; valid until the next read when `reused`. */
  read(): Promise<Uint8Array | undefined>;
  /** Stops reading. */
  cancel(): Promise<void>;
  /** Whether chunks share one buffer, overwritten by the next read. */
  reused: boolean;
}

/**
 * Reads `stream` into one reused buffer when `reuse` is asked and the stream
 * allows it (a byte stream, read with a BYOB reader): no allocation per
 * chunk, which keeps the proxy's memory flat on long streams. Otherwise
 * chunk by chunk, as the stream hands them out.
 */
function chunkReader(
  stream: ReadableStream<Uint8Array>,
  reuse: boolean,
): ChunkReader {
  if (reuse) {
    let byob: ReadableStreamBYOBReader | undefined;
    try {
      byob = stream.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream: read it as it comes.
    }
    if (byob) {
      const reader = byob;
      let buffer = new ArrayBuffer(READ_BYTES);
      return {
        reused: true,
        async read(): Promise<Uint8Array | undefined> {
          const { value, done } = await reader.read(new Uint8Array(buffer));
          if (done || value === undefined) return undefined;
          buffer = value.buffer as ArrayBuffer;
          return value;
        },
        cancel: () => reader.cancel(),
      };
    }
  }
  const reader = stream.getReader();
  return {
    reused: false,
    async read(): Promise<Uint8Array | undefined> {
      const { value, done } = await reader.read();
      return done ? undefined : value;
    },
    cancel: () => reader.cancel(),
  };
}

function describeFailure(
  status: Deno.CommandStatus,
  reason: SessionEndEvent["reason"],
  pending: SessionEndEvent["pending"],
  signalled: string | undefined,
): string | undefined {
  const unanswered = pending.filter((p) => !p.cancelled);
  const parts: string[] = [];
  // A server stopped with SIGTERM after the client left was stopped by us, as designed.
  const stoppedByUs = reason === "client_closed" && status.signal === "SIGTERM";
  if (status.signal && !stoppedByUs) {
    parts.push(
      `the server was killed by ${status.signal}${
        signalled ? ` (forwarded from the proxy)` : ""
      }`,
    );
  } else if (!status.signal && status.code !== 0) {
    parts.push(`the server exited with code ${status.code}`);
  }
  if (unanswered.length > 0) {
    const list = unanswered.slice(0, 5).map((p) =>
      `${p.method}${p.tool ? ` ${p.tool}` : ""} (id ${
        JSON.stringify(p.id)
      }, seq ${p.seq})`
    ).join(", ");
    parts.push(
      `${unanswered.length} request(s) never answered: ${list}${
        unanswered.length > 5 ? ", ..." : ""
      }`,
    );
  }
  return parts.length > 0 ? parts.join("; ") : undefined;
}
