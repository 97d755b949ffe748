/**
 * The central store: a ClickHouse server reached through the official
 * client, `@clickhouse/client`, over its HTTP interface. Every call is
 * retried with exponential backoff while the server is down, slow or
 * overloaded; an error that retrying cannot fix (an unknown table, a wrong
 * password) fails at once with what to do. Works with every ClickHouse
 * since 18.16: the client's query parameters (`{name:Type}`) are not used,
 * as 18.16 does not know them; values are quoted with {@linkcode sqlString}.
 *
 * @module
 */
import {
  type ClickHouseClient,
  ClickHouseError,
  ClickHouseLogLevel,
  createClient,
} from "@clickhouse/client";
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import { databaseName, schemaStatements, type TABLES } from "./fleet_schema.ts";

/** Options for {@linkcode ClickHouseStore}. */
export interface StoreOptions {
  /** The server's HTTP interface, e.g. `http://127.0.0.1:8123`. */
  url: string;
  /** @default {"mcp_audit"} */
  database?: string;
  /** @default {"default"} */
  username?: string;
  /** @default {""} */
  password?: string;
  /**
   * Tries after the first that fails; `Infinity` to retry until the server
   * answers (`ship --follow`).
   * @default {8}
   */
  retries?: number;
  /** The first wait before a retry, doubled each time. @default {250} */
  backoffMs?: number;
  /** The longest wait between tries. @default {10000} */
  maxBackoffMs?: number;
  /** How long one request may take before it counts as failed. @default {30000} */
  timeoutMs?: number;
  /** Told of each retry (for the user: on stderr). */
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

const defaults = {
  database: "mcp_audit",
  username: "default",
  password: "",
  retries: 8,
  backoffMs: 250,
  maxBackoffMs: 10_000,
  timeoutMs: 30_000,
} satisfies Partial<StoreOptions>;

/**
 * ClickHouse could not do what was asked: the message says what failed and
 * what to do. `retried` tells how many tries were made.
 *
 * @example
 * ```ts
 * import { StoreError } from "./clickhouse_store.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new StoreError("no", 3).retried, 3);
 * ```
 */
export class StoreError extends Error {
  /** Tries made before giving up. */
  readonly retried: number;

  /** The error, after `retried` tries. */
  constructor(message: string, retried: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreError";
    this.retried = retried;
  }
}

/**
 * A ClickHouse string literal: quoted, with backslash and quote escaped.
 *
 * @example
 * ```ts
 * import { sqlString } from "./clickhouse_store.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sqlString("it's a \\ test"), "'it\\'s a \\\\ test'");
 * ```
 */
export function sqlString(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/**
 * Server errors worth another try: timeouts, too many queries or parts,
 * memory, network and replica trouble. Any other server error is final.
 */
const RETRIABLE_CODES = new Set([
  "3", // UNEXPECTED_END_OF_FILE
  "159", // TIMEOUT_EXCEEDED
  "164", // READONLY (a replica that is catching up)
  "202", // TOO_MANY_SIMULTANEOUS_QUERIES
  "203", // NO_FREE_CONNECTION
  "209", // SOCKET_TIMEOUT
  "210", // NETWORK_ERROR
  "241", // MEMORY_LIMIT_EXCEEDED
  "242", // TABLE_IS_READ_ONLY
  "252", // TOO_MANY_PARTS
  "285", // TOO_FEW_LIVE_REPLICAS
  "319", // UNKNOWN_STATUS_OF_INSERT
]);

/**
 * The server's error code: the client parses only the newer servers'
 * `Code: 81. DB::Exception: ...`; 18.16 writes
 * `Code: 81, e.displayText() = DB::Exception: ..., e.what() = DB::Exception`.
 */
function serverCode(error: unknown): string | undefined {
  if (error instanceof ClickHouseError && error.code) return error.code;
  const message = error instanceof Error ? error.message : "";
  return /^Code: (\d+)[.,]/.exec(message.trim())?.[1];
}

/** Whether trying again may help. */
function retriable(error: unknown): boolean {
  const code = serverCode(error);
  if (code !== undefined) return RETRIABLE_CODES.has(code);
  return true; // Refused, reset, timed out, a 5xx without a ClickHouse code.
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message.trim() : String(error);
  // 18.16's wording, shortened to the newer servers' one.
  return message.replace(
    /^Code: (\d+), e\.displayText\(\) = (.*?)(?:, e\.what\(\) = \S+)?$/s,
    "Code: $1. $2",
  );
}

/**
 * The central store. Open with the server's URL; {@linkcode ClickHouseStore.init}
 * creates the schema.
 *
 * @example
 * ```ts ignore
 * import { ClickHouseStore } from "./clickhouse_store.ts";
 *
 * const store = new ClickHouseStore({ url: "http://127.0.0.1:8123" });
 * await store.init();
 * console.log(await store.rows("SELECT count() AS n FROM mcp_audit.mcp_audit_events FINAL"));
 * await store.close();
 * ```
 */
export class ClickHouseStore {
  readonly #client: ClickHouseClient;
  readonly #options: StoreOptions & typeof defaults;
  /** The database, checked. */
  readonly database: string;

  /** A store at `options.url`; nothing is sent until a call. */
  constructor(options: StoreOptions) {
    // An option given as undefined takes its default.
    const given = Object.fromEntries(
      Object.entries(options).filter(([, v]) => v !== undefined),
    );
    this.#options = { ...defaults, ...given } as
      & StoreOptions
      & typeof defaults;
    this.database = databaseName(this.#options.database);
    let url: URL;
    try {
      url = new URL(options.url);
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new TypeError("not http");
      }
    } catch (error) {
      throw new TypeError(
        `"${options.url}" is not a ClickHouse HTTP address: give it as http://HOST:8123 (or https://).`,
        { cause: error },
      );
    }
    this.#client = createClient({
      url: url.origin,
      username: this.#options.username,
      password: this.#options.password,
      request_timeout: this.#options.timeoutMs,
      application: "mcp-audit",
      // The store's errors reach the user once, from us, with the fix.
      log: { level: ClickHouseLogLevel.OFF },
      compression: { request: false, response: false },
    });
  }

