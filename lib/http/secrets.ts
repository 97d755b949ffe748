/**
 * What of an HTTP exchange may reach the log: secret headers (credentials,
 * cookies, the session id) only as keyed-hash markers, in the redact
 * plugin's `[REDACTED:type:1a2b3c4d]` form and with the same key, so a
 * reviewer can tell that two requests used the same credential without
 * seeing it; and URLs without userinfo or secret query values.
 *
 * @module
 */
import { createHmac } from "node:crypto";
import { redactionKey } from "../config/plugin_loader.ts";
import { defaultLogDir } from "../log/log_path.ts";

/** Headers that always hold credentials. */
export const SECRET_HEADERS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
];

/** Query parameters whose values are redacted from a logged URL. */
const SECRET_QUERY = /token|key|secret|pass|auth|sig|code|session|credential/i;

/**
 * The marker for a secret value: its type and the first 8 hex digits of
 * an HMAC-SHA-256 under `key`.
 *
 * @example
 * ```ts
 * import { secretMarker } from "./secrets.ts";
 * import assert from "node:assert/strict";
 *
 * const a = secretMarker("k", "secret", "Bearer abc");
 * assert.match(a, /^\[REDACTED:secret:[0-9a-f]{8}\]$/);
 * assert.equal(secretMarker("k", "secret", "Bearer abc"), a);
 * ```
 */
export function secretMarker(key: string, type: string, value: string): string {
  return `[REDACTED:${type}:${hmacHex(key, value).slice(0, 8)}]`;
}

/**
 * A longer keyed hash, for identifiers such as the `Mcp-Session-Id` that
 * name a session in the log and must not collide.
 *
 * @example
 * ```ts
 * import { keyedId } from "./secrets.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(keyedId("k", "session-1"), /^hmac:[0-9a-f]{16}$/);
 * ```
 */
export function keyedId(key: string, value: string): string {
  return `hmac:${hmacHex(key, value).slice(0, 16)}`;
}

function hmacHex(key: string, value: string): string {
  return createHmac("sha256", key).update(value).digest("hex");
}

/**
 * The secret headers among `headers`, by lower-case name, as markers;
 * `undefined` when there are none.
 *
 * @example
 * ```ts
 * import { credentialMarkers } from "./secrets.ts";
 * import assert from "node:assert/strict";
 *
 * const headers = new Headers({ authorization: "Bearer t0ken", "x-api-key": "k1", accept: "*\/*" });
 * const marks = credentialMarkers(headers, "key", ["x-api-key"]);
 * assert.deepEqual(Object.keys(marks ?? {}).sort(), ["authorization", "x-api-key"]);
 * assert.ok(!JSON.stringify(marks).includes("t0ken"));
 * ```
 */
export function credentialMarkers(
  headers: Headers,
  key: string,
  extra: readonly string[] = [],
): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const name of [...SECRET_HEADERS, ...extra]) {
    const lower = name.toLowerCase();
    const value = lower === "set-cookie"
      ? headers.getSetCookie().join("\n") || null
      : headers.get(lower);
    if (value === null) continue;
    (out ??= {})[lower] = secretMarker(key, "secret", value);
  }
  return out;
}

/**
 * A URL fit for the log: userinfo and the values of query parameters
 * that look secret (token, key, secret, password, auth, signature, code,
 * session) replaced by markers.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./secrets.ts";
 * import assert from "node:assert/strict";
 *
 * const url = redactUrl("https://me:pw@example.com/mcp?api_key=s3cret&x=1", "k");
 * assert.ok(!url.includes("s3cret") && !url.includes("pw@"));
 * assert.match(url, /^https:\/\/\[REDACTED:userinfo\]@example\.com\/mcp\?api_key=%5BREDACTED/);
 * assert.match(url, /&x=1$/);
 * ```
 */
export function redactUrl(url: string, key: string): string {
  const parsed = new URL(url);
  const userinfo = parsed.username || parsed.password;
  parsed.username = "";
  parsed.password = "";
  for (const [name, value] of [...parsed.searchParams]) {
    if (SECRET_QUERY.test(name)) {
      parsed.searchParams.set(name, secretMarker(key, "query", value));
    }
  }
  const text = parsed.href;
  return userinfo ? text.replace("://", "://[REDACTED:userinfo]@") : text;
}

/** The key the redact plugin uses for markers shared across logs; a random one when it cannot be read. */
export async function markerKey(): Promise<string> {
  try {
    return await redactionKey(defaultLogDir());
  } catch {
    return crypto.randomUUID();
  }
}
