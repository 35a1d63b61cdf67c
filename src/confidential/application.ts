/**
 * `ConfidentialClientApplication`: mTLS PoP tokens for an app that has its
 * own certificate (SNI), presented as the TLS client certificate to the
 * regional mTLS STS (PROTOCOL.md §2). No client assertion is sent.
 *
 * @module
 */

import { hasSpaceOrControl } from "../core/text.ts";
import type { BindingCertificate } from "../core/binding_certificate.ts";
import { ErrorCode, MsalClientError } from "../core/errors.ts";
import type { MtlsTransport } from "../runtime/transport.ts";
import { TransportLease } from "../runtime/transport_lease.ts";
import { imdsBaseUrl } from "../identity/application.ts";
import { TokenAcquisition } from "../token/acquisition.ts";
import { newCorrelationId } from "../token/correlation_id.ts";
import { type CachedToken, tokenTimes } from "../token/cache.ts";
import { LibraryLogger, type Logger, pii } from "../token/logger.ts";
import type { AuthenticationResult } from "../token/result.ts";
import { type RetryOptions, sleep as realSleep } from "../token/retry.ts";
import { requestMtlsPopToken } from "../token/sts_request.ts";
import { type Authority, isValidRegion, mtlsHost, mtlsTokenEndpoint, parseAuthority } from "./authority.ts";
import { type ClientCertificateInput, loadClientCertificate } from "./client_certificate.ts";
import { detectRegion } from "./region.ts";

/**
 * Ask the library to find the region: `REGION_NAME`, else IMDS instance metadata.
 *
 * @example
 * ```ts
 * import { ConfidentialClientApplication, TRY_AUTO_DETECT_REGION } from "mtls-pop";
 * const cca = new ConfidentialClientApplication({
 *   clientId: "00000000-0000-0000-0000-000000000000",
 *   authority: "https://login.microsoftonline.com/contoso.onmicrosoft.com",
 *   azureRegion: TRY_AUTO_DETECT_REGION, // REGION_NAME, else IMDS instance metadata
 *   certificate: { certPem, keyPem },
 * });
 * ```
 */
export const TRY_AUTO_DETECT_REGION = "TryAutoDetect";

/**
 * Options of {@link ConfidentialClientApplication}.
 *
 * @example
 * ```ts
 * import { ConfidentialClientApplication, type ConfidentialClientApplicationOptions } from "mtls-pop";
 * const options: ConfidentialClientApplicationOptions = {
 *   clientId: "00000000-0000-0000-0000-000000000000",
 *   authority: "https://login.microsoftonline.com/contoso.onmicrosoft.com",
 *   azureRegion: "westus3",
 *   certificate: { pfx: pfxBytes, passphrase: pfxPassphrase }, // or { certPem, keyPem }
 * };
 * await using cca = new ConfidentialClientApplication(options);
 * ```
 */
export interface ConfidentialClientApplicationOptions {
  /** The app's client (application) id. */
  clientId: string;
  /** Tenanted authority, e.g. `https://login.microsoftonline.com/<tenant>`. */
  authority: string;
  /**
   * Azure region of the app (e.g. `westus3`), or `"TryAutoDetect"`; required
   * for Entra ID authorities unless `mtlsEndpoint` is given. When detection
   * finds nothing, the global `mtlsauth.microsoft.com` is used.
   */
  azureRegion?: string;
  /** The app's certificate and key; sent as the TLS client certificate. */
  certificate?: ClientCertificateInput;
  /** Accepted for parity with MSAL (`sendX5C: true`): the certificate always travels in the TLS handshake. */
  sendX5C?: boolean;
  /** Base URL (scheme, host, port) that replaces `https://{region}.mtlsauth.microsoft.com` (tests, private clouds). */
  mtlsEndpoint?: string;
  /** Extra PEM roots to trust for HTTPS. */
  caCertificates?: string | readonly string[];
  /** Transport to use instead of a new one for this runtime; not closed by `close()`. */
  transport?: MtlsTransport;
  /** Where log lines go; none by default. */
  logger?: Logger;
  /** Retry settings: inject the wait (tests), or turn retries off. */
  retry?: RetryOptions;
  /** Time allowed for each HTTP request, in milliseconds (default 30 s). */
  requestTimeoutMs?: number;
  /** The clock, ms since epoch; `Date.now` by default. */
  clock?: () => number;
  /** IMDS base URL for region detection; default `AZURE_POD_IDENTITY_AUTHORITY_HOST`, else `http://169.254.169.254`. */
  imdsEndpoint?: string;
}

