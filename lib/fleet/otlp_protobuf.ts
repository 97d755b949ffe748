/**
 * OTLP/HTTP protobuf (`OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`, the
 * spec's default): the export requests the OTLP exporter builds in their
 * JSON mapping, written as protobuf by field number from the
 * opentelemetry-proto definitions (collector/{logs,trace,metrics}/v1). Only
 * the fields the exporter sets are described; trace and span ids are hex in
 * JSON and bytes here, 64-bit integers decimal strings in JSON.
 *
 * @module
 */

type Kind =
  | "string"
  | "hex"
  | "fixed64"
  | "int64"
  | "varint"
  | "double"
  | "bool"
  | "fixed64s"
  | "doubles";

/** A field: its number, and its wire kind or the message it holds. */
type Field = [number, Kind | { message: string }];

const KEY_VALUE: Record<string, Field> = {
  key: [1, "string"],
  value: [2, { message: "AnyValue" }],
};
const SCOPE: Record<string, Field> = {
  name: [1, "string"],
  version: [2, "string"],
  attributes: [3, { message: "KeyValue" }],
};
const RESOURCE: Record<string, Field> = {
  attributes: [1, { message: "KeyValue" }],
};

const MESSAGES: Record<string, Record<string, Field>> = {
  KeyValue: KEY_VALUE,
  AnyValue: {
    stringValue: [1, "string"],
    boolValue: [2, "bool"],
    intValue: [3, "int64"],
    doubleValue: [4, "double"],
    arrayValue: [5, { message: "ArrayValue" }],
  },
  ArrayValue: { values: [1, { message: "AnyValue" }] },
  Resource: RESOURCE,
  InstrumentationScope: SCOPE,
  ExportLogsServiceRequest: { resourceLogs: [1, { message: "ResourceLogs" }] },
  ResourceLogs: {
    resource: [1, { message: "Resource" }],
    scopeLogs: [2, { message: "ScopeLogs" }],
  },
  ScopeLogs: {
    scope: [1, { message: "InstrumentationScope" }],
    logRecords: [2, { message: "LogRecord" }],
  },
  LogRecord: {
    timeUnixNano: [1, "fixed64"],
    severityNumber: [2, "varint"],
    severityText: [3, "string"],
    body: [5, { message: "AnyValue" }],
    attributes: [6, { message: "KeyValue" }],
    traceId: [9, "hex"],
    spanId: [10, "hex"],
    observedTimeUnixNano: [11, "fixed64"],
  },
  ExportTraceServiceRequest: {
    resourceSpans: [1, { message: "ResourceSpans" }],
  },
  ResourceSpans: {
    resource: [1, { message: "Resource" }],
    scopeSpans: [2, { message: "ScopeSpans" }],
  },
  ScopeSpans: {
    scope: [1, { message: "InstrumentationScope" }],
    spans: [2, { message: "Span" }],
  },
  Span: {
    traceId: [1, "hex"],
    spanId: [2, "hex"],
    parentSpanId: [4, "hex"],
    name: [5, "string"],
    kind: [6, "varint"],
    startTimeUnixNano: [7, "fixed64"],
    endTimeUnixNano: [8, "fixed64"],
    attributes: [9, { message: "KeyValue" }],
    status: [15, { message: "Status" }],
  },
  Status: { message: [2, "string"], code: [3, "varint"] },
  ExportMetricsServiceRequest: {
    resourceMetrics: [1, { message: "ResourceMetrics" }],
  },
  ResourceMetrics: {
    resource: [1, { message: "Resource" }],
    scopeMetrics: [2, { message: "ScopeMetrics" }],
  },
  ScopeMetrics: {
    scope: [1, { message: "InstrumentationScope" }],
    metrics: [2, { message: "Metric" }],
  },
  Metric: {
    name: [1, "string"],
    description: [2, "string"],
    unit: [3, "string"],
    histogram: [9, { message: "Histogram" }],
  },
  Histogram: {
    dataPoints: [1, { message: "HistogramDataPoint" }],
    aggregationTemporality: [2, "varint"],
  },
  HistogramDataPoint: {
    startTimeUnixNano: [2, "fixed64"],
    timeUnixNano: [3, "fixed64"],
    count: [4, "fixed64"],
    sum: [5, "double"],
    bucketCounts: [6, "fixed64s"],
    explicitBounds: [7, "doubles"],
    attributes: [9, { message: "KeyValue" }],
  },
};

/** The request message of each OTLP/HTTP path. */
const REQUESTS: Record<string, string> = {
  "/v1/logs": "ExportLogsServiceRequest",
  "/v1/traces": "ExportTraceServiceRequest",
  "/v1/metrics": "ExportMetricsServiceRequest",
};

const encoder = new TextEncoder();

/** Bytes written in order, grown as needed. */
class Writer {
  bytes: Uint8Array<ArrayBuffer> = new Uint8Array(1024);
  length = 0;
  #view = new DataView(this.bytes.buffer);

