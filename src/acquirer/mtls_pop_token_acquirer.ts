/**
 * `MtlsPopTokenAcquirer`: one interface over both ways to get an mTLS PoP
 * token, taking a resource or a scope.
 *
 * @module
 */

import { hasSpaceOrControl } from "../core/text.ts";
import { ErrorCode, MsalClientError } from "../core/errors.ts";
import {
  ConfidentialClientApplication,
  type ConfidentialClientApplicationOptions,
} from "../confidential/application.ts";
import { ManagedIdentityApplication, type ManagedIdentityApplicationOptions } from "../identity/application.ts";
import { ManagedIdentityId } from "../identity/managed_identity_id.ts";
import type { AuthenticationResult } from "../token/result.ts";

/**
 * Options of {@link MtlsPopTokenAcquirer.acquireToken}.
 *
 * @example
 * ```ts
 * import { type AcquireOptions, MtlsPopTokenAcquirer } from "mtls-pop";
 * await using acquirer = MtlsPopTokenAcquirer.forManagedIdentity();
 * const options: AcquireOptions = { forceRefresh: true, signal: AbortSignal.timeout(30_000) };
 * const result = await acquirer.acquireToken("https://vault.azure.net", options);
 * ```
 */
export interface AcquireOptions {
  /** Skip the token cache. */
  forceRefresh?: boolean;
  /** Aborts waits and requests. */
  signal?: AbortSignal;
}

/**
 * A resource (`https://vault.azure.net`, `api://my-api`) becomes
 * `<resource>/.default`; a scope (anything ending in `/.default`, or with a
 * path such as `https://graph.microsoft.com/User.Read`) is kept as is.
 *
 * @example
 * ```ts
 * import { toScope } from "mtls-pop";
 * toScope("https://vault.azure.net/");        // "https://vault.azure.net/.default"
 * toScope("https://graph.microsoft.com/.default"); // unchanged
 * ```
 */
export function toScope(resourceOrScope: string): string {
  if (typeof resourceOrScope !== "string" || resourceOrScope.trim() === "" || hasSpaceOrControl(resourceOrScope)) {
    throw new MsalClientError(
      ErrorCode.invalidRequest,
      "Give a resource or a scope without spaces, e.g. https://vault.azure.net.",
    );
  }
  if (resourceOrScope.endsWith("/.default")) return resourceOrScope;
  const resource = resourceOrScope.replace(/\/+$/, "");
  const separator = resource.indexOf("://");
  const hasPath = separator >= 0 && resource.indexOf("/", separator + 3) >= 0;
  return hasPath ? resourceOrScope : `${resource}/.default`;
}

type Source =
  | { kind: "managedIdentity"; app: ManagedIdentityApplication }
  | { kind: "confidentialClient"; app: ConfidentialClientApplication };

/**
 * Gets mTLS PoP tokens the same way whichever identity backs them, and
 * refuses anything that is not an mTLS PoP token bound to a certificate.
 *
 * @example
 * ```ts
 * import { ManagedIdentityId, MtlsPopTokenAcquirer } from "mtls-pop";
 * const acquirer = MtlsPopTokenAcquirer.forManagedIdentity(ManagedIdentityId.systemAssigned());
 * const result = await acquirer.acquireToken("https://graph.microsoft.com");
 * ```
 */
export class MtlsPopTokenAcquirer {
  readonly #source: Source;

  private constructor(source: Source) {
    this.#source = source;
  }

  /** An acquirer backed by a managed identity (IMDSv2). */
  static forManagedIdentity(
    id: ManagedIdentityId = ManagedIdentityId.systemAssigned(),
    options: Omit<ManagedIdentityApplicationOptions, "id"> = {},
  ): MtlsPopTokenAcquirer {
    return new MtlsPopTokenAcquirer({
      kind: "managedIdentity",
      app: new ManagedIdentityApplication({ ...options, id }),
    });
  }

  /** An acquirer backed by a confidential client with its own certificate. */
  static forConfidentialClient(options: ConfidentialClientApplicationOptions): MtlsPopTokenAcquirer {
    return new MtlsPopTokenAcquirer({ kind: "confidentialClient", app: new ConfidentialClientApplication(options) });
  }

  /** Which kind of identity backs this acquirer. */
  get kind(): "managedIdentity" | "confidentialClient" {
    return this.#source.kind;
  }

  /** An mTLS PoP token for a resource or a scope. */
  async acquireToken(resourceOrScope: string, options: AcquireOptions = {}): Promise<AuthenticationResult> {
    const scope = toScope(resourceOrScope);
    let result: AuthenticationResult;
    if (this.#source.kind === "managedIdentity") {
      if (!scope.endsWith("/.default")) {
        throw new MsalClientError(
          ErrorCode.invalidRequest,
          "A managed identity gets tokens for a resource (or <resource>/.default), not for other scopes.",
        );
      }
      result = await this.#source.app.acquireToken({ resource: scope, ...options });
    } else {
      result = await this.#source.app.acquireTokenForClient({ scopes: [scope], ...options });
    }
    return checkedResult(result);
  }

  /** Closes the underlying application. */
  async close(): Promise<void> {
    await this.#source.app.close();
  }

  /** Same as {@link MtlsPopTokenAcquirer.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Refuses a result that is not an mTLS PoP token bound to a certificate.
 *
 * @example
 * ```ts
 * import { checkedResult, ResourceCaller } from "mtls-pop";
 * // throws unless the result is an mtls_pop token with a binding certificate
 * const result = checkedResult(await app.acquireToken({ resource: "https://vault.azure.net" }));
 * await using caller = new ResourceCaller(result);
 * ```
 */
export function checkedResult(result: AuthenticationResult): AuthenticationResult {
  if (!result?.bindingCertificate) {
    throw new MsalClientError(ErrorCode.mtlsCertificateNotProvided, "The token result has no binding certificate.");
  }
  if (result.tokenType !== "mtls_pop") {
    throw new MsalClientError(
      ErrorCode.invalidResponse,
      `Expected an mtls_pop token, got ${String(result.tokenType)}.`,
    );
  }
  return result;
}
