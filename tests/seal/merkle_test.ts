import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { leafHash, MerkleBuilder, merkleRoot } from "../../lib/seal/merkle.ts";
import { seeded } from "../_seeded.ts";

function leaves(count: number, seed: number): Uint8Array[] {
  const random = seeded(seed);
  return Array.from(
    { length: count },
    () => leafHash(Uint8Array.from({ length: 8 }, () => random() * 256)),
  );
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

Deno.test("merkle: the builder's root after every append equals merkleRoot, for random sizes up to 300", () => {
  const random = seeded(6962);
  const sizes = [0, 1, 63, 64, 65, 127, 128, 129, 300];
  for (let i = 0; i < 12; i++) sizes.push(Math.floor(random() * 301));
  for (const size of sizes) {
    const all = leaves(size, size);
    for (const simd of [false, true]) {
      const builder = new MerkleBuilder({ simd });
      assert.equal(hex(builder.root()), hex(merkleRoot([])));
      for (let n = 1; n <= size; n++) {
        builder.append(all[n - 1]);
        assert.equal(builder.size, n);
        assert.equal(
          hex(builder.root()),
          hex(merkleRoot(all.slice(0, n))),
          `${size} leaves, simd ${simd}: root after ${n}`,
        );
      }
    }
  }
});

Deno.test("merkle: a tree deeper than the stack's first allocation keeps its roots (70,000 leaves, roots read now and then)", () => {
  const all = leaves(70_000, 1);
  const packed = new Uint8Array(32 * all.length);
  all.forEach((leaf, i) => packed.set(leaf, 32 * i));
  const plain = new MerkleBuilder();
  const simd = new MerkleBuilder({ simd: true });
  const checks = new Set([16_384, 16_385, 32_767, 65_536, 69_999, 70_000]);
  for (let n = 1; n <= all.length; n++) {
    plain.append(all[n - 1]);
    simd.append(packed, 32 * (n - 1));
    if (n % 1000 === 0 || checks.has(n)) {
      assert.equal(hex(simd.root()), hex(plain.root()), `root after ${n}`);
    }
    if (checks.has(n)) {
      assert.equal(hex(plain.root()), hex(merkleRoot(all.slice(0, n))));
    }
  }
});

Deno.test("merkle: append copies the leaf, and rejects fewer than 32 bytes", () => {
  const leaf = leafHash(new Uint8Array([1]));
  const builder = new MerkleBuilder({ simd: true });
  const mine = new Uint8Array(leaf);
  builder.append(mine);
  mine.fill(0);
  assert.equal(hex(builder.root()), hex(leaf));
  assert.throws(() => builder.append(new Uint8Array(31)), RangeError);
  assert.throws(() => builder.append(new Uint8Array(64), 40), RangeError);
  assert.equal(builder.size, 1);
});

Deno.test("merkle: without WebAssembly, a SIMD builder falls back to plain SHA-256 and gives the same roots", async () => {
  const script = `
    delete globalThis.WebAssembly;
    const { leafHash, MerkleBuilder, merkleRoot } = await import(${
    JSON.stringify(new URL("../../lib/seal/merkle.ts", import.meta.url).href)
  });
    const all = Array.from({ length: 200 }, (_, i) => leafHash(new Uint8Array([i])));
    const builder = new MerkleBuilder({ simd: true });
    let same = 0;
    for (let n = 1; n <= all.length; n++) {
      builder.append(all[n - 1]);
      if (builder.root().join() === merkleRoot(all.slice(0, n)).join()) same++;
    }
    console.log(typeof WebAssembly, same);
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "--ext=js", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "undefined 200");
});

Deno.test("merkle: SHA-256 of the empty string is the empty tree's root, and root() returns a fresh array", () => {
  const builder = new MerkleBuilder();
  const root = builder.root();
  root.fill(0);
  assert.equal(
    hex(builder.root()),
    createHash("sha256").digest("hex"),
  );
});
