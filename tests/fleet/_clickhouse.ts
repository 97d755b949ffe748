/**
 * A real ClickHouse for the fleet tests: `clickhouse-server` started as a
 * plain process on 127.0.0.1 with its data, config and users in a
 * temporary directory, and stopped (and removed) after. ClickHouse cannot
 * take port 0, so free ports are found by binding and releasing them, with
 * a retry when another process takes one first. Without the binary the
 * tests fail, saying how to install it: they never pass silently.
 *
 * @module
 */

/** A running ClickHouse. */
export interface ClickHouse extends AsyncDisposable {
  /** Its HTTP interface, `http://127.0.0.1:PORT`. */
  url: string;
  /** Its native protocol's port, for `clickhouse-client --port`. */
  tcpPort: number;
  /** Runs SQL over HTTP and returns the response text; throws on an error. */
  sql(query: string): Promise<string>;
}

/** The server binary, found on PATH or in /usr/sbin, or an error saying how to install it. */
async function serverBinary(): Promise<string> {
  const dirs = [
    ...(Deno.env.get("PATH") ?? "").split(":"),
    "/usr/sbin",
    "/usr/bin",
  ];
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      const info = await Deno.stat(`${dir}/clickhouse-server`);
      if (info.isFile) return `${dir}/clickhouse-server`;
    } catch {
      // Not there: the next.
    }
  }
  throw new Error(
    "ClickHouse is not installed, so the fleet tests cannot run: apt-get install clickhouse-server clickhouse-client (.ci/run installs them).",
  );
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function config(dir: string, http: number, tcp: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/server.err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <timezone>UTC</timezone>
</yandex>
`;
}

const USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`;

/** Starts ClickHouse; dispose of the result to stop it and remove its data. */
export async function startClickHouse(): Promise<ClickHouse> {
  const binary = await serverBinary();
  const dir = await Deno.makeTempDir({ prefix: "mcp-audit-clickhouse-" });
  await Deno.writeTextFile(`${dir}/users.xml`, USERS);
  for (let attempt = 0; attempt < 5; attempt++) {
    const http = freePort();
    const tcp = freePort();
    await Deno.writeTextFile(`${dir}/config.xml`, config(dir, http, tcp));
    const child = new Deno.Command(binary, {
      args: [`--config-file=${dir}/config.xml`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let exited = false;
    child.status.then(() => exited = true);
    const url = `http://127.0.0.1:${http}`;
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline) {
      try {
        const response = await fetch(`${url}/ping`);
        const text = await response.text();
        if (text.startsWith("Ok")) {
          return {
            url,
            tcpPort: tcp,
            async sql(query: string): Promise<string> {
              const r = await fetch(url, { method: "POST", body: query });
              const body = await r.text();
              if (!r.ok) throw new Error(`ClickHouse: ${body}`);
              return body;
            },
            async [Symbol.asyncDispose](): Promise<void> {
              try {
                child.kill("SIGTERM");
              } catch {
                // Gone already.
              }
              const timer = setTimeout(() => {
                try {
                  child.kill("SIGKILL");
                } catch {
                  // Gone.
                }
              }, 10_000);
              await child.status;
              clearTimeout(timer);
              await Deno.remove(dir, { recursive: true }).catch(() => {});
            },
          };
        }
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // A port was taken (the server exits) or it never answered: again.
    try {
      child.kill("SIGKILL");
    } catch {
      // Gone.
    }
    await child.status;
  }
  const log = await Deno.readTextFile(`${dir}/server.err.log`).catch(() => "");
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  throw new Error(`ClickHouse did not start on 127.0.0.1: ${log.slice(-2000)}`);
}