  room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(
      Math.max(this.bytes.length * 2, this.length + n),
    );
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    this.room(10);
    while (v >= 0x80n) {
      this.bytes[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.bytes[this.length++] = Number(v);
  }

  small(value: number): void {
    // Tags and lengths: below 2^31, no BigInt needed.
    this.room(5);
    while (value >= 0x80) {
      this.bytes[this.length++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.bytes[this.length++] = value;
  }

  fixed64(value: bigint): void {
    this.room(8);
    this.#view.setBigUint64(this.length, BigInt.asUintN(64, value), true);
    this.length += 8;
  }

  double(value: number): void {
    this.room(8);
    this.#view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /**
   * Starts a length-delimited field: room for a one-byte length, filled in
   * by {@linkcode Writer.end}. Nested messages and strings are written in
   * place, not into a writer of their own and copied.
   */
  begin(): number {
    this.room(1);
    return this.length++;
  }

  /** Ends the field begun at `at`: writes its length, moving its bytes when that takes more than one. */
  end(at: number): void {
    const length = this.length - at - 1;
    let size = 1;
    for (let v = length; v >= 0x80; v >>>= 7) size++;
    if (size > 1) {
      this.room(size - 1);
      this.bytes.copyWithin(at + size, at + 1, this.length);
      this.length += size - 1;
    }
    let v = length;
    let i = at;
    while (v >= 0x80) {
      this.bytes[i++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.bytes[i] = v;
  }

  /** A string's UTF-8 bytes, in place. */
  text(value: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.room(3 * value.length);
    if (value.length < 64) {
      // Short ASCII (names, ids, most values) without a call out.
      const bytes = this.bytes;
      let at = this.length;
      let k = 0;
      for (; k < value.length; k++) {
        const c = value.charCodeAt(k);
        if (c >= 0x80) break;
        bytes[at++] = c;
      }
      if (k === value.length) {
        this.length = at;
        return;
      }
    }
    const { written } = encoder.encodeInto(
      value,
      this.bytes.subarray(this.length),
    );
    this.length += written;
  }
}

/** The value of each hex digit by char code; 255 for anything else. */
const HEX = new Uint8Array(128).fill(255);
for (const [from, to, value] of [[48, 57, 0], [65, 70, 10], [97, 102, 10]]) {
  for (let c = from; c <= to; c++) HEX[c] = value + c - from;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX[hex.charCodeAt(2 * i)] ?? 255;
    const lo = HEX[hex.charCodeAt(2 * i + 1)] ?? 255;
    // Anything but two hex digits: as parseInt reads the pair.
    out[i] = hi === 255 || lo === 255
      ? parseInt(hex.slice(i * 2, i * 2 + 2), 16)
      : (hi << 4) | lo;
  }
  return out;
}

function writeMessage(
  w: Writer,
  name: string,
  value: Record<string, unknown>,
): void {
  const fields = MESSAGES[name];
  for (const key in value) {
    const field = fields[key];
    const v = value[key];
    if (field === undefined || v === undefined || v === null) continue;
    const [no, kind] = field;
    if (Array.isArray(v) && kind !== "fixed64s" && kind !== "doubles") {
      for (const item of v) writeField(w, no, kind, item);
    } else writeField(w, no, kind, v);
  }
}

function writeField(
  w: Writer,
  no: number,
  kind: Field[1],
  v: unknown,
): void {
  if (typeof kind === "object") {
    w.small((no << 3) | 2);
    const at = w.begin();
    writeMessage(w, kind.message, v as Record<string, unknown>);
    w.end(at);
    return;
  }
  switch (kind) {
    case "string": {
      w.small((no << 3) | 2);
      const at = w.begin();
      w.text(String(v));
      w.end(at);
      return;
    }
    case "hex": {
      const bytes = hexBytes(String(v));
      w.small((no << 3) | 2);
      w.small(bytes.length);
      w.raw(bytes);
      return;
    }
    case "fixed64":
      w.small((no << 3) | 1);
      w.fixed64(BigInt(v as string | number));
      return;
    case "double":
      w.small((no << 3) | 1);
      w.double(Number(v));
      return;
    case "int64":
    case "varint":
      w.small(no << 3);
      w.varint(BigInt(v as string | number));
      return;
    case "bool":
      w.small(no << 3);
      w.small(v ? 1 : 0);
      return;
    case "fixed64s":
    case "doubles": {
      const list = v as (string | number)[];
      w.small((no << 3) | 2);
      w.small(list.length * 8);
      for (const x of list) {
        if (kind === "doubles") w.double(Number(x));
        else w.fixed64(BigInt(x));
      }
      return;
    }
  }
}

/**
 * The protobuf bytes of an OTLP/HTTP export request given in its JSON
 * mapping, for the path it is sent to (`/v1/logs`, `/v1/traces`,
 * `/v1/metrics`). Throws `RangeError` for another path.
 *
 * @example A log record's body
 * ```ts
 * import { otlpProtobuf } from "./otlp_protobuf.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = otlpProtobuf("/v1/logs", {
 *   resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: "hi" } }] }] }],
 * });
 * // resourceLogs(1) { scopeLogs(2) { logRecords(2) { body(5) { stringValue(1) "hi" } } } }
 * assert.deepEqual([...bytes], [10, 10, 18, 8, 18, 6, 42, 4, 10, 2, 104, 105]);
 * ```
 */
export function otlpProtobuf(
  path: string,
  request: Record<string, unknown>,
): Uint8Array<ArrayBuffer> {
  const name = REQUESTS[path];
  if (name === undefined) {
    throw new RangeError(`No OTLP request message for the path "${path}".`);
  }
  const w = new Writer();
  writeMessage(w, name, request);
  return w.bytes.slice(0, w.length);
}
