/**
 * SIGINT and SIGTERM sent to the proxy go on to the server, so that a
 * client that stops its server by signal stops the real one, and the
 * session ends with reason `signal`.
 *
 * @module
 */

/**
 * Listens for SIGINT and SIGTERM (where the platform has them) and calls
 * `onSignal` with each; returns the function that stops listening.
 *
 * @example
 * ```ts
 * import { forwardSignals } from "./signals.ts";
 *
 * const received: string[] = [];
 * const stop = forwardSignals((sig) => received.push(sig));
 * stop();
 * ```
 */
export function forwardSignals(
  onSignal: (signal: "SIGINT" | "SIGTERM") => void,
): () => void {
  const handlers: [Deno.Signal, () => void][] = [];
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const handler = (): void => onSignal(sig);
    try {
      Deno.addSignalListener(sig, handler);
      handlers.push([sig, handler]);
    } catch {
      // Not supported on this platform (SIGTERM on Windows).
    }
  }
  return function stopForwarding(): void {
    for (const [sig, handler] of handlers) {
      Deno.removeSignalListener(sig, handler);
    }
  };
}