/**
 * One `acquireTokenForClient` call.
 *
 * @example
 * ```ts
 * import type { AcquireTokenForClientRequest } from "mtls-pop";
 * const request: AcquireTokenForClientRequest = {
 *   scopes: ["https://vault.azure.net/.default"],
 *   signal: AbortSignal.timeout(30_000),
 *   correlationId: crypto.randomUUID(), // also in the STS's logs
 * };
 * const result = await cca.acquireTokenForClient(request);
 * ```
 */
export interface AcquireTokenForClientRequest {
  /** Scopes, e.g. `["https://vault.azure.net/.default"]`; sent joined by spaces. */
  scopes: readonly string[];
  /** Skip the token cache. */
  forceRefresh?: boolean;
  /** Aborts waits and requests. */
  signal?: AbortSignal;
  /** Correlation id sent to the STS; a new UUID by default. */
  correlationId?: string;
}

function checkScopes(scopes: unknown): string[] {
  if (!Array.isArray(scopes) || scopes.length === 0) {
    throw new MsalClientError(
      ErrorCode.invalidRequest,
      "acquireTokenForClient needs at least one scope, e.g. https://vault.azure.net/.default.",
    );
  }
  const unique: string[] = [];
  for (const scope of scopes) {
    if (typeof scope !== "string" || scope === "" || hasSpaceOrControl(scope)) {
      throw new MsalClientError(
        ErrorCode.invalidRequest,
        "Each scope must be a non-empty string without spaces or control characters.",
      );
    }
    if (!unique.includes(scope)) unique.push(scope);
  }
  return unique;
}

/**
 * mTLS PoP tokens for a confidential client with its own certificate.
 *
 * @example
 * ```ts
 * import { ConfidentialClientApplication, ResourceCaller } from "mtls-pop";
 * const cca = new ConfidentialClientApplication({
 *   clientId: "00000000-0000-0000-0000-000000000000",
 *   authority: "https://login.microsoftonline.com/contoso.onmicrosoft.com",
 *   azureRegion: "westus3",
 *   certificate: { certPem, keyPem },          // or { pfx, passphrase }
 * });
 * const result = await cca.acquireTokenForClient({ scopes: ["https://vault.azure.net/.default"] });
 * await using caller = new ResourceCaller(result, { tokenBoundAuth: true });
 * ```
 */
export class ConfidentialClientApplication {
  /** The app's client id. */
  readonly clientId: string;
  /** The parsed authority. */
  readonly authority: Authority;
  readonly #options: ConfidentialClientApplicationOptions;
  readonly #lease: TransportLease;
  readonly #logger: LibraryLogger;
  readonly #now: () => number;
  readonly #tokens: TokenAcquisition;
  #certificate: Promise<BindingCertificate> | undefined;
  #endpoint: Promise<string> | undefined;

  /**
   * Creates the application; configuration errors (no certificate, a
   * non-tenanted or unsupported authority, a bad or missing region) throw here.
   *
   * @param options client id, authority, region, certificate, endpoints
   */
  constructor(options: ConfidentialClientApplicationOptions) {
    if (
      !options || typeof options.clientId !== "string" || !options.clientId.trim() ||
      hasSpaceOrControl(options.clientId)
    ) {
      throw new MsalClientError(ErrorCode.invalidRequest, "clientId must be a non-empty string without spaces.");
    }
    if (!options.certificate) {
      throw new MsalClientError(
        ErrorCode.mtlsCertificateNotProvided,
        "mTLS PoP needs the app's certificate: pass certificate: { certPem, keyPem } or { pfx, passphrase }.",
      );
    }
    this.clientId = options.clientId;
    this.authority = parseAuthority(options.authority);
    const region = options.azureRegion;
    if (region !== undefined && region !== TRY_AUTO_DETECT_REGION && !isValidRegion(region)) {
      throw new MsalClientError(
        ErrorCode.invalidRequest,
        'azureRegion must be ASCII letters and digits only (e.g. westus3), or "TryAutoDetect".',
      );
    }
    if (options.mtlsEndpoint === undefined) {
      if (region === undefined && this.authority.type === "Aad") {
        throw new MsalClientError(
          ErrorCode.mtlsPopWithoutRegion,
          'mTLS PoP with an Entra ID authority needs azureRegion (a region name or "TryAutoDetect").',
        );
      }
      // Unsupported clouds fail now rather than at the first request.
      mtlsHost(this.authority, region === TRY_AUTO_DETECT_REGION ? undefined : region);
    } else {
      checkedBaseUrl(options.mtlsEndpoint);
    }
    this.#options = options;
    this.#logger = new LibraryLogger(options.logger);
    this.#now = options.clock ?? Date.now;
    this.#lease = new TransportLease(options.transport, options.caCertificates);
    this.#tokens = new TokenAcquisition(this.#now, this.#logger);
  }

