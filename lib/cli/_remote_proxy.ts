/**
 * `mcp-audit proxy --upstream URL`: the remote-server half of the proxy
 * command, as a reverse proxy (`--listen`) or a stdio bridge. The config,
 * plugins and keys come from the same assembly as the stdio proxy's.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import type { AuditAssembly } from "../session/assembly.ts";
import type { Policy } from "../guard/policy.ts";
import type { GuardedExchange } from "../http/guarded_exchange.ts";
import type { OtlpExporter } from "../fleet/otlp_export.ts";
import type { CheckpointAnchor } from "../fleet/checkpoint_anchor.ts";
import type { SessionEndEvent } from "../audit/event.ts";
import type { CommandContext } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { UsageError } from "./usage_error.ts";

/** The proxy command's flag values that the remote modes read. */
export interface RemoteFlags {
  upstream?: string;
  listen?: string;
  "allow-remote"?: boolean;
  "allow-host"?: string[];
  "allow-origin"?: string[];
  header?: string[];
  "secret-header"?: string[];
  name?: string;
  "max-body-bytes"?: string;
  "max-event-bytes"?: string;
  "timeout-ms"?: string;
  "idle-seconds"?: string;
  log?: string;
  "follow-symlink"?: boolean;
  config?: string;
  "sensitive-tools"?: string;
  "write-tools"?: string;
  "max-payload"?: string;
  "signing-key"?: string;
  rotate?: string;
  "no-seal"?: boolean;
  "checkpoint-every"?: string;
  "checkpoint-seconds"?: string;
  quiet?: boolean;
  policy?: string;
}

/** The proxy command's own parsers, shared so both halves read flags alike. */
export interface FlagHelpers {
  positiveInt(value: string | undefined, flag: string): number | undefined;
  /** The proxy's audit assembly from its flags, or the exit status when it failed. */
  audit(
    values: RemoteFlags,
    context: CommandContext,
  ): Promise<AuditAssembly | number>;
  help: string;
  /** Reads `--policy FILE` (throws `ConfigError`, naming file, line and key). */
  loadPolicy?: (path: string) => Promise<Policy>;
  /** The OTLP export of `--otlp` / `OTEL_EXPORTER_OTLP_ENDPOINT`, when one is asked for. */
  otlp?: OtlpHelpers;
  /** The checkpoint anchors of `--anchor URL` (one per session), when asked for. */
  anchor?: AnchorHelpers;
}

/** How the remote modes make and end a session's checkpoint anchor (`--anchor`). */
export interface AnchorHelpers {
  /** A new anchor, for one session's log. */
  open(): CheckpointAnchor;
  /** Sends its last heads and says on stderr what was published. */
  close(anchor: CheckpointAnchor, quiet: boolean | undefined): Promise<void>;
}

/** How the remote modes start and end the proxy's OTLP export (`--otlp`). */
export interface OtlpHelpers {
  /** The exporter, or undefined when no export is asked for. */
  open(maxPayloadBytes: number | undefined): Promise<OtlpExporter | undefined>;
  /** Sends what is queued and says on stderr what was dropped. */
  close(exporter: OtlpExporter, context: CommandContext): Promise<void>;
}

/**
 * Expands `${VAR}` in a header value from the environment; a variable
 * that is not set is a usage error.
 *
 * @example
 * ```ts
 * import { parseHeader } from "./_remote_proxy.ts";
 * import assert from "node:assert/strict";
 *
 * Deno.env.set("DEMO_TOKEN", "abc");
 * assert.deepEqual(parseHeader("Authorization: Bearer ${DEMO_TOKEN}", "help"), ["Authorization", "Bearer abc"]);
 * ```
 */
export function parseHeader(text: string, help: string): [string, string] {
  const colon = text.indexOf(":");
  const name = colon < 0 ? "" : text.slice(0, colon).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(
      `--header takes "Name: value", got "${text.slice(0, 40)}"`,
      help,
    );
  }
  const value = text.slice(colon + 1).trim().replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
    (_, variable: string) => {
      const found = Deno.env.get(variable);
      if (found === undefined) {
        throw new UsageError(
          `--header ${name}: the environment variable ${variable} is not set`,
          help,
        );
      }
      return found;
    },
  );
  return [name, value];
}

function upstreamUrl(text: string, help: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--upstream takes an http:// or https:// URL, got "${text}"`,
      help,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `--upstream takes an http:// or https:// URL, got "${text}"`,
      help,
    );
  }
  return url;
}

function listenAddress(
  text: string,
  help: string,
): { hostname: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new UsageError(
      `--listen takes HOST:PORT such as 127.0.0.1:8808 (port 0: any free port), got "${text}"`,
      help,
    );
  }
  return { hostname: m[1].replace(/^\[|\]$/g, ""), port };
}

