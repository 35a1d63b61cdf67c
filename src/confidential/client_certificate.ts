/**
 * The app's own certificate for confidential-client mTLS PoP: PEM certificate
 * (optionally with its chain) and PEM key, or a PKCS#12 file. The key must
 * belong to the certificate and the certificate must be valid now; both are
 * checked before any network call.
 *
 * @module
 */

import { BindingCertificate } from "../core/binding_certificate.ts";
import { type CertificateInfo, parseCertificate, samePublicKey } from "../core/certificate.ts";
import { ErrorCode, MsalClientError } from "../core/errors.ts";
import { readPemBlocks } from "../core/pem.ts";
import { readPkcs12 } from "../core/pkcs12.ts";
import { type LoadedPrivateKey, loadPkcs8, loadPrivateKeyPem } from "../core/private_key.ts";

/**
 * A certificate as PEM text plus its private key as PEM text.
 *
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 * import { loadClientCertificate, type PemClientCertificate } from "mtls-pop";
 * const pem: PemClientCertificate = {
 *   certPem: await readFile("app-cert.pem", "utf8"), // the leaf, then any intermediates
 *   keyPem: await readFile("app-key.pem", "utf8"),
 * };
 * const certificate = await loadClientCertificate(pem);
 * ```
 */
export interface PemClientCertificate {
  /** The certificate, optionally followed (or preceded) by its intermediates. */
  certPem: string;
  /** Its private key: PKCS#8, PKCS#1 RSA or SEC1 EC PEM. */
  keyPem: string;
}

/**
 * A PKCS#12 (PFX) file and its passphrase.
 *
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 * import { loadClientCertificate, type PfxClientCertificate } from "mtls-pop";
 * const pfx: PfxClientCertificate = { pfx: await readFile("app.pfx"), passphrase: pfxPassphrase };
 * const certificate = await loadClientCertificate(pfx); // the leaf is the one the key belongs to
 * ```
 */
export interface PfxClientCertificate {
  /** The file's bytes. */
  pfx: Uint8Array;
  /** Its passphrase; empty by default. */
  passphrase?: string;
}

/**
 * The certificate a confidential client presents in TLS.
 *
 * @example
 * ```ts
 * import { type ClientCertificateInput, ConfidentialClientApplication } from "mtls-pop";
 * const certificate: ClientCertificateInput = pfxBytes ? { pfx: pfxBytes, passphrase } : { certPem, keyPem };
 * const cca = new ConfidentialClientApplication({ clientId, authority, azureRegion: "westus3", certificate });
 * ```
 */
export type ClientCertificateInput = PemClientCertificate | PfxClientCertificate;

/**
 * Loads and checks a client certificate: the leaf is the certificate whose
 * public key matches the private key; the others travel as its chain.
 *
 * @example
 * ```ts
 * import { loadClientCertificate } from "mtls-pop";
 * const cert = await loadClientCertificate({ certPem, keyPem });
 * console.log(cert.thumbprint, cert.notAfter);
 * ```
 */
export async function loadClientCertificate(
  input: ClientCertificateInput,
  now: number = Date.now(),
): Promise<BindingCertificate> {
  let certificates: CertificateInfo[];
  let keys: LoadedPrivateKey[];
  if (input && "pfx" in input) {
    const contents = await readPkcs12(input.pfx, input.passphrase ?? "");
    certificates = await Promise.all(contents.certificates.map((der) => parseCertificate(der)));
    keys = await Promise.all(contents.privateKeys.map((der) => loadPkcs8(der)));
  } else if (input && typeof input.certPem === "string" && typeof input.keyPem === "string") {
    const blocks = readPemBlocks(input.certPem).filter((b) => b.label === "CERTIFICATE");
    certificates = await Promise.all(blocks.map((b) => parseCertificate(b.der)));
    keys = [await loadPrivateKeyPem(input.keyPem)];
  } else {
    throw new MsalClientError(
      ErrorCode.mtlsCertificateNotProvided,
      "The certificate must be { certPem, keyPem } or { pfx, passphrase }.",
    );
  }
  if (certificates.length === 0) throw new MsalClientError(ErrorCode.invalidCertificate, "No certificate was found.");
  if (keys.length === 0) throw new MsalClientError(ErrorCode.invalidKey, "No private key was found.");
  for (const key of keys) {
    const leaf = certificates.find((c) => samePublicKey(c.spki, key.spki));
    if (!leaf) continue;
    if (now < leaf.notBefore.getTime() || now >= leaf.notAfter.getTime()) {
      throw new MsalClientError(
        ErrorCode.certificateExpired,
        `The certificate ${leaf.thumbprint} is valid from ${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()}, not now.`,
      );
    }
    const intermediates = certificates.filter((c) => c !== leaf).map((c) => c.pem);
    return await BindingCertificate.create(leaf, key.pkcs8Pem, intermediates);
  }
  throw new MsalClientError(
    ErrorCode.certificateKeyMismatch,
    "The private key does not belong to any of the certificates given.",
  );
}
