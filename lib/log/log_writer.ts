/**
 * Stage 5b: log lines -> the file. Appends each line as soon as it is
 * queued (one write per batch of whatever queued up meanwhile), so a crash
 * of the proxy loses at most the lines still in the queue. The queue is
 * bounded: past its high-water mark `write` returns a promise that resolves
 * when it drains, which is how the relay applies backpressure. A write that
 * fails does not throw: it is counted, reported once through `onWarning`,
 * and a `gap` event is written when writing works again.
 *
 * @module
 */
import { SCHEMA_VERSION } from "../audit/schema_version.ts";

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
  #lost: { fromSeq: number; count: number; reason: string } | undefined;
  #closed = false;
  #written = 0;

  private constructor(
    file: Deno.FsFile,
    path: string,
    options: LogWriterOptions,
  ) {
    this.#file = file;
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
      try {
        // A link put in place between the check and the open is caught here.
        if (!follow) await refuseSymlink(path, await file.stat());
        await tightenMode(file, path, options.onWarning);
        await endWithNewline(file, path);
      } catch (error) {
        file.close();
        throw error;
      }
      return new LogWriter(file, path, options);
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
    return this.#lost?.count ?? 0;
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
      // Set before the call: #run may finish synchronously and clear it.
      this.#running = true;
      this.#loop = this.#run();
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
  }

  async #writeBatch(batch: QueuedLines[]): Promise<void> {
    let gap = "";
    if (this.#lost) {
      gap = JSON.stringify({
        v: SCHEMA_VERSION,
        seq: this.#lost.fromSeq,
        ts: new Date().toISOString(),
        session: this.#session,
        kind: "gap",
        lost: this.#lost.count,
        fromSeq: this.#lost.fromSeq,
        reason: this.#lost.reason,
      }) + "\n";
    }
    let lines = 0;
    try {
      // Into a reused buffer: encodeInto is many times faster than
      // encode(), and there is no large allocation per batch. One write
      // runs at a time.
      let size = gap.length * 3;
      for (const item of batch) {
        size += item.text !== undefined
          ? item.text.length * 3
          : item.bytes!.length;
        lines += item.lines;
      }
      if (this.#buffer.length < size) {
        this.#buffer = new Uint8Array(Math.max(size, 64 * 1024));
      }
      let written = 0;
      // Runs of text lines are joined first: a flat string encodes several
      // times faster than a rope.
      let texts: string[] = gap ? [gap] : [];
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
      await writeAll(this.#file, bytes);
      this.#fileBytes += bytes.length;
      if (this.#lost) {
        this.#onWarning(
          `writing the audit log works again; ${this.#lost.count} event(s) were lost and a gap event records them`,
        );
        this.#lost = undefined;
      }
      this.#written += lines;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (!this.#lost) {
        this.#lost = { fromSeq: batch[0].seq, count: 0, reason };
        this.#onWarning(
          `writing the audit log "${this.#path}" failed (${reason}); the conversation goes on, lost events are counted`,
        );
      }
      this.#lost.count += lines;
    }
  }
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

async function endWithNewline(file: Deno.FsFile, path: string): Promise<void> {
  const size = (await file.stat()).size;
  if (size === 0) return;
  const last = new Uint8Array(1);
  const reader = await Deno.open(path, { read: true });
  try {
    await reader.seek(size - 1, Deno.SeekMode.Start);
    await reader.read(last);
  } finally {
    reader.close();
  }
  if (last[0] !== 0x0a) await writeAll(file, new Uint8Array([0x0a]));
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await file.write(bytes.subarray(offset));
  }
}
