/**
 * A certificate together with its private key, as TLS needs it: the binding
 * certificate of an mTLS PoP token. The private key is held in a private
 * field and never appears in `JSON.stringify`, `console.log` / `inspect`, or
 * error messages; the transports read it with
 * {@link BindingCertificate.exportPrivateKeyPem}.
 *
 * @module
 */

import { type CertificateInfo, type CertificateInput, parseCertificate } from "./certificate.ts";

/**
 * The public facts of a {@link BindingCertificate}, as `toJSON` gives them.
 *
 * @example
 * ```ts
 * import type { BindingCertificateSummary } from "mtls-pop";
 * const summary: BindingCertificateSummary = result.bindingCertificate.toJSON();
 * console.log(`${summary.subject} ${summary.thumbprint}, valid until ${summary.notAfter}`);
 * ```
 */
export interface BindingCertificateSummary {
  /** Subject, e.g. `CN=<clientId>, DC=<tenantId>`. */
  subject: string;
  /** Issuer. */
  issuer: string;
  /** SHA-1 thumbprint, upper-case hex. */
  thumbprint: string;
  /** base64url SHA-256 of the DER, the token's `cnf.x5t#S256`. */
  x5tS256: string;
  /** Start of validity, ISO 8601. */
  notBefore: string;
  /** End of validity, ISO 8601. */
  notAfter: string;
}

/**
 * A certificate and its private key.
 *
 * @example
 * ```ts
 * import { BindingCertificate } from "mtls-pop";
 * const binding = await BindingCertificate.create(certPem, keyPem);
 * console.log(binding.thumbprint, binding.notAfter); // public facts only
 * JSON.stringify(binding); // no private key in it
 * ```
 */
export class BindingCertificate implements CertificateInfo {
  /** DER of the leaf certificate. */
  readonly der: Uint8Array;
  /** PEM of the leaf certificate. */
  readonly pem: string;
  /** Subject, most specific RDN first. */
  readonly subject: string;
  /** Issuer, most specific RDN first. */
  readonly issuer: string;
  /** Serial number, upper-case hex. */
  readonly serialNumber: string;
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity. */
  readonly notAfter: Date;
  /** SHA-1 thumbprint, upper-case hex (.NET `Thumbprint`). */
  readonly thumbprint: string;
  /** base64url SHA-256 of the DER: the token's `cnf.x5t#S256`. */
  readonly x5tS256: string;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** PEM of the leaf followed by any intermediate certificates, as sent in TLS. */
  readonly chainPem: string;
  readonly #privateKeyPem: string;

  private constructor(info: CertificateInfo, chainPem: string, privateKeyPem: string) {
    this.der = info.der;
    this.pem = info.pem;
    this.subject = info.subject;
    this.issuer = info.issuer;
    this.serialNumber = info.serialNumber;
    this.notBefore = info.notBefore;
    this.notAfter = info.notAfter;
    this.thumbprint = info.thumbprint;
    this.x5tS256 = info.x5tS256;
    this.spki = info.spki;
    this.chainPem = chainPem;
    this.#privateKeyPem = privateKeyPem;
  }

  /**
   * Pairs a certificate with its private key. The pairing is not checked here:
   * the flows that make or load bindings check it before use.
   *
   * @param certificate the leaf certificate (DER, PEM or base64)
   * @param privateKeyPem its private key, PEM
   * @param intermediates PEM of any intermediate certificates to send with it
   */
  static async create(
    certificate: CertificateInput | CertificateInfo,
    privateKeyPem: string,
    intermediates: readonly string[] = [],
  ): Promise<BindingCertificate> {
    const info = isCertificateInfo(certificate) ? certificate : await parseCertificate(certificate);
    const chainPem = [info.pem, ...intermediates.map((pem) => pem.trim() + "\n")].join("");
    return new BindingCertificate(info, chainPem, privateKeyPem);
  }

  /** The private key as PEM, for a TLS stack. Handle as a secret. */
  exportPrivateKeyPem(): string {
    return this.#privateKeyPem;
  }

  /** Whether `now` is inside the validity window, less `marginMs` before the end. */
  isValidAt(now: number, marginMs = 0): boolean {
    return now >= this.notBefore.getTime() && now < this.notAfter.getTime() - marginMs;
  }

  /** Public facts only. */
  toJSON(): BindingCertificateSummary {
    return {
      subject: this.subject,
      issuer: this.issuer,
      thumbprint: this.thumbprint,
      x5tS256: this.x5tS256,
      notBefore: this.notBefore.toISOString(),
      notAfter: this.notAfter.toISOString(),
    };
  }

  /** `BindingCertificate(<subject>, <thumbprint>)`. */
  toString(): string {
    return `BindingCertificate(${this.subject}, ${this.thumbprint})`;
  }
}

function isCertificateInfo(value: unknown): value is CertificateInfo {
  return typeof value === "object" && value !== null && "x5tS256" in value && "der" in value && "spki" in value;
}
