/**
 * Private keys from PEM: PKCS#8 (`PRIVATE KEY`), PKCS#1 RSA (`RSA PRIVATE
 * KEY`) and SEC1 EC (`EC PRIVATE KEY`), normalised to PKCS#8 and checked by
 * importing them into WebCrypto. Also the public half, to pair a key with its
 * certificate.
 *
 * @module
 */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { parseDer, toArrayBuffer } from "./der.ts";
import { ErrorCode, MsalClientError } from "./errors.ts";
import { readPemBlocks, toPem } from "./pem.ts";

const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const CURVES: Record<string, "P-256" | "P-384" | "P-521"> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};

/**
 * A private key ready for TLS stacks, with its public half.
 *
 * @example
 * ```ts
 * import { type LoadedPrivateKey, loadPrivateKeyPem, parseCertificate, samePublicKey } from "mtls-pop";
 * const key: LoadedPrivateKey = await loadPrivateKeyPem(rsaPrivateKeyPem); // PKCS#1 in, PKCS#8 out
 * const cert = await parseCertificate(certPem);
 * if (!samePublicKey(cert.spki, key.spki)) throw new Error("The key does not belong to the certificate.");
 * console.log(key.type, key.pkcs8Pem); // "RSA" "-----BEGIN PRIVATE KEY-----..."
 * ```
 */
export interface LoadedPrivateKey {
  /** PKCS#8 PEM (`PRIVATE KEY`). */
  pkcs8Pem: string;
  /** SubjectPublicKeyInfo DER of the public half. */
  spki: Uint8Array;
  /** `RSA` or `EC`. */
  type: "RSA" | "EC";
}

function invalidKey(message: string, cause?: unknown): MsalClientError {
  return new MsalClientError(ErrorCode.invalidKey, message, cause === undefined ? {} : { cause });
}

/** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo. */
function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  parseDer(pkcs1, ErrorCode.invalidKey, "PKCS#1 RSA private key");
  const info = new pkijs.PrivateKeyInfo({
    version: 0,
    privateKeyAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: RSA_ENCRYPTION,
      algorithmParams: new asn1js.Null(),
    }),
    privateKey: new asn1js.OctetString({ valueHex: toArrayBuffer(pkcs1) }),
  });
  return new Uint8Array(info.toSchema().toBER(false));
}

/** Wraps a SEC1 ECPrivateKey in a PKCS#8 PrivateKeyInfo, taking the curve from its parameters. */
function sec1ToPkcs8(sec1: Uint8Array): Uint8Array {
  const asn1 = parseDer(sec1, ErrorCode.invalidKey, "SEC1 EC private key");
  const parameters = asn1 instanceof asn1js.Sequence
    ? asn1.valueBlock.value.find((v) => v.idBlock.tagClass === 3 && v.idBlock.tagNumber === 0)
    : undefined;
  const curve = parameters instanceof asn1js.Constructed ? parameters.valueBlock.value[0] : undefined;
  if (!(curve instanceof asn1js.ObjectIdentifier)) {
    throw invalidKey(
      "The EC private key does not name its curve; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt).",
    );
  }
  const info = new pkijs.PrivateKeyInfo({
    version: 0,
    privateKeyAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: EC_PUBLIC_KEY,
      algorithmParams: new asn1js.ObjectIdentifier({ value: curve.valueBlock.toString() }),
    }),
    privateKey: new asn1js.OctetString({ valueHex: toArrayBuffer(sec1) }),
  });
  return new Uint8Array(info.toSchema().toBER(false));
}

/**
 * Checks PKCS#8 DER by importing it, and derives the public key.
 */
export async function loadPkcs8(pkcs8: Uint8Array): Promise<LoadedPrivateKey> {
  const asn1 = parseDer(pkcs8, ErrorCode.invalidKey, "PKCS#8 private key");
  let info: pkijs.PrivateKeyInfo;
  try {
    info = new pkijs.PrivateKeyInfo({ schema: asn1 });
  } catch (cause) {
    throw invalidKey("Not a PKCS#8 private key.", cause);
  }
  const oid = info.privateKeyAlgorithm.algorithmId;
  let publicJwk: JsonWebKey;
  let type: "RSA" | "EC";
  let algorithm: RsaHashedImportParams | EcKeyImportParams;
  try {
    if (oid === RSA_ENCRYPTION) {
      type = "RSA";
      algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
      const key = await crypto.subtle.importKey("pkcs8", toArrayBuffer(pkcs8), algorithm, true, ["sign"]);
      const jwk = await crypto.subtle.exportKey("jwk", key);
      publicJwk = { kty: "RSA", n: jwk.n, e: jwk.e };
    } else if (oid === EC_PUBLIC_KEY) {
      type = "EC";
      const params = info.privateKeyAlgorithm.algorithmParams;
      const namedCurve = params instanceof asn1js.ObjectIdentifier ? CURVES[params.valueBlock.toString()] : undefined;
      if (!namedCurve) throw invalidKey("Only EC keys on P-256, P-384 and P-521 are supported.");
      algorithm = { name: "ECDSA", namedCurve };
      const key = await crypto.subtle.importKey("pkcs8", toArrayBuffer(pkcs8), algorithm, true, ["sign"]);
      const jwk = await crypto.subtle.exportKey("jwk", key);
      publicJwk = { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y };
    } else {
      throw invalidKey(`Unsupported private key algorithm ${oid}; use RSA or EC.`);
    }
  } catch (cause) {
    if (cause instanceof MsalClientError) throw cause;
    throw invalidKey("The private key cannot be imported.", cause);
  }
  const publicKey = await crypto.subtle.importKey(
    "jwk",
    publicJwk,
    algorithm,
    true,
    type === "RSA" ? ["verify"] : ["verify"],
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
  return { pkcs8Pem: toPem("PRIVATE KEY", pkcs8), spki, type };
}

/**
 * Reads the first private key of a PEM text: `PRIVATE KEY`, `RSA PRIVATE KEY`
 * or `EC PRIVATE KEY`. An encrypted key is refused: decrypt it or use PKCS#12.
 *
 * @example
 * ```ts
 * import { loadPrivateKeyPem } from "mtls-pop";
 * const key = await loadPrivateKeyPem(keyPemText);
 * key.type; // "RSA" or "EC"
 * ```
 */
export async function loadPrivateKeyPem(pem: string): Promise<LoadedPrivateKey> {
  if (typeof pem !== "string") throw invalidKey("The private key must be PEM text.");
  const blocks = readPemBlocks(pem);
  for (const block of blocks) {
    switch (block.label) {
      case "PRIVATE KEY":
        return await loadPkcs8(block.der);
      case "RSA PRIVATE KEY":
        return await loadPkcs8(pkcs1ToPkcs8(block.der));
      case "EC PRIVATE KEY":
        return await loadPkcs8(sec1ToPkcs8(block.der));
      case "ENCRYPTED PRIVATE KEY":
        throw invalidKey(
          "The private key is encrypted: decrypt it (openssl pkcs8 -nocrypt) or give a PKCS#12 file and its passphrase.",
        );
    }
  }
  throw invalidKey(
    `No private key found in the PEM text (expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY; found ${
      blocks.map((b) => b.label).join(", ") || "no PEM block"
    }).`,
  );
}