  /** The app's certificate, loaded and checked once. */
  certificate(): Promise<BindingCertificate> {
    this.#certificate ??= loadClientCertificate(this.#options.certificate!, this.#now());
    this.#certificate.catch(() => (this.#certificate = undefined));
    return this.#certificate;
  }

  /** The mTLS token endpoint, derived once. */
  tokenEndpoint(signal?: AbortSignal): Promise<string> {
    this.#endpoint ??= this.#deriveEndpoint(signal);
    this.#endpoint.catch(() => (this.#endpoint = undefined));
    return this.#endpoint;
  }

  async #deriveEndpoint(signal?: AbortSignal): Promise<string> {
    const { mtlsEndpoint, azureRegion } = this.#options;
    if (mtlsEndpoint !== undefined) return mtlsTokenEndpoint(this.authority, checkedBaseUrl(mtlsEndpoint));
    const region = azureRegion === TRY_AUTO_DETECT_REGION
      ? await detectRegion(this.#lease.transport, imdsBaseUrl(this.#options.imdsEndpoint), this.#logger, signal)
      : azureRegion;
    const endpoint = mtlsTokenEndpoint(this.authority, `https://${mtlsHost(this.authority, region)}`);
    this.#logger.info`mTLS token endpoint: ${endpoint}.`;
    return endpoint;
  }

  /** An mTLS PoP token for the scopes: from the cache when fresh, else from the STS. */
  async acquireTokenForClient(request: AcquireTokenForClientRequest): Promise<AuthenticationResult> {
    this.#lease.assertOpen("application");
    const scopes = checkScopes(request?.scopes);
    const certificate = await this.certificate();
    const key = `${certificate.x5tS256}|${[...scopes].sort().join(" ")}`;
    return await this.#tokens.acquire(
      key,
      {
        forceRefresh: request.forceRefresh,
        signal: request.signal,
        correlationId: request.correlationId ?? newCorrelationId(),
      },
      (signal, correlationId) => this.#fetchToken(certificate, scopes.join(" "), signal, correlationId),
    );
  }

  async #fetchToken(
    certificate: BindingCertificate,
    scope: string,
    signal: AbortSignal,
    correlationId: string,
  ): Promise<CachedToken> {
    const tokenEndpoint = await this.tokenEndpoint(signal);
    this.#logger.verbose`Token request for client ${pii(this.clientId)} with certificate ${certificate.thumbprint}.`;
    const response = await requestMtlsPopToken({
      transport: this.#lease.transport,
      tokenEndpoint,
      clientId: this.clientId,
      scope,
      certificate,
      correlationId,
      signal,
      timeoutMs: this.#options.requestTimeoutMs,
      sleep: this.#options.retry?.sleep ?? realSleep,
      retryDisabled: this.#options.retry?.disabled,
      // An app certificate cannot be re-minted: a failed handshake is retried once as is.
      retryTlsFailures: true,
      logger: this.#logger,
      now: this.#now,
    });
    return {
      accessToken: response.accessToken,
      ...tokenTimes(this.#now(), response.expiresInSeconds, response.refreshInSeconds, certificate.notAfter),
      bindingCertificate: certificate,
    };
  }

  /** Closes the connections of the transport this application made. */
  async close(): Promise<void> {
    await this.#lease.close();
  }

  /** Same as {@link ConfidentialClientApplication.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** An https base URL (scheme, host, port), without trailing slash. */
function checkedBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new MsalClientError(ErrorCode.invalidRequest, "mtlsEndpoint is not a URL.", { cause });
  }
  if (
    url.protocol !== "https:" || url.search || url.hash || url.username || (url.pathname !== "/" && url.pathname !== "")
  ) {
    throw new MsalClientError(
      ErrorCode.invalidRequest,
      "mtlsEndpoint must be an https base URL (scheme, host and port only).",
    );
  }
  return url.origin;
}
