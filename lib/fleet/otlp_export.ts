/**
 * OTLP export of the audit: a log record per event, a span per
 * request/response pair, and a duration histogram by method, tool and
 * class, sent as OTLP/HTTP JSON (`/v1/logs`, `/v1/traces`, `/v1/metrics`)
 * to a collector. Everything exported is taken from the event's line as the
 * log stores it (`toLogLine`, after the plugins' redaction and the payload
 * cap), so nothing leaves the machine that the log would not hold. Export
 * never waits on the collector: events go into a bounded queue that a
 * timer sends in batches; what does not fit, or fails to send, is counted
 * as dropped.
 *
 * Names follow the OpenTelemetry semantic conventions for MCP and GenAI:
 * `mcp.method.name`, `gen_ai.tool.name`, `mcp.session.id`,
 * `jsonrpc.request.id`, `error.type`. A request's W3C `traceparent` (from
 * its `_meta`) makes its span a child of the agent's own span.
 *
 * @module
 */
import type { AuditEvent } from "../audit/event.ts";
import type { CorrelatedEvent } from "../audit/correlator.ts";
import { toLogLine } from "../log/log_line.ts";
import { otlpProtobuf } from "./otlp_protobuf.ts";

/** Options for {@linkcode OtlpExporter}. */
export interface OtlpExporterOptions {
  /** The collector's base URL, e.g. `http://127.0.0.1:4318` (`/v1/logs` etc. are added). */
  endpoint: string;
  /** Headers sent with every export (`OTEL_EXPORTER_OTLP_HEADERS`). */
  headers?: Record<string, string>;
  /** The `service.name` resource attribute. @default {"mcp-audit"} */
  serviceName?: string;
  /** Payloads above this size are exported as the log stores them (size, hash, preview). */
  maxPayloadBytes?: number;
  /** Events held before new ones are dropped. @default {4096} */
  maxQueued?: number;
  /** How often the queue is sent, in milliseconds. @default {1000} */
  intervalMs?: number;
  /**
   * The OTLP/HTTP encoding (`OTEL_EXPORTER_OTLP_PROTOCOL`): protobuf, the
   * spec's default, or JSON.
   * @default {"http/protobuf"}
   */
  protocol?: "http/protobuf" | "http/json";
}

/** An OTLP attribute: key and typed value. */
export interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string; doubleValue?: number };
}

interface Pending {
  /** The request's stored fields, for its span. */
  method?: string;
  tool?: string;
  id?: unknown;
  traceId: string;
  parentSpanId?: string;
  classes: string[];
}

interface Histogram {
  attributes: OtlpAttribute[];
  count: number;
  sum: number;
  buckets: number[];
}

