/**
 * `mcp-audit proxy`: wraps a stdio MCP server, relays every byte and writes
 * the audit log. The config, plugins and keys come from the one assembly
 * the API uses too (`lib/session/assembly.ts`). In proxy mode stdout
 * belongs to the MCP client: this command prints nothing there but its
 * help.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { NAME } from "../util/version.ts";
import { type CommandContext, parseCommand } from "./command.ts";
import { EXIT } from "./exit_codes.ts";
import { UsageError } from "./usage_error.ts";
import { hostName } from "../util/host_name.ts";

/** The help of `mcp-audit proxy`. */
export const PROXY_HELP =
  `Usage: ${NAME} proxy [options] -- <server command> [args...]
       ${NAME} proxy [options] --server "<server command line>"
       ${NAME} proxy [options] --listen 127.0.0.1:PORT --upstream URL   (reverse proxy)
       ${NAME} proxy [options] --upstream URL                           (stdio bridge)

Sits between an MCP client and a stdio MCP server, relays every byte
unchanged in both directions, and appends every JSON-RPC message to a JSONL
audit log as it happens. Put it in front of the server command in your
client's config.

Options:
  --log FILE              Append the log to FILE (created with mode 0600; an
                          existing one is made 0600). A symbolic link is refused.
                          Default: a new file per session in
                          $XDG_STATE_HOME/mcp-audit/ (~/.local/state/mcp-audit/),
                          ~/Library/Logs/mcp-audit/ on macOS,
                          %LOCALAPPDATA%\\mcp-audit\\logs on Windows;
                          MCP_AUDIT_LOG_DIR overrides the directory.
  --follow-symlink        Write the log through --log FILE when it is a symbolic link.
  --name NAME             The server's name, as the client's config calls it:
                          the log's file name carries it, and "wrap --status"
                          finds the entry's sessions by it ("wrap" writes it).
                          With --upstream the default is the URL. Policy rules'
                          "server" match it, beside the name the server reports.
                          Logged as session_start.serverName: an agent hook's
                          mcp__NAME__tool calls are linked to this session's.
  --config FILE           Classifier config (JSONC). Default: ./mcp-audit.jsonc if
                          present; "mcp-audit init" writes a starter one.
  --server "CMD ARGS"     The server as one command line, split like a shell
                          would (the mcp-audit-trail form). Without "--" and
                          --server: $MCP_AUDIT_SERVER (the same form), else the
                          config's "server": { "command", "args" } (for
                          launchers like the MCP Inspector that take "--").
  --sensitive-tools a,b   Tools to tag SENSITIVE (names or globs); replaces the
                          config's rules.sensitive.
  --write-tools c,d       Tools to tag WRITE (names or globs); replaces rules.write.
  --max-payload BYTES     Messages above this size have their payload replaced
                          in the log by its size, SHA-256 and a preview.
                          Default: 65536.
  --grace-ms MS           After the client closes stdin, how long the server
                          gets to exit before SIGTERM, then SIGKILL. Default: 2000.
  --signing-key FILE      Sign checkpoints with this Ed25519 private key (PEM,
                          from "mcp-audit keygen"). Without it checkpoints are
                          unsigned; the hash chain and Merkle tree are always on.
  --no-seal               Write no hash chain, tree or checkpoints (faster; the
                          log then proves nothing about tampering).
  --rotate SIZE           Start a new log file when the current one reaches SIZE
                          (e.g. 100MB, 1GB): a.jsonl, a.2.jsonl, ...; the chain
                          and tree continue across them. Not with --upstream yet.
  --checkpoint-every N    A checkpoint after N events. Default: 1000.
  --checkpoint-seconds S  A checkpoint after S seconds with new events. Default: 10.
  --policy FILE           Guard mode: a JSONC file holding { "policy": {...} }
                          (mode monitor|enforce, ordered rules; see README "Guard
                          mode"); replaces the config's "policy". Checked before
                          the server starts. Without a policy nothing is decided
                          and the bytes are relayed as they come. Also enforced
                          with --upstream (bridge and --listen); the reverse
                          proxy denies "ask" rules (it cannot ask an HTTP client).
  --otlp URL              Also export the audit over OTLP/HTTP (protobuf, or
                          JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json) to the
                          collector at URL (e.g. http://127.0.0.1:4318): a log
                          record per event, a span per request/response pair, a
                          duration histogram; all from the redacted log line.
                          Default: $OTEL_EXPORTER_OTLP_ENDPOINT when set (with
                          OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME; none
                          when OTEL_SDK_DISABLED=true). Never waits on the
                          collector: what the queue cannot hold is dropped and
                          counted (in session_end.otlp and on stderr).
                          In every mode, --upstream and --listen included.
  --anchor URL            Also POST each checkpoint as it is written (tree size,
                          root, signature; one mcp_audit_checkpoints row as JSON)
                          to URL, an HTTP(S) endpoint off the machine, e.g.
                          ClickHouse's "http://HOST:8123/?query=INSERT INTO
                          mcp_audit.mcp_audit_checkpoints FORMAT JSONEachRow"
                          (URL-encoded). Never slows the relay: a failed POST is
                          counted and retried with the next checkpoint; the
                          counts until then go in session_end.anchor, and are
                          said on stderr at the end.
                          $MCP_AUDIT_ANCHOR_HEADERS (k=v,k2=v2) adds headers.
                          In every mode: with --upstream and --listen, each
                          HTTP session's checkpoints are published.
  --quiet                 No closing line on stderr.
  -h, --help              This help.

Remote servers (Streamable HTTP, and the older HTTP+SSE transport):
  --upstream URL          The remote MCP endpoint, e.g. https://mcp.example.com/mcp.
                          Without --listen: a stdio bridge (stdio to the client,
                          HTTP to URL; falls back to HTTP+SSE when the server
                          answers a POST as that transport does; after a 404
                          for an expired session, starts a new one with the
                          client's initialize and sends the request again).
  --listen HOST:PORT      Reverse proxy: serve URL's path on HOST:PORT (port 0:
                          any free port; the address is printed on stderr) and
                          forward every request to URL's server unchanged. One
                          log session per Mcp-Session-Id (per connection for
                          servers without sessions). HOST must be a loopback
                          address unless --allow-remote is given.
  --allow-remote          Listen on a non-loopback HOST (prints a warning: anyone
                          who reaches it can use your credentials' session).
  --allow-host NAME       Accept this Host header too (repeatable; DNS rebinding
                          guard: other Hosts get 403).
  --allow-origin ORIGIN   Accept requests from this Origin too (repeatable;
                          loopback origins are always accepted).
  --header "Name: value"  Send this header upstream with every request
                          (repeatable). \${VAR} in the value is read from the
                          environment only; the value is logged as a marker.
  --secret-header NAME    Treat this header as a credential too (repeatable):
                          logged only as a keyed-hash marker, like Authorization,
                          Cookie, Set-Cookie and Proxy-Authorization always are.
                          The config's "secretHeaders" list adds more names.
  --max-body-bytes N      The largest request or JSON response body. Default: 16777216.
  --max-event-bytes N     The largest SSE event. Default: 16777216.
  --timeout-ms MS         How long the upstream gets to answer. Default: 60000.
  --idle-seconds S        End a reverse-proxy session idle this long. Default: 1800.

Exit status: the server's own exit status (128+N when killed by signal N);
1 when the log, the config or a plugin cannot be used (the server is not started);
2 for a usage error; 127 when the server command is not found.
With --upstream: 0 once stopped (SIGINT or SIGTERM, or the client closed stdin);
1 when the stdio bridge never reached the upstream.`;

