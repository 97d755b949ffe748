/**
 * Stage 5b: log lines -> the file. Appends each line as soon as it is
 * queued (one write per batch of whatever queued up meanwhile, from the
 * microtask after the first line of a batch; a batch of up to 64 KiB is
 * written synchronously, which costs less than a trip through the
 * runtime's blocking pool), so a crash of the proxy loses at most the
 * lines still in the queue. The queue is
 * bounded: past its high-water mark `write` returns a promise that resolves
 * when it drains, which is how the relay applies backpressure. A write that
 * fails does not throw: it is counted, reported once through `onWarning`,
 * and a `gap` event is written when writing works again. A write cut short
 * (a full disk takes what fits) is cut back to its last whole line, so
 * every line in the file is whole and the gap names exactly the seqs that
 * are not in the file.
 *
 * @module
 */
import { SCHEMA_VERSION } from "../audit/schema_version.ts";
import {
  HASH_HEX_FROM_END,
  HASH_HEX_LENGTH,
  isSealed,
} from "../seal/sealed_line.ts";

/** The log file could not be opened; nothing was started. */
export class LogOpenError extends Error {
  /** Creates the error for `path`. */
  constructor(path: string, options?: ErrorOptions) {
    const cause = options?.cause instanceof Error
      ? options.cause.message
      : String(options?.cause ?? "");
    super(
      `Cannot open the audit log "${path}": ${cause}. Choose a writable path with --log FILE, or fix the directory's permissions.`,
      options,
    );
    this.name = "LogOpenError";
  }
}

/** Options for {@linkcode LogWriter.open}. */
export interface LogWriterOptions {
  /** Session id for the `gap` events the writer itself writes. */
  session: string;
  /**
   * Queue size in bytes above which `write` asks the caller to wait.
   * @default {8388608} (8 MiB)
   */
  highWaterBytes?: number;
  /** Called with a warning sentence when a write fails (once per failure run). */
  onWarning?: (message: string) => void;
  /**
   * Start a new file once the current one holds this many bytes:
   * `name.jsonl`, then `name.2.jsonl`, `name.3.jsonl`, ... Lines are never
   * split; the hash chain and the tree simply continue in the next file.
   */
  rotateBytes?: number;
  /**
   * Write through `path` when it is a symbolic link. Without it such a
   * path is refused: a link planted where the log goes would send the
   * audit (and its mode) to a file of someone else's choosing.
   * @default {false}
   */
  followSymlink?: boolean;
}

const defaults = {
  highWaterBytes: 8 * 1024 * 1024,
} satisfies Partial<LogWriterOptions>;

const encoder = new TextEncoder();

/**
 * Appends JSONL lines to a file created with mode 0600.
 *
 * @example
 * ```ts
 * import { LogWriter } from "./log_writer.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * const log = await LogWriter.open(path, { session: "s" });
 * await log.write(0, '{"seq":0}\n');
 * await log.close();
 * assert.equal(await Deno.readTextFile(path), '{"seq":0}\n');
 * await Deno.remove(path);
 * ```
 */
export class LogWriter {
  #file: Deno.FsFile;
  #path: string;
  #paths: string[];
  #fileBytes = 0;
  /** The file's size: where the next write starts. */
  #size: number;
  /** A cut-short line could not be cut off: the next write starts a line. */
  #torn = 0;
  #buffer = new Uint8Array(0);
  #rotateBytes: number;
  #session: string;
  #high: number;
  #onWarning: (message: string) => void;
  #queue: QueuedLines[] = [];
  #queuedBytes = 0;
  #loop: Promise<void> = Promise.resolve();
  #running = false;
  #drainWaiters: (() => void)[] = [];
  #lost: LostRun | undefined;
  #lostTotal = 0;
  #closed = false;
  #written = 0;

  private constructor(
    file: Deno.FsFile,
    path: string,
    size: number,
    options: LogWriterOptions,
  ) {
    this.#file = file;
    this.#size = size;
    this.#path = path;
    this.#paths = [path];
    this.#rotateBytes = options.rotateBytes ?? Infinity;
    this.#session = options.session;
    this.#high = options.highWaterBytes ?? defaults.highWaterBytes;
    this.#onWarning = options.onWarning ?? (() => {});
  }

