/**
 * OAuth through the reverse proxy: an upstream MCP server that demands a
 * bearer token (401 with `WWW-Authenticate`, protected-resource metadata),
 * a small authorization server, and the SDK client's own OAuth flow
 * (discovery, dynamic registration, PKCE, code exchange) completing
 * through `mcp-audit proxy --listen`. The proxy holds no token, and no
 * token or code appears anywhere in the log.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";
import { tempDir } from "../_helpers.ts";
import { runCli, startReverse } from "./_http_servers.ts";

const ACCESS = "at_oauth_7c21f0d9e84b4a3f9b1e";
const REFRESH = "rt_oauth_0a9b8c7d6e5f4a3b2c1d";
const CODE = "code_oauth_55e4d3c2b1a0";

/** The authorization server: metadata, registration, authorize, token. */
function authorizationServer(): Deno.HttpServer<Deno.NetAddr> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const issuer = url.origin;
      if (url.pathname === "/.well-known/oauth-authorization-server") {
        return Response.json({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          registration_endpoint: `${issuer}/register`,
          response_types_supported: ["code"],
          grant_types_supported: ["authorization_code", "refresh_token"],
          code_challenge_methods_supported: ["S256"],
          token_endpoint_auth_methods_supported: ["none"],
        });
      }
      if (url.pathname === "/register") {
        const metadata = await req.json();
        return Response.json({ ...metadata, client_id: "client-1" }, {
          status: 201,
        });
      }
      if (url.pathname === "/authorize") {
        const back = new URL(url.searchParams.get("redirect_uri")!);
        back.searchParams.set("code", CODE);
        const state = url.searchParams.get("state");
        if (state) back.searchParams.set("state", state);
        return Response.redirect(back, 302);
      }
      if (url.pathname === "/token") {
        const form = new URLSearchParams(await req.text());
        if (form.get("code") !== CODE) {
          return Response.json({ error: "invalid_grant" }, { status: 400 });
        }
        return Response.json({
          access_token: ACCESS,
          token_type: "Bearer",
          expires_in: 3600,
          refresh_token: REFRESH,
        });
      }
      return new Response("not found", { status: 404 });
    },
  );
  return server;
}

/** The protected MCP server: one tool, behind a bearer token. */
function protectedServer(asUrl: string): Deno.HttpServer<Deno.NetAddr> {
  const transports = new Map<
    string,
    WebStandardStreamableHTTPServerTransport
  >();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname.startsWith("/.well-known/oauth-protected-resource")) {
        return Response.json({
          resource: `${url.origin}/mcp`,
          authorization_servers: [asUrl],
        });
      }
      if (req.headers.get("authorization") !== `Bearer ${ACCESS}`) {
        return new Response(JSON.stringify({ error: "invalid_token" }), {
          status: 401,
          headers: {
            "content-type": "application/json",
            "www-authenticate":
              `Bearer resource_metadata="${url.origin}/.well-known/oauth-protected-resource/mcp"`,
          },
        });
      }
      const sid = req.headers.get("mcp-session-id");
      let transport = sid ? transports.get(sid) : undefined;
      if (!transport) {
        transport = new WebStandardStreamableHTTPServerTransport({
          sessionIdGenerator: () => crypto.randomUUID(),
          onsessioninitialized: (id: string) => transports.set(id, transport!),
        });
        const mcp = new McpServer({ name: "protected", version: "1.0.0" });
        mcp.registerTool("whoami", {
          inputSchema: { greeting: z.string() },
        }, ({ greeting }: { greeting: string }) => ({
          content: [{ type: "text", text: `${greeting}, authorised` }],
        }));
        await mcp.connect(transport);
      }
      return await transport.handleRequest(req);
    },
  );
  return server;
}

class TestProvider implements OAuthClientProvider {
  #client: { client_id: string } | undefined;
  #tokens: { access_token: string; token_type: string } | undefined;
  #verifier = "";
  code: string | undefined;
  get redirectUrl(): string {
    return "http://127.0.0.1:1/callback";
  }
  get clientMetadata(): {
    redirect_uris: string[];
    client_name: string;
    grant_types: string[];
    response_types: string[];
    token_endpoint_auth_method: string;
  } {
    return {
      redirect_uris: [this.redirectUrl],
      client_name: "oauth-test",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation(): { client_id: string } | undefined {
    return this.#client;
  }
  saveClientInformation(info: { client_id: string }): void {
    this.#client = info;
  }
  tokens(): { access_token: string; token_type: string } | undefined {
    return this.#tokens;
  }
  saveTokens(tokens: { access_token: string; token_type: string }): void {
    this.#tokens = tokens;
  }
  async redirectToAuthorization(url: URL): Promise<void> {
    // The user's browser: follow the authorization URL to the redirect.
    const res = await fetch(url, { redirect: "manual" });
    await res.body?.cancel();
    const back = new URL(res.headers.get("location")!);
    this.code = back.searchParams.get("code") ?? undefined;
  }
  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }
  codeVerifier(): string {
    return this.#verifier;
  }
}

Deno.test("OAuth pass-through: the SDK client's OAuth flow completes through the reverse proxy, and no token reaches the log", async () => {
  await using dir = await tempDir();
  const as = authorizationServer();
  const asUrl = `http://127.0.0.1:${as.addr.port}`;
  const upstream = protectedServer(asUrl);
  const upstreamUrl = `http://127.0.0.1:${upstream.addr.port}/mcp`;
  const log = `${dir.path}/oauth.jsonl`;
  try {
    await using proxy = await startReverse(upstreamUrl, ["--log", log]);
    const provider = new TestProvider();
    const first = new StreamableHTTPClientTransport(new URL(proxy.url), {
      authProvider: provider,
    });
    const client = new Client({ name: "oauth-client", version: "1.0.0" });
    await assert.rejects(client.connect(first), UnauthorizedError);
    assert.equal(provider.code, CODE);
    await first.finishAuth(provider.code!);
    assert.equal(provider.tokens()?.access_token, ACCESS);
    const second = new StreamableHTTPClientTransport(new URL(proxy.url), {
      authProvider: provider,
    });
    const authed = new Client({ name: "oauth-client", version: "1.0.0" });
    await authed.connect(second);
    const result = await authed.callTool({
      name: "whoami",
      arguments: { greeting: "hello" },
    });
    assert.deepEqual(result, {
      content: [{ type: "text", text: "hello, authorised" }],
    });
    await second.terminateSession();
    await authed.close();
    await proxy.stop();
    const bytes = await Deno.readTextFile(log);
    for (const secret of [ACCESS, REFRESH, CODE]) {
      assert.ok(!bytes.includes(secret), `${secret} is in the log`);
    }
    assert.match(bytes, /"whoami"/);
    assert.match(bytes, /"authorization":"\[REDACTED:secret:[0-9a-f]{8}\]"/);
    const verified = await runCli(["verify", log]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  } finally {
    await upstream.shutdown();
    await as.shutdown();
  }
});
