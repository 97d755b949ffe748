/**
 * The local listener's defence against DNS rebinding, as the Streamable
 * HTTP transport asks of local servers: a request whose `Host` is not the
 * listener's own address (or `localhost`), or whose `Origin` is neither a
 * loopback origin nor an allowed one, is refused.
 *
 * @module
 */

/** What {@linkcode rebindingRefusal} accepts. */
export interface GuardOptions {
  /** The address listened on. */
  hostname: string;
  /** The port listened on. */
  port: number;
  /** More `Host` values (`name` or `name:port`) to accept. */
  allowedHosts?: readonly string[];
  /** More `Origin` values (`https://app.example`) to accept. */
  allowedOrigins?: readonly string[];
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/**
 * Why a request must be refused (a sentence), or `undefined` to accept it.
 *
 * @example
 * ```ts
 * import { rebindingRefusal } from "./listener_guard.ts";
 * import assert from "node:assert/strict";
 *
 * const guard = { hostname: "127.0.0.1", port: 8080 };
 * assert.equal(rebindingRefusal(new Headers({ host: "localhost:8080" }), guard), undefined);
 * assert.match(rebindingRefusal(new Headers({ host: "evil.example:8080" }), guard) ?? "", /Host/);
 * assert.match(rebindingRefusal(new Headers({ host: "127.0.0.1:8080", origin: "https://evil.example" }), guard) ?? "", /Origin/);
 * ```
 */
export function rebindingRefusal(
  headers: Headers,
  guard: GuardOptions,
): string | undefined {
  const host = (headers.get("host") ?? "").toLowerCase();
  const allowedHosts = new Set(
    (guard.allowedHosts ?? []).map((h) => h.toLowerCase()),
  );
  const { name, port } = splitHost(host);
  const ours = name === guard.hostname.toLowerCase() ||
    (LOOPBACK.has(name) && isLoopback(guard.hostname));
  const hostOk = (ours && (port === "" || port === String(guard.port))) ||
    allowedHosts.has(host) || allowedHosts.has(name);
  if (!hostOk) {
    return `Host "${host}" is not this proxy's address (a DNS rebinding guard); pass --allow-host ${
      name || "NAME"
    } to accept it`;
  }
  const origin = headers.get("origin");
  if (origin === null || origin === "null") return undefined;
  if ((guard.allowedOrigins ?? []).includes(origin)) return undefined;
  try {
    const { hostname } = new URL(origin);
    if (LOOPBACK.has(hostname)) return undefined;
    if (allowedHosts.has(hostname)) return undefined;
  } catch {
    // An Origin that is no URL is refused below.
  }
  return `Origin "${origin}" is not allowed (a DNS rebinding guard); pass --allow-origin ${origin} to accept it`;
}

/**
 * Whether an address is a loopback one.
 *
 * @example
 * ```ts
 * import { isLoopback } from "./listener_guard.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isLoopback("127.0.0.1") && !isLoopback("0.0.0.0"));
 * ```
 */
export function isLoopback(hostname: string): boolean {
  return LOOPBACK.has(hostname) || hostname.startsWith("127.");
}

function splitHost(host: string): { name: string; port: string } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host);
  return m ? { name: m[1], port: m[2] ?? "" } : { name: host, port: "" };
}
