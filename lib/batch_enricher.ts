/**
 * The plugin stage of the log's thread: events that arrive as JSON lines
 * (as the main thread serialised them) are parsed, run through the plugin
 * pipeline, counted into the summary and made into encoded log lines.
 *
 * Most events come out of the plugins with only fields added (classes,
 * entities, plugin errors) and none of their own replaced (redaction
 * replaces a payload with a copy). Their log line is then the event's own
 * JSON bytes with the added fields spliced in before the closing brace,
 * which is what serialising the event again would give, without the cost.
 * Any other event (a replaced field, a payload to truncate) is serialised
 * by `toLogLine`.
 *
 * @module
 */
import { enrich, type EventProcessor } from "./audit_sink.ts";
import { type CorrelatedEvent, FRAME } from "./correlator.ts";
import type { AuditEvent } from "./event.ts";
import type { Frame } from "./line_splitter.ts";
import {
  type LogLineOptions,
  toLogLine,
  truncatesPayload,
} from "./log_line.ts";
import type { SummaryBuilder } from "./summary.ts";

/** Events as JSON, one after another in `buffer`; event `i` ends at `ends[i]`. */
export interface RawEvents {
  /** The events' JSON text, UTF-8. */
  buffer: Uint8Array;
  /** Where each event's JSON ends in `buffer`. */
  ends: number[];
  /**
   * The frames of the events whose log line reads them (see
   * `truncatesPayload`), by event index, in order.
   */
  frames?: { at: number; frame: Frame }[];
}

/**
 * Log lines, encoded one after another in `buffer` (line `i` ends, newline
 * included, at `ends[i]` and is event `seqs[i]`), and the events left for
 * the sealer to make lines of, each placed before line `at`.
 */
export interface EncodedLines {
  /** A new buffer, owned by the receiver. */
  buffer: Uint8Array<ArrayBuffer>;
  /** Where each line ends. */
  ends: number[];
  /** Each line's event number. */
  seqs: number[];
  /** Events not made into lines here (checkpoints, session end). */
  events: { at: number; event: AuditEvent }[];
}

/** Options for {@linkcode BatchEnricher}. */
export interface BatchEnricherOptions extends LogLineOptions {
  /** The plugin pipeline; without it, events are logged as they came. */
  processor?: EventProcessor;
  /** Counts every event once enriched. */
  summary?: SummaryBuilder;
  /** Leave checkpoints and the session end to the sealer: the log is sealed. */
  sealed?: boolean;
}

const encoder = new TextEncoder();
const CLOSE_BRACE = 0x7d;

/**
 * Turns batches of events as JSON into batches of enriched log lines.
 *
 * @example
 * ```ts
 * import { BatchEnricher } from "./batch_enricher.ts";
 * import assert from "node:assert/strict";
 *
 * const json = JSON.stringify({ v: 1, seq: 3, ts: "t", session: "s", kind: "stderr", text: "hi" });
 * const enricher = new BatchEnricher({
 *   processor: { process: (e) => void Object.assign(e, { classes: [{ label: "X", source: "p" }] }) },
 * });
 * const out = await enricher.enrich({
 *   buffer: new TextEncoder().encode(json),
 *   ends: [json.length],
 * });
 * assert.equal(
 *   new TextDecoder().decode(out.buffer.subarray(0, out.ends[0])),
 *   json.slice(0, -1) + ',"classes":[{"label":"X","source":"p"}]}\n',
 * );
 * assert.deepEqual(out.seqs, [3]);
 * ```
 */
export class BatchEnricher {
  #options: BatchEnricherOptions;
  #decoder = new TextDecoder();

  /** Creates an enricher. */
  constructor(options: BatchEnricherOptions = {}) {
    this.#options = options;
  }

  /** Enriches a batch, in order; waits only on asynchronous plugins. */
  async enrich(raw: RawEvents): Promise<EncodedLines> {
    const { processor, summary, sealed } = this.#options;
    const frames = raw.frames ?? [];
    let buffer = new Uint8Array(
      Math.max(64 * 1024, (raw.ends.at(-1) ?? 0) + raw.ends.length * 512),
    );
    const out: EncodedLines = { buffer, ends: [], seqs: [], events: [] };
    let pos = 0;
    const room = (bytes: number): void => {
      if (pos + bytes <= buffer.length) return;
      const bigger = new Uint8Array(Math.max(buffer.length * 2, pos + bytes));
      bigger.set(buffer.subarray(0, pos));
      buffer = out.buffer = bigger;
    };
    let next = 0;
    for (let i = 0, start = 0; i < raw.ends.length; start = raw.ends[i++]) {
      const end = raw.ends[i];
      const event = JSON.parse(
        this.#decoder.decode(raw.buffer.subarray(start, end)),
      ) as CorrelatedEvent;
      if (frames[next]?.at === i) event[FRAME] = frames[next++].frame;
      const keys = Object.keys(event);
      const fields = event as unknown as Record<string, unknown>;
      const values = keys.map((k) => fields[k]);
      if (processor) {
        const pending = enrich(processor, event);
        if (pending) await pending;
      }
      summary?.add(event);
      if (
        sealed && (event.kind === "checkpoint" || event.kind === "session_end")
      ) {
        out.events.push({ at: out.ends.length, event });
        continue;
      }
      const added = addedFields(fields, keys, values);
      if (
        added === undefined || truncatesPayload(event, this.#options) ||
        raw.buffer[end - 1] !== CLOSE_BRACE
      ) {
        const text = toLogLine(event, this.#options);
        room(text.length * 3);
        pos += encoder.encodeInto(text, buffer.subarray(pos)).written;
      } else {
        const tail = `${added}}\n`;
        room(end - 1 - start + tail.length * 3);
        buffer.set(raw.buffer.subarray(start, end - 1), pos);
        pos += end - 1 - start;
        pos += encoder.encodeInto(tail, buffer.subarray(pos)).written;
      }
      out.ends.push(pos);
      out.seqs.push(event.seq);
    }
    return out;
  }
}

/**
 * The JSON of the fields added to `fields` after `keys` (`,"k":v` each),
 * or `undefined` when one of the first fields was replaced or removed.
 */
function addedFields(
  fields: Record<string, unknown>,
  keys: string[],
  values: unknown[],
): string | undefined {
  const now = Object.keys(fields);
  if (now.length < keys.length) return undefined;
  for (let k = 0; k < keys.length; k++) {
    if (now[k] !== keys[k] || fields[keys[k]] !== values[k]) return undefined;
  }
  let json = "";
  for (let k = keys.length; k < now.length; k++) {
    const value = JSON.stringify(fields[now[k]]);
    if (value !== undefined) json += `,${JSON.stringify(now[k])}:${value}`;
  }
  return json;
}
