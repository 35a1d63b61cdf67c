/**
 * The binding key: an RSA-2048 key pair made with WebCrypto for one binding
 * certificate. Its private half never shows in `JSON.stringify`,
 * `console.log` or error messages: it lives in private fields and leaves only
 * through {@link BindingKey.exportPkcs8Pem}, which the TLS adapters call.
 *
 * @module
 */

import { toArrayBuffer } from "./der.ts";
import { toPem } from "./pem.ts";

/** RSASSA-PSS with SHA-256 and a 32-byte salt, as IMDSv2 wants the CSR signed. */
export const RSA_PSS_SHA256 = { name: "RSA-PSS", saltLength: 32 } as const;

const KEY_PARAMS: RsaHashedKeyGenParams = {
  name: "RSA-PSS",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};

/**
 * An RSA-2048 (e = 65537) key pair for a binding certificate.
 *
 * @example
 * ```ts
 * import { BindingKey } from "mtls-pop";
 * const key = await BindingKey.generate();
 * key.spki;             // SubjectPublicKeyInfo DER (rsaEncryption)
 * JSON.stringify(key);  // '{"algorithm":"RSA-2048"}': no private material
 * ```
 */
export class BindingKey {
  /** Always `"RSA-2048"`. */
  readonly algorithm = "RSA-2048";
  /** SubjectPublicKeyInfo DER of the public key. */
  readonly spki: Uint8Array;
  readonly #pair: CryptoKeyPair;
  readonly #pkcs8: Uint8Array;

  private constructor(pair: CryptoKeyPair, spki: Uint8Array, pkcs8: Uint8Array) {
    this.#pair = pair;
    this.spki = spki;
    this.#pkcs8 = pkcs8;
  }

  /** Generates a fresh key pair (60–300 ms of CPU on a typical machine). */
  static async generate(): Promise<BindingKey> {
    const pair = (await crypto.subtle.generateKey(KEY_PARAMS, true, ["sign", "verify"])) as CryptoKeyPair;
    const [spki, pkcs8] = await Promise.all([
      crypto.subtle.exportKey("spki", pair.publicKey),
      crypto.subtle.exportKey("pkcs8", pair.privateKey),
    ]);
    return new BindingKey(pair, new Uint8Array(spki), new Uint8Array(pkcs8));
  }

  /**
   * Rebuilds a key from PKCS#8 DER (a binding restored from a persistent store).
   */
  static async fromPkcs8(pkcs8: Uint8Array): Promise<BindingKey> {
    const privateKey = await crypto.subtle.importKey("pkcs8", toArrayBuffer(pkcs8), KEY_PARAMS, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", privateKey);
    const publicKey = await crypto.subtle.importKey(
      "jwk",
      { kty: jwk.kty, n: jwk.n, e: jwk.e, alg: "PS256", ext: true },
      KEY_PARAMS,
      true,
      ["verify"],
    );
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
    return new BindingKey({ privateKey, publicKey }, spki, pkcs8.slice());
  }

  /** The WebCrypto pair (RSA-PSS, SHA-256), for signing the CSR. */
  get cryptoKeyPair(): CryptoKeyPair {
    return this.#pair;
  }

  /** PKCS#8 DER of the private key. Handle as a secret. */
  exportPkcs8(): Uint8Array {
    return this.#pkcs8.slice();
  }

  /** PKCS#8 PEM (`PRIVATE KEY`) of the private key, for TLS stacks. Handle as a secret. */
  exportPkcs8Pem(): string {
    return toPem("PRIVATE KEY", this.#pkcs8);
  }

  /** Only public facts, so that logging a key never prints the private half. */
  toJSON(): { algorithm: string } {
    return { algorithm: this.algorithm };
  }
}