  /**
   * Opens (creating with mode 0600, appending if it exists) the log at
   * `path`; its directory is created too. A symbolic link is refused
   * unless `followSymlink`; an existing file with a looser mode is made
   * 0600, with a warning (and a warning when it cannot be). Throws
   * {@linkcode LogOpenError}.
   */
  static async open(
    path: string,
    options: LogWriterOptions,
  ): Promise<LogWriter> {
    try {
      const dir = path.replace(/[\\/][^\\/]*$/, "");
      if (dir && dir !== path) {
        await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      }
      const follow = options.followSymlink ?? false;
      if (!follow) await refuseSymlink(path);
      const file = await Deno.open(path, {
        create: true,
        append: true,
        mode: 0o600,
      });
      let size: number;
      try {
        // A link put in place between the check and the open is caught here.
        if (!follow) await refuseSymlink(path, await file.stat());
        await tightenMode(file, path, options.onWarning);
        size = await endWithNewline(file, path);
      } catch (error) {
        file.close();
        throw error;
      }
      return new LogWriter(file, path, size, options);
    } catch (error) {
      throw new LogOpenError(path, { cause: error });
    }
  }

  /** The path of the file being written now. */
  get path(): string {
    return this.#path;
  }

  /** Every file written, in order (more than one after rotation). */
  get paths(): string[] {
    return [...this.#paths];
  }

  /** Lines written so far. */
  get written(): number {
    return this.#written;
  }

  /** Events lost to failed writes so far. */
  get lost(): number {
    return this.#lostTotal;
  }

  /**
   * Queues one line (event `seq`) for appending. Returns a promise only when
   * the queue is above its high-water mark; await it to apply backpressure.
   */
  write(seq: number, line: string): Promise<void> | undefined {
    return this.#enqueue({ seq, lines: 1, text: line }, line.length);
  }

  /**
   * Queues `lines` whole lines already encoded (the first is event `seq`),
   * as {@linkcode LogWriter.write} does one.
   */
  writeBytes(
    seq: number,
    bytes: Uint8Array,
    lines: number,
  ): Promise<void> | undefined {
    return this.#enqueue({ seq, lines, bytes }, bytes.length);
  }

  #enqueue(item: QueuedLines, size: number): Promise<void> | undefined {
    if (this.#closed) throw new Error("The log writer is closed.");
    this.#queue.push(item);
    this.#queuedBytes += size;
    if (!this.#running) {
      // Started after the caller's synchronous work, so every line queued
      // by it (an event and its response, a run of the sink) is one write.
      this.#running = true;
      this.#loop = Promise.resolve().then(() => this.#run());
    }
    if (this.#queuedBytes > this.#high) {
      return new Promise((resolve) => this.#drainWaiters.push(resolve));
    }
    return undefined;
  }

  /** Resolves when everything queued so far has been written (or counted lost). */
  async flush(): Promise<void> {
    while (this.#running) await this.#loop;
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    try {
      this.#file.close();
    } catch {
      // Already closed.
    }
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        this.#queuedBytes = 0;
        if (this.#drainWaiters.length > 0) {
          const waiters = this.#drainWaiters;
          this.#drainWaiters = [];
          for (const w of waiters) w();
        }
        await this.#writeBatch(batch);
      }
    } finally {
      this.#running = false;
    }
  }

  async #rotate(): Promise<void> {
    const next = rotatedName(this.#paths[0], this.#paths.length + 1);
    // The new file is opened before the old one is closed, so a failure
    // keeps us writing where we were.
    const file = await Deno.open(next, {
      create: true,
      append: true,
      mode: 0o600,
    });
    this.#file.close();
    this.#file = file;
    this.#path = next;
    this.#paths.push(next);
    this.#fileBytes = 0;
    this.#size = (await file.stat()).size;
  }

  async #writeBatch(batch: QueuedLines[]): Promise<void> {
    let gap = "";
    if (this.#lost) gap = gapLine(this.#session, this.#lost, this.#torn);
    // After a cut-short line that could not be cut off, start a fresh line.
    const lead = this.#torn > 0 ? "\n" : "";
    let lines = 0;
    let written = 0;
    // Into a reused buffer: encodeInto is many times faster than
    // encode(), and there is no large allocation per batch. One write
    // runs at a time.
    let size = (lead.length + gap.length) * 3;
    for (const item of batch) {
      size += item.text !== undefined
        ? item.text.length * 3
        : item.bytes!.length;
      lines += item.lines;
    }
    if (this.#buffer.length < size) {
      this.#buffer = new Uint8Array(Math.max(size, 64 * 1024));
    }
    // Runs of text lines are joined first: a flat string encodes several
    // times faster than a rope.
    let texts: string[] = lead || gap ? [lead + gap] : [];
    const flushTexts = (): void => {
      if (texts.length === 0) return;
      written += encoder.encodeInto(
        texts.length === 1 ? texts[0] : texts.join(""),
        this.#buffer.subarray(written),
      ).written;
      texts = [];
    };
    for (const item of batch) {
      if (item.text !== undefined) texts.push(item.text);
      else {
        flushTexts();
        this.#buffer.set(item.bytes!, written);
        written += item.bytes!.length;
      }
    }
    flushTexts();
    const bytes = this.#buffer.subarray(0, written);
    // The next file is started when there is something to put in it, so
    // a session never leaves an empty last part.
    if (this.#fileBytes >= this.#rotateBytes) {
      await this.#rotate().catch((error) =>
        this.#onWarning(
          `cannot start the next log file (${error}); writing goes on in "${this.#path}"`,
        )
      );
    }
    const progress = { done: 0 };
    try {
      if (bytes.length <= SYNC_WRITE_BYTES) {
        writeAllSync(this.#file, bytes, progress);
      } else await writeAll(this.#file, bytes, progress);
      this.#size += bytes.length;
      this.#fileBytes += bytes.length;
      this.#torn = 0;
      if (this.#lost) this.#recovered(this.#lost);
      this.#written += lines;
    } catch (error) {
      await this.#failed(batch, bytes, progress.done, gap !== "", error);
    }
  }

  #recovered(lost: LostRun): void {
    this.#onWarning(
      `writing the audit log works again; ${lost.count} event(s) (seq ${lost.fromSeq} to ${lost.toSeq}) were lost and a gap event records them`,
    );
    this.#lost = undefined;
  }

