import assert from "node:assert/strict";
import { Correlator } from "../../lib/audit/correlator.ts";
import { parseFrame } from "../../lib/wire/jsonrpc.ts";
import { LineSplitter } from "../../lib/wire/line_splitter.ts";
import type {
  AuditEvent,
  Direction,
  ErrorResponseEvent,
  HandshakeEvent,
  ResponseEvent,
} from "../../lib/audit/event.ts";
import { splitShellWords } from "../../lib/cli/shell_words.ts";

/** Feeds raw wire text through the real splitter, parser and correlator. */
function session(): {
  feed(dir: Direction, text: string): AuditEvent[];
  correlator: Correlator;
} {
  let clock = 0;
  const correlator = new Correlator({ session: "s", now: () => (clock += 5) });
  const out: AuditEvent[] = [];
  const splitters = {
    c2s: new LineSplitter((f) =>
      out.push(...correlator.frame("c2s", f, parseFrame(f)))
    ),
    s2c: new LineSplitter((f) =>
      out.push(...correlator.frame("s2c", f, parseFrame(f)))
    ),
  };
  return {
    correlator,
    feed(dir: Direction, text: string): AuditEvent[] {
      out.length = 0;
      splitters[dir].push(new TextEncoder().encode(text));
      return [...out];
    },
  };
}

Deno.test("the same id live in both directions pairs each response with its own request", () => {
  const s = session();
  const [c2sReq] = s.feed(
    "c2s",
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}}\n',
  );
  const [s2cReq] = s.feed(
    "s2c",
    '{"jsonrpc":"2.0","id":1,"method":"sampling/createMessage","params":{}}\n',
  );
  const [answerToServer] = s.feed(
    "c2s",
    '{"jsonrpc":"2.0","id":1,"result":{"model":"m"}}\n',
  );
  const [answerToClient] = s.feed(
    "s2c",
    '{"jsonrpc":"2.0","id":1,"result":{"content":[]}}\n',
  );
  assert.equal((answerToServer as ResponseEvent).requestSeq, s2cReq.seq);
  assert.equal(
    (answerToServer as ResponseEvent).method,
    "sampling/createMessage",
  );
  assert.equal((answerToClient as ResponseEvent).requestSeq, c2sReq.seq);
  assert.equal((answerToClient as ResponseEvent).tool, "a");
  assert.equal((answerToClient as ResponseEvent).durationMs, 15);
  assert.deepEqual(s.correlator.pending(), []);
});

Deno.test("string and number ids are distinct, and an unmatched response is still logged", () => {
  const s = session();
  s.feed("c2s", '{"jsonrpc":"2.0","id":"7","method":"ping"}\n');
  const [reply] = s.feed("s2c", '{"jsonrpc":"2.0","id":7,"result":{}}\n');
  assert.equal((reply as ResponseEvent).requestSeq, undefined);
  assert.deepEqual(s.correlator.pending().map((p) => p.id), ["7"]);
});

Deno.test("notifications/cancelled marks the request, and unanswered requests are pending at the end", () => {
  const s = session();
  const [req] = s.feed(
    "c2s",
    '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"slow"}}\n',
  );
  s.feed(
    "c2s",
    '{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"never"}}\n',
  );
  const [cancel] = s.feed(
    "c2s",
    '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9,"reason":"user"}}\n',
  );
  assert.equal(cancel.kind === "notification" && cancel.cancelsSeq, req.seq);
  const [late] = s.feed(
    "s2c",
    '{"jsonrpc":"2.0","id":9,"result":{"content":[]}}\n',
  );
  assert.equal((late as ResponseEvent).cancelled, true);
  assert.deepEqual(
    s.correlator.pending().map((p) => [p.id, p.tool, p.cancelled]),
    [[10, "never", false]],
  );
});

Deno.test("a JSON-RPC error response carries its code as error.type; a tool error is tool_error", () => {
  const s = session();
  s.feed(
    "c2s",
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}}\n',
  );
  s.feed(
    "c2s",
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"b"}}\n',
  );
  const [err] = s.feed(
    "s2c",
    '{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}}\n',
  );
  const [toolErr] = s.feed(
    "s2c",
    '{"jsonrpc":"2.0","id":2,"result":{"content":[],"isError":true}}\n',
  );
  assert.equal((err as ErrorResponseEvent).errorType, "-32602");
  assert.equal((toolErr as ResponseEvent).errorType, "tool_error");
  assert.equal((toolErr as ResponseEvent).isError, true);
});

