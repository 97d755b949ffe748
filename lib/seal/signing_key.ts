/**
 * Ed25519 keys for signed checkpoints (Web Crypto): generating a pair,
 * reading them from PEM files, and the key id a verifier matches. The
 * private key is only ever read from a file (never from the command line)
 * and never written to the log.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** A signing key as the proxy uses it. */
export interface SigningKey {
  /** The Ed25519 private key, usable for `sign`. */
  privateKey: CryptoKey;
  /** Hex SHA-256 of the raw 32-byte public key. */
  keyId: string;
}

/** A verification key. */
export interface VerifyKey {
  /** The Ed25519 public key (Web Crypto). */
  publicKey: CryptoKey;
  /** Hex SHA-256 of the raw 32-byte public key. */
  keyId: string;
}

/** A key file is missing, unreadable or not an Ed25519 key in PEM. */
export class KeyFileError extends Error {
  /** Creates the error for `path`. */
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(
      `Cannot use the key file "${path}": ${problem}. Create a key pair with "mcp-audit keygen".`,
      options,
    );
    this.name = "KeyFileError";
  }
}

const ED25519 = { name: "Ed25519" } as const;

/**
 * A new key pair as PEM text (PKCS#8 private key, SPKI public key) and its id.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from "./signing_key.ts";
 * import assert from "node:assert/strict";
 *
 * const pair = await generateKeyPair();
 * assert.match(pair.privatePem, /^-----BEGIN PRIVATE KEY-----/);
 * assert.match(pair.publicPem, /^-----BEGIN PUBLIC KEY-----/);
 * assert.match(pair.keyId, /^[0-9a-f]{64}$/);
 * ```
 */
export async function generateKeyPair(): Promise<
  { privatePem: string; publicPem: string; keyId: string }
> {
  const pair = await crypto.subtle.generateKey(ED25519, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(
    await crypto.subtle.exportKey("pkcs8", pair.privateKey),
  );
  const spki = new Uint8Array(
    await crypto.subtle.exportKey("spki", pair.publicKey),
  );
  const raw = new Uint8Array(
    await crypto.subtle.exportKey("raw", pair.publicKey),
  );
  return {
    privatePem: pem("PRIVATE KEY", pkcs8),
    publicPem: pem("PUBLIC KEY", spki),
    keyId: keyIdOf(raw),
  };
}

/**
 * Reads a PKCS#8 PEM Ed25519 private key. Throws {@linkcode KeyFileError}.
 *
 * @example
 * ```ts
 * import { generateKeyPair, loadSigningKey } from "./signing_key.ts";
 * import assert from "node:assert/strict";
 *
 * const pair = await generateKeyPair();
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, pair.privatePem);
 * assert.equal((await loadSigningKey(path)).keyId, pair.keyId);
 * await Deno.remove(path);
 * ```
 */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  const der = await readPem(path, "PRIVATE KEY");
  try {
    const extractable = await crypto.subtle.importKey(
      "pkcs8",
      der,
      ED25519,
      true,
      ["sign"],
    );
    const jwk = await crypto.subtle.exportKey("jwk", extractable);
    const privateKey = await crypto.subtle.importKey(
      "pkcs8",
      der,
      ED25519,
      false,
      ["sign"],
    );
    return { privateKey, keyId: keyIdOf(base64UrlDecode(jwk.x ?? "")) };
  } catch (error) {
    throw new KeyFileError(
      path,
      `it is not an Ed25519 private key (${error})`,
      { cause: error },
    );
  }
}

/**
 * Reads an SPKI PEM Ed25519 public key. Throws {@linkcode KeyFileError}.
 *
 * @example
 * ```ts
 * import { generateKeyPair, loadVerifyKey } from "./signing_key.ts";
 * import assert from "node:assert/strict";
 *
 * const pair = await generateKeyPair();
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, pair.publicPem);
 * assert.equal((await loadVerifyKey(path)).keyId, pair.keyId);
 * await Deno.remove(path);
 * ```
 */
export async function loadVerifyKey(path: string): Promise<VerifyKey> {
  const der = await readPem(path, "PUBLIC KEY");
  try {
    const publicKey = await crypto.subtle.importKey(
      "spki",
      der,
      ED25519,
      true,
      ["verify"],
    );
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", publicKey));
    return { publicKey, keyId: keyIdOf(raw) };
  } catch (error) {
    throw new KeyFileError(path, `it is not an Ed25519 public key (${error})`, {
      cause: error,
    });
  }
}

/**
 * The key id: hex SHA-256 of the raw 32-byte public key.
 *
 * @example
 * ```ts
 * import { keyIdOf } from "./signing_key.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(keyIdOf(new Uint8Array(32)).length, 64);
 * ```
 */
export function keyIdOf(rawPublicKey: Uint8Array): string {
  return createHash("sha256").update(rawPublicKey).digest("hex");
}

async function readPem(
  path: string,
  label: string,
): Promise<Uint8Array<ArrayBuffer>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new KeyFileError(
      path,
      `it cannot be read (${error instanceof Error ? error.message : error})`,
      {
        cause: error,
      },
    );
  }
  const m = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`)
    .exec(text);
  if (!m) throw new KeyFileError(path, `it holds no "${label}" PEM block`);
  try {
    return Uint8Array.fromBase64(m[1].replace(/\s+/g, ""));
  } catch (error) {
    throw new KeyFileError(
      path,
      `its "${label}" PEM block is not base64 (${error})`,
      { cause: error },
    );
  }
}

function pem(label: string, der: Uint8Array): string {
  const b64 = der.toBase64();
  return `-----BEGIN ${label}-----\n${
    b64.replace(/(.{64})/g, "$1\n").trim()
  }\n-----END ${label}-----\n`;
}

function base64UrlDecode(s: string): Uint8Array {
  return Uint8Array.fromBase64(s, { alphabet: "base64url" });
}