/** A comma-separated flag value as a list. */
function list(value: string | undefined): string[] | undefined {
  return value === undefined
    ? undefined
    : value.split(",").map((s) => s.trim()).filter(Boolean);
}

/**
 * Runs `mcp-audit proxy` with its arguments until the server exits, and
 * returns the server's exit status (or 1 when the log, config, a plugin or
 * a key cannot be used, 127 when the server is not found); a bad command
 * line throws `UsageError`.
 *
 * @example A missing server command is a usage error
 * ```ts
 * import { proxyCommand } from "./proxy_command.ts";
 * import { UsageError } from "./usage_error.ts";
 * import assert from "node:assert/strict";
 *
 * const context = { out: () => {}, err: () => {} };
 * await assert.rejects(proxyCommand(["--quiet"], context), UsageError);
 * ```
 */
export async function proxyCommand(
  argv: string[],
  context: CommandContext,
): Promise<number> {
  const dashdash = argv.indexOf("--");
  const own = dashdash === -1 ? argv : argv.slice(0, dashdash);
  let command = dashdash === -1 ? [] : argv.slice(dashdash + 1);
  const parsed = parseCommand(
    own,
    {
      log: { type: "string" },
      "follow-symlink": { type: "boolean" },
      name: { type: "string" },
      config: { type: "string" },
      server: { type: "string" },
      "sensitive-tools": { type: "string" },
      "write-tools": { type: "string" },
      "max-payload": { type: "string" },
      "grace-ms": { type: "string" },
      "signing-key": { type: "string" },
      rotate: { type: "string" },
      "no-seal": { type: "boolean" },
      "checkpoint-every": { type: "string" },
      "checkpoint-seconds": { type: "string" },
      quiet: { type: "boolean" },
      upstream: { type: "string" },
      listen: { type: "string" },
      "allow-remote": { type: "boolean" },
      "allow-host": { type: "string", multiple: true },
      "allow-origin": { type: "string", multiple: true },
      header: { type: "string", multiple: true },
      "secret-header": { type: "string", multiple: true },
      "max-body-bytes": { type: "string" },
      "max-event-bytes": { type: "string" },
      "timeout-ms": { type: "string" },
      "idle-seconds": { type: "string" },
      policy: { type: "string" },
      otlp: { type: "string" },
      anchor: { type: "string" },
    },
    PROXY_HELP,
    context,
    { hint: '. The server command goes after "--".' },
  );
  if (!parsed) return EXIT.ok;
  const { values } = parsed;
  if (values.upstream !== undefined || values.listen !== undefined) {
    if (command.length > 0 || values.server !== undefined) {
      throw new UsageError(
        `give either a server command or --upstream URL, not both`,
        PROXY_HELP,
      );
    }
    const anchors = await checkpointAnchors(values.anchor);
    const { remoteProxy } = await import("./_remote_proxy.ts");
    return await remoteProxy(values, context, {
      positiveInt,
      audit: proxyAudit,
      help: PROXY_HELP,
      loadPolicy,
      otlp: {
        open: (maxPayloadBytes) => otlpExporter(values.otlp, maxPayloadBytes),
        close: closeOtlp,
      },
      anchor: anchors && {
        open: anchors,
        close: (anchor, quiet) =>
          closeAnchor(anchor, values.anchor!, quiet, context),
      },
    });
  }
  const { splitShellWords } = await import("../cli/shell_words.ts");
  const fromEnv = Deno.env.get("MCP_AUDIT_SERVER");
  if (values.server === undefined && command.length === 0 && fromEnv) {
    try {
      command = splitShellWords(fromEnv);
    } catch (error) {
      throw new UsageError(
        `MCP_AUDIT_SERVER: ${(error as Error).message}`,
        PROXY_HELP,
      );
    }
  }
  if (values.server !== undefined) {
    if (command.length > 0) {
      throw new UsageError(
        `give the server either after "--" or with --server, not both`,
        PROXY_HELP,
      );
    }
    try {
      command = splitShellWords(values.server);
    } catch (error) {
      throw new UsageError((error as Error).message, PROXY_HELP);
    }
  }
  const maxPayloadBytes = positiveInt(values["max-payload"], "--max-payload");
  const graceMs = positiveInt(values["grace-ms"], "--grace-ms");

  const { runProxy } = await import("../proxy/proxy.ts");
  const { CommandNotFoundError } = await import("../proxy/server_process.ts");
  const { LogOpenError } = await import("../log/log_writer.ts");
  const { ConfigError } = await import("../config/config.ts");
  // Config, plugins and keys are checked before the server starts.
  const audit = await proxyAudit(values, context);
  if (typeof audit === "number") return audit;
  const exporter = await otlpExporter(
    values.otlp,
    maxPayloadBytes ?? audit.session.maxPayloadBytes,
  );
  const anchor = (await checkpointAnchors(values.anchor))?.();
  try {
    const policy = values.policy === undefined
      ? audit.config.policy
      : await loadPolicy(values.policy);
    const server = audit.config.server;
    if (command.length === 0 && server) {
      command = [server.command, ...(server.args ?? [])];
    }
    if (command.length === 0) {
      throw new UsageError(
        `no server command: put it after "--", pass --server "<command line>", set MCP_AUDIT_SERVER, or give "server" in the config`,
        PROXY_HELP,
      );
    }
    const result = await runProxy({
      command,
      logPath: values.log,
      name: values.name,
      followSymlink: values["follow-symlink"],
      logDir: audit.session.logDir,
      processor: exporter
        ? (await import("../fleet/otlp_export.ts")).otlpObserving(
          audit.pipeline,
          exporter,
        )
        : audit.pipeline,
      findingSources: audit.session.findingSources,
      maxPayloadBytes: maxPayloadBytes ?? audit.session.maxPayloadBytes,
      graceMs,
      signingKey: audit.signingKey,
      seal: !values["no-seal"],
      rotateBytes: parseSize(values.rotate, "--rotate"),
      checkpointEvery:
        positiveInt(values["checkpoint-every"], "--checkpoint-every") ??
          audit.session.checkpointEvery,
      checkpointSeconds:
        positiveInt(values["checkpoint-seconds"], "--checkpoint-seconds") ??
          audit.session.checkpointSeconds,
      policy,
      onLogOpen: anchor ? (path) => anchor.follow(path) : undefined,
      anchorCounts: anchor
        ? async () => {
          // The session's checkpoints so far are sent (or tried) first.
          await anchor.settle();
          return anchor.counts();
        }
        : undefined,
      beforeEnd: exporter
        ? async () => {
          // Flushed before session_end, so the log records what was dropped
          // until then; session_end itself and the last checkpoint go after.
          await exporter.flush();
          return {
            exported: exporter.exported,
            dropped: exporter.dropped,
            ...(exporter.lastError ? { error: exporter.lastError } : {}),
          };
        }
        : undefined,
    });
    if (anchor) {
      await closeAnchor(anchor, values.anchor!, values.quiet, context);
    }
    if (exporter) await closeOtlp(exporter, context);
    if (!values.quiet) {
      const s = result.summary;
      context.err(
        `session logged to ${result.logPath}: ${s.toolCalls} tool call(s), ${s.errors} error(s), ${s.uniqueEntities} unique entit${
          s.uniqueEntities === 1 ? "y" : "ies"
        }` +
          (result.failure ? `; ${result.failure}` : ""),
      );
    }
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommandNotFoundError) {
      context.err(error.message);
      return EXIT.notFound;
    }
    if (error instanceof LogOpenError || error instanceof ConfigError) {
      context.err(error.message);
      return EXIT.failed;
    }
    throw error;
  }
}

