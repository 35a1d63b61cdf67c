/**
 * `ManagedIdentityApplication`: mTLS PoP tokens for an Azure VM's managed
 * identity over IMDSv2 (PROTOCOL.md §1), with the token and binding caches of
 * §4, the retries of §5 and the errors of §6.
 *
 * @module
 */

import { hasSpaceOrControl } from "../core/text.ts";
import { ErrorCode, MsalClientError, MsalServiceError } from "../core/errors.ts";
import { readEnv } from "../runtime/env.ts";
import type { MtlsTransport } from "../runtime/transport.ts";
import { TransportLease } from "../runtime/transport_lease.ts";
import { TokenAcquisition } from "../token/acquisition.ts";
import { newCorrelationId } from "../token/correlation_id.ts";
import { type CachedToken, tokenTimes } from "../token/cache.ts";
import { LibraryLogger, type Logger } from "../token/logger.ts";
import type { AuthenticationResult } from "../token/result.ts";
import { type RetryOptions, type Sleep, sleep as realSleep } from "../token/retry.ts";
import { SingleFlight } from "../token/single_flight.ts";
import { requestMtlsPopToken } from "../token/sts_request.ts";
import {
  type AttestationTokenProvider,
  type Binding,
  bindingUsable,
  isBadIssuedCertificate,
  mintBinding,
} from "./binding.ts";
import { type BindingStore, fromStoredBinding, toStoredBinding } from "./binding_store.ts";
import { DEFAULT_IMDS_ENDPOINT, ImdsClient } from "./imds.ts";
import { ManagedIdentityId } from "./managed_identity_id.ts";

/**
 * Options of {@link ManagedIdentityApplication}.
 *
 * @example
 * ```ts
 * import { FileBindingStore, ManagedIdentityApplication, ManagedIdentityId, type ManagedIdentityApplicationOptions } from "mtls-pop";
 * const options: ManagedIdentityApplicationOptions = {
 *   id: ManagedIdentityId.userAssignedObjectId("ecb2ad92-3e55-4e5a-9c4f-2b7cbd4e8d11"),
 *   bindingStore: new FileBindingStore(),
 *   requestTimeoutMs: 10_000,
 * };
 * const app = new ManagedIdentityApplication(options);
 * ```
 */
export interface ManagedIdentityApplicationOptions {
  /** The identity; system-assigned by default. */
  id?: ManagedIdentityId;
  /** IMDS base URL; default `AZURE_POD_IDENTITY_AUTHORITY_HOST`, else `http://169.254.169.254`. */
  imdsEndpoint?: string;
  /** Extra PEM roots to trust for HTTPS (the emulator's CA, a private cloud's). */
  caCertificates?: string | readonly string[];
  /** Transport to use instead of a new one for this runtime; not closed by `close()`. */
  transport?: MtlsTransport;
  /** Where log lines go; none by default. */
  logger?: Logger;
  /** Supplies an attestation token for the binding key (KeyGuard); none by default. */
  attestationTokenProvider?: AttestationTokenProvider;
  /** Retry settings: inject the wait (tests), or turn retries off. */
  retry?: RetryOptions;
  /** Time allowed for each HTTP request, in milliseconds (default 30 s). */
  requestTimeoutMs?: number;
  /** The clock, ms since epoch; `Date.now` by default (tests move it). */
  clock?: () => number;
  /** Keeps minted bindings beyond this object (shared memory, a file, a secrets manager); none by default. */
  bindingStore?: BindingStore;
}

/**
 * One `acquireToken` call.
 *
 * @example
 * ```ts
 * import type { AcquireTokenRequest } from "mtls-pop";
 * const request: AcquireTokenRequest = { resource: "https://vault.azure.net", signal: AbortSignal.timeout(15_000) };
 * const result = await app.acquireToken(request);
 * ```
 */
export interface AcquireTokenRequest {
  /** The resource, e.g. `https://vault.azure.net`; a trailing `/` or `/.default` is dropped. */
  resource: string;
  /** Skip the token cache (the binding is still reused). */
  forceRefresh?: boolean;
  /** Aborts waits and requests; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Correlation id sent to IMDS and the STS; a new UUID by default. */
  correlationId?: string;
}

/** How many resource strings an application remembers the normal form of. */
const RESOURCE_MEMO_LIMIT = 1024;

/** The resource as the STS wants it: no trailing `/` and no `/.default`. */
export function normaliseResource(resource: unknown): string {
  if (typeof resource !== "string" || resource.trim() === "") {
    throw new MsalClientError(ErrorCode.invalidRequest, "acquireToken needs a resource, e.g. https://vault.azure.net.");
  }
  const trimmed = resource.trim().replace(/\/\.default$/, "").replace(/\/+$/, "");
  if (hasSpaceOrControl(trimmed) || trimmed === "") {
    throw new MsalClientError(ErrorCode.invalidRequest, "The resource must not contain spaces or control characters.");
  }
  return trimmed;
}

