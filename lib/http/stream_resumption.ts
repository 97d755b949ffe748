/**
 * Resuming a POST's response stream in the stdio bridge. In the 2025 era
 * a server may end the SSE stream of a request before its answer (a
 * network fault, or on purpose: "the server MAY close the connection
 * (without terminating the SSE stream)", and the client "SHOULD then poll
 * the SSE stream by attempting to reconnect"; 2025-11-25 transports,
 * "Sending Messages to the Server" 6 and "Resumability and Redelivery" 2).
 * Once the stream has given an event id, the client resumes it with a GET
 * carrying `Last-Event-ID`, after the `retry` time the stream set ("The
 * client MUST respect the retry field"), and again from each resumed
 * stream's last event until the answer comes. The SDK client does the
 * same; the bridge, being the HTTP client of a stdio one, must too. The
 * 2026-07-28 revision has no resumption (its streamable-http page:
 * "Resumable SSE streams via `Last-Event-ID` are not supported").
 *
 * @module
 */

/** What a relayed stream left behind: its last event id and `retry`. */
export interface StreamState {
  /** The id of the last event with one. */
  lastId?: string;
  /** The last `retry:` value, in milliseconds. */
  retryMs?: number;
}

/** Options for {@linkcode resumeStream}. */
export interface ResumeOptions {
  /** Sends the GET with this `Last-Event-ID`. */
  open(lastId: string): Promise<Response>;
  /** Relays the events of a resumed stream (an SSE response) to the client, updating `state`. */
  relay(res: Response, state: StreamState): Promise<void>;
  /** Whether the request is still unanswered (from the session's log). */
  unanswered(): boolean;
  /** Ends the waiting (the bridge is closing). */
  signal?: AbortSignal;
  /** Reconnections in a row that bring nothing new, before giving up. @default {3} */
  maxAttempts?: number;
  /** The first wait when the stream set no `retry`, in ms (it grows 1.5 times each attempt, to 30 s). @default {1000} */
  initialDelayMs?: number;
}

const defaults = {
  maxAttempts: 3,
  initialDelayMs: 1000,
} satisfies Partial<ResumeOptions>;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Resumes a stream from `state.lastId` until the request is answered.
 * Returns `undefined` once it is (or the bridge closes), else the reason
 * it could not be resumed, for the client's error and the log.
 *
 * @example
 * ```ts
 * import { resumeStream } from "./stream_resumption.ts";
 * import assert from "node:assert/strict";
 *
 * let answered = false;
 * const asked: string[] = [];
 * const failure = await resumeStream({ lastId: "e1", retryMs: 0 }, {
 *   open: (lastId) => {
 *     asked.push(lastId);
 *     return Promise.resolve(new Response("id: e2\ndata: {}\n\n", {
 *       headers: { "content-type": "text/event-stream" },
 *     }));
 *   },
 *   relay: async (res, state) => {
 *     await res.body?.cancel();
 *     state.lastId = "e2";
 *     answered = true;
 *   },
 *   unanswered: () => !answered,
 * });
 * assert.equal(failure, undefined);
 * assert.deepEqual(asked, ["e1"]);
 * ```
 */
export async function resumeStream(
  state: StreamState,
  options: ResumeOptions,
): Promise<string | undefined> {
  const maxAttempts = options.maxAttempts ?? defaults.maxAttempts;
  const initial = options.initialDelayMs ?? defaults.initialDelayMs;
  let why = "";
  for (let attempt = 0; attempt < maxAttempts;) {
    if (!options.unanswered() || options.signal?.aborted) return undefined;
    await sleep(
      state.retryMs ?? Math.min(initial * 1.5 ** attempt, 30_000),
      options.signal,
    );
    if (options.signal?.aborted) return undefined;
    const before = state.lastId!;
    let res: Response;
    try {
      res = await options.open(before);
    } catch (error) {
      why = `the GET to resume it failed (${(error as Error).message})`;
      attempt++;
      continue;
    }
    const type = res.headers.get("content-type") ?? "";
    if (!res.ok || !res.body || !type.includes("text/event-stream")) {
      await res.body?.cancel().catch(() => {});
      // 405: no stream to resume from; 404: the session is gone.
      return `the GET with Last-Event-ID to resume it was answered ${res.status}`;
    }
    try {
      await options.relay(res, state);
    } catch (error) {
      why = `the resumed stream broke off too (${error})`;
    }
    if (state.lastId !== before) attempt = 0;
    else {
      why ||= "the resumed streams brought nothing new";
      attempt++;
    }
  }
  if (!options.unanswered()) return undefined;
  return `${why}; gave up after ${maxAttempts} attempts in a row`;
}
