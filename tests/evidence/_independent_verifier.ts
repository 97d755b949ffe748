// deno-lint-ignore-file no-console -- a command-line script
/**
 * A second verifier, written from docs/evidence.md alone with nothing but
 * Web Crypto (SHA-256 digests and Ed25519 verify), no imports from lib/.
 * The tests run it next to `mcp-audit verify` and require the same verdict
 * and the same first failing line.
 *
 *     deno run --allow-read tests/evidence/_independent_verifier.ts LOG [--pubkey FILE]
 *
 * Prints `{"status":"verified"|"failed"|"incomplete","failures":[lines],"incomplete":[lines]}`.
 *
 * @module
 */

const enc = new TextEncoder();

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
}

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function unhex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}

async function mth(leaves: Uint8Array[]): Promise<Uint8Array> {
  if (leaves.length === 0) return await sha256();
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return await sha256(
    new Uint8Array([1]),
    await mth(leaves.slice(0, k)),
    await mth(leaves.slice(k)),
  );
}

interface Key {
  key: CryptoKey;
  id: string;
}

async function loadKey(path: string): Promise<Key> {
  const pem = await Deno.readTextFile(path);
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("spki", der, "Ed25519", true, [
    "verify",
  ]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", key));
  return { key, id: hex(await sha256(raw)) };
}

interface Session {
  prev: Uint8Array;
  beforePrev?: Uint8Array;
  seq: number;
  leaves: Uint8Array[];
  resync: boolean;
  lost: boolean;
  /** Lines gap records say were lost. */
  lostLines: number;
  lastLine: number;
  ended: boolean;
  final: boolean;
}

/** Verifies `path`; returns the verdict and the lines with problems. */
export async function verify(
  path: string,
  key?: Key,
): Promise<{ status: string; failures: number[]; incomplete: number[] }> {
  const text = await Deno.readTextFile(path);
  const lines = text.split("\n");
  const tail = lines.pop()!;
  const failures = new Set<number>();
  const incomplete = new Set<number>();
  /** Lines of writer's gap records (and lines they say were cut short). */
  const gaps = new Set<number>();
  const sessions = new Map<string, Session>();
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    let e;
    try {
      e = JSON.parse(lines[i]);
    } catch {
      failures.add(n);
      continue;
    }
    let s = sessions.get(e.session);
    if (!s) {
      s = {
        prev: await sha256(enc.encode("mcp-audit chain v1 " + e.session)),
        seq: 0,
        leaves: [],
        resync: false,
        lost: false,
        lostLines: 0,
        lastLine: n,
        ended: false,
        final: false,
      };
      sessions.set(e.session, s);
    }
    s.lastLine = n;
    if (s.final) failures.add(n);
    const m = /,"hash":"([0-9a-f]{64})"\}$/.exec(lines[i]);
    if (!m) {
      if (e.kind === "gap") {
        gaps.add(n);
        // With the last lost line's hash the chain goes on across the gap.
        if (typeof e.head === "string") {
          s.prev = unhex(e.head);
          s.beforePrev = undefined;
        } else s.resync = true;
        s.lost = true;
        s.lostLines += e.lost;
        s.seq = Math.max(s.seq, (e.toSeq ?? e.fromSeq + e.lost - 1) + 1);
        if (e.torn > 0 && failures.delete(n - 1)) gaps.add(n - 1);
      } else failures.add(n);
      continue;
    }
    const c = enc.encode(lines[i].slice(0, m.index) + "}");
    const leaf = await sha256(new Uint8Array([0]), c);
    const stored = unhex(m[1]);
    const before = s.prev;
    if (s.resync) {
      s.resync = false;
    } else if (hex(await sha256(before, leaf)) !== m[1]) {
      // A line that follows the one before the previous: the previous was inserted.
      if (
        s.beforePrev && hex(await sha256(s.beforePrev, leaf)) === m[1]
      ) failures.add(n - 1);
      else failures.add(n);
    }
    s.beforePrev = before;
    s.prev = stored;
    s.seq = Math.max(s.seq, e.seq + 1);
    if (e.kind === "checkpoint") {
      if (
        (s.lost
          ? e.treeSize < s.leaves.length ||
            e.treeSize > s.leaves.length + s.lostLines
          : e.treeSize !== s.leaves.length) ||
        e.head !== hex(before) ||
        (!s.lost && e.root !== hex(await mth(s.leaves)))
      ) failures.add(n);
      if (key) {
        const msg = enc.encode(
          `mcp-audit checkpoint v1\n${e.session}\n${e.treeSize}\n${e.root}\n${e.head}\n`,
        );
        const ok = typeof e.signature === "string" && e.keyId === key.id &&
          await crypto.subtle.verify(
            "Ed25519",
            key.key,
            Uint8Array.from(atob(e.signature), (x) => x.charCodeAt(0)),
            msg,
          );
        if (!ok) failures.add(n);
      }
      if (s.ended) s.final = true;
      continue;
    }
    s.leaves.push(leaf);
    if (e.kind === "session_end") {
      s.ended = true;
      if (
        e.chain && (e.chain.head !== hex(before) || e.chain.events !== e.seq)
      ) {
        failures.add(n);
      }
    }
  }
  if (tail !== "") incomplete.add(lines.length + 1);
  for (const s of sessions.values()) {
    if (!s.final) incomplete.add(s.lastLine);
  }
  return {
    status: failures.size
      ? "failed"
      : incomplete.size
      ? "incomplete"
      : gaps.size
      ? "gap"
      : "verified",
    failures: [...failures].sort((a, b) => a - b),
    incomplete: [...incomplete, ...gaps].sort((a, b) => a - b),
  };
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--pubkey");
  const key = at >= 0 ? await loadKey(Deno.args[at + 1]) : undefined;
  const log = Deno.args.find((a, i) => !a.startsWith("--") && i !== at + 1);
  if (!log) {
    console.error("usage: independent_verifier.ts LOG [--pubkey FILE]");
    Deno.exit(2);
  }
  const result = await verify(log, key);
  console.log(JSON.stringify(result));
  Deno.exit(
    result.status === "verified" ? 0 : result.status === "failed" ? 1 : 3,
  );
}