/** Sends what the exporter holds and says on stderr what it dropped. */
async function closeOtlp(
  exporter: import("../fleet/otlp_export.ts").OtlpExporter,
  context: CommandContext,
): Promise<void> {
  await exporter.close();
  if (exporter.dropped > 0) {
    context.err(
      `OTLP export: ${exporter.exported} event(s) exported, ${exporter.dropped} dropped` +
        (exporter.lastError ? ` (${exporter.lastError})` : ""),
    );
  }
}

/**
 * The OTLP exporter for `--otlp URL`, else `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (none when neither is set, or `OTEL_SDK_DISABLED=true`).
 */
async function otlpExporter(
  flag: string | undefined,
  maxPayloadBytes: number | undefined,
): Promise<import("../fleet/otlp_export.ts").OtlpExporter | undefined> {
  const endpoint = flag ??
    (Deno.env.get("OTEL_SDK_DISABLED") === "true"
      ? undefined
      : Deno.env.get("OTEL_EXPORTER_OTLP_ENDPOINT"));
  if (endpoint === undefined || endpoint === "") return undefined;
  if (
    !URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)
  ) {
    throw new UsageError(
      `--otlp takes the collector's http(s) URL such as http://127.0.0.1:4318, got "${endpoint}"`,
      PROXY_HELP,
    );
  }
  const protocol = Deno.env.get("OTEL_EXPORTER_OTLP_PROTOCOL") ||
    "http/protobuf";
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    throw new UsageError(
      `OTEL_EXPORTER_OTLP_PROTOCOL: mcp-audit sends "http/protobuf" (the default) or "http/json", not "${protocol}"`,
      PROXY_HELP,
    );
  }
  const { OtlpExporter, otlpHeaders } = await import(
    "../fleet/otlp_export.ts"
  );
  return new OtlpExporter({
    protocol,
    endpoint,
    headers: otlpHeaders(Deno.env.get("OTEL_EXPORTER_OTLP_HEADERS")),
    serviceName: Deno.env.get("OTEL_SERVICE_NAME") || undefined,
    maxPayloadBytes,
  });
}

