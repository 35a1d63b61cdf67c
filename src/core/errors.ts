/**
 * Error classes shared by every part of the library.
 *
 * Two kinds, as in MSAL: {@link MsalClientError} for what the caller or this
 * machine got wrong (configuration, unsupported host, bad input, a TLS
 * handshake that failed) and {@link MsalServiceError} for what a service
 * answered (HTTP status, Entra `error`, `error_codes`, `correlation_id`,
 * `Retry-After`). Both carry an `errorCode` a program can branch on.
 *
 * @module
 */

/**
 * Error codes this library produces. Names follow MSAL where MSAL has one.
 *
 * @example
 * ```ts
 * import { ErrorCode, MsalError } from "mtls-pop";
 * try {
 *   await app.acquireToken({ resource: "https://vault.azure.net" });
 * } catch (e) {
 *   if (!(e instanceof MsalError) || e.errorCode !== ErrorCode.mtlsPopTokenNotSupportedInImdsV1) throw e;
 *   console.error("This VM only offers IMDSv1: no mTLS PoP here.");
 * }
 * ```
 */
export const ErrorCode = {
  /** IMDS or a managed identity endpoint answered with an error or an invalid body. */
  managedIdentityRequestFailed: "managed_identity_request_failed",
  /** The VM only offers IMDSv1 (platform metadata answered 404). */
  mtlsPopTokenNotSupportedInImdsV1: "mtls_pop_token_not_supported_in_imds_v1",
  /** The STS rejected the client (ESTS `invalid_client`). */
  invalidClient: "invalid_client",
  /** The STS does not know the resource (ESTS `invalid_resource`). */
  invalidResource: "invalid_resource",
  /** A confidential client was configured without a certificate. */
  mtlsCertificateNotProvided: "mtls_certificate_not_provided",
  /** mTLS PoP needs an Azure region and none was configured or detected. */
  mtlsPopWithoutRegion: "mtls_pop_without_region",
  /** The authority is `common`, `organizations` or `consumers`. */
  missingTenantedAuthority: "missing_tenanted_authority",
  /** The authority is not Entra ID (for example B2C or ADFS). */
  invalidAuthorityType: "invalid_authority_type",
  /** The cloud has no mTLS endpoint for PoP tokens. */
  mtlsPopNotSupportedForEnvironment: "mtls_pop_not_supported_for_environment",
  /** The attestation token provider failed. */
  attestationFailed: "attestation_failed",
  /** Input that should be an X.509 certificate is not one. */
  invalidCertificate: "invalid_certificate",
  /** Input that should be a PEM document is not one, or has another label. */
  invalidPem: "invalid_pem",
  /** Input that should be base64 or base64url is not. */
  invalidBase64: "invalid_base64",
  /** Input that should be a private key is not one, or is not supported. */
  invalidKey: "invalid_key",
  /** A certificate does not carry the public key of the key it was paired with. */
  certificateKeyMismatch: "certificate_key_mismatch",
  /** A certificate is outside its validity window. */
  certificateExpired: "certificate_expired",
  /** A request or option was invalid. */
  invalidRequest: "invalid_request",
  /** The TLS handshake failed (alert, bad or missing certificate, reset during the handshake). */
  tlsHandshakeFailed: "tls_handshake_failed",
  /** The connection failed or broke outside the TLS handshake. */
  networkError: "network_error",
  /** A request did not complete within its timeout. */
  requestTimeout: "request_timeout",
  /** A response body was larger than the configured cap. */
  responseTooLarge: "response_too_large",
  /** A response was not what the protocol says it must be. */
  invalidResponse: "invalid_response",
  /** An mTLS PoP token failed verification at a resource. */
  invalidToken: "invalid_token",
  /** A resource answered a call with a non-2xx status. */
  resourceRequestFailed: "resource_request_failed",
  /** A binding store's location is not safe for private keys: writable by others, owned by someone else, or not a directory. */
  bindingStoreUnsafe: "binding_store_unsafe",
  /** A binding store could not read or write its storage (permissions, disk full, ...). */
  bindingStoreFailed: "binding_store_failed",
} as const;

