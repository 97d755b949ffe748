/**
 * The reverse proxy: a local HTTP listener that forwards every request
 * (the MCP endpoint's POST, GET stream and DELETE, and any other path,
 * such as OAuth metadata and token endpoints) to the upstream server, and
 * passes bodies, status codes and headers back unchanged. SSE responses
 * are relayed event by event as they arrive, pulled from the upstream
 * only as fast as the client reads them. Every JSON-RPC message that
 * passed the MCP endpoint is audited, in its own session per
 * `Mcp-Session-Id` (per HTTP+SSE `sessionId`, or per client connection
 * for servers without sessions).
 *
 * @module
 */
import type { HttpExchange, Transport } from "../audit/event.ts";
import {
  AuditSession,
  type AuditSessionOptions,
  type SessionEndInfo,
} from "../session/audit_session.ts";
import {
  BodyTooLargeError,
  errorBody,
  isInitialize,
  readBody,
  readLimited,
  requestIds,
} from "./http_body.ts";
import { type GuardOptions, rebindingRefusal } from "./listener_guard.ts";
import { credentialMarkers, keyedId, redactUrl } from "./secrets.ts";
import { SseEventTooLargeError, SseParser } from "./sse_parser.ts";
import { oversizedAnswer } from "./oversized_event.ts";
import { type GuardedExchange, sseEvent } from "./guarded_exchange.ts";
import type { FrameContext } from "../audit/correlator.ts";
import { mcpHeaders } from "../wire/mcp_headers.ts";
import { afterRelay } from "../session/after_relay.ts";
import { SeenEventIds } from "./seen_event_ids.ts";

/** Options for {@linkcode startReverseProxy}. */
export interface ReverseProxyOptions {
  /** The address to listen on. @default {"127.0.0.1"} */
  hostname?: string;
  /** The port to listen on (0: any free one). */
  port: number;
  /** The upstream MCP endpoint's URL. */
  upstream: string;
  /** How each session's log is opened: the assembly's options, the log path or directory. */
  session: AuditSessionOptions;
  /** The key of the keyed-hash markers (the redact plugin's). */
  markerKey: string;
  /** More header names whose values are secret. */
  secretHeaders?: readonly string[];
  /** Headers added to (or replacing those of) every request sent upstream. */
  headers?: readonly [string, string][];
  /** More `Host` values to accept. */
  allowedHosts?: readonly string[];
  /** More `Origin` values to accept. */
  allowedOrigins?: readonly string[];
  /** The largest request or JSON response body. @default {16777216} */
  maxBodyBytes?: number;
  /** The largest SSE event. @default {16777216} */
  maxEventBytes?: number;
  /** How long to wait for the upstream's response headers. @default {60000} */
  timeoutMs?: number;
  /** A session with no traffic for this long is ended. @default {1800000} */
  idleMs?: number;
  /** Receives warnings. */
  onWarning?: (message: string) => void;
  /** Guard mode: makes each session's guard (see `guarded_exchange.ts`). */
  guard?: () => GuardedExchange;
}

/** A running reverse proxy. */
export interface ReverseProxy {
  /** The address and port it listens on. */
  addr: { hostname: string; port: number };
  /** The logs written so far, one per session (or one shared file). */
  logPaths(): string[];
  /** Sessions audited so far. */
  sessions(): number;
  /** Stops listening and ends every open session. */
  close(reason?: SessionEndInfo["reason"]): Promise<void>;
}

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "host",
  "content-length",
  // The proxy reads bodies to audit them: they travel uncompressed.
  "accept-encoding",
];

const encoder = new TextEncoder();

/** One audited session of the proxy. */
class Tracked {
  audit: Promise<AuditSession>;
  started = false;
  ended = false;
  keys: string[] = [];
  faults: string[] = [];
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Guard mode: the session's guard. */
  guard: GuardedExchange | undefined;
  /** The audit of answers already forwarded, still to run (awaited before the end). */
  relayed: Promise<void> | undefined;
  /** The audit queue's backpressure from that audit, awaited before the next request goes up. */
  backlog: Promise<void> | undefined;
  /** SSE event ids logged: an event replayed after `Last-Event-ID` is logged once. */
  eventIds = new SeenEventIds();
  /** The session's end, once begun. */
  ending: Promise<void> | undefined;
  constructor(audit: Promise<AuditSession>) {
    this.audit = audit;
  }
}

