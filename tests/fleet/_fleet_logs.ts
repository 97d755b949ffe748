/**
 * Logs for the fleet tests: long sealed and signed sessions made with the
 * proxy's own sealer (the same lines, chain, tree and checkpoints the log
 * writer makes), quick to write in any number, beside real sessions
 * recorded through the proxy.
 *
 * @module
 */
import { Sealer } from "../../lib/seal/seal.ts";
import type { SigningKey } from "../../lib/seal/signing_key.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Options for {@linkcode writeSealedSession}. */
export interface SealedSessionOptions {
  /** The session id. */
  session: string;
  /** tools/call pairs. */
  calls: number;
  /** Signs the checkpoints. */
  key?: SigningKey;
  /** A checkpoint after this many events. @default {50} */
  every?: number;
  /** Tools used in turn. @default {["read_file", "send_email"]} */
  tools?: string[];
}

/** Writes a sealed session to `path`; returns its line count. */
export async function writeSealedSession(
  path: string,
  options: SealedSessionOptions,
): Promise<number> {
  const { session } = options;
  const tools = options.tools ?? ["read_file", "send_email"];
  const every = options.every ?? 50;
  const sealer = new Sealer(session, { signingKey: options.key });
  const out: string[] = [];
  let seq = 0;
  const ts = (): string => new Date(Date.now() - 60_000 + seq).toISOString();
  const seal = (fields: Record<string, unknown>, leaf = true): void => {
    const line = JSON.stringify({ v: 1, seq, ts: ts(), session, ...fields });
    out.push(
      decoder.decode(sealer.seal(encoder.encode(line + "\n"), { leaf })),
    );
    seq++;
  };
  const checkpoint = async (): Promise<void> => {
    const cp = await sealer.checkpoint();
    seal({ kind: "checkpoint", ...cp }, false);
  };
  seal({
    kind: "session_start",
    command: ["server"],
    proxyPid: 1,
    cwd: "/",
    proxy: { name: "mcp-audit", version: "0.1.0" },
    chainStart: sealer.start,
  });
  for (let i = 0; i < options.calls; i++) {
    const tool = tools[i % tools.length];
    const request = seq;
    seal({
      kind: "request",
      dir: "c2s",
      bytes: 100,
      id: i,
      method: "tools/call",
      params: { name: tool, arguments: { n: i } },
      tool,
      classes: [{
        label: tool === "send_email" ? "send" : "read",
        source: "test",
      }],
      entities: [{
        type: "email",
        value: `user${i % 3}@example.com`,
        path: "params.arguments",
        source: "test",
      }],
    });
    if (sealer.sinceCheckpoint >= every) await checkpoint();
    seal({
      kind: "response",
      dir: "s2c",
      bytes: 80,
      id: i,
      result: { content: [{ type: "text", text: `done ${i}` }] },
      method: "tools/call",
      requestSeq: request,
      durationMs: 1.5,
      tool,
      ...(i % 10 === 9 ? { isError: true } : {}),
    });
    if (sealer.sinceCheckpoint >= every) await checkpoint();
  }
  seal({
    kind: "session_end",
    reason: "client_closed",
    exit: { code: 0, signal: null },
  });
  await checkpoint();
  await Deno.writeTextFile(path, out.join(""));
  return out.length;
}
