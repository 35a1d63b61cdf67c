/**
 * `VanillaMsiMtlsPop`: the all-in-one helper of the reference sample. Get a
 * managed identity mTLS PoP token and call a resource with it in one line.
 *
 * @module
 */

import { MsalServiceError } from "../core/errors.ts";
import { ResourceCaller } from "../resource/caller.ts";
import { TransportLease } from "../runtime/transport_lease.ts";
import type { AuthenticationResult } from "../token/result.ts";
import { ManagedIdentityApplication, type ManagedIdentityApplicationOptions } from "./application.ts";
import { ManagedIdentityId } from "./managed_identity_id.ts";

/**
 * Options of {@link VanillaMsiMtlsPop}: those of the application, plus resource call settings.
 *
 * @example
 * ```ts
 * import { ManagedIdentityId, VanillaMsiMtlsPop, type VanillaMsiMtlsPopOptions } from "mtls-pop";
 * const options: VanillaMsiMtlsPopOptions = {
 *   tokenBoundAuth: true, // Azure Key Vault
 *   requestTimeoutMs: 10_000,
 *   logger: { level: "warning", log: (level, message) => console.error(`[mtls-pop] ${level}: ${message}`) },
 * };
 * await using msi = new VanillaMsiMtlsPop(ManagedIdentityId.systemAssigned(), options);
 * ```
 */
export interface VanillaMsiMtlsPopOptions extends Omit<ManagedIdentityApplicationOptions, "id"> {
  /** Send `x-ms-tokenboundauth: true` on resource calls (Azure Key Vault). */
  tokenBoundAuth?: boolean;
}

/**
 * Options of {@link VanillaMsiMtlsPop.callResourceWithPop}.
 *
 * @example
 * ```ts
 * import type { CallResourceWithPopOptions } from "mtls-pop";
 * const options: CallResourceWithPopOptions = {
 *   resource: "https://vault.azure.net",
 *   init: { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ value: "s3cret" }) },
 * };
 * const body = await msi.callResourceWithPop("https://myvault.vault.azure.net/secrets/db?api-version=7.4", options);
 * ```
 */
export interface CallResourceWithPopOptions {
  /** The resource to get the token for; the URL's origin by default. */
  resource?: string;
  /** Method, headers, body, signal of the call. */
  init?: { method?: string; headers?: HeadersInit; body?: string | Uint8Array; signal?: AbortSignal };
}

/** The marker Azure resources put in a 401 when the token's binding does not match the TLS certificate. */
const BINDING_FAILURE = "[MtlsCnfClaimRequestDataValidationFailed]";

/**
 * Managed identity mTLS PoP in one object.
 *
 * @example
 * ```ts
 * import { ManagedIdentityId, VanillaMsiMtlsPop } from "mtls-pop";
 * await using msi = new VanillaMsiMtlsPop(ManagedIdentityId.systemAssigned(), { tokenBoundAuth: true });
 * const body = await msi.callResourceWithPop("https://myvault.vault.azure.net/secrets/db?api-version=7.4", {
 *   resource: "https://vault.azure.net",
 * });
 * ```
 */
export class VanillaMsiMtlsPop {
  /** The underlying application. */
  readonly application: ManagedIdentityApplication;
  readonly #lease: TransportLease;
  readonly #tokenBoundAuth: boolean;

  /**
   * Creates the helper for one identity.
   *
   * @param id the identity; system-assigned by default
   * @param options endpoints, trusted roots, logging, retries, Key Vault header
   */
  constructor(id: ManagedIdentityId = ManagedIdentityId.systemAssigned(), options: VanillaMsiMtlsPopOptions = {}) {
    this.#lease = new TransportLease(options.transport, options.caCertificates);
    this.#tokenBoundAuth = options.tokenBoundAuth ?? false;
    this.application = new ManagedIdentityApplication({ ...options, id, transport: this.#lease.transport });
  }

  /** An mTLS PoP token for `resource` (from the cache when fresh). */
  acquireToken(
    resource: string,
    options: { forceRefresh?: boolean; signal?: AbortSignal } = {},
  ): Promise<AuthenticationResult> {
    return this.application.acquireToken({ resource, ...options });
  }

  /**
   * Gets a token for the URL's origin (or `resource`), calls the URL with it
   * over mTLS, and returns the body. If the resource answers 401 because the
   * token's binding does not match, gets a fresh token and tries once more.
   */
  async callResourceWithPop(url: string | URL, options: CallResourceWithPopOptions = {}): Promise<string> {
    const target = new URL(url);
    const resource = options.resource ?? target.origin;
    const call = async (forceRefresh: boolean) => {
      const token = await this.acquireToken(resource, { forceRefresh, signal: options.init?.signal });
      const caller = new ResourceCaller(token, {
        transport: this.#lease.transport,
        tokenBoundAuth: this.#tokenBoundAuth,
      });
      return await caller.callResource(target, options.init);
    };
    try {
      return await call(false);
    } catch (error) {
      if (!(error instanceof MsalServiceError && error.status === 401 && error.message.includes(BINDING_FAILURE))) {
        throw error;
      }
      return await call(true);
    }
  }

  /** Closes the application and the connections. */
  async close(): Promise<void> {
    await this.application.close();
    await this.#lease.close();
  }

  /** Same as {@link VanillaMsiMtlsPop.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