/**
 * Starts the reverse proxy; it listens when this returns.
 *
 * @example
 * ```ts ignore
 * import { startReverseProxy } from "./reverse_proxy.ts";
 *
 * const proxy = startReverseProxy({
 *   port: 0,
 *   upstream: "https://mcp.example.com/mcp",
 *   session: { logDir: "/tmp/logs" },
 *   markerKey: "key",
 * });
 * console.log(`http://127.0.0.1:${proxy.addr.port}/mcp`);
 * await proxy.close();
 * ```
 */
export function startReverseProxy(
  options: ReverseProxyOptions,
): ReverseProxy {
  const upstream = new URL(options.upstream);
  const hostname = options.hostname ?? "127.0.0.1";
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxEvent = options.maxEventBytes ?? 16 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const idleMs = options.idleMs ?? 30 * 60_000;
  const key = options.markerKey;
  const logged = redactUrl(upstream.href, key);
  const where = `the upstream ${logged}`;
  const warn = options.onWarning ?? (() => {});
  const byKey = new Map<string, Tracked>();
  const all = new Set<Tracked>();
  const ending = new Set<Promise<void>>();
  const logPaths: string[] = [];
  let count = 0;

  function open(): Tracked {
    count++;
    const tracked = new Tracked(
      AuditSession.open({
        ...options.session,
        command: options.session.command ?? [upstream.href.split("?")[0]],
        upstream: logged,
        onWarning: warn,
      }).then((audit) => {
        logPaths.push(audit.logPath);
        return audit;
      }),
    );
    // A session whose log cannot be opened still relays; a warning says so.
    tracked.audit.catch((error) => warn(`${error.message ?? error}`));
    tracked.guard = options.guard?.();
    all.add(tracked);
    return tracked;
  }

  function register(tracked: Tracked, name: string): void {
    tracked.keys.push(name);
    byKey.set(name, tracked);
  }

  async function start(
    tracked: Tracked,
    transport: Transport,
    httpSession?: string,
  ): Promise<AuditSession | undefined> {
    const audit = await tracked.audit.catch(() => undefined);
    if (audit && !tracked.started) {
      tracked.started = true;
      audit.start({
        transport,
        httpSession: httpSession === undefined
          ? undefined
          : keyedId(key, httpSession),
      });
    }
    touch(tracked);
    return tracked.ended ? undefined : audit;
  }

  function touch(tracked: Tracked): void {
    clearTimeout(tracked.timer);
    tracked.timer = setTimeout(
      () => void end(tracked, { reason: "client_closed" }),
      idleMs,
    );
    Deno.unrefTimer(tracked.timer as unknown as number);
  }

  /**
   * Ends a session once; a second call gets the first one's promise. Ends
   * under way are kept in `ending`, so that `close` waits for them too: a
   * session whose client had just gone (its HTTP+SSE stream cancelled)
   * was being ended when SIGTERM came, and the process exited before its
   * `session_end` was written.
   */
  function end(tracked: Tracked, info: SessionEndInfo): Promise<void> {
    if (tracked.ending) return tracked.ending;
    tracked.ended = true;
    clearTimeout(tracked.timer);
    for (const name of tracked.keys) byKey.delete(name);
    all.delete(tracked);
    const done = finishEnd(tracked, info);
    tracked.ending = done;
    ending.add(done);
    const settled = (): void => void ending.delete(done);
    done.then(settled, settled);
    return done;
  }

  async function finishEnd(
    tracked: Tracked,
    info: SessionEndInfo,
  ): Promise<void> {
    const audit = await tracked.audit.catch(() => undefined);
    if (!audit) return;
    // Answers forwarded before the end are audited before session_end.
    while (tracked.relayed) await tracked.relayed;
    if (!tracked.started) {
      tracked.started = true;
      audit.start({ transport: "streamable-http" });
    }
    const failure = info.failure ??
      (tracked.faults.length ? tracked.faults.join("; ") : undefined);
    await audit.end({ ...info, ...(failure && { failure }) });
  }

  function feed(
    audit: AuditSession | undefined,
    dir: "c2s" | "s2c",
    bytes: Uint8Array,
    http: HttpExchange,
    context?: FrameContext,
  ): Promise<void> | undefined {
    if (!audit || bytes.length === 0) return undefined;
    return audit.frame(dir, bytes, http, context);
  }

  function upstreamHeaders(req: Request): Headers {
    const headers = new Headers();
    for (const [name, value] of req.headers) {
      if (!HOP_BY_HOP.includes(name)) headers.append(name, value);
    }
    for (const [name, value] of options.headers ?? []) headers.set(name, value);
    return headers;
  }

  /**
   * The upstream's response headers for the client. A `WWW-Authenticate`
   * that points at the upstream's protected-resource metadata is pointed
   * at this proxy instead, so the client's OAuth flow fetches it here.
   */
  function clientHeaders(res: Response, local?: string): Headers {
    const headers = new Headers();
    for (const [name, value] of res.headers) {
      if (HOP_BY_HOP.includes(name) || name === "content-encoding") continue;
      headers.append(
        name,
        name === "www-authenticate" && local
          ? value.replaceAll(upstream.origin, local)
          : value,
      );
    }
    return headers;
  }

  function failure(
    status: number,
    ids: (string | number)[],
    message: string,
  ): Response {
    return new Response(errorBody(ids, message), {
      status,
      headers: { "content-type": "application/json" },
    });
  }

  /** Sends a request upstream; a fault becomes the sentence naming it. */
  async function send(
    req: Request,
    target: URL,
    body: BodyInit | null,
  ): Promise<Response | string> {
    // The timeout covers the wait for the response's headers only: a
    // stream may then run as long as both ends keep it open.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    try {
      return await fetch(target, {
        method: req.method,
        headers: upstreamHeaders(req),
        body,
        redirect: "manual",
        signal: timeout.signal,
      });
    } catch (error) {
      if (timeout.signal.aborted) {
        return `${where} did not answer within ${timeoutMs} ms`;
      }
      return `${where} could not be reached (${
        (error as Error).message ?? error
      })`;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Relays an SSE body, auditing each event's data; pulls only on demand.
   * The client gets whole events only (the bytes of an event still coming
   * are held until its end), so that an event over `--max-event-bytes`
   * can be answered in its place: the requests of `ids` still unanswered
   * get a JSON-RPC error event naming the limit, and the stream closes, as
   * a server may close it (see `oversized_event.ts`).
   */
  function relaySse(
    body: ReadableStream<Uint8Array>,
    tracked: Tracked | undefined,
    http: HttpExchange,
    onEndpoint?: (data: string) => Promise<void>,
    ids: (string | number)[] = [],
  ): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    let audit: AuditSession | undefined;
    const waits: Promise<void>[] = [];
    // guard: a stream that may carry a tools/list answer is written anew,
    // event by event, so hidden tools can be taken out.
    const guard = tracked?.guard?.listing ? tracked.guard : undefined;
    const out: Uint8Array[] = [];
    // The bytes of an event in progress, not forwarded yet.
    let held: Uint8Array[] = [];
    const parser = new SseParser((event) => {
      if (event.event === "endpoint" && onEndpoint) {
        waits.push(onEndpoint(event.data));
        if (guard) {
          out.push(encoder.encode(sseEvent(event.data, event.id, event.event)));
        }
        return;
      }
      if (event.event !== "message" || !tracked) {
        if (guard) {
          out.push(encoder.encode(sseEvent(event.data, event.id, event.event)));
        }
        return;
      }
      const exchange = event.id === undefined
        ? http
        : { ...http, eventId: event.id };
      const bytes = encoder.encode(event.data);
      // A replayed event (resumption) is forwarded again, but logged once.
      const again = event.id !== undefined && !tracked.eventIds.first(event.id);
      if (!guard) {
        // Audited once its bytes are forwarded (see `audited`).
        if (!again) unaudited.push({ bytes, exchange });
        return;
      }
      const guarded = audit ? guard.response(audit, bytes) : undefined;
      const wait = again ? undefined : feed(audit, "s2c", bytes, exchange);
      if (!again) guarded?.record();
      out.push(encoder.encode(sseEvent(
        guarded ? new TextDecoder().decode(guarded.bytes) : event.data,
        event.id,
      )));
      if (wait) waits.push(wait);
    }, { maxEventBytes: maxEvent, where });
    // The events parsed from a chunk, audited after it is forwarded: the
    // client never waits on the audit.
    const unaudited: { bytes: Uint8Array; exchange: HttpExchange }[] = [];
    const audited = (): void => {
      for (const { bytes, exchange } of unaudited.splice(0)) {
        const wait = feed(audit, "s2c", bytes, exchange);
        if (wait) waits.push(wait);
      }
    };
    const finish = (fault?: string): void => {
      if (!tracked) return;
      if (fault) {
        tracked.faults.push(fault);
        warn(fault);
      }
      if (!onEndpoint) return;
      // An HTTP+SSE session lives as long as its stream.
      void end(tracked, {
        reason: fault ? "proxy_error" : "server_exited",
        failure: fault,
      });
    };
    /** Forwards the whole events of a chunk, holds the rest; false when nothing could go. */
    const forward = (
      controller: ReadableStreamDefaultController<Uint8Array>,
      chunk: Uint8Array,
    ): boolean => {
      if (guard) {
        const events = out.splice(0);
        for (const event of events) controller.enqueue(event);
        return events.length > 0;
      }
      const cut = parser.cut;
      if (cut < 0) {
        held.push(chunk);
        return false;
      }
      for (const part of held) controller.enqueue(part);
      if (cut === chunk.length) {
        held = [];
        controller.enqueue(chunk);
      } else {
        held = [chunk.subarray(cut)];
        if (cut > 0) controller.enqueue(chunk.subarray(0, cut));
      }
      return true;
    };
    return new ReadableStream<Uint8Array>({
      async pull(controller): Promise<void> {
        if (tracked && !audit) {
          audit = await tracked.audit.catch(() => undefined);
        }
        // A pull that enqueues nothing is not called again: read on until
        // a whole event (or the end) can be given.
        for (let given = false; !given;) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch (error) {
            for (const part of held.splice(0)) controller.enqueue(part);
            finish(`${where} broke off an SSE stream (${error})`);
            controller.error(error);
            return;
          }
          if (chunk.done) {
            // A last event without its blank line: the client decides.
            for (const part of held.splice(0)) controller.enqueue(part);
            controller.close();
            finish();
            return;
          }
          try {
            parser.push(chunk.value);
            given = forward(controller, chunk.value);
            audited();
          } catch (error) {
            if (!(error instanceof SseEventTooLargeError)) throw error;
            // The events before it pass; the oversized one never does.
            forward(controller, chunk.value);
            audited();
            held = [];
            await Promise.all(waits.splice(0));
            const answer = oversizedAnswer(
              audit?.pending(),
              ids,
              error.message,
            );
            if (answer) {
              controller.enqueue(encoder.encode(sseEvent(answer)));
              await feed(audit, "s2c", encoder.encode(answer), {
                ...http,
                fault: error.message,
              });
            }
            finish(error.message);
            await reader.cancel(error).catch(() => {});
            controller.close();
            return;
          }
          if (tracked) touch(tracked);
          if (waits.length) await Promise.all(waits.splice(0));
        }
      },
      cancel(reason): Promise<void> {
        if (tracked && onEndpoint) {
          void end(tracked, { reason: "client_closed" });
        }
        return reader.cancel(reason).catch(() => {});
      },
    }, { highWaterMark: 0 });
  }

  async function handlePost(
    req: Request,
    target: URL,
    connection: string,
    sseSession: string | undefined,
  ): Promise<Response> {
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = await readBody(req, maxBody, "the client");
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        warn(error.message);
        return failure(413, [], `mcp-audit: ${error.message}`);
      }
      throw error;
    }
    const sid = req.headers.get("mcp-session-id");
    let tracked = sid !== null
      ? byKey.get(`sid:${sid}`)
      : sseSession !== undefined
      ? byKey.get(`sse:${sseSession}`)
      : undefined;
    if (!tracked && sid === null && !isInitialize(body)) {
      tracked = byKey.get(`conn:${connection}`);
    }
    const fresh = !tracked;
    if (!tracked) {
      tracked = open();
      if (sid !== null) register(tracked, `sid:${sid}`);
      if (sseSession !== undefined) register(tracked, `sse:${sseSession}`);
    }
    const credentials = credentialMarkers(
      req.headers,
      key,
      options.secretHeaders,
    );
    // The 2026-07-28 request headers, logged beside the request (redacted).
    const context: FrameContext = { mcpHeaders: mcpHeaders(req.headers) };
    const transport: Transport = sseSession !== undefined
      ? "sse"
      : "streamable-http";
    // guard: begin. A decided request is audited by the guard, and a
    // blocked one answered here: it never reaches the upstream.
    let audited = false;
    if (tracked.guard?.decides(body)) {
      const http: HttpExchange = { method: "POST" };
      if (credentials) http.headers = credentials;
      const answered = await guardPost(
        tracked,
        await start(tracked, transport, sid ?? sseSession),
        body,
        http,
        req.headers.get("accept"),
        context,
      );
      if (answered) return answered;
      audited = true;
    }
    // guard: end
    // HTTP+SSE: the answer comes on the session's stream, maybe before the
    // POST's own 202, so the request is audited before it is sent.
    const early = sseSession !== undefined;
    if (early && !audited) {
      const http: HttpExchange = { method: "POST" };
      if (credentials) http.headers = credentials;
      feed(
        await start(tracked, transport, sseSession),
        "c2s",
        body,
        http,
        context,
      );
    }
    // At most one forwarded answer of the session waits for its audit
    // (an answer can be MBs), and the audit queue stays bounded.
    if (tracked.relayed) await tracked.relayed;
    if (tracked.backlog) await tracked.backlog;
    const sent = await send(req, target, body.length ? body : null);
    if (typeof sent === "string") {
      const audit = await start(tracked, transport, sid ?? undefined);
      const http: HttpExchange = { method: "POST", status: 502, fault: sent };
      if (credentials) http.headers = credentials;
      if (!early && !audited) feed(audit, "c2s", body, http, context);
      const reply = errorBody(requestIds(body), sent);
      feed(audit, "s2c", encoder.encode(reply), {
        method: "POST",
        status: 502,
        fault: sent,
      });
      tracked.faults.push(sent);
      warn(sent);
      return failure(502, requestIds(body), sent);
    }
    const newSid = sent.headers.get("mcp-session-id");
    if (!tracked.started) {
      if (newSid !== null && sid === null) register(tracked, `sid:${newSid}`);
      else if (sid === null && sseSession === undefined) {
        register(tracked, `conn:${connection}`);
      }
    }
    const audit = await start(tracked, transport, sid ?? newSid ?? undefined);
    const http: HttpExchange = { method: "POST", status: sent.status };
    if (credentials) http.headers = credentials;
    let request = !early && !audited;
    const auditRequest = (): void => {
      if (request) feed(audit, "c2s", body, http, context);
      request = false;
    };
    const back: HttpExchange = { method: "POST", status: sent.status };
    const cookies = credentialMarkers(sent.headers, key, options.secretHeaders);
    if (cookies) back.headers = cookies;
    const headers = clientHeaders(sent, new URL(req.url).origin);
    // Ended once the answer is audited, never before.
    let ending: SessionEndInfo | undefined;
    if (fresh && sent.status >= 400) {
      // Refused before a session began (401 until the client has a
      // token, 400 for an unknown session): logged as a session of its own.
      ending = {
        reason: "client_closed",
        failure: `${where} answered ${sent.status} ${sent.statusText}`.trim(),
      };
    } else if (sent.status === 404 && sid !== null) {
      // The upstream no longer knows the session: it ended there.
      ending = {
        reason: "server_exited",
        failure: `${where} answered 404 for the session: it has expired`,
      };
    }
    const type = sent.headers.get("content-type") ?? "";
    if (sent.body && type.includes("text/event-stream") && !ending) {
      auditRequest();
      return new Response(
        relaySse(sent.body, tracked, back, undefined, requestIds(body)),
        {
          status: sent.status,
          statusText: sent.statusText,
          headers,
        },
      );
    }
    let reply: Uint8Array<ArrayBuffer>;
    try {
      reply = await readBody(sent, maxBody, where);
    } catch (error) {
      auditRequest();
      const message = (error as Error).message;
      tracked.faults.push(message);
      warn(message);
      if (ending) void end(tracked, ending);
      return failure(502, requestIds(body), `mcp-audit: ${message}`);
    }
    if (!tracked.guard) {
      // Forwarded first: the request and its answer are audited in the
      // next task, in that order, and the session ends after them.
      const response = new Response(sent.status === 204 ? null : reply, {
        status: sent.status,
        statusText: sent.statusText,
        headers,
      });
      const json = type.includes("json");
      const relayed: Promise<void> = afterRelay(() => {
        try {
          auditRequest();
          const wait = json ? feed(audit, "s2c", reply, back) : undefined;
          const backlog = wait?.then(() => {
            if (tracked.backlog === backlog) tracked.backlog = undefined;
          });
          if (backlog) tracked.backlog = backlog;
        } finally {
          if (tracked.relayed === relayed) tracked.relayed = undefined;
        }
        if (ending) void end(tracked, ending);
        return Promise.resolve();
      });
      tracked.relayed = relayed;
      return response;
    }
    auditRequest();
    if (type.includes("json")) {
      // guard: a tools/list answer may lose hidden tools (the log keeps the server's).
      const guarded = audit && tracked.guard?.response(audit, reply);
      await feed(audit, "s2c", reply, back);
      if (guarded) {
        guarded.record();
        if (guarded.bytes !== reply) {
          reply = guarded.bytes as Uint8Array<ArrayBuffer>;
          headers.delete("content-length");
        }
      }
    }
    if (ending) void end(tracked, ending);
    return new Response(sent.status === 204 ? null : reply, {
      status: sent.status,
      statusText: sent.statusText,
      headers,
    });
  }

  // guard: begin
  /** Decides a request; the response when it is answered here. */
  async function guardPost(
    tracked: Tracked,
    audit: AuditSession | undefined,
    body: Uint8Array,
    http: HttpExchange,
    accept: string | null,
    context: FrameContext,
  ): Promise<Response | undefined> {
    if (!audit) {
      // Nothing decided goes unrecorded: refused, never forwarded.
      const message =
        "mcp-audit: guard mode cannot record this session (its log could not be opened), so it forwards no decided request";
      return failure(503, requestIds(body), message);
    }
    const verdict = await tracked.guard!.request(
      audit,
      body,
      http,
      undefined,
      context,
    );
    if (verdict.forward) return undefined;
    const json = accept === null || accept.includes("application/json") ||
      accept.includes("*/*") || !accept.includes("text/event-stream");
    return json
      ? new Response(verdict.reply as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: { "content-type": "application/json" },
      })
      : new Response(sseEvent(new TextDecoder().decode(verdict.reply)), {
        status: 200,
        headers: { "content-type": "text/event-stream" },
      });
  }
  // guard: end

  async function handleGet(req: Request, target: URL): Promise<Response> {
    const sid = req.headers.get("mcp-session-id");
    const known = sid === null ? undefined : byKey.get(`sid:${sid}`);
    const sent = await send(req, target, null);
    if (typeof sent === "string") {
      if (known) known.faults.push(sent);
      warn(sent);
      return failure(502, [], sent);
    }
    const http: HttpExchange = { method: "GET", status: sent.status };
    const credentials = credentialMarkers(
      req.headers,
      key,
      options.secretHeaders,
    );
    if (credentials) http.headers = credentials;
    const type = sent.headers.get("content-type") ?? "";
    const headers = clientHeaders(sent, new URL(req.url).origin);
    if (!sent.body || !sent.ok || !type.includes("text/event-stream")) {
      // Nothing of a session passed (405, or an error).
      return new Response(sent.body, {
        status: sent.status,
        statusText: sent.statusText,
        headers,
      });
    }
    let owner = known;
    if (!owner) {
      owner = open();
      if (sid !== null) register(owner, `sid:${sid}`);
    }
    const tracked = owner;
    let onEndpoint: ((data: string) => Promise<void>) | undefined;
    if (sid === null) {
      // The older HTTP+SSE transport: the stream's first event names the
      // endpoint the client posts to, and its sessionId names the session.
      onEndpoint = async (data: string): Promise<void> => {
        const id = new URL(data, target).searchParams.get("sessionId");
        if (id !== null) register(tracked, `sse:${id}`);
        await start(tracked, "sse", id ?? undefined);
      };
    } else {
      await start(tracked, "streamable-http", sid);
    }
    return new Response(relaySse(sent.body, tracked, http, onEndpoint), {
      status: sent.status,
      statusText: sent.statusText,
      headers,
    });
  }

  async function handleDelete(req: Request, target: URL): Promise<Response> {
    const sid = req.headers.get("mcp-session-id");
    const sent = await send(req, target, null);
    if (typeof sent === "string") {
      warn(sent);
      return failure(502, [], sent);
    }
    const tracked = sid === null ? undefined : byKey.get(`sid:${sid}`);
    if (tracked && (sent.ok || sent.status === 404)) {
      await end(tracked, { reason: "client_closed" });
    }
    return new Response(sent.body, {
      status: sent.status,
      statusText: sent.statusText,
      headers: clientHeaders(sent),
    });
  }

  async function passThrough(req: Request, target: URL): Promise<Response> {
    const sent = await send(
      req,
      target,
      req.body && req.method !== "GET" && req.method !== "HEAD"
        ? req.body
        : null,
    );
    if (typeof sent === "string") {
      warn(sent);
      return failure(502, [], sent);
    }
    const local = new URL(req.url).origin;
    const type = sent.headers.get("content-type") ?? "";
    if (
      sent.ok && type.includes("json") &&
      target.pathname.startsWith("/.well-known/oauth-protected-resource")
    ) {
      return await resourceMetadata(sent, local);
    }
    return new Response(sent.body, {
      status: sent.status,
      statusText: sent.statusText,
      headers: clientHeaders(sent, local),
    });
  }

  /**
   * The protected-resource metadata (RFC 9728) with its `resource` moved
   * from the upstream's origin to this proxy's: the client checks that it
   * names the URL it connected to (the SDK refuses the flow otherwise).
   * Every other member passes unchanged.
   */
  async function resourceMetadata(
    sent: Response,
    local: string,
  ): Promise<Response> {
    const bytes = await readLimited(sent.body, maxBody, where);
    let body: BodyInit = bytes;
    try {
      const metadata = JSON.parse(new TextDecoder().decode(bytes));
      if (
        typeof metadata?.resource === "string" &&
        metadata.resource.startsWith(upstream.origin)
      ) {
        metadata.resource = local +
          metadata.resource.slice(upstream.origin.length);
        body = JSON.stringify(metadata);
      }
    } catch {
      // Not JSON after all: passed as it came.
    }
    return new Response(body, {
      status: sent.status,
      statusText: sent.statusText,
      headers: clientHeaders(sent, local),
    });
  }

  let port = options.port;
  const guard = (): GuardOptions => ({
    hostname,
    port,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
  });
  const server = Deno.serve({
    hostname,
    port: options.port,
    onListen: () => {},
  }, async (req, info): Promise<Response> => {
    const refusal = rebindingRefusal(req.headers, guard());
    if (refusal) {
      warn(`refused a request: ${refusal}`);
      return failure(403, [], `mcp-audit: ${refusal}`);
    }
    const url = new URL(req.url);
    const target = new URL(url.pathname + url.search, upstream);
    const remote = info.remoteAddr as Deno.NetAddr;
    const connection = `${remote.hostname}:${remote.port}`;
    const mcp = url.pathname === upstream.pathname;
    const sseSession = url.searchParams.get("sessionId");
    const knownSse = sseSession !== null && byKey.has(`sse:${sseSession}`);
    try {
      if (req.method === "POST" && (mcp || knownSse)) {
        return await handlePost(
          req,
          target,
          connection,
          knownSse ? sseSession ?? undefined : undefined,
        );
      }
      if (req.method === "GET" && mcp) return await handleGet(req, target);
      if (req.method === "DELETE" && mcp) {
        return await handleDelete(req, target);
      }
      return await passThrough(req, target);
    } catch (error) {
      const message = `mcp-audit could not relay the request to ${where} (${
        (error as Error).message ?? error
      })`;
      warn(message);
      return failure(502, [], message);
    }
  });
  port = server.addr.port;
  return {
    addr: { hostname, port },
    logPaths: () => [...new Set(logPaths)],
    sessions: () => count,
    async close(reason = "signal"): Promise<void> {
      await Promise.all([...all].map((t) => end(t, { reason })));
      // And the ends already under way (a client that had just gone).
      while (ending.size) await Promise.all([...ending]);
      // Open SSE streams would hold a graceful shutdown: wait a moment only.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        server.shutdown().catch(() => {}),
        new Promise((resolve) => timer = setTimeout(resolve, 500)),
      ]);
      clearTimeout(timer);
    },
  };
}