/**
 * One of the codes in {@link ErrorCode}, or a service's own `error` value.
 *
 * @example
 * ```ts
 * import { ErrorCode, type ErrorCodeValue, MsalError } from "mtls-pop";
 * const transient: readonly ErrorCodeValue[] = [ErrorCode.networkError, ErrorCode.requestTimeout];
 * const isTransient = (e: unknown) => e instanceof MsalError && transient.includes(e.errorCode as ErrorCodeValue);
 * ```
 */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Options shared by both error classes.
 *
 * @example
 * ```ts
 * import { ErrorCode, MsalClientError, type MsalErrorOptions } from "mtls-pop";
 * const options: MsalErrorOptions = { correlationId: "3f1d...", cause: parseError };
 * throw new MsalClientError(ErrorCode.invalidRequest, "The resource is not an absolute URI.", options);
 * ```
 */
export interface MsalErrorOptions {
  /** Correlation id of the request that failed, when there was one. */
  correlationId?: string;
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * Base class of both error kinds; catch it to handle any error of this library.
 *
 * @example
 * ```ts
 * import { MsalError } from "mtls-pop";
 * try {
 *   // ... acquire a token ...
 * } catch (e) {
 *   if (e instanceof MsalError) console.error(e.errorCode, e.message);
 * }
 * ```
 */
export class MsalError extends Error {
  /** Machine-readable code; see {@link ErrorCode}. */
  readonly errorCode: string;
  /** Correlation id of the failed request, if known. */
  readonly correlationId: string | undefined;

  /**
   * Creates an error with a code and a message.
   *
   * @param errorCode code a program can branch on
   * @param message what happened, for a person
   * @param options correlation id and cause
   */
  constructor(errorCode: string, message: string, options: MsalErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.errorCode = errorCode;
    this.correlationId = options.correlationId;
  }
}

/**
 * An error on the client side: configuration, input, or the local machine.
 *
 * @example
 * ```ts
 * import { ErrorCode, MsalClientError } from "mtls-pop";
 * const error = new MsalClientError(ErrorCode.invalidRequest, "resource must be an absolute URI");
 * console.log(error.errorCode); // "invalid_request"
 * ```
 */
export class MsalClientError extends MsalError {}

/**
 * Options of {@link MsalServiceError}.
 *
 * @example
 * ```ts
 * import { MsalServiceError, type MsalServiceErrorOptions } from "mtls-pop";
 * const options: MsalServiceErrorOptions = { status: 429, retryAfterMs: 2000, correlationId: "3f1d..." };
 * const error = new MsalServiceError("temporarily_unavailable", "The service is busy; try again later.", options);
 * console.log(error.status, error.retryAfter); // 429 2000
 * ```
 */
export interface MsalServiceErrorOptions extends MsalErrorOptions {
  /** HTTP status of the response. */
  status?: number;
  /** Delay the service asked for in `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
  /** Entra's numeric `error_codes`. */
  errorCodes?: readonly number[];
  /** Entra's `error_description` (already part of the message). */
  errorDescription?: string;
}

/**
 * An error answered by a service (IMDS, the STS or a resource).
 *
 * @example
 * ```ts
 * import { MsalServiceError } from "mtls-pop";
 * const error = new MsalServiceError("invalid_resource", "AADSTS500011: resource not found", {
 *   status: 400,
 *   errorCodes: [500011],
 *   correlationId: "3f1d...",
 * });
 * console.log(error.status, error.errorCodes); // 400 [ 500011 ]
 * ```
 */
export class MsalServiceError extends MsalError {
  /** HTTP status of the response, if there was one. */
  readonly status: number | undefined;
  /** `Retry-After` in milliseconds, if the service sent one. */
  readonly retryAfter: number | undefined;
  /** Entra's numeric `error_codes`, if any. */
  readonly errorCodes: readonly number[];
  /** Entra's `error_description`, if any. */
  readonly errorDescription: string | undefined;

  /**
   * Creates an error from what a service answered.
   *
   * @param errorCode the service's `error`, or a code of {@link ErrorCode}
   * @param message what happened, for a person
   * @param options status, `Retry-After`, Entra's `error_codes`, correlation id
   */
  constructor(errorCode: string, message: string, options: MsalServiceErrorOptions = {}) {
    super(errorCode, message, options);
    this.status = options.status;
    this.retryAfter = options.retryAfterMs;
    this.errorCodes = options.errorCodes ?? [];
    this.errorDescription = options.errorDescription;
  }
}
