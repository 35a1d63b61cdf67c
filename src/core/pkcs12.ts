/**
 * PKCS#12 (PFX) files: the certificate, its chain and its private key, with
 * the MAC checked and the bags decrypted by PKI.js on WebCrypto (PBES2 with
 * PBKDF2 and AES, what OpenSSL 3 and current Windows write).
 *
 * @module
 */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { parseDer, toArrayBuffer } from "./der.ts";
import { ErrorCode, MsalClientError } from "./errors.ts";

const KEY_BAG = "1.2.840.113549.1.12.10.1.1";
const SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2";
const CERT_BAG = "1.2.840.113549.1.12.10.1.3";

/**
 * What a PKCS#12 file holds.
 *
 * @example
 * ```ts
 * import { parseCertificate, type Pkcs12Contents, readPkcs12 } from "mtls-pop";
 * const contents: Pkcs12Contents = await readPkcs12(pfxBytes, "passphrase");
 * const certificates = await Promise.all(contents.certificates.map((der) => parseCertificate(der)));
 * console.log(certificates.map((c) => c.subject), `${contents.privateKeys.length} private key(s)`);
 * ```
 */
export interface Pkcs12Contents {
  /** PKCS#8 DER of each private key. */
  privateKeys: Uint8Array[];
  /** DER of each certificate, in file order. */
  certificates: Uint8Array[];
}

function invalid(message: string, cause?: unknown): MsalClientError {
  return new MsalClientError(ErrorCode.invalidCertificate, message, cause === undefined ? {} : { cause });
}

type WithParse = { parseInternalValues(parameters: { password: ArrayBuffer }): Promise<void> };

/**
 * Opens a PKCS#12 file. A wrong passphrase, a failed integrity check or an
 * unsupported (legacy RC2/3DES) encryption is an `invalid_certificate`
 * {@link MsalClientError}.
 *
 * @example
 * ```ts
 * import { readPkcs12 } from "mtls-pop";
 * const { certificates, privateKeys } = await readPkcs12(pfxBytes, "passphrase");
 * ```
 */
export async function readPkcs12(pfx: Uint8Array, passphrase = ""): Promise<Pkcs12Contents> {
  if (!(pfx instanceof Uint8Array)) throw invalid("A PKCS#12 file must be given as bytes.");
  const asn1 = parseDer(pfx, ErrorCode.invalidCertificate, "PKCS#12 file");
  const password = toArrayBuffer(new TextEncoder().encode(passphrase));
  let file: pkijs.PFX;
  try {
    file = new pkijs.PFX({ schema: asn1 });
  } catch (cause) {
    throw invalid("Not a PKCS#12 file.", cause);
  }
  try {
    await file.parseInternalValues({ password, checkIntegrity: true });
  } catch (cause) {
    throw invalid("The PKCS#12 file cannot be opened: wrong passphrase, or its integrity check failed.", cause);
  }
  const safe = file.parsedValue?.authenticatedSafe;
  if (!safe) throw invalid("The PKCS#12 file has no content.");
  try {
    await safe.parseInternalValues({ safeContents: safe.safeContents.map(() => ({ password })) });
  } catch (cause) {
    throw invalid(
      "The PKCS#12 content cannot be decrypted (wrong passphrase, or a legacy RC2/3DES encryption: re-export it with AES).",
      cause,
    );
  }
  const contents: Pkcs12Contents = { privateKeys: [], certificates: [] };
  for (const safeContents of safe.parsedValue?.safeContents ?? []) {
    for (const bag of (safeContents.value as pkijs.SafeContents).safeBags) {
      if (bag.bagId === CERT_BAG) {
        const certBag = bag.bagValue as pkijs.CertBag;
        if (certBag.parsedValue instanceof pkijs.Certificate) {
          contents.certificates.push(new Uint8Array(certBag.parsedValue.toSchema(true).toBER(false)));
        } else if (certBag.certValue instanceof pkijs.Certificate) {
          contents.certificates.push(new Uint8Array(certBag.certValue.toSchema(true).toBER(false)));
        } else if (certBag.certValue instanceof asn1js.OctetString) {
          contents.certificates.push(certBag.certValue.valueBlock.valueHexView.slice());
        }
      } else if (bag.bagId === KEY_BAG) {
        contents.privateKeys.push(new Uint8Array((bag.bagValue as pkijs.PrivateKeyInfo).toSchema().toBER(false)));
      } else if (bag.bagId === SHROUDED_KEY_BAG) {
        const shrouded = bag.bagValue as pkijs.PKCS8ShroudedKeyBag;
        try {
          await (shrouded as unknown as WithParse).parseInternalValues({ password });
        } catch (cause) {
          throw invalid(
            "The private key in the PKCS#12 file cannot be decrypted (a legacy encryption? re-export it with AES).",
            cause,
          );
        }
        if (!shrouded.parsedValue) throw invalid("The PKCS#12 private key bag is empty.");
        contents.privateKeys.push(new Uint8Array(shrouded.parsedValue.toSchema().toBER(false)));
      }
    }
  }
  return contents;
}
