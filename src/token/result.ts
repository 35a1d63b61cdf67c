/**
 * The result of a token acquisition. The access token is reachable through
 * `accessToken` but is not an own property: `JSON.stringify`,
 * `console.log` / `inspect` and string conversion show a summary without it.
 *
 * @module
 */

import type { BindingCertificate, BindingCertificateSummary } from "../core/binding_certificate.ts";

/**
 * Where a token came from.
 *
 * @example
 * ```ts
 * import type { TokenSource } from "mtls-pop";
 * const source: TokenSource = (await app.acquireToken({ resource: "https://vault.azure.net" })).tokenSource;
 * if (source === "IdentityProvider") console.log("fetched a new token");
 * ```
 */
export type TokenSource = "IdentityProvider" | "Cache";

/**
 * What {@link AuthenticationResult.toJSON} shows: everything but the token.
 *
 * @example
 * ```ts
 * import type { AuthenticationResultSummary } from "mtls-pop";
 * const summary: AuthenticationResultSummary = result.toJSON();
 * console.log(summary.tokenSource, summary.expiresOn, summary.accessToken); // ... "[redacted]"
 * ```
 */
export interface AuthenticationResultSummary {
  /** Always `"mtls_pop"`. */
  tokenType: "mtls_pop";
  /** Where the token came from. */
  tokenSource: TokenSource;
  /** Expiry, ISO 8601. */
  expiresOn: string;
  /** Proactive refresh time, ISO 8601, if any. */
  refreshOn: string | undefined;
  /** Correlation id of the call. */
  correlationId: string;
  /** Public facts of the binding certificate. */
  bindingCertificate: BindingCertificateSummary;
  /** The token itself is never shown. */
  accessToken: "[redacted]";
}

/**
 * The fields of an {@link AuthenticationResult}: for code that builds results
 * itself (a custom acquirer, a test double).
 *
 * @example
 * ```ts
 * import { AuthenticationResult, type AuthenticationResultInit } from "mtls-pop";
 * const init: AuthenticationResultInit = {
 *   accessToken, bindingCertificate, tokenSource: "Cache",
 *   expiresOn: new Date(Date.now() + 3600_000), refreshOn: undefined, correlationId: crypto.randomUUID(),
 * };
 * const result = new AuthenticationResult(init);
 * ```
 */
export interface AuthenticationResultInit {
  /** The access token. */
  accessToken: string;
  /** Expiry. */
  expiresOn: Date;
  /** Proactive refresh time, if any. */
  refreshOn: Date | undefined;
  /** Where the token came from. */
  tokenSource: TokenSource;
  /** The certificate the token is bound to. */
  bindingCertificate: BindingCertificate;
  /** Correlation id of the call. */
  correlationId: string;
}

/**
 * An mTLS PoP token and the certificate it is bound to.
 *
 * @example
 * ```ts
 * const result = await app.acquireToken({ resource: "https://vault.azure.net" });
 * result.tokenType;            // "mtls_pop"
 * result.tokenSource;          // "IdentityProvider", then "Cache"
 * result.bindingCertificate;   // present it in TLS (ResourceCaller does)
 * JSON.stringify(result);      // no token, no key
 * ```
 */
export class AuthenticationResult {
  /** Always `"mtls_pop"`. */
  readonly tokenType = "mtls_pop" as const;
  /** When the token expires. */
  readonly expiresOn: Date;
  /** When the library will refresh it in the background, if it will. */
  readonly refreshOn: Date | undefined;
  /** `"IdentityProvider"` for a token fetched now, `"Cache"` for one served from the cache. */
  readonly tokenSource: TokenSource;
  /** The certificate the token is bound to; its private key stays hidden. */
  readonly bindingCertificate: BindingCertificate;
  /** Correlation id of the call that produced this result. */
  readonly correlationId: string;
  readonly #accessToken: string;

  /**
   * Creates it.
   *
   * @param init the fields
   */
  constructor(init: AuthenticationResultInit) {
    this.#accessToken = init.accessToken;
    this.expiresOn = init.expiresOn;
    this.refreshOn = init.refreshOn;
    this.tokenSource = init.tokenSource;
    this.bindingCertificate = init.bindingCertificate;
    this.correlationId = init.correlationId;
  }

  /** The access token, for `Authorization: mtls_pop <token>`. Handle as a secret. */
  get accessToken(): string {
    return this.#accessToken;
  }

  /** Everything but the token. */
  toJSON(): AuthenticationResultSummary {
    return {
      tokenType: this.tokenType,
      tokenSource: this.tokenSource,
      expiresOn: this.expiresOn.toISOString(),
      refreshOn: this.refreshOn?.toISOString(),
      correlationId: this.correlationId,
      bindingCertificate: this.bindingCertificate.toJSON(),
      accessToken: "[redacted]",
    };
  }

  /** A one-line summary without the token. */
  toString(): string {
    return `AuthenticationResult(mtls_pop, ${this.tokenSource}, expires ${this.expiresOn.toISOString()}, ${this.bindingCertificate.thumbprint})`;
  }
}
