/**
 * Which protocol era a version string belongs to: the 2025 era, with its
 * `initialize` handshake and sessions (2025-06-18, 2025-11-25 and earlier),
 * or the 2026 era, where every request carries its version and client
 * identity in `_meta` (2026-07-28 on). docs/protocol-eras.md says how each
 * maps to a session in the log.
 *
 * @module
 */
import type { ProtocolEra } from "./event.ts";

/** The first revision of the 2026 era (per-request `_meta`, no `initialize`). */
export const FIRST_2026_REVISION = "2026-07-28";

/**
 * The era of a protocol version as a request, a header
 * (`MCP-Protocol-Version`) or `initialize` names it. A dated version before
 * 2026-07-28 is of the 2025 era; any other string, dated later or not
 * dated at all (a draft), is of the 2026 era.
 *
 * @example
 * ```ts
 * import { protocolEraOf } from "./protocol_era.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(protocolEraOf("2025-11-25"), "2025");
 * assert.equal(protocolEraOf("2026-07-28"), "2026");
 * assert.equal(protocolEraOf("DRAFT-2027-v1"), "2026");
 * ```
 */
export function protocolEraOf(version: string): ProtocolEra {
  return /^\d{4}-\d{2}-\d{2}$/.test(version) && version < FIRST_2026_REVISION
    ? "2025"
    : "2026";
}