  /**
   * A write failed after `done` of `bytes`: keeps the whole lines written,
   * cuts off a line written in part, and counts the rest lost.
   */
  async #failed(
    batch: QueuedLines[],
    bytes: Uint8Array,
    done: number,
    withGap: boolean,
    error: unknown,
  ): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    const whole = done === 0 ? 0 : bytes.lastIndexOf(0x0a, done - 1) + 1;
    let complete = 0;
    for (let i = bytes.indexOf(0x0a); i >= 0 && i < whole;) {
      complete++;
      i = bytes.indexOf(0x0a, i + 1);
    }
    if (this.#torn > 0 && complete > 0) complete--; // The fresh line's newline.
    if (whole > 0) this.#torn = 0;
    if (done > whole) {
      try {
        await this.#file.truncate(this.#size + whole);
      } catch {
        // The part stays; the next write starts on a fresh line and the gap
        // says how long the cut-short line is.
        this.#torn = done - whole;
      }
    }
    this.#size += this.#torn > 0 ? done : whole;
    this.#fileBytes += this.#torn > 0 ? done : whole;
    if (withGap && complete > 0) {
      this.#recovered(this.#lost!);
      complete--;
    }
    this.#written += complete;
    // The first line not written whole, and the last of the batch.
    let skip = complete;
    let fromSeq = -1;
    let lastSeq = -1;
    for (const item of batch) {
      if (fromSeq < 0 && skip < item.lines) fromSeq = item.seq + skip;
      skip -= Math.min(skip, item.lines);
      lastSeq = item.seq + item.lines - 1;
    }
    if (fromSeq < 0) return;
    const head = lastHash(bytes);
    if (!this.#lost) {
      this.#lost = { fromSeq, toSeq: lastSeq, count: 0, reason, head };
      this.#onWarning(
        `writing the audit log "${this.#path}" failed (${reason}); the conversation goes on, lost events are counted`,
      );
    }
    const count = lastSeq - fromSeq + 1;
    this.#lost.count += count;
    this.#lost.toSeq = lastSeq;
    this.#lost.head = head;
    this.#lostTotal += count;
  }
}

/** Events lost in one run of failed writes: seqs `fromSeq` to `toSeq`. */
interface LostRun {
  fromSeq: number;
  toSeq: number;
  count: number;
  reason: string;
  /** The `hash` of the last line lost, when it was sealed. */
  head: string | undefined;
}

