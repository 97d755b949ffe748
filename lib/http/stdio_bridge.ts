/**
 * The stdio bridge: speaks stdio (one JSON-RPC message a line) to the
 * client and Streamable HTTP to the upstream: each message is POSTed, the
 * `Mcp-Session-Id` the server assigns is sent back on every request, JSON
 * and SSE responses are written out message by message as they arrive, and
 * a GET stream carries the server's own requests and notifications. When
 * the server answers the first POST as the older HTTP+SSE transport does
 * (a 4xx), the bridge falls back to that transport, as the SDK clients do:
 * a GET stream whose `endpoint` event names the URL to POST to. A 404 to
 * a request carrying `Mcp-Session-Id` means that session expired: the
 * bridge replays the client's initialize to start a new one and sends the
 * request once more (the stdio client knows nothing of HTTP sessions),
 * and its GET stream replaces the old session's. A response stream that
 * ends before its answer, once it has given event ids, is resumed with a
 * GET and `Last-Event-ID` (see `stream_resumption.ts`); an event the
 * server sends again (an id seen before) is neither forwarded nor logged
 * twice. Every message is audited in one session.
 *
 * @module
 */
import type { HttpExchange, Summary, Transport } from "../audit/event.ts";
import {
  AuditSession,
  type AuditSessionOptions,
} from "../session/audit_session.ts";
import { LineSplitter } from "../wire/line_splitter.ts";
import { errorBody, readBody, readLimited, requestIds } from "./http_body.ts";
import { credentialMarkers, keyedId, redactUrl } from "./secrets.ts";
import { SseEventTooLargeError, SseParser } from "./sse_parser.ts";
import { resumeStream, type StreamState } from "./stream_resumption.ts";
import { SeenEventIds } from "./seen_event_ids.ts";
import type { GuardedExchange } from "./guarded_exchange.ts";
import { requestHeaders2026 } from "./request_headers.ts";
import { clientOutput } from "./client_output.ts";
import { Deadlines } from "./deadlines.ts";
import { PostHeaders } from "./post_headers.ts";
import { ToolParamHeaders } from "./tool_param_headers.ts";
import { screenTools } from "./tool_header_rules.ts";
import {
  isHeaderMismatch,
  isModernError,
  refreshTools,
  rejectionNote,
} from "./tools_refresh.ts";
import { mcpHeaders } from "../wire/mcp_headers.ts";
import type { FrameContext } from "../audit/correlator.ts";

/** Options for {@linkcode runBridge}. */
export interface BridgeOptions {
  /** The upstream MCP endpoint's URL. */
  upstream: string;
  /** Headers sent upstream with every request (already expanded). */
  headers?: readonly [string, string][];
  /** How the session's log is opened. */
  session: AuditSessionOptions;
  /** The key of the keyed-hash markers (the redact plugin's). */
  markerKey: string;
  /** More header names whose values are secret. */
  secretHeaders?: readonly string[];
  /** The largest JSON response body. @default {16777216} */
  maxBodyBytes?: number;
  /** The largest SSE event. @default {16777216} */
  maxEventBytes?: number;
  /** How long the upstream gets to answer a POST with headers. @default {60000} */
  timeoutMs?: number;
  /** Where client messages come from. @default {Deno.stdin.readable} */
  input?: ReadableStream<Uint8Array>;
  /** Where server messages go. @default {Deno.stdout.writable} */
  output?: WritableStream<Uint8Array>;
  /** Receives warnings. */
  onWarning?: (message: string) => void;
  /** Guard mode: decides each client request before it is POSTed (see `guarded_exchange.ts`). */
  guard?: GuardedExchange;
}

/** What {@linkcode runBridge} returns when the client has gone. */
export interface BridgeResult {
  /** 0, or 1 when the upstream could never be reached. */
  exitCode: number;
  /** The log written. */
  logPath: string;
  /** The session's summary. */
  summary: Summary;
  /** The transport used. */
  transport: Transport;
  /** What went wrong, when something did. */
  failure?: string;
}

const encoder = new TextEncoder();
const NEWLINE = new Uint8Array([10]);

/** Removes the line breaks a JSON text may hold between tokens, so it fits on one line. */
function oneLine(bytes: Uint8Array): Uint8Array {
  if (!bytes.includes(10) && !bytes.includes(13)) return bytes;
  return bytes.map((b) => (b === 10 || b === 13 ? 32 : b));
}