/** Bucket bounds of the duration histogram, in seconds. */
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * Exports audit events to an OTLP/HTTP collector, off the relay's path.
 *
 * @example
 * ```ts
 * import { OtlpExporter } from "./otlp_export.ts";
 * import assert from "node:assert/strict";
 *
 * const bodies: string[] = [];
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (r) => {
 *   bodies.push(await r.text());
 *   return new Response("{}");
 * });
 * const exporter = new OtlpExporter({
 *   endpoint: `http://127.0.0.1:${server.addr.port}`,
 *   protocol: "http/json",
 * });
 * exporter.observe({ v: 1, seq: 0, ts: "2026-01-01T00:00:00.000Z", session: "s", kind: "stderr", text: "hi" });
 * await exporter.close();
 * await server.shutdown();
 * assert.match(bodies.join(""), /"mcp.session.id"/);
 * assert.equal(exporter.exported, 1);
 * ```
 */
export class OtlpExporter {
  #options: OtlpExporterOptions;
  #max: number;
  #logs: unknown[] = [];
  #spans: unknown[] = [];
  #requests = new Map<number, Pending>();
  #histograms = new Map<string, Histogram>();
  #timer: ReturnType<typeof setInterval>;
  #sending: Promise<void> = Promise.resolve();
  #start = Date.now();
  #dropped = 0;
  #exported = 0;
  #lastError: string | undefined;
  #closed: Promise<void> | undefined;

  /** An exporter that sends to `options.endpoint` every `intervalMs`. */
  constructor(options: OtlpExporterOptions) {
    this.#options = options;
    this.#max = options.maxQueued ?? 4096;
    this.#timer = setInterval(() => this.#send(), options.intervalMs ?? 1000);
    Deno.unrefTimer(this.#timer);
  }

  /** Events dropped: the queue was full, or the collector did not take them. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events the collector accepted. */
  get exported(): number {
    return this.#exported;
  }

  /** Why the last export failed, if one did. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /**
   * Queues one event (after the plugins ran on it) for export; never
   * waits. An event that does not fit in the queue is counted as dropped.
   */
  observe(event: AuditEvent): void {
    if (this.#logs.length >= this.#max || this.#closed) {
      this.#dropped++;
      return;
    }
    let stored: Record<string, unknown>;
    let body: string;
    try {
      const line = toLogLine(event as unknown as CorrelatedEvent, {
        maxPayloadBytes: this.#options.maxPayloadBytes,
      });
      stored = JSON.parse(line);
      // The stored line itself, without its newline.
      body = line.slice(0, -1);
    } catch {
      this.#dropped++;
      return;
    }
    const attributes = eventAttributes(stored);
    const time = nanos(stored.ts);
    const record: Record<string, unknown> = {
      timeUnixNano: time,
      observedTimeUnixNano: time,
      severityNumber: stored.kind === "error" ? 17 : 9,
      severityText: stored.kind === "error" ? "ERROR" : "INFO",
      body: { stringValue: body },
      attributes,
    };
    const seq = Number(stored.seq);
    if (stored.kind === "request") {
      const parent = traceparent(stored);
      const pending: Pending = {
        method: str(stored.method),
        tool: str(stored.tool),
        id: stored.id,
        traceId: parent?.traceId ?? randomHex(16),
        parentSpanId: parent?.spanId,
        classes: labels(stored),
      };
      this.#requests.set(seq, pending);
      record.traceId = pending.traceId;
    } else if (
      (stored.kind === "response" || stored.kind === "error") &&
      typeof stored.requestSeq === "number"
    ) {
      const request = this.#requests.get(stored.requestSeq);
      this.#requests.delete(stored.requestSeq);
      if (request) {
        record.traceId = request.traceId;
        this.#span(stored, request, attributes);
      }
    }
    this.#logs.push(record);
  }

  #span(
    reply: Record<string, unknown>,
    request: Pending,
    replyAttributes: OtlpAttribute[],
  ): void {
    const end = Date.parse(String(reply.ts));
    const ms = typeof reply.durationMs === "number" ? reply.durationMs : 0;
    const method = request.method ?? str(reply.method) ?? "";
    const tool = request.tool ?? str(reply.tool);
    const classes = [...new Set([...request.classes, ...labels(reply)])];
    const attributes = replyAttributes.filter((a) =>
      a.key !== "mcp.audit.seq" && a.key !== "mcp.audit.kind"
    );
    if (!attributes.some((a) => a.key === "mcp.method.name")) {
      attributes.push(text("mcp.method.name", method));
    }
    if (
      tool !== undefined &&
      !attributes.some((a) => a.key === "gen_ai.tool.name")
    ) {
      attributes.push(text("gen_ai.tool.name", tool));
    }
    attributes.push({
      key: "mcp.audit.request_seq",
      value: { intValue: String(reply.requestSeq) },
    });
    const error = str(reply.errorType) ??
      (reply.kind === "error" ? "jsonrpc_error" : undefined);
    this.#spans.push({
      traceId: request.traceId,
      spanId: randomHex(8),
      ...(request.parentSpanId ? { parentSpanId: request.parentSpanId } : {}),
      name: tool === undefined ? method : `${method} ${tool}`,
      kind: 3,
      startTimeUnixNano: String(BigInt(Math.round((end - ms) * 1e3)) * 1000n),
      endTimeUnixNano: String(BigInt(end) * 1000000n),
      attributes,
      status: error === undefined ? { code: 1 } : { code: 2, message: error },
    });
    const histogramAttributes = [
      text("mcp.method.name", method),
      ...(tool === undefined ? [] : [text("gen_ai.tool.name", tool)]),
      text("mcp.audit.classes", classes.sort().join(",")),
      ...(error === undefined ? [] : [text("error.type", error)]),
    ];
    const key = JSON.stringify(histogramAttributes);
    let h = this.#histograms.get(key);
    if (!h) {
      h = {
        attributes: histogramAttributes,
        count: 0,
        sum: 0,
        buckets: new Array(BOUNDS.length + 1).fill(0),
      };
      this.#histograms.set(key, h);
    }
    const seconds = ms / 1000;
    h.count++;
    h.sum += seconds;
    let b = BOUNDS.findIndex((bound) => seconds <= bound);
    if (b < 0) b = BOUNDS.length;
    h.buckets[b]++;
  }

  /** Sends what is queued now (and the metrics when `metrics`). */
  #send(metrics = false): Promise<void> {
    const logs = this.#logs.splice(0);
    const spans = this.#spans.splice(0);
    this.#sending = this.#sending.then(async () => {
      const resource = {
        attributes: [
          text("service.name", this.#options.serviceName ?? "mcp-audit"),
        ],
      };
      const scope = { name: "mcp-audit" };
      if (logs.length > 0) {
        const ok = await this.#post("/v1/logs", {
          resourceLogs: [{
            resource,
            scopeLogs: [{ scope, logRecords: logs }],
          }],
        });
        if (ok) this.#exported += logs.length;
        else this.#dropped += logs.length;
      }
      if (spans.length > 0) {
        await this.#post("/v1/traces", {
          resourceSpans: [{ resource, scopeSpans: [{ scope, spans }] }],
        });
      }
      if (metrics && this.#histograms.size > 0) {
        const now = String(BigInt(Date.now()) * 1000000n);
        const start = String(BigInt(this.#start) * 1000000n);
        await this.#post("/v1/metrics", {
          resourceMetrics: [{
            resource,
            scopeMetrics: [{
              scope,
              metrics: [{
                name: "mcp.client.operation.duration",
                unit: "s",
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [...this.#histograms.values()].map((h) => ({
                    attributes: h.attributes,
                    startTimeUnixNano: start,
                    timeUnixNano: now,
                    count: String(h.count),
                    sum: h.sum,
                    bucketCounts: h.buckets.map(String),
                    explicitBounds: BOUNDS,
                  })),
                },
              }],
            }],
          }],
        });
      }
    });
    return this.#sending;
  }

  async #post(path: string, body: unknown): Promise<boolean> {
    const url = this.#options.endpoint.replace(/\/+$/, "") + path;
    const json = this.#options.protocol === "http/json";
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": json ? "application/json" : "application/x-protobuf",
          ...this.#options.headers,
        },
        body: json
          ? JSON.stringify(body)
          : otlpProtobuf(path, body as Record<string, unknown>),
        signal: AbortSignal.timeout(5000),
      });
      await response.body?.cancel();
      if (!response.ok) {
        this.#lastError = `${url} answered HTTP ${response.status}`;
        return false;
      }
      return true;
    } catch (error) {
      this.#lastError = `${url}: ${(error as Error).message}`;
      return false;
    }
  }

  /** Sends what is queued now, and waits for it (what `exported` and `dropped` count then). */
  flush(): Promise<void> {
    return this.#send();
  }

  /** Sends what is left, the metrics too, and stops the timer (once; later calls wait for it). */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#timer);
      await this.#send(true);
    })();
    return this.#closed;
  }
}

/**
 * A processor that runs `processor` on each event, then hands the event,
 * enriched and redacted, to `exporter`.
 *
 * @example
 * ```ts
 * import { otlpObserving, OtlpExporter } from "./otlp_export.ts";
 * import assert from "node:assert/strict";
 *
 * const exporter = new OtlpExporter({ endpoint: "http://127.0.0.1:9" });
 * const processor = otlpObserving(undefined, exporter);
 * await processor.process({ v: 1, seq: 0, ts: "2026-01-01T00:00:00.000Z", session: "s", kind: "stderr", text: "x" });
 * await exporter.close(); // nothing listens on port 9: counted as dropped
 * assert.equal(exporter.dropped, 1);
 * ```
 */
export function otlpObserving<
  P extends {
    process(event: AuditEvent): void | Promise<void>;
  },
>(
  processor: P | undefined,
  exporter: OtlpExporter,
): P {
  const process = (event: AuditEvent): void | Promise<void> => {
    const pending = processor?.process(event);
    if (pending instanceof Promise) {
      return pending.then(() => exporter.observe(event));
    }
    exporter.observe(event);
  };
  if (processor === undefined) {
    // No plugins: what the proxy asks of a pipeline, doing nothing else.
    return {
      process,
      impatient(): void {},
      close(): void {},
    } as unknown as P;
  }
  // Everything else is the processor's own, called on it.
  return new Proxy(processor, {
    get(target, key): unknown {
      if (key === "process") return process;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`, values URL-encoded) as headers.
 *
 * @example
 * ```ts
 * import { otlpHeaders } from "./otlp_export.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(otlpHeaders("api-key=a%20b,x=1"), { "api-key": "a b", x: "1" });
 * ```
 */