/** The writer's own (unsealed) record of a run of lost events. */
function gapLine(session: string, lost: LostRun, torn: number): string {
  return JSON.stringify({
    v: SCHEMA_VERSION,
    seq: lost.fromSeq,
    ts: new Date().toISOString(),
    session,
    kind: "gap",
    lost: lost.count,
    fromSeq: lost.fromSeq,
    toSeq: lost.toSeq,
    reason: lost.reason,
    ...(lost.head ? { head: lost.head } : {}),
    ...(torn > 0 ? { torn } : {}),
  }) + "\n";
}

/** The `hash` of the last line of `bytes` (newline included) when it is sealed. */
function lastHash(bytes: Uint8Array): string | undefined {
  const line = bytes.subarray(0, bytes.length - 1);
  if (bytes.at(-1) !== 0x0a || !isSealed(line)) return undefined;
  const at = line.length - HASH_HEX_FROM_END;
  return String.fromCharCode(...line.subarray(at, at + HASH_HEX_LENGTH));
}

/** Queued lines: one as text, or several already encoded. */
interface QueuedLines {
  /** The event number of the (first) line. */
  seq: number;
  lines: number;
  text?: string;
  bytes?: Uint8Array;
}

/** The name of part `n` (from 2) of a rotated log: `a.jsonl` -> `a.2.jsonl`. */
export function rotatedName(first: string, n: number): string {
  const m = /^(.*?)(\.jsonl)?$/.exec(first)!;
  return `${m[1]}.${n}${m[2] ?? ""}`;
}

/**
 * A log cut mid-line by a crash must not glue the next session's first line
 * onto the fragment: end it first.
 */
/**
 * Throws when `path` is a symbolic link, or (given the opened file's
 * stat) no longer the file that was opened.
 */
async function refuseSymlink(
  path: string,
  opened?: Deno.FileInfo,
): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && !opened) return;
    throw error;
  }
  if (info.isSymlink) {
    const target = await Deno.readLink(path).catch(() => "?");
    throw new Error(
      `it is a symbolic link to "${target}", and the log is not written through a link unless --follow-symlink is given`,
    );
  }
  if (
    opened && opened.ino !== null &&
    (opened.ino !== info.ino || opened.dev !== info.dev)
  ) {
    throw new Error(
      "it was replaced while being opened; open it again, or pass --follow-symlink to write through a link",
    );
  }
}

/** Makes an existing log's mode 0600 when it is looser, saying so; warns when it cannot. */
async function tightenMode(
  file: Deno.FsFile,
  path: string,
  onWarning: ((message: string) => void) | undefined,
): Promise<void> {
  const mode = (await file.stat()).mode;
  // No POSIX modes (Windows).
  if (mode === null || (mode & 0o777) === 0o600) return;
  const was = (mode & 0o777).toString(8).padStart(4, "0");
  try {
    await Deno.chmod(path, 0o600);
    onWarning?.(`the log "${path}" had mode ${was}; it is now 0600`);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    onWarning?.(
      `the log "${path}" has mode ${was} and could not be made 0600 (${why}): other users may be able to read it`,
    );
  }
}

async function endWithNewline(
  file: Deno.FsFile,
  path: string,
): Promise<number> {
  const size = (await file.stat()).size;
  if (size === 0) return 0;
  const last = new Uint8Array(1);
  const reader = await Deno.open(path, { read: true });
  try {
    await reader.seek(size - 1, Deno.SeekMode.Start);
    await reader.read(last);
  } finally {
    reader.close();
  }
  if (last[0] === 0x0a) return size;
  await writeAll(file, new Uint8Array([0x0a]), { done: 0 });
  return size + 1;
}

/**
 * The largest batch written synchronously. An asynchronous file write goes
 * through a thread of the runtime's blocking pool and back, which costs
 * more CPU than writing a few KiB to the page cache; a large batch is
 * written asynchronously so that a slow disk does not stall the relay for
 * long.
 */
const SYNC_WRITE_BYTES = 64 * 1024;

/** As {@linkcode writeAll}, synchronously. */
function writeAllSync(
  file: Deno.FsFile,
  bytes: Uint8Array,
  progress: { done: number },
): void {
  while (progress.done < bytes.length) {
    progress.done += file.writeSync(bytes.subarray(progress.done));
  }
}

/** Writes all of `bytes`; `progress.done` says how many made it when it throws. */
async function writeAll(
  file: Deno.FsFile,
  bytes: Uint8Array,
  progress: { done: number },
): Promise<void> {
  while (progress.done < bytes.length) {
    progress.done += await file.write(bytes.subarray(progress.done));
  }
}
