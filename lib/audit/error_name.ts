/**
 * The names that each protocol revision gives JSON-RPC error codes. The
 * 2026-07-28 revision partitions -32000 to -32099: -32000 to -32019 are
 * legacy and carry no meaning a receiver may assume (apart from -32002,
 * resource not found, from 2025-era servers), -32020 to -32099 belong to the
 * specification, and it renumbered its draft codes there: HeaderMismatch
 * -32001 -> -32020, MissingRequiredClientCapability -32003 -> -32021,
 * UnsupportedProtocolVersion -32004 -> -32022. See docs/protocol-eras.md.
 *
 * @module
 */
import type { ProtocolEra } from "./event.ts";

/** The JSON-RPC 2.0 codes, the same in every revision. */
const JSON_RPC: Readonly<Record<number, string>> = {
  [-32700]: "ParseError",
  [-32600]: "InvalidRequest",
  [-32601]: "MethodNotFound",
  [-32602]: "InvalidParams",
  [-32603]: "InternalError",
};

/** Codes of the 2025 era (2025-11-25 `schema.ts` and its resources page). */
const ERA_2025: Readonly<Record<number, string>> = {
  [-32002]: "ResourceNotFound",
  [-32042]: "URLElicitationRequired",
};

/** Codes of the 2026-07-28 revision (its `schema.ts`, "Error Codes"). */
const ERA_2026: Readonly<Record<number, string>> = {
  [-32020]: "HeaderMismatch",
  [-32021]: "MissingRequiredClientCapability",
  [-32022]: "UnsupportedProtocolVersion",
};

/**
 * The name of an error code in the given era, or `undefined` where the
 * revision gives it none (an implementation-defined code, or an era not
 * known: then only the JSON-RPC 2.0 codes are named). `-32002` is named
 * `ResourceNotFound` only in the 2025 era, and only as the answer to
 * `resources/read` when the method is known.
 *
 * @example
 * ```ts
 * import { errorNameOf } from "./error_name.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(errorNameOf(-32022, "2026"), "UnsupportedProtocolVersion");
 * assert.equal(errorNameOf(-32004, "2026"), undefined); // the draft's number, legacy range
 * assert.equal(errorNameOf(-32002, "2025", "resources/read"), "ResourceNotFound");
 * assert.equal(errorNameOf(-32601, undefined), "MethodNotFound");
 * ```
 */
export function errorNameOf(
  code: number,
  era: ProtocolEra | undefined,
  method?: string,
): string | undefined {
  const standard = JSON_RPC[code];
  if (standard !== undefined) return standard;
  if (era === "2026") return ERA_2026[code];
  if (era === "2025") {
    if (
      code === -32002 && method !== undefined && method !== "resources/read"
    ) {
      return undefined;
    }
    return ERA_2025[code];
  }
  return undefined;
}
