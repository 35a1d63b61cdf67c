/**
 * mtls-pop: Microsoft Entra mTLS Proof-of-Possession tokens (RFC 8705) for
 * managed identities over IMDSv2 and for confidential clients with their own
 * certificate, on Deno, Bun and Node.
 *
 * @example
 * ```ts
 * import { BindingKey, buildImdsCsr, parseCertificate } from "mtls-pop";
 * const key = await BindingKey.generate();
 * const csr = await buildImdsCsr({ key, clientId: "...", tenantId: "...", cuId: { vmId: "..." } });
 * ```
 *
 * @module
 */

export { ErrorCode, MsalClientError, MsalError, MsalServiceError } from "./src/core/errors.ts";
export type { ErrorCodeValue, MsalErrorOptions, MsalServiceErrorOptions } from "./src/core/errors.ts";
export { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from "./src/core/base64.ts";
export { fromPem, readPemBlocks, toPem } from "./src/core/pem.ts";
export type { PemBlock } from "./src/core/pem.ts";
export { BindingKey } from "./src/core/keys.ts";
export { buildImdsCsr, CUID_ATTRIBUTE_OID } from "./src/core/csr.ts";
export type { ComputeUnitId, ImdsCsr, ImdsCsrInput } from "./src/core/csr.ts";
export { certificateX5tS256, parseCertificate, samePublicKey } from "./src/core/certificate.ts";
export type { CertificateInfo, CertificateInput } from "./src/core/certificate.ts";