export function otlpHeaders(value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const part of (value ?? "").split(",")) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    headers[decodeURIComponent(part.slice(0, at).trim())] = decodeURIComponent(
      part.slice(at + 1).trim(),
    );
  }
  return headers;
}

function eventAttributes(stored: Record<string, unknown>): OtlpAttribute[] {
  const attributes: OtlpAttribute[] = [
    text("mcp.session.id", String(stored.session)),
    { key: "mcp.audit.seq", value: { intValue: String(stored.seq) } },
    text("mcp.audit.kind", String(stored.kind)),
  ];
  const method = str(stored.method);
  if (method !== undefined) attributes.push(text("mcp.method.name", method));
  const tool = str(stored.tool);
  if (tool !== undefined) {
    attributes.push(text("gen_ai.tool.name", tool));
    attributes.push(text("gen_ai.operation.name", "execute_tool"));
  }
  if (stored.id !== undefined && stored.id !== null) {
    attributes.push(text("jsonrpc.request.id", String(stored.id)));
  }
  const error = str(stored.errorType);
  if (error !== undefined) attributes.push(text("error.type", error));
  const classes = labels(stored);
  if (classes.length > 0) {
    attributes.push(text("mcp.audit.classes", classes.join(",")));
  }
  if (typeof stored.durationMs === "number") {
    attributes.push({
      key: "mcp.audit.duration_ms",
      value: { doubleValue: stored.durationMs },
    });
  }
  return attributes;
}

function labels(stored: Record<string, unknown>): string[] {
  const classes = stored.classes;
  if (!Array.isArray(classes)) return [];
  return [
    ...new Set(classes.map((c) => String((c as { label?: unknown }).label))),
  ];
}

function traceparent(
  stored: Record<string, unknown>,
): { traceId: string; spanId: string } | undefined {
  const trace = stored.trace as { traceparent?: unknown } | undefined;
  const m = typeof trace?.traceparent === "string"
    ? TRACEPARENT.exec(trace.traceparent)
    : null;
  if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return undefined;
  return { traceId: m[1], spanId: m[2] };
}

function text(key: string, value: string): OtlpAttribute {
  return { key, value: { stringValue: value } };
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function nanos(ts: unknown): string {
  const ms = Date.parse(String(ts));
  return String(BigInt(Number.isFinite(ms) ? ms : Date.now()) * 1000000n);
}

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