/**
 * Reads the log to its end, sends the last heads, and says on stderr what
 * was published (always when something failed; else unless `quiet`).
 */
async function closeAnchor(
  anchor: import("../fleet/checkpoint_anchor.ts").CheckpointAnchor,
  url: string,
  quiet: boolean | undefined,
  context: CommandContext,
): Promise<void> {
  await anchor.close();
  if (anchor.failures > 0 || anchor.dropped > 0 || !quiet) {
    context.err(
      `anchor: ${anchor.published} checkpoint(s) published to ${
        redactedUrl(url)
      }` +
        (anchor.failures > 0 || anchor.dropped > 0
          ? `, ${anchor.failures} failed POST(s), ${anchor.dropped} never published` +
            (anchor.lastError ? ` (${anchor.lastError})` : "")
          : ""),
    );
  }
}

/**
 * What makes the checkpoint anchors for `--anchor URL` (one per session),
 * checked before the server starts.
 */
async function checkpointAnchors(
  url: string | undefined,
): Promise<
  (() => import("../fleet/checkpoint_anchor.ts").CheckpointAnchor) | undefined
> {
  if (url === undefined) return undefined;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new UsageError(
      `--anchor takes an http(s) URL that accepts a POST, such as https://anchor.example.com/heads, got "${url}"`,
      PROXY_HELP,
    );
  }
  const { CheckpointAnchor } = await import("../fleet/checkpoint_anchor.ts");
  const { otlpHeaders } = await import("../fleet/otlp_export.ts");
  const headers = otlpHeaders(Deno.env.get("MCP_AUDIT_ANCHOR_HEADERS"));
  const parsed = new URL(url);
  if (parsed.username || parsed.password) {
    // Credentials in the URL go as Basic auth; fetch refuses them in the URL.
    headers.authorization ??= `Basic ${
      btoa(
        `${decodeURIComponent(parsed.username)}:${
          decodeURIComponent(parsed.password)
        }`,
      )
    }`;
    parsed.username = "";
    parsed.password = "";
  }
  const host = await hostName();
  const user = Deno.env.get("USER") ?? Deno.env.get("USERNAME") ?? "unknown";
  return () => new CheckpointAnchor({ url: parsed.href, headers, host, user });
}

