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
export { BindingCertificate } from "./src/core/binding_certificate.ts";
export type { BindingCertificateSummary } from "./src/core/binding_certificate.ts";
export { createTransport, detectRuntime } from "./src/runtime/detect.ts";
export type { CreateTransportOptions } from "./src/runtime/detect.ts";
export { NodeTransport } from "./src/runtime/node.ts";
export { DenoTransport } from "./src/runtime/deno.ts";
export type { DenoHttpClient } from "./src/runtime/deno.ts";
export { BunTransport } from "./src/runtime/bun.ts";
export type { BunTlsOptions } from "./src/runtime/bun.ts";
export { FetchTransport } from "./src/runtime/fetch_transport.ts";
export type {
  BufferedReply,
  MtlsRequest,
  MtlsTransport,
  MtlsTransportOptions,
  RuntimeName,
} from "./src/runtime/transport.ts";
export { ResourceCaller } from "./src/resource/caller.ts";
export type { BoundToken, ResourceCallerOptions, ResourceRequestInit } from "./src/resource/caller.ts";
export { MtlsPopTokenError, verifyMtlsPopToken } from "./src/resource/verify.ts";
export type {
  JsonWebKeySet,
  JwsHeader,
  MtlsPopTokenClaims,
  MtlsPopTokenFailure,
  VerifiedMtlsPopToken,
  VerifyMtlsPopTokenOptions,
} from "./src/resource/verify.ts";
export { ManagedIdentityId } from "./src/identity/managed_identity_id.ts";
export type { ManagedIdentityIdKind } from "./src/identity/managed_identity_id.ts";
export { ManagedIdentityApplication } from "./src/identity/application.ts";
export type { AcquireTokenRequest, ManagedIdentityApplicationOptions } from "./src/identity/application.ts";
export type { AttestationContext, AttestationTokenProvider } from "./src/identity/binding.ts";
export { VanillaMsiMtlsPop } from "./src/identity/vanilla.ts";
export type { CallResourceWithPopOptions, VanillaMsiMtlsPopOptions } from "./src/identity/vanilla.ts";
export { AuthenticationResult } from "./src/token/result.ts";
export type { AuthenticationResultInit, AuthenticationResultSummary, TokenSource } from "./src/token/result.ts";
export type { Logger, LogLevel } from "./src/token/logger.ts";
export { sleep } from "./src/token/retry.ts";
export type { RetryOptions, Sleep } from "./src/token/retry.ts";
export { MemoryBindingStore } from "./src/identity/binding_store.ts";
export type { BindingStore, StoredBinding } from "./src/identity/binding_store.ts";
export { ConfidentialClientApplication, TRY_AUTO_DETECT_REGION } from "./src/confidential/application.ts";
export type {
  AcquireTokenForClientRequest,
  ConfidentialClientApplicationOptions,
} from "./src/confidential/application.ts";
export {
  isValidRegion,
  mtlsHost,
  mtlsTokenEndpoint,
  parseAuthority,
  PUBLIC_MTLS_HOST,
} from "./src/confidential/authority.ts";
export type { Authority } from "./src/confidential/authority.ts";
export { loadClientCertificate } from "./src/confidential/client_certificate.ts";
export type {
  ClientCertificateInput,
  PemClientCertificate,
  PfxClientCertificate,
} from "./src/confidential/client_certificate.ts";
export { loadPrivateKeyPem } from "./src/core/private_key.ts";
export type { LoadedPrivateKey } from "./src/core/private_key.ts";
export { readPkcs12 } from "./src/core/pkcs12.ts";
export type { Pkcs12Contents } from "./src/core/pkcs12.ts";
export { checkedResult, MtlsPopTokenAcquirer, toScope } from "./src/acquirer/mtls_pop_token_acquirer.ts";
export type { AcquireOptions } from "./src/acquirer/mtls_pop_token_acquirer.ts";
export { defaultBindingStoreDirectory, FileBindingStore } from "./src/runtime/file_binding_store.ts";
export type { FileBindingStoreOptions } from "./src/runtime/file_binding_store.ts";
