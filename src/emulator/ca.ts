/**
 * The emulator's certificate authority: one ECDSA P-256 CA that signs the
 * HTTPS server certificate and the X.509 v3 client certificates IMDS issues.
 *
 * @module
 */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { parseDer, toArrayBuffer } from "../core/der.ts";
import { ErrorCode } from "../core/errors.ts";
import { toPem } from "../core/pem.ts";

const EC_P256: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const OID = {
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
};

/** What a certificate the CA issues is for. */
export interface IssueOptions {
  /** Subject name: DER of an X.500 Name, or a common name. */
  subject: Uint8Array | string;
  /** SubjectPublicKeyInfo DER of the key the certificate is for. */
  spki: Uint8Array;
  /** Start of validity. */
  notBefore: Date;
  /** End of validity. */
  notAfter: Date;
  /** `clientAuth` (IMDS binding certificates) or `serverAuth` (the emulator's HTTPS). */
  usage: "clientAuth" | "serverAuth";
  /** DNS names and IP addresses for a server certificate. */
  subjectAltNames?: { dns?: string[]; ip?: string[] };
}

/** A key pair with its PKCS#8 PEM, for a TLS server. */
export interface PemKeyPair {
  pair: CryptoKeyPair;
  spki: Uint8Array;
  pkcs8Pem: string;
}

/** Generates an ECDSA P-256 key pair. */
export async function generateEcKey(): Promise<PemKeyPair> {
  const pair = (await crypto.subtle.generateKey(EC_P256, true, ["sign", "verify"])) as CryptoKeyPair;
  const [spki, pkcs8] = await Promise.all([
    crypto.subtle.exportKey("spki", pair.publicKey),
    crypto.subtle.exportKey("pkcs8", pair.privateKey),
  ]);
  return { pair, spki: new Uint8Array(spki), pkcs8Pem: toPem("PRIVATE KEY", new Uint8Array(pkcs8)) };
}

function nameFromCommonName(cn: string): pkijs.RelativeDistinguishedNames {
  const rdn = (type: string, value: string) =>
    new asn1js.Set({
      value: [
        new asn1js.Sequence({
          value: [new asn1js.ObjectIdentifier({ value: type }), new asn1js.Utf8String({ value })],
        }),
      ],
    });
  const name = new asn1js.Sequence({ value: [rdn(OID.organization, "mtls-pop emulator"), rdn(OID.commonName, cn)] });
  return new pkijs.RelativeDistinguishedNames({ schema: asn1js.fromBER(name.toBER(false)).result });
}

function nameFromDer(der: Uint8Array): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({ schema: parseDer(der, ErrorCode.invalidCertificate, "X.500 name") });
}

function bitString(bytes: number[], unusedBits: number): asn1js.BitString {
  return new asn1js.BitString({ valueHex: new Uint8Array(bytes).buffer, unusedBits });
}

function ipBytes(ip: string): Uint8Array {
  if (ip.includes(":")) {
    const [head, tail] = ip.split("::") as [string, string | undefined];
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    return new Uint8Array(groups.flatMap((g) => [(parseInt(g, 16) >> 8) & 255, parseInt(g, 16) & 255]));
  }
  return new Uint8Array(ip.split(".").map(Number));
}

async function keyIdentifier(spki: Uint8Array): Promise<Uint8Array> {
  const info = new pkijs.PublicKeyInfo({ schema: parseDer(spki, ErrorCode.invalidKey, "SubjectPublicKeyInfo") });
  const bits = new Uint8Array(info.subjectPublicKey.valueBlock.valueHexView);
  return new Uint8Array(await crypto.subtle.digest("SHA-1", toArrayBuffer(bits)));
}

function extension(extnID: string, critical: boolean, value: asn1js.AsnType): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

/** A certificate authority with its own self-signed root. */
export class EmulatorCa {
  /** PEM of the root certificate: what clients add to their trusted roots. */
  readonly certificatePem: string;
  readonly #key: PemKeyPair;
  readonly #certificate: pkijs.Certificate;
  readonly #keyId: Uint8Array;

