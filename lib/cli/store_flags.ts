/**
 * The flags that name a central ClickHouse store, shared by `ship`,
 * `verify --from` and `report --from`: the URL, database, user and the
 * environment variable holding the password.
 *
 * @module
 */
import { UsageError } from "./usage_error.ts";
import type {
  ClickHouseStore,
  StoreOptions,
} from "../fleet/clickhouse_store.ts";

/** The flags, as `parseCommand` takes them. */
export const STORE_FLAGS = {
  database: { type: "string" },
  user: { type: "string" },
  "password-env": { type: "string" },
} as const;

/** Their help lines. */
export const STORE_FLAGS_HELP =
  `  --database D          The ClickHouse database. Default: mcp_audit
  --user U              The ClickHouse user. Default: default
  --password-env VAR    Read the ClickHouse password from environment variable VAR.`;

/**
 * The store's options from the parsed flags; a usage error (with `help`)
 * when the password variable is not set.
 *
 * @example
 * ```ts
 * import { storeOptions } from "./store_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const options = storeOptions("http://h:8123", { database: "d" }, "Usage: x");
 * assert.deepEqual([options.url, options.database, options.password], ["http://h:8123", "d", ""]);
 * ```
 */
export function storeOptions(
  url: string,
  values: { database?: string; user?: string; "password-env"?: string },
  help: string,
): StoreOptions {
  let password = "";
  const variable = values["password-env"];
  if (variable) {
    const value = Deno.env.get(variable);
    if (value === undefined) {
      throw new UsageError(
        `--password-env names ${variable}, which is not set`,
        help,
      );
    }
    password = value;
  }
  return {
    url,
    database: values.database,
    username: values.user,
    password,
  };
}

/**
 * A duration such as `7d`, `12h`, `30m` or `90s` in milliseconds; a usage
 * error otherwise.
 *
 * @example
 * ```ts
 * import { durationMs } from "./store_flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(durationMs("7d", "Usage: x"), 7 * 86_400_000);
 * assert.throws(() => durationMs("week", "Usage: x"));
 * ```
 */
export function durationMs(text: string, help: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text);
  if (!m) {
    throw new UsageError(
      `--since takes a duration such as 7d, 12h, 30m or 90s, not "${text}"`,
      help,
    );
  }
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    m[2] as "s" | "m" | "h" | "d"
  ];
  return Number(m[1]) * unit;
}

/**
 * Opens the store (loading the ClickHouse client only now); an address the
 * client cannot use is a usage error (with `help`), not a crash.
 *
 * @example A URL that is not one is a usage error
 * ```ts
 * import { openStore } from "./store_flags.ts";
 * import { UsageError } from "./usage_error.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(openStore({ url: "not a url" }, "Usage: x"), UsageError);
 * ```
 */
export async function openStore(
  options: StoreOptions,
  help: string,
): Promise<ClickHouseStore> {
  const { ClickHouseStore } = await import("../fleet/clickhouse_store.ts");
  try {
    return new ClickHouseStore(options);
  } catch (error) {
    if (error instanceof TypeError) {
      throw new UsageError(error.message, help, { cause: error });
    }
    throw error;
  }
}
