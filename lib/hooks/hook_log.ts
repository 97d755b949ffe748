/**
 * Appending to a sealed log from short-lived, concurrent hook processes.
 * Each hook runs as its own process, often several at once, so no process
 * can keep the chain and Merkle tree in memory as the proxy does. Instead
 * each append takes an exclusive lock file beside the log (created with
 * `createNew`, so exactly one process holds it; a lock older than
 * {@linkcode STALE_LOCK_MS} is from a killed process and is broken), reads
 * the session's lines back into a fresh `Sealer` (`Sealer.resume` checks
 * every hash on the way), appends its events and a checkpoint over them,
 * and lets go. One valid chain and one tree per session result, whatever
 * the interleaving.
 *
 * @module
 */
import type { AuditEvent } from "../audit/event.ts";
import { SummaryBuilder } from "../audit/summary.ts";
import { Sealer, type SealerOptions } from "../seal/seal.ts";

/** A lock older than this (ms) is left by a killed process and is broken. */
export const STALE_LOCK_MS = 10_000;

/** The log could not be locked or read back. */
export class HookLogError extends Error {
  /** A message naming the file and what to do. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HookLogError";
  }
}

/** A request logged and not yet answered. */
export interface PendingCall {
  /** Its seq. */
  seq: number;
  /** Its time. */
  ts: string;
  /** Its tool. */
  tool?: string;
}

/** A session's state, as read back from its log. */
export interface HookLogState {
  /** The audit session id. */
  session: string;
  /** The sealer, resumed at the session's last line. */
  sealer: Sealer;
  /** The next event's seq. */
  nextSeq: number;
  /** Requests by id, not yet answered. */
  pending: Map<string, PendingCall>;
  /** The session's events so far, counted. */
  summary: SummaryBuilder;
  /** The session has a `session_start`. */
  started: boolean;
  /** The session has a `session_end`. */
  ended: boolean;
  /** The time of the session's first event. */
  startTs?: string;
}

/** Options for {@linkcode withLogLock}. */
export interface LockOptions {
  /**
   * Give up after this many ms.
   * @default {15000}
   */
  timeoutMs?: number;
}

/**
 * Runs `fn` while holding the exclusive lock of the log at `path`
 * (`path + ".lock"`). Throws {@linkcode HookLogError} when the lock cannot
 * be had in time.
 *
 * @example
 * ```ts
 * import { withLogLock } from "./hook_log.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const got = await withLogLock(`${dir}/a.jsonl`, async () => 42);
 * assert.equal(got, 42);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function withLogLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = performance.now() + (options.timeoutMs ?? 15_000);
  let wait = 1;
  for (;;) {
    try {
      const file = await Deno.open(lock, {
        createNew: true,
        write: true,
        mode: 0o600,
      });
      await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
      file.close();
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        throw new HookLogError(
          `cannot create the lock file "${lock}" (${error}); check that its directory is writable`,
          { cause: error },
        );
      }
      await breakStaleLock(lock);
      if (performance.now() > deadline) {
        throw new HookLogError(
          `the log "${path}" stayed locked for ${
            options.timeoutMs ?? 15_000
          } ms; if no mcp-audit hook is running, remove "${lock}"`,
        );
      }
      await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
      wait = Math.min(wait * 2, 20);
    }
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(lock).catch(() => {});
  }
}

async function breakStaleLock(lock: string): Promise<void> {
  try {
    const info = await Deno.stat(lock);
    const age = Date.now() - (info.mtime?.getTime() ?? Date.now());
    if (age > STALE_LOCK_MS) {
      // Renamed first: of several processes that find it stale, one wins.
      const aside = `${lock}.stale.${Deno.pid}`;
      await Deno.rename(lock, aside);
      await Deno.remove(aside);
    }
  } catch { /* gone already, or taken by another: try again */ }
}

/**
 * Reads `session`'s lines back from the log at `path` (no file: a new
 * session), resuming its chain and tree and collecting its pending
 * requests. Call it while holding the lock. Throws {@linkcode HookLogError}
 * when a line of the session does not extend its chain.
 *
 * @example A new log
 * ```ts
 * import { readHookLog } from "./hook_log.ts";
 * import assert from "node:assert/strict";
 *
 * const state = await readHookLog("/nonexistent/x.jsonl", "s");
 * assert.equal(state.nextSeq, 0);
 * assert.equal(state.started, false);
 * ```
 */
