/**
 * An anchor off the machine for `proxy --anchor URL`: each signed
 * checkpoint the proxy writes (tree size, root, signature) is POSTed, as
 * it is made, to an HTTP(S) endpoint, so that a log later cut below that
 * size is caught by whoever holds the anchored heads. The body is one row
 * of the `mcp_audit_checkpoints` table as JSON, so ClickHouse's own HTTP
 * interface (`/?query=INSERT INTO ... FORMAT JSONEachRow`) takes it as is.
 * The anchor reads the log as it is written, beside the relay: it never
 * holds up a message, and a failed POST is counted and retried with the
 * next checkpoint.
 *
 * @module
 */
import { followLog } from "../log/log_follower.ts";
import { type CheckpointRow, checkpointRow } from "./event_row.ts";

/** Options for {@linkcode CheckpointAnchor}. */
export interface CheckpointAnchorOptions {
  /** The endpoint each checkpoint is POSTed to. */
  url: string;
  /** The machine recorded with each head. @default {"unknown"} */
  host?: string;
  /** The user recorded with each head. @default {"unknown"} */
  user?: string;
  /** Headers sent with every POST. @default {{}} */
  headers?: Record<string, string>;
  /** How long one POST may take, in milliseconds. @default {10000} */
  timeoutMs?: number;
  /** Heads kept for a retry while the endpoint fails; older ones are dropped. @default {1000} */
  maxPending?: number;
  /** Milliseconds between looks at the log's end. @default {100} */
  pollMs?: number;
}

const defaults = {
  host: "unknown",
  user: "unknown",
  headers: {},
  timeoutMs: 10_000,
  maxPending: 1000,
  pollMs: 100,
} satisfies Partial<CheckpointAnchorOptions>;

/**
 * Publishes the checkpoints of a log as it is written. `follow(path)`
 * starts reading it; `close()` reads it to its end, sends what is left
 * (one last try for heads that failed) and stops.
 *
 * @example Each checkpoint line is POSTed as a checkpoints-table row
 * ```ts
 * import { CheckpointAnchor } from "./checkpoint_anchor.ts";
 * import assert from "node:assert/strict";
 *
 * const bodies: string[] = [];
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (r) => {
 *   bodies.push(await r.text());
 *   return new Response("ok");
 * });
 * const log = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(log,
 *   '{"v":1,"seq":0,"ts":"t","session":"s","kind":"stderr","text":"x"}\n' +
 *   '{"v":1,"seq":1,"ts":"t","session":"s","kind":"checkpoint","treeSize":1,"root":"ab","head":"cd"}\n');
 * const anchor = new CheckpointAnchor({ url: `http://127.0.0.1:${server.addr.port}/`, host: "h" });
 * anchor.follow(log);
 * await anchor.close();
 * await server.shutdown();
 * await Deno.remove(log);
 * assert.equal(anchor.published, 1);
 * assert.equal(JSON.parse(bodies[0]).tree_size, 1);
 * assert.equal(JSON.parse(bodies[0]).host, "h");
 * ```
 */
export class CheckpointAnchor {
  #options: Required<CheckpointAnchorOptions>;
  #pending: CheckpointRow[] = [];
  #sending: Promise<void> = Promise.resolve();
  #following: Promise<void> | undefined;
  #closing = false;
  #published = 0;
  #failures = 0;
  #dropped = 0;
  #lastError: string | undefined;
  /** Told of each time the follower reaches the log's end. */
  #idle: (() => void)[] = [];

  /** An anchor that POSTs to `options.url`. */
  constructor(options: CheckpointAnchorOptions) {
    this.#options = { ...defaults, ...options };
  }

  /** Heads the endpoint accepted. */
  get published(): number {
    return this.#published;
  }

  /** POSTs that failed (each failed head is tried again with the next). */
  get failures(): number {
    return this.#failures;
  }

  /** Heads never accepted: dropped from a full queue, or still failing at the close. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Why the last POST failed, if one did. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Starts reading the log whose first file is `path`, across its rotated parts. */
  follow(path: string): void {
    this.#following = followLog(
      path,
      (record) => {
        if (record.kind !== "checkpoint") return;
        const row = checkpointRow(JSON.stringify(record), record, {
          host: this.#options.host,
          user: this.#options.user,
          file: path,
        });
        if (row) this.#queue(row);
      },
      {
        follow: true,
        pollMs: this.#options.pollMs,
        onIdle: () => {
          for (const told of this.#idle.splice(0)) told();
          return this.#closing;
        },
      },
    ).catch((error) => {
      this.#lastError = `the log could not be read: ${
        (error as Error).message
      }`;
    });
  }

  /**
   * What was published, failed and dropped so far, and why the last POST
   * failed: what `session_end.anchor` records.
   *
   * @example
   * ```ts
   * import { CheckpointAnchor } from "./checkpoint_anchor.ts";
   * import assert from "node:assert/strict";
   *
   * const anchor = new CheckpointAnchor({ url: "http://127.0.0.1:9/" });
   * assert.deepEqual(anchor.counts(), { published: 0, failed: 0, dropped: 0 });
   * ```
   */
  counts(): {
    published: number;
    failed: number;
    dropped: number;
    error?: string;
  } {
    return {
      published: this.#published,
      failed: this.#failures,
      dropped: this.#dropped,
      ...(this.#lastError ? { error: this.#lastError } : {}),
    };
  }

  /**
   * Waits until what the log held when called has been read and the heads
   * in it sent (or tried), but no longer than `timeoutMs`: before
   * `session_end`, so its counts cover the session's checkpoints.
   */
  async settle(timeoutMs = 2000): Promise<void> {
    if (!this.#following) return;
    // The second look at the log's end began after this call.
    const idle = async (): Promise<void> => {
      for (let i = 0; i < 2; i++) {
        await new Promise<void>((told) => this.#idle.push(told));
      }
      await this.#sending;
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      idle(),
      this.#following,
      new Promise<void>((done) => timer = setTimeout(done, timeoutMs)),
    ]);
    clearTimeout(timer);
  }

  /** Reads the log to its end, sends what is queued, and stops. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#following;
    this.#send();
    await this.#sending;
    this.#dropped += this.#pending.length;
    this.#pending = [];
  }

  #queue(row: CheckpointRow): void {
    this.#pending.push(row);
    if (this.#pending.length > this.#options.maxPending) {
      this.#pending.shift();
      this.#dropped++;
    }
    this.#send();
  }

  /** Sends the queued heads in order, one POST each, after what is in flight. */
  #send(): void {
    this.#sending = this.#sending.then(async () => {
      while (this.#pending.length > 0) {
        const row = this.#pending[0];
        if (!await this.#post(row)) return; // Tried again with the next head.
        this.#pending.shift();
        this.#published++;
      }
    });
  }

  async #post(row: CheckpointRow): Promise<boolean> {
    try {
      const response = await fetch(this.#options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...this.#options.headers,
        },
        body: JSON.stringify(row) + "\n",
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      const text = await response.text();
      if (response.ok) return true;
      this.#lastError = `HTTP ${response.status}: ${text.slice(0, 200).trim()}`;
    } catch (error) {
      this.#lastError = (error as Error).message;
    }
    this.#failures++;
    return false;
  }
}