/**
 * Runs the reverse proxy until SIGINT or SIGTERM, or the stdio bridge
 * until the client closes stdin; returns the exit status.
 *
 * @example A listener without an upstream is a usage error
 * ```ts
 * import { remoteProxy } from "./_remote_proxy.ts";
 * import { UsageError } from "./usage_error.ts";
 * import assert from "node:assert/strict";
 *
 * const context = { out: () => {}, err: () => {} };
 * const helpers = { positiveInt: () => undefined, audit: () => Promise.resolve(1), help: "" };
 * await assert.rejects(remoteProxy({ listen: "127.0.0.1:0" }, context, helpers), UsageError);
 * ```
 */
export async function remoteProxy(
  values: RemoteFlags,
  context: CommandContext,
  helpers: FlagHelpers,
): Promise<number> {
  const { help, positiveInt, audit: assemble } = helpers;
  if (values.upstream === undefined) {
    throw new UsageError(
      `--listen needs --upstream URL: the server to forward to`,
      help,
    );
  }
  const upstream = upstreamUrl(values.upstream, help);
  if (values.rotate !== undefined) {
    // Rotation by size is not implemented in the HTTP modes: say so rather
    // than ignore the flag.
    throw new UsageError(
      "--rotate is not supported with --upstream (the HTTP modes) yet; drop it",
      help,
    );
  }
  const listen = values.listen === undefined
    ? undefined
    : listenAddress(values.listen, help);
  const headers = (values.header ?? []).map((h) => parseHeader(h, help));
  const { isLoopback } = await import("../http/listener_guard.ts");
  if (listen && !isLoopback(listen.hostname) && !values["allow-remote"]) {
    throw new UsageError(
      `--listen ${values.listen}: not a loopback address; pass --allow-remote to listen on it`,
      help,
    );
  }
  const { LogOpenError } = await import("../log/log_writer.ts");
  const { markerKey, redactUrl } = await import("../http/secrets.ts");
  const audit = await assemble(values, context);
  if (typeof audit === "number") return audit;
  const key = await markerKey();
  // guard: begin. The same policy as the stdio proxy's, checked before
  // anything listens or connects.
  let policy: Policy | undefined;
  try {
    policy = values.policy === undefined
      ? audit.config.policy
      : await helpers.loadPolicy!(values.policy);
  } catch (error) {
    const { ConfigError } = await import("../config/config.ts");
    if (error instanceof ConfigError) {
      context.err(error.message);
      return EXIT.failed;
    }
    throw error;
  }
  const guard = policy
    ? await guardFactory(policy, {
      name: values.name,
      identity: redactUrl(upstream.href, key),
      stateDir: values.log === undefined
        ? undefined
        : dirname(resolve(values.log)),
      warn: (message) => context.err(message),
    })
    : undefined;
  // guard: end
  const secretHeaders = [
    ...(values["secret-header"] ?? []),
    ...(audit.config.secretHeaders ?? []),
    ...headers.map(([name]) => name),
  ];
  const name = values.name ?? redactUrl(upstream.href, key);
  const maxPayloadBytes = positiveInt(values["max-payload"], "--max-payload") ??
    audit.session.maxPayloadBytes;
  const exporter = await helpers.otlp?.open(maxPayloadBytes);
  const processor = exporter
    ? (await import("../fleet/otlp_export.ts")).otlpObserving(
      audit.pipeline,
      exporter,
    )
    : audit.pipeline;
  // --anchor: one anchor per session's log, from its opening until its
  // last checkpoint (after session_end) is sent.
  const anchorHelpers = helpers.anchor;
  const anchors = new Map<string, CheckpointAnchor>();
  const anchorsClosed: Promise<void>[] = [];
  const closeAnchors = async (): Promise<void> => {
    for (const anchor of anchors.values()) {
      anchorsClosed.push(anchorHelpers!.close(anchor, values.quiet));
    }
    anchors.clear();
    await Promise.all(anchorsClosed);
  };
  const session = {
    // The counts go in each session's session_end, as in the stdio proxy.
    // One exporter serves every session: its counts are the proxy's so far.
    beforeEnd: exporter || anchorHelpers
      ? async (logPath: string) => {
        const counts: Pick<SessionEndEvent, "otlp" | "anchor"> = {};
        if (exporter) {
          await exporter.flush();
          counts.otlp = {
            exported: exporter.exported,
            dropped: exporter.dropped,
            ...(exporter.lastError ? { error: exporter.lastError } : {}),
          };
        }
        const anchor = anchors.get(logPath);
        if (anchor) {
          await anchor.settle();
          counts.anchor = anchor.counts();
        }
        return counts;
      }
      : undefined,
    onLogOpen: anchorHelpers
      ? (logPath: string) => {
        const anchor = anchorHelpers.open();
        anchor.follow(logPath);
        anchors.set(logPath, anchor);
      }
      : undefined,
    afterEnd: anchorHelpers
      ? (logPath: string) => {
        const anchor = anchors.get(logPath);
        if (!anchor) return;
        anchors.delete(logPath);
        anchorsClosed.push(anchorHelpers.close(anchor, values.quiet));
      }
      : undefined,
    logPath: values.log,
    followSymlink: values["follow-symlink"],
    logDir: audit.session.logDir,
    command: [name],
    processor,
    maxPayloadBytes,
    signingKey: audit.signingKey,
    seal: !values["no-seal"],
    // Each message is forwarded first and audited in the next task.
    afterRelay: true,
    checkpointEvery:
      positiveInt(values["checkpoint-every"], "--checkpoint-every") ??
        audit.session.checkpointEvery,
    checkpointSeconds:
      positiveInt(values["checkpoint-seconds"], "--checkpoint-seconds") ??
        audit.session.checkpointSeconds,
  };
  const limits = {
    maxBodyBytes: positiveInt(values["max-body-bytes"], "--max-body-bytes"),
    maxEventBytes: positiveInt(values["max-event-bytes"], "--max-event-bytes"),
    timeoutMs: positiveInt(values["timeout-ms"], "--timeout-ms"),
  };
  const warn = (message: string): void => context.err(message);
  if (!listen) {
    const { runBridge } = await import("../http/stdio_bridge.ts");
    try {
      const result = await runBridge({
        upstream: upstream.href,
        headers,
        session,
        markerKey: key,
        secretHeaders,
        ...limits,
        onWarning: warn,
        guard: guard?.(),
      });
      await closeAnchors();
      if (exporter) await helpers.otlp!.close(exporter, context);
      if (!values.quiet) {
        const s = result.summary;
        context.err(
          `session logged to ${result.logPath} (${result.transport}): ${s.toolCalls} tool call(s), ${s.errors} error(s)` +
            (result.failure ? `; ${result.failure}` : ""),
        );
      }
      return result.exitCode;
    } catch (error) {
      if (error instanceof LogOpenError) {
        context.err(error.message);
        return EXIT.failed;
      }
      throw error;
    }
  }
  const { startReverseProxy } = await import("../http/reverse_proxy.ts");
  if (!isLoopback(listen.hostname)) {
    warn(
      `WARNING: listening on ${listen.hostname}, not a loopback address: anyone who can reach it can use the upstream through this proxy`,
    );
  }
  const idle = positiveInt(values["idle-seconds"], "--idle-seconds");
  const proxy = startReverseProxy({
    ...listen,
    upstream: upstream.href,
    session,
    markerKey: key,
    secretHeaders,
    headers,
    allowedHosts: values["allow-host"],
    allowedOrigins: values["allow-origin"],
    ...limits,
    idleMs: idle === undefined ? undefined : idle * 1000,
    onWarning: warn,
    guard,
  });
  const host = listen.hostname.includes(":")
    ? `[${listen.hostname}]`
    : listen.hostname;
  context.err(
    `listening on http://${host}:${proxy.addr.port}${upstream.pathname}, forwarding to ${
      redactUrl(upstream.href, key)
    }`,
  );
  const signal = await new Promise<string>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      try {
        Deno.addSignalListener(sig, () => resolve(sig));
      } catch {
        // Windows has no SIGTERM listener.
      }
    }
  });
  await proxy.close("signal");
  await closeAnchors();
  if (exporter) await helpers.otlp!.close(exporter, context);
  if (!values.quiet) {
    const paths = proxy.logPaths();
    context.err(
      `${proxy.sessions()} session(s) logged${
        paths.length ? ` to ${paths.join(", ")}` : ""
      } (stopped by ${signal})`,
    );
  }
  return EXIT.ok;
}

/** Guard mode: makes one guard per audited session (its own rate counts). */
async function guardFactory(
  policy: Policy,
  options: {
    name?: string;
    identity: string;
    stateDir?: string;
    warn: (message: string) => void;
  },
): Promise<() => GuardedExchange> {
  const { GuardedExchange } = await import("../http/guarded_exchange.ts");
  const { Guard } = await import("../guard/guard.ts");
  const { pinChecker } = await import("../guard/pins.ts");
  return () =>
    new GuardedExchange({
      guard: new Guard(policy),
      name: options.name,
      pins: policy.pinning === "off" ? undefined : (audit) =>
        pinChecker(
          options.stateDir ?? dirname(audit.logPath),
          [options.identity],
          options.warn,
        ),
      cannotAsk:
        "the reverse proxy does not put approvals to an HTTP client yet",
    });
}
