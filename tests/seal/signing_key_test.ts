import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  generateKeyPair,
  KeyFileError,
  loadSigningKey,
  loadVerifyKey,
} from "../../lib/seal/signing_key.ts";
import { tempDir } from "../_helpers.ts";

Deno.test("signing_key: a generated pair round-trips through PEM, both halves name the same key id, the SHA-256 of the raw public key", async () => {
  await using dir = await tempDir();
  const pair = await generateKeyPair();
  await Deno.writeTextFile(`${dir.path}/k.key`, pair.privatePem);
  await Deno.writeTextFile(`${dir.path}/k.pub`, pair.publicPem);
  const signing = await loadSigningKey(`${dir.path}/k.key`);
  const verify = await loadVerifyKey(`${dir.path}/k.pub`);
  assert.equal(signing.keyId, pair.keyId);
  assert.equal(verify.keyId, pair.keyId);
  const raw = new Uint8Array(
    await crypto.subtle.exportKey("raw", verify.publicKey),
  );
  assert.equal(pair.keyId, createHash("sha256").update(raw).digest("hex"));
  // PEM lines are 64 characters of base64 at most.
  for (const line of pair.publicPem.split("\n")) assert.ok(line.length <= 64);
  const message = new TextEncoder().encode("m");
  const signature = await crypto.subtle.sign(
    "Ed25519",
    signing.privateKey,
    message,
  );
  assert.ok(
    await crypto.subtle.verify("Ed25519", verify.publicKey, signature, message),
  );
});

Deno.test("signing_key: a PEM block whose body is not base64 is a KeyFileError naming the file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/bad.pub`;
  await Deno.writeTextFile(
    path,
    "-----BEGIN PUBLIC KEY-----\n*not base64*\n-----END PUBLIC KEY-----\n",
  );
  await assert.rejects(
    () => loadVerifyKey(path),
    (error: unknown) =>
      error instanceof KeyFileError && error.message.includes(path) &&
      /not base64/.test(error.message),
  );
});