export async function readHookLog(
  path: string,
  session: string,
  sealing: SealerOptions = {},
): Promise<HookLogState> {
  const state: HookLogState = {
    session,
    // A hook seals a few lines: the tree's WebAssembly would cost more than it saves.
    sealer: new Sealer(session, { ...sealing, treeSimd: false }),
    nextSeq: 0,
    pending: new Map(),
    summary: new SummaryBuilder(),
    started: false,
    ended: false,
  };
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return state;
    throw new HookLogError(`cannot read the log "${path}" (${error})`, {
      cause: error,
    });
  }
  const decoder = new TextDecoder();
  // The session id as it is serialised, to skip other sessions' lines unparsed.
  const marker = `"session":${JSON.stringify(session)},`;
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(0x0a, start);
    if (end < 0) break; // A torn last line: not part of any chain.
    line++;
    const text = decoder.decode(bytes.subarray(start, end));
    const lineBytes = bytes.subarray(start, end);
    start = end + 1;
    if (!text.includes(marker)) continue;
    let event: AuditEvent;
    try {
      event = JSON.parse(text);
    } catch (error) {
      throw new HookLogError(
        `line ${line} of "${path}" is not JSON; verify the log with \`mcp-audit verify\``,
        { cause: error },
      );
    }
    if (event.session !== session) continue;
    try {
      state.sealer.resume(lineBytes, event.kind !== "checkpoint");
    } catch (error) {
      throw new HookLogError(
        `line ${line} of "${path}": ${(error as Error).message}`,
        { cause: error },
      );
    }
    state.nextSeq = event.seq + 1;
    state.startTs ??= event.ts;
    if (event.kind === "checkpoint") continue;
    state.summary.add(event);
    if (event.kind === "session_start") state.started = true;
    else if (event.kind === "session_end") state.ended = true;
    else if (event.kind === "request") {
      state.pending.set(String(event.id), {
        seq: event.seq,
        ts: event.ts,
        tool: event.tool,
      });
    } else if (event.kind === "response" || event.kind === "error") {
      state.pending.delete(String(event.id));
    }
  }
  return state;
}

/**
 * Seals `events` (numbered from `state.nextSeq` by the caller) onto the
 * chain, adds a checkpoint over everything so far, and appends the lines
 * to the log at `path` in one write. Call it while holding the lock.
 *
 * @example
 * ```ts
 * import { appendSealed, readHookLog } from "./hook_log.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const state = await readHookLog(path, "s");
 * await appendSealed(path, state, [{ v: 1, seq: 0, ts: "t", session: "s", kind: "stderr", text: "hi" }]);
 * const again = await readHookLog(path, "s");
 * assert.equal(again.nextSeq, 2); // the event and its checkpoint
 * await Deno.remove(path);
 * ```
 */
export async function appendSealed(
  path: string,
  state: HookLogState,
  events: AuditEvent[],
): Promise<void> {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const event of events) {
    if (event.kind === "session_end") {
      // As the proxy's log records it: the chain before this line.
      event.chain = { head: state.sealer.head, events: event.seq };
    }
    parts.push(state.sealer.seal(encoder.encode(JSON.stringify(event) + "\n")));
    state.nextSeq = event.seq + 1;
  }
  const fields = await state.sealer.checkpoint();
  const checkpoint = {
    v: 1,
    seq: state.nextSeq,
    ts: new Date().toISOString(),
    session: state.session,
    kind: "checkpoint",
    ...fields,
  };
  parts.push(
    state.sealer.seal(encoder.encode(JSON.stringify(checkpoint) + "\n"), {
      leaf: false,
    }),
  );
  state.nextSeq++;
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const file = await Deno.open(path, {
    append: true,
    create: true,
    mode: 0o600,
  });
  try {
    let written = 0;
    while (written < all.length) {
      written += await file.write(all.subarray(written));
    }
  } finally {
    file.close();
  }
}
