/**
 * The official OTLP protobuf definitions for the tests' collector: the
 * static code generated from opentelemetry-proto that
 * `@opentelemetry/otlp-transformer` 0.52 ships (protobufjs), used here
 * only to decode what the proxy sent.
 *
 * @module
 */
import generated from "@opentelemetry/otlp-transformer/build/src/generated/root.js";

interface Decoder {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
}

// deno-lint-ignore no-explicit-any
const root = generated as any;
const services = root.opentelemetry.proto.collector;

const BY_PATH: Record<string, Decoder> = {
  "/v1/logs": services.logs.v1.ExportLogsServiceRequest,
  "/v1/traces": services.trace.v1.ExportTraceServiceRequest,
  "/v1/metrics": services.metrics.v1.ExportMetricsServiceRequest,
};

/**
 * Decodes an OTLP/HTTP protobuf request body for its path into the OTLP
 * JSON mapping's shape (ids as hex, 64-bit integers as strings), so the
 * same checks read either encoding.
 */
export function decodeOtlp(path: string, body: Uint8Array): unknown {
  const type = BY_PATH[path];
  if (!type) throw new Error(`no OTLP request type for ${path}`);
  const message = type.decode(body);
  const object = type.toObject(message, {
    longs: String,
    bytes: String,
    defaults: false,
  });
  return hexIds(object);
}

const ID_FIELDS = new Set(["traceId", "spanId", "parentSpanId"]);

function hexIds(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => hexIds(v));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, hexIds(v, k)]),
    );
  }
  if (ID_FIELDS.has(key) && typeof value === "string") {
    // protobufjs gives bytes as base64.
    return [...atob(value)].map((c) =>
      c.charCodeAt(0).toString(16).padStart(2, "0")
    ).join("");
  }
  return value;
}
