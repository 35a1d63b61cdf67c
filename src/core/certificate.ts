/**
 * X.509 certificates: parse from DER, PEM or raw base64, and compute the
 * identifiers mTLS PoP uses (SHA-1 thumbprint, `x5t#S256`).
 *
 * @module
 */

import * as pkijs from "pkijs";
import { decodeBase64, encodeBase64Url, toHex } from "./base64.ts";
import { formatName, parseDer, toArrayBuffer } from "./der.ts";
import { ErrorCode, MsalClientError } from "./errors.ts";
import { fromPem, toPem } from "./pem.ts";

/**
 * What this library reads from an X.509 certificate.
 *
 * @example
 * ```ts
 * import { type CertificateInfo, parseCertificate } from "mtls-pop";
 * const cert: CertificateInfo = await parseCertificate(certificatePem);
 * if (cert.notAfter.getTime() < Date.now()) console.warn(`${cert.subject} (${cert.thumbprint}) has expired`);
 * ```
 */
export interface CertificateInfo {
  /** The certificate's DER bytes. */
  readonly der: Uint8Array;
  /** The certificate as PEM (`CERTIFICATE` block). */
  readonly pem: string;
  /** Subject, most specific RDN first, as .NET prints it: `CN=..., DC=...`. */
  readonly subject: string;
  /** Issuer, in the same form as {@link CertificateInfo.subject}. */
  readonly issuer: string;
  /** Serial number, upper-case hex. */
  readonly serialNumber: string;
  /** Start of the validity window. */
  readonly notBefore: Date;
  /** End of the validity window. */
  readonly notAfter: Date;
  /** SHA-1 of the DER, upper-case hex: .NET's `X509Certificate2.Thumbprint`. */
  readonly thumbprint: string;
  /** base64url SHA-256 of the DER: the `cnf` claim's `x5t#S256` (RFC 8705). */
  readonly x5tS256: string;
  /** DER of the SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
}

/**
 * Anything {@link parseCertificate} accepts.
 *
 * @example
 * ```ts
 * import { type CertificateInput, parseCertificate } from "mtls-pop";
 * const input: CertificateInput = peerCertificateDer; // or PEM text, or raw base64 text
 * const cert = await parseCertificate(input);
 * ```
 */
export type CertificateInput = Uint8Array | ArrayBuffer | string;

/**
 * Turns DER, PEM (`CERTIFICATE`) or raw base64 into DER bytes, without
 * checking that they are a certificate.
 */
export function certificateDer(input: CertificateInput): Uint8Array {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (input instanceof Uint8Array) return input;
  if (typeof input !== "string") {
    throw new MsalClientError(ErrorCode.invalidCertificate, "A certificate must be bytes, PEM text or base64 text.");
  }
  if (input.includes("-----BEGIN")) return fromPem(input, "CERTIFICATE");
  try {
    return decodeBase64(input);
  } catch (cause) {
    throw new MsalClientError(ErrorCode.invalidCertificate, "A certificate given as text must be PEM or base64.", {
      cause,
    });
  }
}

/**
 * Parses an X.509 certificate. Anything that is not one, including a CSR, a
 * truncated certificate or bytes after it, is an `invalid_certificate`
 * {@link MsalClientError}.
 *
 * @example
 * ```ts
 * import { parseCertificate } from "mtls-pop";
 * const cert = await parseCertificate(certificatePemText);
 * console.log(cert.subject, cert.thumbprint, cert.x5tS256, cert.notAfter);
 * ```
 */
export async function parseCertificate(input: CertificateInput): Promise<CertificateInfo> {
  const der = certificateDer(input);
  const asn1 = parseDer(der, ErrorCode.invalidCertificate, "X.509 certificate");
  let cert: pkijs.Certificate;
  try {
    cert = new pkijs.Certificate({ schema: asn1 });
  } catch (cause) {
    throw new MsalClientError(ErrorCode.invalidCertificate, "Not an X.509 certificate: the structure does not match.", {
      cause,
    });
  }
  const [sha1, sha256] = await Promise.all([
    crypto.subtle.digest("SHA-1", toArrayBuffer(der)),
    crypto.subtle.digest("SHA-256", toArrayBuffer(der)),
  ]);
  return Object.freeze({
    der: der.slice(),
    pem: toPem("CERTIFICATE", der),
    subject: formatName(cert.subject.toSchema()),
    issuer: formatName(cert.issuer.toSchema()),
    serialNumber: toHex(new Uint8Array(cert.serialNumber.valueBlock.valueHexView), true),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    thumbprint: toHex(new Uint8Array(sha1), true),
    x5tS256: encodeBase64Url(new Uint8Array(sha256)),
    spki: new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER(false)),
  });
}

/**
 * base64url SHA-256 of a certificate's DER: the value of `cnf.x5t#S256`.
 *
 * @example
 * ```ts
 * import { certificateX5tS256 } from "mtls-pop";
 * const x5t = await certificateX5tS256(peerCertificateDer);
 * ```
 */
export async function certificateX5tS256(der: Uint8Array): Promise<string> {
  return encodeBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", toArrayBuffer(der))));
}

/** The public key bits (the BIT STRING of a SubjectPublicKeyInfo). */
function publicKeyBits(spki: Uint8Array): Uint8Array {
  const asn1 = parseDer(spki, ErrorCode.invalidKey, "SubjectPublicKeyInfo");
  try {
    const info = new pkijs.PublicKeyInfo({ schema: asn1 });
    return new Uint8Array(info.subjectPublicKey.valueBlock.valueHexView);
  } catch (cause) {
    throw new MsalClientError(ErrorCode.invalidKey, "Not a SubjectPublicKeyInfo.", { cause });
  }
}

/**
 * Whether two SubjectPublicKeyInfo DER values hold the same public key. The
 * algorithm identifier is not compared, so an RSA key written as
 * `rsaEncryption` matches the same key written as `RSASSA-PSS`.
 *
 * @example
 * ```ts
 * import { parseCertificate, samePublicKey } from "mtls-pop";
 * const cert = await parseCertificate(pem);
 * if (!samePublicKey(cert.spki, key.spki)) throw new Error("not our key");
 * ```
 */
export function samePublicKey(spkiA: Uint8Array, spkiB: Uint8Array): boolean {
  const a = publicKeyBits(spkiA);
  const b = publicKeyBits(spkiB);
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Throws `certificate_key_mismatch` unless the certificate carries the public
 * key whose SPKI is given.
 */
export function assertCertificateHasKey(cert: CertificateInfo, spki: Uint8Array): void {
  if (!samePublicKey(cert.spki, spki)) {
    throw new MsalClientError(
      ErrorCode.certificateKeyMismatch,
      `Certificate ${cert.thumbprint} does not carry the public key of the binding key.`,
    );
  }
}