/** The IMDS base URL from the option, the environment, or the default. */
export function imdsBaseUrl(option: string | undefined): string {
  // An empty variable counts as unset, as it does for MSAL.
  const configured = option ?? (readEnv("AZURE_POD_IDENTITY_AUTHORITY_HOST") || undefined) ?? DEFAULT_IMDS_ENDPOINT;
  let url: URL;
  try {
    url = new URL(configured);
  } catch (cause) {
    throw new MsalClientError(ErrorCode.invalidRequest, "The IMDS endpoint is not a URL.", { cause });
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash || url.username) {
    throw new MsalClientError(ErrorCode.invalidRequest, "The IMDS endpoint must be a plain http(s) base URL.");
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * mTLS PoP tokens for a managed identity on an Azure VM (IMDSv2). Create one
 * per identity and reuse it: it caches the binding certificate and tokens.
 *
 * @example
 * ```ts
 * import { ManagedIdentityApplication, ManagedIdentityId, ResourceCaller } from "mtls-pop";
 * const app = new ManagedIdentityApplication({ id: ManagedIdentityId.userAssignedClientId("6325cd32-...") });
 * const result = await app.acquireToken({ resource: "https://vault.azure.net" });
 * console.log(result.tokenType, result.tokenSource, result.expiresOn);
 * await using caller = new ResourceCaller(result, { tokenBoundAuth: true });
 * const secret = await caller.callResource("https://myvault.vault.azure.net/secrets/db?api-version=7.4");
 * await app.close();
 * ```
 */
export class ManagedIdentityApplication {
  /** The identity this application acquires tokens for. */
  readonly id: ManagedIdentityId;
  readonly #lease: TransportLease;
  readonly #imds: ImdsClient;
  readonly #logger: LibraryLogger;
  readonly #now: () => number;
  readonly #sleep: Sleep;
  readonly #retryDisabled: boolean;
  readonly #timeoutMs: number | undefined;
  readonly #attestationTokenProvider: AttestationTokenProvider | undefined;
  readonly #tokens: TokenAcquisition;
  readonly #mints = new SingleFlight<Binding>();
  readonly #store: BindingStore | undefined;
  readonly #storeKey: string;
  #binding: Binding | undefined;
  /** Normal forms of the resource strings seen (see #normalisedResource). */
  readonly #resourceMemo = new Map<string, string>();
  /** Whether a cached token is bound to the binding in use; made once, as acquireToken is the hot path. */
  readonly #boundToCurrentBinding = (entry: CachedToken): boolean =>
    entry.bindingCertificate === this.#binding?.certificate;

  /**
   * Creates it.
   *
   * @param options identity, endpoints, transport, logging, retries
   */
  constructor(options: ManagedIdentityApplicationOptions = {}) {
    this.id = options.id ?? ManagedIdentityId.systemAssigned();
    if (!(this.id instanceof ManagedIdentityId)) {
      throw new MsalClientError(ErrorCode.invalidRequest, "id must be made with ManagedIdentityId.");
    }
    this.#logger = new LibraryLogger(options.logger);
    this.#now = options.clock ?? Date.now;
    this.#sleep = options.retry?.sleep ?? realSleep;
    this.#retryDisabled = options.retry?.disabled ?? false;
    this.#timeoutMs = options.requestTimeoutMs;
    this.#attestationTokenProvider = options.attestationTokenProvider;
    this.#lease = new TransportLease(options.transport, options.caCertificates);
    const baseUrl = imdsBaseUrl(options.imdsEndpoint);
    this.#store = options.bindingStore;
    this.#storeKey = `${baseUrl}|${this.id.key}|${this.#attestationTokenProvider ? "attested" : "unattested"}`;
    this.#imds = new ImdsClient({
      transport: this.#lease.transport,
      baseUrl,
      sleep: this.#sleep,
      retryDisabled: this.#retryDisabled,
      timeoutMs: this.#timeoutMs,
      logger: this.#logger,
    });
    this.#tokens = new TokenAcquisition(this.#now, this.#logger);
  }

  /**
   * An mTLS PoP token for a resource: from the cache when fresh, else from the
   * STS with the (cached or newly minted) binding certificate.
   */
  acquireToken(request: AcquireTokenRequest): Promise<AuthenticationResult> {
    let resource: string;
    try {
      this.#lease.assertOpen("application");
      resource = this.#normalisedResource(request?.resource);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#tokens.acquire(
      resource,
      {
        forceRefresh: request.forceRefresh,
        signal: request.signal,
        correlationId: request.correlationId ?? newCorrelationId(),
      },
      (signal, correlationId) => this.#fetchToken(resource, signal, correlationId),
      this.#boundToCurrentBinding,
    );
  }

  /**
   * {@link normaliseResource}, remembered per resource string: on a cache hit
   * its trim and three regular expressions cost more than the rest of the
   * lookup. Only valid resources are remembered (invalid ones throw each
   * time), and at most {@link RESOURCE_MEMO_LIMIT} of them.
   */
  #normalisedResource(resource: unknown): string {
    if (typeof resource === "string") {
      const known = this.#resourceMemo.get(resource);
      if (known !== undefined) return known;
    }
    const normalised = normaliseResource(resource);
    if (this.#resourceMemo.size >= RESOURCE_MEMO_LIMIT) this.#resourceMemo.clear();
    this.#resourceMemo.set(resource as string, normalised);
    return normalised;
  }

  async #fetchToken(resource: string, signal: AbortSignal, correlationId: string): Promise<CachedToken> {
    let binding = await this.#currentBinding(signal, correlationId);
    try {
      return await this.#tokenWith(binding, resource, signal, correlationId);
    } catch (error) {
      if (!bindingRejected(error)) throw error;
      this.#logger.warning`The STS refused binding ${binding.certificate.thumbprint} (${
        (error as MsalClientError).errorCode
      }); minting a new one and retrying once.`;
      this.#dropBinding(binding);
      binding = await this.#currentBinding(signal, correlationId);
      return await this.#tokenWith(binding, resource, signal, correlationId);
    }
  }

  async #tokenWith(
    binding: Binding,
    resource: string,
    signal: AbortSignal,
    correlationId: string,
  ): Promise<CachedToken> {
    const response = await requestMtlsPopToken({
      transport: this.#lease.transport,
      tokenEndpoint: binding.tokenEndpoint,
      clientId: binding.clientId,
      scope: `${resource}/.default`,
      certificate: binding.certificate,
      correlationId,
      signal,
      timeoutMs: this.#timeoutMs,
      sleep: this.#sleep,
      retryDisabled: this.#retryDisabled,
      logger: this.#logger,
      now: this.#now,
    });
    return {
      accessToken: response.accessToken,
      ...tokenTimes(this.#now(), response.expiresInSeconds, response.refreshInSeconds, binding.certificate.notAfter),
      bindingCertificate: binding.certificate,
    };
  }

  #currentBinding(signal: AbortSignal, correlationId: string): Promise<Binding> {
    const binding = this.#binding;
    if (binding && bindingUsable(binding, this.#now())) return Promise.resolve(binding);
    return this.#mints.run("mint", (mintSignal) => this.#mint(mintSignal, correlationId), signal);
  }

  async #mint(signal: AbortSignal, correlationId: string): Promise<Binding> {
    const context = {
      imds: this.#imds,
      id: this.id,
      attestationTokenProvider: this.#attestationTokenProvider,
      logger: this.#logger,
      now: this.#now,
    };
    let binding = await this.#loadStored();
    if (!binding) {
      try {
        binding = await mintBinding(context, correlationId, signal);
      } catch (error) {
        if (!isBadIssuedCertificate(error)) throw error;
        this.#logger.warning`IMDS issued an unusable certificate (${
          (error as MsalClientError).errorCode
        }); minting once more.`;
        binding = await mintBinding(context, correlationId, signal);
      }
      await this.#store?.save(this.#storeKey, toStoredBinding(binding)).catch((error) => {
        this.#logger.warning`Could not save the binding to the store: ${describeStoreError(error)}.`;
      });
    }
    const previous = this.#binding;
    this.#binding = binding;
    if (previous) this.#tokens.cache.deleteBoundTo(previous.certificate);
    return binding;
  }

  async #loadStored(): Promise<Binding | undefined> {
    if (!this.#store) return undefined;
    let stored: unknown;
    try {
      stored = await this.#store.load(this.#storeKey);
    } catch (error) {
      this.#logger.warning`Could not read the binding store: ${describeStoreError(error)}; minting instead.`;
      return undefined;
    }
    if (stored === undefined) return undefined;
    const binding = await fromStoredBinding(stored);
    const attested = this.#attestationTokenProvider !== undefined;
    if (!binding || binding.attested !== attested || !bindingUsable(binding, this.#now())) {
      this.#logger
        .info`The stored binding is unusable (damaged, expiring or of the other attestation kind); minting a new one.`;
      return undefined;
    }
    this.#logger.info`Reusing stored binding ${binding.certificate.thumbprint}.`;
    return binding;
  }

  #dropBinding(binding: Binding): void {
    if (this.#binding !== binding) return;
    this.#binding = undefined;
    this.#tokens.cache.deleteBoundTo(binding.certificate);
    this.#store?.remove(this.#storeKey).catch(() => {});
  }

  /** Closes the connections of the transport this application made. */
  async close(): Promise<void> {
    await this.#lease.close();
  }

  /** Same as {@link ManagedIdentityApplication.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The STS refused the certificate: `invalid_client`, or a failed TLS handshake. */
function bindingRejected(error: unknown): boolean {
  return (error instanceof MsalServiceError && error.errorCode === ErrorCode.invalidClient) ||
    (error instanceof MsalClientError && error.errorCode === ErrorCode.tlsHandshakeFailed);
}

/** A store error for the log: its code and message (paths, never key material: stores get none in messages). */
function describeStoreError(error: unknown): string {
  const e = error as { errorCode?: unknown; message?: unknown; name?: unknown };
  const code = typeof e?.errorCode === "string" ? `${e.errorCode}: ` : "";
  const message = typeof e?.message === "string" ? e.message : String(e?.name ?? "error");
  return (code + message).replace(/\s+/g, " ").slice(0, 300);
}