  /** The address, for messages: `http://host:port/database`. */
  get label(): string {
    return `${new URL(this.#options.url).origin}/${this.database}`;
  }

  /** Runs `call` until it succeeds, a final error, or the tries run out. */
  async #retry<T>(what: string, call: () => Promise<T>): Promise<T> {
    let delay = this.#options.backoffMs;
    for (let attempt = 0;; attempt++) {
      try {
        return await call();
      } catch (error) {
        const code = serverCode(error) ?? "";
        if (!retriable(error)) {
          const hint = code === "60" || code === "81"
            ? ` Create the schema first: mcp-audit ship --init --to ${
              new URL(this.#options.url).origin
            } --database ${this.database}.`
            : code === "192" || code === "193" || code === "516"
            ? " Check --user and the password in the variable --password-env names."
            : "";
          throw new StoreError(
            `ClickHouse at ${this.label} rejected ${what}: ${
              describe(error)
            }.${hint}`,
            attempt + 1,
            { cause: error },
          );
        }
        if (attempt >= this.#options.retries) {
          throw new StoreError(
            `ClickHouse at ${this.label} did not accept ${what} after ${
              attempt + 1
            } tries: ${
              describe(error)
            }. Check that the server runs and is reachable; nothing was lost, run the command again later.`,
            attempt + 1,
            { cause: error },
          );
        }
        this.#options.onRetry?.(attempt + 1, delay, error);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, this.#options.maxBackoffMs);
      }
    }
  }

  /** Creates the database and tables when missing (`ship --init`). */
  async init(): Promise<void> {
    for (const statement of schemaStatements(this.database)) {
      await this.#retry(
        "the schema",
        () => this.#client.command({ query: statement }),
      );
    }
  }

  /** Inserts rows into one of the {@linkcode TABLES}, as JSONEachRow. */
  async insert(
    table: (typeof TABLES)[keyof typeof TABLES],
    rows: readonly object[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.#retry(
      `${rows.length} row(s) for ${table}`,
      () =>
        this.#client.insert({
          table: `${this.database}.${table}`,
          values: rows as object[],
          format: "JSONEachRow",
        }),
    );
  }

  /**
   * Inserts rows already written in `format` (e.g. `TabSeparated`), with
   * the columns named, through the client's `exec` with the body as given.
   */
  async insertRaw(
    table: (typeof TABLES)[keyof typeof TABLES],
    columns: readonly string[],
    format: string,
    body: string | Uint8Array,
    rows: number,
  ): Promise<void> {
    if (body.length === 0) return;
    // Bytes go as they are: the HTTP layer need not measure or encode them.
    const chunk = typeof body === "string"
      ? body
      : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    await this.#retry(`${rows} row(s) for ${table}`, async () => {
      const result = await this.#client.exec({
        query: `INSERT INTO ${this.database}.${table} (${
          columns.join(", ")
        }) FORMAT ${format}`,
        values: Readable.from([chunk]),
      });
      // Read the (empty) answer to the end, so its socket is free again.
      for await (const _ of result.stream) { /* nothing */ }
    });
  }

  /** Runs a statement that returns no rows. */
  async command(query: string): Promise<void> {
    await this.#retry("a statement", () => this.#client.command({ query }));
  }

  /** Runs a query and returns all its rows (for small results). */
  async rows<T>(query: string): Promise<T[]> {
    return await this.#retry("a query", async () => {
      const result = await this.#client.query({ query, format: "JSONEachRow" });
      return await result.json<T>();
    });
  }

  /**
   * Runs a query and hands its rows to `each` as they stream in, so a large
   * result is never held whole. Retried only before the first row.
   */
  async each<T>(
    query: string,
    each: (row: T) => Promise<void> | void,
  ): Promise<void> {
    const result = await this.#retry(
      "a query",
      () => this.#client.query({ query, format: "JSONEachRow" }),
    );
    for await (const batch of result.stream()) {
      for (const row of batch) await each(row.json<T>());
    }
  }

  /** Closes the client's connections. */
  async close(): Promise<void> {
    await this.#client.close();
  }
}