  private constructor(key: PemKeyPair, certificate: pkijs.Certificate, keyId: Uint8Array) {
    this.#key = key;
    this.#certificate = certificate;
    this.#keyId = keyId;
    this.certificatePem = toPem("CERTIFICATE", new Uint8Array(certificate.toSchema(true).toBER(false)));
  }

  /** Creates a CA valid from an hour ago for ten years. */
  static async create(now = Date.now()): Promise<EmulatorCa> {
    const key = await generateEcKey();
    const keyId = await keyIdentifier(key.spki);
    const cert = new pkijs.Certificate();
    cert.version = 2;
    cert.serialNumber = new asn1js.Integer({ valueHex: randomSerial() });
    cert.subject = nameFromCommonName("mtls-pop emulator root CA");
    cert.issuer = cert.subject;
    cert.notBefore.value = new Date(now - 3600_000);
    cert.notAfter.value = new Date(now + 10 * 365 * 86400_000);
    cert.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({ schema: parseDer(key.spki, ErrorCode.invalidKey, "SPKI") });
    cert.extensions = [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true }).toSchema()),
      extension(OID.keyUsage, true, bitString([0x06], 1)), // keyCertSign, cRLSign
      extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId.buffer as ArrayBuffer })),
    ];
    await cert.sign(key.pair.privateKey, "SHA-256");
    return new EmulatorCa(key, cert, keyId);
  }

  /** Issues an X.509 v3 certificate signed by this CA; returns its DER. */
  async issue(options: IssueOptions): Promise<Uint8Array> {
    const cert = new pkijs.Certificate();
    cert.version = 2;
    cert.serialNumber = new asn1js.Integer({ valueHex: randomSerial() });
    cert.subject = typeof options.subject === "string"
      ? nameFromCommonName(options.subject)
      : nameFromDer(options.subject);
    cert.issuer = this.#certificate.subject;
    cert.notBefore.value = options.notBefore;
    cert.notAfter.value = options.notAfter;
    cert.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({
      schema: parseDer(options.spki, ErrorCode.invalidKey, "SPKI"),
    });
    const extensions = [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false }).toSchema()),
      extension(OID.keyUsage, true, bitString([0x80], 7)), // digitalSignature
      extension(
        OID.extKeyUsage,
        false,
        new pkijs.ExtKeyUsage({ keyPurposes: [options.usage === "clientAuth" ? OID.clientAuth : OID.serverAuth] })
          .toSchema(),
      ),
      extension(
        OID.subjectKeyIdentifier,
        false,
        new asn1js.OctetString({ valueHex: (await keyIdentifier(options.spki)).buffer as ArrayBuffer }),
      ),
      extension(
        OID.authorityKeyIdentifier,
        false,
        new pkijs.AuthorityKeyIdentifier({
          keyIdentifier: new asn1js.OctetString({ valueHex: this.#keyId.buffer as ArrayBuffer }),
        }).toSchema(),
      ),
    ];
    const { dns = [], ip = [] } = options.subjectAltNames ?? {};
    if (dns.length || ip.length) {
      const altNames = [
        ...dns.map((value) => new pkijs.GeneralName({ type: 2, value })),
        ...ip.map((value) =>
          new pkijs.GeneralName({
            type: 7,
            value: new asn1js.OctetString({ valueHex: ipBytes(value).buffer as ArrayBuffer }),
          })
        ),
      ];
      extensions.push(extension(OID.subjectAltName, false, new pkijs.GeneralNames({ names: altNames }).toSchema()));
    }
    cert.extensions = extensions;
    await cert.sign(this.#key.pair.privateKey, "SHA-256");
    return new Uint8Array(cert.toSchema(true).toBER(false));
  }
}

function randomSerial(): ArrayBuffer {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x10; // positive, and no leading zero to strip
  return bytes.buffer as ArrayBuffer;
}