/** A URL as it may be printed: without its credentials or query. */
function redactedUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** The proxy flags that decide what the audit is assembled from. */
export interface AuditFlags {
  config?: string;
  "sensitive-tools"?: string;
  "write-tools"?: string;
  "signing-key"?: string;
  log?: string;
}

/**
 * The one assembly of the proxy's audit from its flags, for the stdio proxy
 * and the remote modes alike: a config, plugin or key that cannot be used
 * is said on stderr and gives the exit status 1 (nothing is started).
 */
export async function proxyAudit(
  values: AuditFlags,
  context: CommandContext,
): Promise<import("../session/assembly.ts").AuditAssembly | number> {
  const { ConfigError } = await import("../config/config.ts");
  const { PluginLoadError } = await import("../config/plugin_loader.ts");
  const { KeyFileError } = await import("../seal/signing_key.ts");
  const { assembleAudit } = await import("../session/assembly.ts");
  try {
    return await assembleAudit({
      config: values.config,
      findConfig: true,
      registry: context.plugins,
      rules: {
        sensitiveTools: list(values["sensitive-tools"]),
        writeTools: list(values["write-tools"]),
      },
      signingKeyPath: values["signing-key"],
      stateDir: values.log === undefined
        ? undefined
        : dirname(resolve(values.log)),
      onWarning: (message) => context.err(message),
    });
  } catch (error) {
    if (
      error instanceof ConfigError || error instanceof PluginLoadError ||
      error instanceof KeyFileError
    ) {
      context.err(error.message);
      return EXIT.failed;
    }
    throw error;
  }
}
/**
 * Reads a policy file: JSONC with a `policy` key, checked like a config
 * (file, line and key named). Throws `ConfigError`.
 */
export async function loadPolicy(
  path: string,
): Promise<import("../guard/policy.ts").Policy> {
  const { loadConfig, ConfigError } = await import("../config/config.ts");
  const { config } = await loadConfig(path);
  if (!config.policy) {
    throw new ConfigError(
      path,
      'no "policy" key: a policy file reads { "policy": { "mode": "enforce", "rules": [...] } }.',
    );
  }
  return config.policy;
}
function parseSize(
  value: string | undefined,
  flag: string,
): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|KIB|MB|MIB|GB|GIB)?$/i.exec(value.trim());
  const units: Record<string, number> = {
    B: 1,
    KB: 1e3,
    KIB: 1024,
    MB: 1e6,
    MIB: 1024 ** 2,
    GB: 1e9,
    GIB: 1024 ** 3,
  };
  const bytes = m ? Number(m[1]) * units[(m[2] ?? "B").toUpperCase()] : NaN;
  if (!(bytes >= 1024)) {
    throw new UsageError(
      `${flag} takes a size of at least 1KiB such as 100MB or 1GB, got "${value}"`,
      PROXY_HELP,
    );
  }
  return Math.floor(bytes);
}
function positiveInt(
  value: string | undefined,
  flag: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(
      `${flag} takes a positive whole number, got "${value}"`,
      PROXY_HELP,
    );
  }
  return n;
}
