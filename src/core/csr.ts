/**
 * The PKCS#10 certificate signing request IMDSv2 turns into a binding
 * certificate (PROTOCOL.md §1b).
 *
 * @module
 */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { encodeBase64 } from "./base64.ts";
import { parseDer } from "./der.ts";
import { ErrorCode, MsalClientError } from "./errors.ts";
import type { BindingKey } from "./keys.ts";
import { toPem } from "./pem.ts";

/**
 * OID of the request attribute that carries the compute unit id JSON.
 *
 * @example
 * ```ts
 * import { CUID_ATTRIBUTE_OID } from "mtls-pop";
 * // `openssl req -in csr.pem -noout -text` lists the cuId JSON under this attribute
 * console.log(CUID_ATTRIBUTE_OID); // "1.3.6.1.4.1.311.90.2.10"
 * ```
 */
export const CUID_ATTRIBUTE_OID = "1.3.6.1.4.1.311.90.2.10";
/** OID of commonName. */
export const CN_OID = "2.5.4.3";
/** OID of domainComponent. */
export const DC_OID = "0.9.2342.19200300.100.1.25";

/**
 * The VM (or scale set) a managed identity runs on, from IMDS platform metadata.
 *
 * @example
 * ```ts
 * import { BindingKey, buildImdsCsr, type ComputeUnitId } from "mtls-pop";
 * const cuId: ComputeUnitId = { vmId: "a3b6c9d2-5e8f-4b1a-9c7d-2e5f8a1b4c7d" }; // or { vmssId: "..." }
 * const csr = await buildImdsCsr({ key: await BindingKey.generate(), clientId, tenantId, cuId });
 * ```
 */
export interface ComputeUnitId {
  /** Virtual machine id. */
  vmId?: string;
  /** Virtual machine scale set id. */
  vmssId?: string;
}

/**
 * What {@link buildImdsCsr} needs.
 *
 * @example
 * ```ts
 * import { BindingKey, buildImdsCsr, type ImdsCsrInput } from "mtls-pop";
 * const input: ImdsCsrInput = {
 *   key: await BindingKey.generate(),
 *   clientId: "6325cd32-9911-41f3-819c-416cdf9104e7", // from platform metadata
 *   tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
 *   cuId: { vmId: "a3b6c9d2-5e8f-4b1a-9c7d-2e5f8a1b4c7d" },
 * };
 * const csr = await buildImdsCsr(input);
 * ```
 */
export interface ImdsCsrInput {
  /** The key the certificate will be issued for. */
  key: BindingKey;
  /** `clientId` from platform metadata. */
  clientId: string;
  /** `tenantId` from platform metadata. */
  tenantId: string;
  /** `cuId` from platform metadata. */
  cuId: ComputeUnitId;
}

/**
 * A CSR in the three forms callers need.
 *
 * @example
 * ```ts
 * import { BindingKey, buildImdsCsr, type ImdsCsr } from "mtls-pop";
 * const key = await BindingKey.generate();
 * const csr: ImdsCsr = await buildImdsCsr({ key, clientId, tenantId, cuId: { vmId } });
 * const body = JSON.stringify({ csr: csr.base64 }); // the issuecredential request
 * console.log(csr.pem); // for `openssl req -noout -text`
 * ```
 */
export interface ImdsCsr {
  /** DER bytes. */
  der: Uint8Array;
  /** Raw base64 of the DER, no armour or line breaks: what `issuecredential` takes. */
  base64: string;
  /** PEM (`CERTIFICATE REQUEST`), for tools such as openssl. */
  pem: string;
}

/**
 * `DC=<tenantId>` then `CN=<clientId>` as two single-valued RDNs. PKI.js would
 * put every attribute of a name it builds into one multi-valued RDN, so the
 * name is built as ASN.1 and handed over already encoded.
 */
function imdsSubject(clientId: string, tenantId: string): pkijs.RelativeDistinguishedNames {
  const rdn = (type: string, value: asn1js.BaseBlock) =>
    new asn1js.Set({ value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: type }), value] })] });
  const name = new asn1js.Sequence({
    value: [
      rdn(DC_OID, new asn1js.IA5String({ value: tenantId })),
      rdn(CN_OID, new asn1js.Utf8String({ value: clientId })),
    ],
  });
  return new pkijs.RelativeDistinguishedNames({ schema: asn1js.fromBER(name.toBER(false)).result });
}

/** The cuId JSON the CSR attribute carries; absent members are left out. */
export function cuIdJson(cuId: ComputeUnitId): string {
  const members: Record<string, string> = {};
  if (cuId.vmId) members.vmId = cuId.vmId;
  if (cuId.vmssId) members.vmssId = cuId.vmssId;
  return JSON.stringify(members);
}

/**
 * Builds and signs the IMDSv2 CSR: subject DER `DC=<tenantId>` then
 * `CN=<clientId>` (two single-valued RDNs, so .NET and openssl print
 * `CN=<clientId>, DC=<tenantId>` and `DC = <tenantId>, CN = <clientId>`),
 * RSASSA-PSS SHA-256 with MGF1 SHA-256 and a 32-byte salt, and attribute
 * `1.3.6.1.4.1.311.90.2.10` holding the cuId JSON as a UTF8String.
 *
 * @example
 * ```ts
 * import { BindingKey, buildImdsCsr } from "mtls-pop";
 * const key = await BindingKey.generate();
 * const csr = await buildImdsCsr({ key, clientId: "00000000-0000-0000-0000-000000000001",
 *   tenantId: "00000000-0000-0000-0000-000000000002", cuId: { vmId: "vm-1" } });
 * csr.base64; // the `csr` field of the issuecredential request
 * ```
 */
export async function buildImdsCsr(input: ImdsCsrInput): Promise<ImdsCsr> {
  const { key, clientId, tenantId, cuId } = input;
  for (const [name, value] of [["clientId", clientId], ["tenantId", tenantId]] as const) {
    if (typeof value !== "string" || value.length === 0) {
      throw new MsalClientError(ErrorCode.invalidRequest, `The CSR needs a non-empty ${name}.`);
    }
  }
  if (!/^[\x20-\x7e]+$/.test(tenantId)) {
    throw new MsalClientError(ErrorCode.invalidRequest, "tenantId must be printable ASCII (it is an IA5String).");
  }
  if (!cuId?.vmId && !cuId?.vmssId) {
    throw new MsalClientError(ErrorCode.invalidRequest, "The CSR needs a cuId with a vmId or a vmssId.");
  }

  const csr = new pkijs.CertificationRequest();
  csr.version = 0;
  csr.subject = imdsSubject(clientId, tenantId);
  csr.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({
    schema: parseDer(key.spki, ErrorCode.invalidKey, "SubjectPublicKeyInfo"),
  });
  csr.attributes = [
    new pkijs.Attribute({ type: CUID_ATTRIBUTE_OID, values: [new asn1js.Utf8String({ value: cuIdJson(cuId) })] }),
  ];
  await csr.sign(key.cryptoKeyPair.privateKey, "SHA-256");
  const der = new Uint8Array(csr.toSchema(true).toBER(false));
  return { der, base64: encodeBase64(der), pem: toPem("CERTIFICATE REQUEST", der) };
}