Deno.test("a 2026-07-28 session: server/discover and request _meta give the handshake, trace context is kept", () => {
  const s = session();
  const meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {
      name: "modern-client",
      version: "2.0",
    },
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    tracestate: "vendor=value",
  };
  const first = s.feed(
    "c2s",
    JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "server/discover",
      params: { _meta: meta },
    }) + "\n",
  );
  assert.equal(
    first[0].kind === "request" && first[0].trace?.traceparent,
    meta.traceparent,
  );
  assert.equal(
    first[0].kind === "request" && first[0].trace?.tracestate,
    "vendor=value",
  );
  const fromMeta = first[1] as HandshakeEvent;
  assert.equal(fromMeta.via, "_meta");
  assert.equal(fromMeta.protocolVersion, "2026-07-28");
  assert.equal(fromMeta.client?.name, "modern-client");
  const reply = s.feed(
    "s2c",
    JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      result: {
        supportedVersions: ["2026-07-28", "2025-11-25"],
        capabilities: {},
        serverInfo: { name: "srv" },
      },
    }) + "\n",
  );
  const discovered = reply[1] as HandshakeEvent;
  assert.equal(discovered.via, "server/discover");
  assert.equal(discovered.server?.name, "srv");
  assert.deepEqual(s.correlator.handshake, {
    protocolVersion: "2026-07-28",
    protocolEra: "2026",
    client: { name: "modern-client", version: "2.0" },
    server: { name: "srv" },
  });
});

Deno.test("a session without any handshake is audited all the same", () => {
  const s = session();
  const [req] = s.feed(
    "c2s",
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{}}}\n',
  );
  const [res] = s.feed(
    "s2c",
    '{"jsonrpc":"2.0","id":1,"result":{"content":[]}}\n',
  );
  assert.equal(req.kind, "request");
  assert.equal((res as ResponseEvent).tool, "x");
  assert.deepEqual(s.correlator.handshake, {});
});

Deno.test("a batch whose elements are partly invalid logs each element", () => {
  const s = session();
  const events = s.feed(
    "c2s",
    '[{"jsonrpc":"2.0","id":1,"method":"a"},{"nope":true},{"jsonrpc":"2.0","method":"b"}]\n',
  );
  assert.deepEqual(events.map((e) => e.kind), [
    "request",
    "notification",
    "invalid",
  ]);
  assert.deepEqual(events[1].kind === "notification" && events[1].batch, {
    index: 1,
    size: 3,
  });
});

Deno.test("a line longer than the limit is hashed and reported as oversized", () => {
  const frames: {
    length: number;
    oversized?: { sha256: string };
    bytes: Uint8Array;
  }[] = [];
  const splitter = new LineSplitter((f) => frames.push(f), {
    maxLineBytes: 1000,
    headBytes: 10,
  });
  const line = "y".repeat(5000);
  for (let i = 0; i < line.length; i += 333) {
    splitter.push(new TextEncoder().encode(line.slice(i, i + 333)));
  }
  splitter.push(new TextEncoder().encode("\nnext\n"));
  assert.equal(frames.length, 2);
  assert.equal(frames[0].length, 5000);
  assert.equal(frames[0].bytes.length, 10);
  assert.equal(parseFrame(frames[0]).type, "invalid");
  assert.equal(new TextDecoder().decode(frames[1].bytes), "next");
});

Deno.test("the --server command line is split like a shell would", () => {
  assert.deepEqual(
    splitShellWords(`npx -y "@acme/mcp server" --dir '/tmp/a b' x\\ y ""`),
    [
      "npx",
      "-y",
      "@acme/mcp server",
      "--dir",
      "/tmp/a b",
      "x y",
      "",
    ],
  );
  assert.throws(
    () => splitShellWords(`python "unclosed`),
    /double quote is not closed/,
  );
});

Deno.test("the published JSON Schema of the log is the one generated from the zod schema", async () => {
  const { eventJsonSchema } = await import("../../lib/config/json_schema.ts");
  const published = JSON.parse(
    await Deno.readTextFile(
      new URL("../../schema/event.schema.json", import.meta.url),
    ),
  );
  assert.deepEqual(
    published,
    eventJsonSchema(),
    "run `deno task schema` after changing lib/audit/event_schema.ts",
  );
});