/** The line and its newline in one buffer: one write, one syscall. */
function withNewline(line: Uint8Array): Uint8Array {
  const out = new Uint8Array(line.length + 1);
  out.set(line);
  out[line.length] = 10;
  return out;
}

/**
 * Runs the bridge until the client closes its input.
 *
 * @example
 * ```ts ignore
 * import { runBridge } from "./stdio_bridge.ts";
 *
 * const result = await runBridge({
 *   upstream: "https://mcp.example.com/mcp",
 *   headers: [["Authorization", `Bearer ${Deno.env.get("TOKEN")}`]],
 *   session: { logDir: "/tmp/logs" },
 *   markerKey: "key",
 * });
 * console.error(result.logPath);
 * ```
 */
export async function runBridge(options: BridgeOptions): Promise<BridgeResult> {
  const upstream = new URL(options.upstream);
  const key = options.markerKey;
  const logged = redactUrl(upstream.href, key);
  const where = `the upstream ${logged}`;
  const warn = options.onWarning ?? (() => {});
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxEvent = options.maxEventBytes ?? 16 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadlines = new Deadlines(timeoutMs);
  const postHeaders = new PostHeaders(options.headers);
  const audit = await AuditSession.open({
    ...options.session,
    upstream: logged,
    onWarning: warn,
  });
  const writer = clientOutput(options.output);
  const closing = new AbortController();
  const faults: string[] = [];
  let transport: Transport = "streamable-http";
  let started = false;
  let sid: string | undefined;
  let protocolVersion: string | undefined;
  let endpoint: URL | undefined;
  let getStream: Promise<void> | undefined;
  // The GET stream of the current session, and every one still ending.
  let getAbort: AbortController | undefined;
  const getStreams = new Set<Promise<void>>();
  // SSE event ids relayed in this session: a replayed event passes once.
  let seen = new SeenEventIds();
  let reachedOnce = false;
  const credentials = credentialMarkers(
    new Headers(options.headers as [string, string][] | undefined),
    key,
    options.secretHeaders,
  );
  let writing = Promise.resolve();
  // The client's handshake, replayed to start a new session after a 404.
  let initialize: Uint8Array<ArrayBuffer> | undefined;
  let initialized: Uint8Array<ArrayBuffer> | undefined;
  let renewal: { expired: string; done: Promise<boolean> } | undefined;
  // 2026-07-28: tool schemas from the tools/list answers relayed, for the
  // Mcp-Param-* headers of tools/call; the ids of tools/list requests sent.
  const toolParams = new ToolParamHeaders();
  const listing = new Set<unknown>();

  function begin(): void {
    if (started) return;
    started = true;
    audit.start({ transport, httpSession: sid && keyedId(key, sid) });
  }

  function exchange(method: string, status?: number): HttpExchange {
    const http: HttpExchange = { method };
    if (status !== undefined) http.status = status;
    if (credentials) http.headers = credentials;
    return http;
  }

  /** Writes one server message to the client and audits it, in order. */
  function toClient(
    bytes: Uint8Array,
    http: HttpExchange,
    request?: () => void,
  ): Promise<void> {
    const line = oneLine(bytes);
    // A 2026 tools/list answer loses its invalid tools (the log keeps the server's).
    const screened = learn(line);
    const out = screened?.bytes ?? line;
    if (screened) http = { ...http, fault: screened.note };
    writing = writing.then(async () => {
      begin();
      if (!guard) {
        // Forwarded first, audited after (its request, then it): the
        // client never waits on the audit.
        const sent = writer.write(withNewline(out));
        request?.();
        await Promise.all([sent, audit.frame("s2c", line, http)]);
        return;
      }
      request?.();
      // guard: a tools/list answer may lose hidden tools (the log keeps the server's).
      const guarded = guard.response(audit, out);
      await audit.frame("s2c", line, http);
      guarded?.record();
      await writer.write(withNewline(guarded?.bytes ?? out));
    }).catch((error) => warn(`writing to the client failed (${error})`));
    return writing;
  }

  // guard: begin. The proxy's own messages to the client (a denial, an
  // elicitation), audited by the guard already.
  const guard = options.guard;
  function ownToClient(bytes: Uint8Array): Promise<void> {
    writing = writing.then(async () => {
      await writer.write(bytes);
      await writer.write(NEWLINE);
    }).catch((error) => warn(`writing to the client failed (${error})`));
    return writing;
  }
  function askClient(question: unknown): Promise<void> {
    const bytes = encoder.encode(JSON.stringify(question));
    audit.line("s2c", bytes);
    return ownToClient(bytes);
  }
  /** Decides a request; true when it was answered here (never POSTed). */
  async function guarded(bytes: Uint8Array): Promise<boolean> {
    begin();
    const verdict = await guard!.request(
      audit,
      bytes,
      exchange("POST"),
      askClient,
    );
    if (verdict.forward) return false;
    await ownToClient(verdict.reply);
    return true;
  }
  // guard: end

  /**
   * The negotiated version, from the initialize result; and the tool
   * schemas of a 2026 tools/list answer, which loses the tools whose
   * x-mcp-header marks are invalid: the line the client gets then, and
   * the note saying so.
   */
  function learn(
    bytes: Uint8Array,
  ): { bytes: Uint8Array; note: string } | undefined {
    if (protocolVersion && listing.size === 0) return undefined;
    try {
      const message = JSON.parse(new TextDecoder().decode(bytes));
      const version = message?.result?.protocolVersion;
      if (!protocolVersion && typeof version === "string") {
        protocolVersion = version;
      }
      if (listing.size && listing.delete(message?.id)) {
        return learnTools(message);
      }
    } catch {
      // Not JSON: the audit records it as invalid.
    }
    return undefined;
  }

  function learnTools(
    message: { result?: unknown },
  ): { bytes: Uint8Array; note: string } | undefined {
    const screened = screenTools(message.result);
    toolParams.learn(screened?.result ?? message.result);
    if (!screened) return undefined;
    const note = `mcp-audit ${rejectionNote(screened.rejected)}`;
    warn(note);
    const bytes = encoder.encode(
      JSON.stringify({ ...message, result: screened.result }),
    );
    return { bytes, note };
  }

  /**
   * After a -32020 to a 2026 tools/call: the tools listed anew (screened
   * and learnt, never shown to the client), and the note for the call's
   * retry; undefined when the list could not be had.
   */
  async function relearnTools(
    refused: Uint8Array,
  ): Promise<string | undefined> {
    const result = await refreshTools(refused, {
      post: (body) => {
        const h = headers("application/json, text/event-stream");
        h.set("content-type", "application/json");
        for (const [k, v] of Object.entries(requestHeaders2026(body) ?? {})) {
          h.set(k, v);
        }
        return fetch(upstream, {
          method: "POST",
          headers: h,
          body,
          signal: AbortSignal.any([
            closing.signal,
            AbortSignal.timeout(timeoutMs),
          ]),
        });
      },
      maxBodyBytes: maxBody,
      where,
    });
    if (typeof result === "string") {
      warn(
        `${where} answered -32020 (HeaderMismatch) to a tools/call, and listing its tools again failed: ${result}`,
      );
      return undefined;
    }
    learnTools({ result });
    return `${where} answered -32020 (HeaderMismatch) to this tools/call; the bridge listed its tools again and sent the call once more with the headers of the tool's current inputSchema`;
  }

  /** Whether the log still holds a request of `bytes` unanswered (not cancelled). */
  function unanswered(bytes: Uint8Array): boolean {
    const pending = audit.pending();
    return requestIds(bytes).some((id) =>
      pending.some((p) => p.dir === "c2s" && p.id === id && !p.cancelled)
    );
  }

  function fail(bytes: Uint8Array, message: string): Promise<void> {
    faults.push(message);
    warn(message);
    const ids = requestIds(bytes);
    if (ids.length === 0) return Promise.resolve();
    const http = { ...exchange("POST", 502), fault: message };
    return toClient(encoder.encode(errorBody(ids, message)), http);
  }

  function headers(accept: string): Headers {
    const h = new Headers(options.headers as [string, string][] | undefined);
    h.set("accept", accept);
    if (sid !== undefined && transport === "streamable-http") {
      h.set("mcp-session-id", sid);
    }
    if (protocolVersion) h.set("mcp-protocol-version", protocolVersion);
    return h;
  }

  /**
   * Relays the events of an SSE body to the client; returns the last
   * event id, and keeps it and the stream's `retry` in `state`. With
   * `done`, the stream is closed as soon as it is true after an event (a
   * resumed stream, once the request is answered: the SDK's server leaves
   * a replay that held the answer open).
   */
  async function relayEvents(
    body: ReadableStream<Uint8Array>,
    http: HttpExchange,
    onEndpoint?: (data: string) => void,
    state: StreamState = {},
    done?: () => boolean,
  ): Promise<string | undefined> {
    let lastId: string | undefined;
    const waits: Promise<void>[] = [];
    const parser = new SseParser((event) => {
      if (event.id !== undefined) lastId = state.lastId = event.id;
      if (parser.retry !== undefined) state.retryMs = parser.retry;
      if (event.event === "endpoint" && onEndpoint) {
        onEndpoint(event.data);
        return;
      }
      if (event.event !== "message" || event.data === "") return;
      // Sent again after Last-Event-ID: the client has it, the log too.
      if (event.id !== undefined && !seen.first(event.id)) return;
      const h = event.id === undefined ? http : { ...http, eventId: event.id };
      waits.push(toClient(encoder.encode(event.data), h));
    }, { maxEventBytes: maxEvent, where });
    const reader = body.getReader();
    try {
      for (;;) {
        const read = await reader.read();
        if (read.done) break;
        parser.push(read.value);
        // Backpressure: read on once the client has taken these events.
        if (waits.length) await Promise.all(waits.splice(0));
        if (done?.()) {
          await reader.cancel().catch(() => {});
          break;
        }
      }
    } finally {
      reader.releaseLock();
    }
    return lastId;
  }

  /** The older transport: a GET stream whose first event is the POST endpoint. */
  function openSse(): Promise<URL> {
    return new Promise<URL>((resolve, reject) => {
      const run = async (): Promise<void> => {
        const res = await fetch(upstream, {
          headers: headers("text/event-stream"),
          signal: closing.signal,
        });
        if (!res.ok || !res.body) {
          await res.body?.cancel();
          throw new Error(
            `${where} answered the HTTP+SSE GET with ${res.status}`,
          );
        }
        await relayEvents(res.body, exchange("GET", res.status), (data) => {
          const url = new URL(data, upstream);
          sid = url.searchParams.get("sessionId") ?? undefined;
          resolve(url);
        });
        if (!closing.signal.aborted) {
          warn(`${where} closed the HTTP+SSE stream`);
        }
      };
      run().catch((error) => {
        if (!closing.signal.aborted) reject(error);
      });
    });
  }

  /**
   * The GET stream for server-initiated messages, resumed with
   * Last-Event-ID when it drops. One at a time: the stream of a session
   * that expired is closed when the new session's opens.
   */
  function listen(): Promise<void> {
    getAbort?.abort();
    const mine = new AbortController();
    getAbort = mine;
    const run = listenOnce(AbortSignal.any([closing.signal, mine.signal]));
    getStreams.add(run);
    void run.then(() => getStreams.delete(run));
    return run;
  }

  async function listenOnce(signal: AbortSignal): Promise<void> {
    let lastId: string | undefined;
    for (let failures = 0; failures < 5 && !signal.aborted;) {
      try {
        const h = headers("text/event-stream");
        if (lastId !== undefined) h.set("last-event-id", lastId);
        const res = await fetch(upstream, { headers: h, signal });
        const type = res.headers.get("content-type") ?? "";
        if (!res.ok || !res.body || !type.includes("text/event-stream")) {
          await res.body?.cancel();
          return; // 405: the server offers no GET stream.
        }
        lastId = await relayEvents(res.body, exchange("GET", res.status)) ??
          lastId;
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        failures++;
        warn(`the GET stream from ${where} broke off (${error}); resuming`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * After a 404 to session `expired`: replays the client's initialize (and
   * notifications/initialized) without a session id, as the transport page
   * tells a client to, and takes the new session's id. Requests that meet
   * the same 404 share one renewal. Returns the note for the log and
   * stderr, or undefined when no new session could be started.
   */
  function renew(expired: string): Promise<string | undefined> {
    const message = (fresh: string): string =>
      `${where} answered 404 to session ${
        keyedId(key, expired)
      } (it expired); the bridge started session ${
        keyedId(key, fresh)
      } with the client's initialize and sent the request again`;
    if (sid !== expired) return Promise.resolve(message(sid!));
    if (renewal?.expired !== expired) {
      renewal = { expired, done: startSession(expired) };
    }
    return renewal.done.then((ok) => {
      if (!ok) return undefined;
      const note = message(sid!);
      warn(note);
      return note;
    });
  }

  async function startSession(expired: string): Promise<boolean> {
    const send = async (body: Uint8Array<ArrayBuffer>): Promise<Response> => {
      const h = headers("application/json, text/event-stream");
      h.set("content-type", "application/json");
      const res = await fetch(upstream, { method: "POST", headers: h, body });
      await readLimited(res.body, maxBody, where).catch(() => {});
      return res;
    };
    sid = undefined;
    try {
      const res = await send(initialize!);
      const fresh = res.headers.get("mcp-session-id");
      if (!res.ok || fresh === null) throw new Error(`${res.status}`);
      sid = fresh;
      seen = new SeenEventIds(); // event ids are unique within a session only
      if (initialized) await send(initialized);
    } catch (error) {
      sid = expired;
      faults.push(
        `${where} answered 404 (the session expired), and a new session could not be started (${error})`,
      );
      return false;
    }
    // The new session's GET stream, in place of the old one's.
    if (getStream) getStream = listen();
    return true;
  }

  /** Posts one client message; resolves once its response has been relayed. */
  async function post(
    bytes: Uint8Array<ArrayBuffer>,
    first: boolean,
    decided = false,
    retried?: string,
  ): Promise<void> {
    // guard: a decided request is audited (and maybe answered) by the guard.
    if (decided && !retried && await guarded(bytes)) return;
    if (first && isMethod(bytes, "initialize")) initialize = bytes;
    if (
      !initialized && initialize && bytes.length < 4096 &&
      isMethod(bytes, "notifications/initialized")
    ) initialized = bytes;
    const audited = decided;
    if (transport === "sse" && endpoint) {
      return await postSse(bytes, audited);
    }
    let res: Response;
    let context: FrameContext | undefined;
    // The timeout covers the wait for headers; a response stream may run on.
    const timeout = deadlines.start();
    try {
      const headers2026 = requestHeaders2026(bytes, toolParams);
      let h: Headers | [string, string][];
      if (!headers2026) {
        h = postHeaders.list(
          transport === "streamable-http" ? sid : undefined,
          protocolVersion,
        );
      } else {
        h = headers("application/json, text/event-stream");
        h.set("content-type", "application/json");
        for (const [k, v] of Object.entries(headers2026)) h.set(k, v);
        if (headers2026["mcp-method"] === "tools/list") {
          for (const id of requestIds(bytes)) listing.add(id);
        }
        // Logged as the reverse proxy logs a client's: redacted like the
        // arguments they mirror.
        context = { mcpHeaders: mcpHeaders(h) };
      }
      res = await fetch(upstream, {
        method: "POST",
        headers: h,
        body: bytes,
        signal: timeout.signal,
      });
    } catch (error) {
      begin();
      if (!audited) {
        audit.frame("c2s", bytes, { ...exchange("POST", 502) }, context);
      }
      return await fail(
        bytes,
        timeout.signal.aborted
          ? `${where} did not answer within ${timeoutMs} ms`
          : `${where} could not be reached (${(error as Error).message})`,
      );
    } finally {
      timeout.end();
    }
    reachedOnce = true;
    /**
     * Whether a refusal of the first POST is a 2026 server's own JSON-RPC
     * error, which it answers rather than fall back to HTTP+SSE
     * (2026-07-28 streamable-http.mdx, "Backward Compatibility"); `res`
     * then holds the body again, else the body is dropped.
     */
    const modernRefusal = async (): Promise<boolean> => {
      const body = await readLimited(res.body, maxBody, where).catch(() =>
        new Uint8Array(0)
      );
      if (!isModernError(body)) return false;
      res = new Response(body as Uint8Array<ArrayBuffer>, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
      return true;
    };
    const expired = sid;
    if (
      res.status === 404 && expired !== undefined && !retried &&
      transport === "streamable-http" && initialize && !first
    ) {
      // The session expired: a new one, from the client's own handshake,
      // and this message sent once more in it.
      await res.body?.cancel();
      const note = await renew(expired);
      if (note) return await post(bytes, false, decided, note);
      res = new Response(null, { status: 404, statusText: "Not Found" });
    }
    if (
      first && res.status >= 400 && res.status < 500 && res.status !== 401 &&
      res.status !== 403 && !await modernRefusal()
    ) {
      // Not a Streamable HTTP endpoint: try the older HTTP+SSE transport.
      try {
        endpoint = await openSse();
        transport = "sse";
        return await postSse(bytes, audited);
      } catch (error) {
        begin();
        if (!audited) audit.frame("c2s", bytes, exchange("POST", res.status));
        return await fail(
          bytes,
          `${where} answered ${res.status} to a Streamable HTTP POST, and the HTTP+SSE fallback failed too (${
            (error as Error).message
          })`,
        );
      }
    }
    const newSid = res.headers.get("mcp-session-id");
    if (newSid !== null && sid === undefined) sid = newSid;
    begin();
    // The request is audited before its answer, but once that has been
    // forwarded when it is one JSON body.
    const sent = retried
      ? { ...exchange("POST", res.status), fault: retried }
      : exchange("POST", res.status);
    let request: (() => void) | undefined = audited
      ? undefined
      : () => void audit.frame("c2s", bytes, sent, context);
    const auditRequest = (): void => {
      request?.();
      request = undefined;
    };
    if (res.status === 404 && sid !== undefined) {
      faults.push(`${where} answered 404: the session has expired`);
    }
    const type = res.headers.get("content-type") ?? "";
    if (res.body && type.includes("text/event-stream")) {
      auditRequest();
      const state: StreamState = {};
      let broke: unknown;
      try {
        await relayEvents(
          res.body,
          exchange("POST", res.status),
          undefined,
          state,
        );
      } catch (error) {
        broke = error;
      }
      const tooLarge = broke instanceof SseEventTooLargeError;
      if (tooLarge || !unanswered(bytes)) {
        // A stream that breaks after its answer loses nothing: noted, and
        // the client, which has the answer, gets no second one.
        if (broke && !tooLarge) {
          faults.push(
            `${where} broke off a response stream (${broke}) after its answer`,
          );
          warn(faults.at(-1)!);
        }
        if (tooLarge) {
          await fail(bytes, `${where} broke off a response stream (${broke})`);
        }
        return;
      }
      const ended = broke ? `broke off (${broke})` : "closed";
      let why: string | undefined;
      if (context !== undefined) {
        why = "the 2026-07-28 revision has no stream resumption";
      } else if (state.lastId === undefined) {
        why = "the stream gave no SSE event ids to resume it from";
      } else {
        // 2025 era: the stream ended before its answer; resume it.
        if (broke) {
          warn(
            `${where} ${ended} a response stream before its answer; resuming it with Last-Event-ID`,
          );
        }
        why = await resumeStream(state, {
          open: (lastId) => {
            const h = headers("text/event-stream");
            h.set("last-event-id", lastId);
            return fetch(upstream, { headers: h, signal: closing.signal });
          },
          relay: async (resumed, s) => {
            await relayEvents(
              resumed.body!,
              exchange("GET", resumed.status),
              undefined,
              s,
              () => !unanswered(bytes),
            );
          },
          unanswered: () => unanswered(bytes),
          signal: closing.signal,
        });
      }
      if (why) {
        await fail(
          bytes,
          `${where} ${ended} a response stream before its answer, and it could not be resumed: ${why}`,
        );
      }
      return;
    }
    let body: Uint8Array;
    try {
      body = await readBody(res, maxBody, where);
    } catch (error) {
      auditRequest();
      return await fail(bytes, (error as Error).message);
    }
    if (
      res.status === 400 && !retried && context !== undefined &&
      isMethod(bytes, "tools/call") && isHeaderMismatch(body)
    ) {
      // 2026-07-28: the tool's schema may have changed; list the tools
      // and send the call once more.
      const note = await relearnTools(bytes);
      if (note) return await post(bytes, false, decided, note);
    }
    if (
      type.includes("json") && body.length > 0 && res.status !== 202 &&
      res.status !== 204
    ) {
      await toClient(body, exchange("POST", res.status), auditRequest);
      return;
    }
    auditRequest();
    if (res.status === 202 || res.status === 204) return;
    if (!res.ok) {
      await fail(
        bytes,
        `${where} answered ${res.status} ${res.statusText}${
          res.status === 401
            ? ` (give it a token: --header "Authorization: Bearer \${TOKEN}")`
            : ""
        }`,
      );
    }
  }

  async function postSse(
    bytes: Uint8Array<ArrayBuffer>,
    audited = false,
  ): Promise<void> {
    const h = headers("application/json, text/event-stream");
    h.set("content-type", "application/json");
    let res: Response;
    // Audited before it is sent: its answer comes on the stream, maybe
    // before the POST's own 202.
    begin();
    if (!audited) audit.frame("c2s", bytes, exchange("POST"));
    try {
      res = await fetch(endpoint!, { method: "POST", headers: h, body: bytes });
    } catch (error) {
      return await fail(
        bytes,
        `${where} could not be reached (${(error as Error).message})`,
      );
    }
    await res.body?.cancel();
    if (!res.ok) await fail(bytes, `${where} answered ${res.status}`);
  }

  // Client messages, in order: the first is answered before any other is
  // sent (it decides the session id and the transport).
  const inflight = new Set<Promise<void>>();
  let ready: Promise<void> | undefined;
  const splitter = new LineSplitter((frame) => {
    if (frame.length === 0) return;
    const bytes = frame.bytes.slice();
    // guard: begin. An answer to the guard's elicitation is audited, never sent.
    if (guard?.answer(bytes)) {
      begin();
      audit.frame("c2s", bytes);
      return;
    }
    const decided = guard?.decides(bytes) ?? false;
    // guard: end
    const first = ready === undefined;
    const job = first
      ? post(bytes, true, decided)
      : ready!.then(() => post(bytes, false, decided));
    if (first) ready = job.catch(() => {});
    const done = job.catch((error) => warn(`relaying failed (${error})`))
      .then(() => {
        inflight.delete(done);
        if (
          transport === "streamable-http" && !getStream && sid !== undefined &&
          isInitialized(bytes)
        ) getStream = listen();
      });
    inflight.add(done);
  }, { maxLineBytes: maxBody });
  const reader = (options.input ?? Deno.stdin.readable).getReader();
  // SIGINT or SIGTERM end the session as the client's end of stdin does.
  let signalled = false;
  const stop = (): void => {
    signalled = true;
    void reader.cancel().catch(() => {});
  };
  const signals = options.input ? [] : ["SIGINT", "SIGTERM"] as const;
  for (const sig of signals) {
    try {
      Deno.addSignalListener(sig, stop);
    } catch {
      // Windows has no SIGTERM listener.
    }
  }
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      splitter.push(value);
    }
    splitter.end();
  } catch (error) {
    warn(`reading from the client failed (${error})`);
  }
  guard?.close();
  for (const sig of signals) {
    try {
      Deno.removeSignalListener(sig, stop);
    } catch {
      // Never added.
    }
  }
  // After a signal, answers still under way get a moment, not forever.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((resolve) => {
    if (signalled) timer = setTimeout(resolve, 2000);
  });
  while (inflight.size) {
    await Promise.race([Promise.all([...inflight]), bound]);
    if (signalled) break;
  }
  clearTimeout(timer);
  await writing;
  if (sid !== undefined && transport === "streamable-http") {
    // The session's end, as a client ends it.
    await fetch(upstream, { method: "DELETE", headers: headers("*/*") })
      .then((r) => r.body?.cancel()).catch(() => {});
  }
  closing.abort();
  deadlines.close();
  await Promise.all([...getStreams]);
  begin();
  const failure = faults.length ? faults.join("; ") : undefined;
  const end = await audit.end({
    reason: "client_closed",
    ...(failure && { failure }),
  });
  await writer.close().catch(() => {});
  return {
    exitCode: reachedOnce || ready === undefined ? 0 : 1,
    logPath: audit.logPath,
    summary: end.summary,
    transport,
    ...(failure && { failure }),
  };
}

function isInitialized(bytes: Uint8Array): boolean {
  return new TextDecoder().decode(bytes).includes("notifications/initialized");
}

/** Whether a client line is a message with this method (not a response). */
function isMethod(bytes: Uint8Array, method: string): boolean {
  try {
    return JSON.parse(new TextDecoder().decode(bytes))?.method === method;
  } catch {
    return false;
  }
}
