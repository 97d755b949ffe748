/**
 * The stdio proxy: relays bytes between an MCP client (our stdin/stdout) and
 * a server process unchanged and as they arrive, and taps a copy of each
 * chunk into the audit path (frames -> messages -> events -> plugins -> log).
 * Auditing never holds the relay back except through the bounded queue's
 * backpressure, and never breaks it: an audit failure becomes a warning.
 *
 * @module
 */
import { dirname } from "node:path";
import type { SessionEndEvent, Summary } from "../audit/event.ts";
import type { Pipeline } from "../plugin/pipeline.ts";
import {
  AuditSession,
  type FindingRule,
  type FindingSource,
} from "../session/audit_session.ts";
import type { SigningKey } from "../seal/signing_key.ts";
import {
  resolveCommand,
  type ServerProcess,
  startServer,
} from "./server_process.ts";
import { chunkReader } from "./chunk_reader.ts";
import { relay } from "./relay.ts";
import { relayStderr } from "./stderr_relay.ts";
import { forwardSignals } from "./signals.ts";
import { describeFailure } from "./failure.ts";
import { escapeControls } from "../util/terminal_text.ts";
import type { Policy } from "../guard/policy.ts";

/** Options for {@linkcode runProxy}. */
export interface ProxyOptions {
  /** Live findings: these rules run as the session goes, each finding logged as a sealed `finding` event. Off when absent. */
  findingRules?: readonly FindingRule[];
  /** Live findings run in other threads (the assembly's `findingSources`): each session's sources. Off when absent. */
  findingSources?: () => FindingSource[];
  /** The server command and its arguments. */
  command: string[];
  /**
   * The log file to append to (created with mode 0600). Without it, a new
   * file named by start time and server goes into `logDir`.
   */
  logPath?: string;
  /** Where a session's log goes when `logPath` is not given. @default {defaultLogDir()} */
  logDir?: string;
  /** The server's name (`--name`): the log's file name carries it, and policy rules' `server` match it beside the name the server reports. @default {taken from the command} */
  name?: string;
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
  /** Write the log through `logPath` when it is a symbolic link (refused otherwise). @default {false} */
  followSymlink?: boolean;
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
  /**
   * Guard mode: decide each client request against this policy before it
   * is forwarded (whole lines each way). Without it, the bytes are relayed
   * untouched, as they come.
   */
  policy?: Policy;
  /** Where tool pins are kept (`pins/` in it). @default {the log's directory} */
  stateDir?: string;
  /** Called with the log's (first) file once it is open, before the server starts (`--anchor` reads it from there). */
  onLogOpen?: (logPath: string) => void;
  /** Called before `session_end` is written; what it gives is recorded there (`--otlp` flushes its export). */
  beforeEnd?: () => Promise<SessionEndEvent["otlp"]>;
  /** Called before `session_end` is written; the `--anchor` counts it gives are recorded there. */
  anchorCounts?: () => Promise<SessionEndEvent["anchor"]>;
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
    errorsWriter.write(
      encoder.encode(`mcp-audit: ${escapeControls(message)}\n`),
    ).catch(
      () => {},
    );
  };
  let audit: AuditSession;
  try {
    audit = await AuditSession.open({
      logPath: opts.logPath,
      logDir: opts.logDir,
      command: opts.command,
      name: opts.name,
      processor: opts.processor,
      maxPayloadBytes: opts.maxPayloadBytes,
      maxParseBytes: opts.maxParseBytes,
      maxLineBytes: opts.maxLineBytes,
      onWarning: warn,
      seal: opts.seal,
      rotateBytes: opts.rotateBytes,
      followSymlink: opts.followSymlink,
      signingKey: opts.signingKey,
      checkpointEvery: opts.checkpointEvery,
      checkpointSeconds: opts.checkpointSeconds,
      thread: opts.logThread ?? opts.seal !== false,
      findingRules: opts.findingRules,
      findingSources: opts.findingSources,
    });
  } catch (error) {
    errorsWriter.releaseLock();
    throw error;
  }
  opts.onLogOpen?.(audit.logPath);

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
  audit.start({ pid: server.child.pid, transport: "stdio" });

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

  const outputWriter = (opts.output ?? Deno.stdout.writable).getWriter();
  const guarded = opts.policy
    ? await guardedRelay(opts, audit, warn)
    : undefined;

  // Client -> server.
  const serverIn = server.child.stdin.getWriter();
  const c2s = (async () => {
    try {
      if (guarded) await guarded.client(inputReader, serverIn);
      else await relay(inputReader, serverIn, c2sTap);
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
  const s2c = (async () => {
    try {
      if (guarded) await guarded.server(serverOut, outputWriter);
      else await relay(serverOut, outputWriter, s2cTap);
    } finally {
      s2cTap.end();
      try {
        await outputWriter.close();
      } catch {
        // The client already went away.
      }
    }
  })();

  const stderr = relayStderr(server.child.stderr, errorsWriter, {
    maxLoggedBytes: opts.maxStderrBytes,
    record: (text) => audit.stderr(text),
    warn,
  });

  const stopForwarding = opts.forwardSignals
    ? forwardSignals((sig) => {
      signalled = sig;
      server.signal(sig);
    })
    : () => {};

  const status = await server.child.status;
  serverExited = true;
  // The session is over: plugins get the grace period to finish what they
  // are doing, then nothing more is waited for, so no plugin keeps the
  // process alive past it.
  const stopWaiting = setTimeout(
    () => opts.processor?.impatient("the session ended", true),
    opts.graceMs,
  );
  // Stop whatever the server left running in its group, then let the pipes finish.
  server.signal("SIGTERM");
  const killLeftovers = setTimeout(
    () => server.signal("SIGKILL"),
    opts.graceMs,
  );
  await Promise.all([s2c, stderr.done]);
  clearTimeout(killLeftovers);
  for (const t of timers) clearTimeout(t);
  stopForwarding();
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
    stderr: stderr.counts(),
    otlp: opts.beforeEnd,
    anchor: opts.anchorCounts,
  });
  clearTimeout(stopWaiting);
  opts.processor?.close();
  await stderr.flushed();
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

/** The guard's relay, loaded only when a policy is set (it brings the SQL parser). */
async function guardedRelay(
  opts: ProxyOptions,
  audit: AuditSession,
  warn: (message: string) => void,
): Promise<import("./guarded_relay.ts").GuardedRelay> {
  const { GuardedRelay } = await import("./guarded_relay.ts");
  const { Guard } = await import("../guard/guard.ts");
  const { pinChecker } = await import("../guard/pins.ts");
  const policy = opts.policy!;
  const stateDir = opts.stateDir ?? dirname(audit.logPath);
  return new GuardedRelay({
    guard: new Guard(policy),
    audit,
    name: opts.name,
    maxParseBytes: opts.maxParseBytes,
    pins: policy.pinning === "off"
      ? undefined
      : pinChecker(stateDir, opts.command, warn),
    warn,
  });
}
