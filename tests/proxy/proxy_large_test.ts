/**
 * Large frames through the proxy, split into chunks in many ways (in the
 * style of std's `streams/text_line_stream_test.ts`): the bytes come back
 * unchanged, each skimmed frame's logged SHA-256 is that of its exact wire
 * bytes, its preview and what the skim reads from it (tool, isError) are
 * logged, and the log verifies, sealed and not.
 */
import assert from "node:assert/strict";
import { seeded } from "../_seeded.ts";
import { concat } from "../../lib/util/_bytes.ts";
import { cliArgs, readAll, readEvents, sha256, tempDir } from "../_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** ASCII words with escapes, multi-byte characters and an astral one, `length` UTF-16 units or so. */
function text(length: number, random: () => number): string {
  const words = ["alpha", 'b\\"eta', "ünï", "cødé", "✓", "🚀", "line\\n", "x"];
  let out = "";
  while (out.length < length) {
    out += words[Math.floor(random() * words.length)] + " ";
  }
  return out;
}

/** Four frames over the 512 KiB skim bound, one of each kind, as wire lines. */
function largeFrames(): string[] {
  const random = seeded(21);
  return [
    `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"upload","arguments":{"blob":"${
      text(700_000, random)
    }"}}}`,
    `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"${
      text(3_000_000, random)
    }"}],"isError":true}}`,
    `{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"${
      text(1_100_000, random)
    }"}}`,
    `{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"too big","data":"${
      text(600_000, random)
    }"}}`,
  ];
}

/**
 * Each frame's logged preview, as the skim has always made it: the frame's
 * head with its long string values left out.
 */
const PREVIEWS = [
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"upload","arguments":{}}}',
  '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text"}]}}',
  '{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info"}}',
  '{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"too big"}}',
];

/** Ways to cut the stream into writes. */
const SPLITS: { name: string; sizes: (total: number) => number[] }[] = [
  { name: "one write", sizes: (total) => [total] },
  {
    name: "random sizes from 1 byte to 2 MB",
    sizes: (total) => {
      const random = seeded(7);
      const out: number[] = [];
      for (let used = 0; used < total;) {
        const size = random() < 0.5
          ? 1 + Math.floor(random() * 200)
          : 1 + Math.floor(random() * 2 * 1024 * 1024);
        out.push(size);
        used += size;
      }
      return out;
    },
  },
  {
    name: "64 KiB and one byte",
    sizes: (total) => Array(Math.ceil(total / 65537)).fill(65537),
  },
];

for (const seal of [false, true]) {
  for (const split of SPLITS) {
    Deno.test(
      `large frames ${
        seal ? "sealed" : "--no-seal"
      }, ${split.name}: relayed byte for byte, logged sha256 of the exact bytes, preview as before, log verifies`,
      async () => {
        await using dir = await tempDir();
        const log = `${dir.path}/large.jsonl`;
        const frames = largeFrames();
        const lines = frames.map((f) => encoder.encode(f + "\n"));
        const input = concat(lines);
        const child = new Deno.Command(Deno.execPath(), {
          args: cliArgs([
            "proxy",
            "--quiet",
            "--log",
            log,
            ...(seal ? [] : ["--no-seal"]),
            "--",
            "cat",
          ]),
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const output = readAll(child.stdout);
        const errors = readAll(child.stderr);
        const writer = child.stdin.getWriter();
        let offset = 0;
        for (const size of split.sizes(input.length)) {
          await writer.write(input.slice(offset, offset + size));
          offset += size;
        }
        assert.equal(offset >= input.length, true);
        await writer.close();
        const [echoed, status] = [await output, await child.status];
        assert.equal(decoder.decode(await errors), "");
        assert.equal(status.code, 0);
        assert.equal(echoed.length, input.length);
        assert.equal(
          await sha256(echoed),
          await sha256(input),
          "byte-identical",
        );

        const { events } = await readEvents(log);
        const logged = events.filter((e) =>
          ["request", "response", "notification", "error"].includes(e.kind)
        ) as unknown as Record<string, unknown>[];
        // Each frame once per direction (cat echoes it), in order.
        assert.equal(logged.length, 2 * frames.length);
        for (const dir of ["c2s", "s2c"]) {
          const mine = logged.filter((e) => e.dir === dir);
          assert.deepEqual(
            mine.map((e) => e.kind),
            ["request", "response", "notification", "error"],
          );
          assert.equal(mine[0].tool, "upload");
          assert.equal(mine[1].isError, true);
          for (let frame = 0; frame < frames.length; frame++) {
            const event = mine[frame];
            const payload = (event.params ?? event.result ??
              (event.error as Record<string, unknown>).data) as {
                $truncated: boolean;
                bytes: number;
                sha256: string;
                preview: string;
              };
            const bytes = lines[frame].subarray(0, lines[frame].length - 1);
            assert.equal(payload.$truncated, true);
            assert.equal(payload.bytes, bytes.length);
            assert.equal(
              payload.sha256,
              await sha256(bytes),
              `${dir} frame ${frame}: the hash of its exact bytes`,
            );
            assert.equal(payload.preview, PREVIEWS[frame]);
          }
        }

        if (seal) {
          const verify = await new Deno.Command(Deno.execPath(), {
            args: cliArgs(["verify", "--json", log]),
            stdout: "piped",
            stderr: "piped",
          }).output();
          const report = JSON.parse(decoder.decode(verify.stdout));
          assert.equal(verify.code, 0, decoder.decode(verify.stdout));
          assert.equal(report.status, "verified");
        }
      },
    );
  }
}
