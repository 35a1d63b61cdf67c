/**
 * Cache-first token acquisition shared by both application kinds: serve a
 * fresh cached token, refresh in the background once `refreshOn` has passed,
 * and otherwise fetch with one request per key however many callers wait.
 *
 * @module
 */

import { type CachedToken, EXPIRY_MARGIN_MS, TokenCache } from "./cache.ts";
import type { LibraryLogger } from "./logger.ts";
import { AuthenticationResult } from "./result.ts";
import { newCorrelationId } from "./correlation_id.ts";
import { SingleFlight } from "./single_flight.ts";

/** One acquisition request. */
export interface AcquireRequest {
  forceRefresh?: boolean;
  signal?: AbortSignal;
  correlationId: string;
}

/** Fetches a token from the identity provider. */
export type FetchToken = (signal: AbortSignal, correlationId: string) => Promise<CachedToken>;

/** Token cache plus single flight. */
export class TokenAcquisition {
  /** The cache; exposed for the application's binding bookkeeping. */
  readonly cache: TokenCache = new TokenCache();
  readonly #flights = new SingleFlight<CachedToken>();
  readonly #now: () => number;
  readonly #logger: LibraryLogger;

  constructor(now: () => number, logger: LibraryLogger) {
    this.#now = now;
    this.#logger = logger;
  }

  /**
   * A token for `key`: from the cache when fresh and `usable` says its binding
   * is still current, else from `fetch`.
   *
   * Not an `async` function on purpose: a cache hit is the hot path (well
   * under a microsecond), and an already-resolved promise is cheaper than an
   * async frame. Anything thrown still comes back as a rejection.
   */
  acquire(
    key: string,
    request: AcquireRequest,
    fetch: FetchToken,
    usable: (entry: CachedToken) => boolean = alwaysUsable,
  ): Promise<AuthenticationResult> {
    if (!request.forceRefresh) {
      try {
        const hit = this.cache.get(key);
        const now = this.#now();
        if (hit !== undefined && now < hit.expiresOnMs - EXPIRY_MARGIN_MS && usable(hit)) {
          if (hit.refreshOnMs !== undefined && now >= hit.refreshOnMs && !this.#flights.has(key)) {
            this.#refreshInBackground(key, fetch);
          }
          return Promise.resolve(result(hit, "Cache", request.correlationId));
        }
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#fetchResult(key, request, fetch);
  }

  async #fetchResult(key: string, request: AcquireRequest, fetch: FetchToken): Promise<AuthenticationResult> {
    const entry = await this.#flights.run(
      key,
      (signal) => this.#fetchAndStore(key, fetch, signal, request.correlationId),
      request.signal,
    );
    return result(entry, "IdentityProvider", request.correlationId);
  }

  async #fetchAndStore(
    key: string,
    fetch: FetchToken,
    signal: AbortSignal,
    correlationId: string,
  ): Promise<CachedToken> {
    const entry = await fetch(signal, correlationId);
    this.cache.set(key, entry);
    return entry;
  }

  #refreshInBackground(key: string, fetch: FetchToken): void {
    const correlationId = newCorrelationId();
    this.#logger.info`Refreshing a cached token in the background (correlation id ${correlationId}).`;
    this.#flights.run(key, (signal) => this.#fetchAndStore(key, fetch, signal, correlationId)).then(() => {
      this.#logger.info`Background refresh done (correlation id ${correlationId}).`;
    }, (error) => {
      this.#logger.warning`Background refresh failed; the cached token is served until it expires: ${
        errorCode(error)
      }.`;
    });
  }
}

function alwaysUsable(): boolean {
  return true;
}

function result(
  entry: CachedToken,
  tokenSource: "Cache" | "IdentityProvider",
  correlationId: string,
): AuthenticationResult {
  return new AuthenticationResult({
    accessToken: entry.accessToken,
    expiresOn: new Date(entry.expiresOnMs),
    refreshOn: entry.refreshOnMs === undefined ? undefined : new Date(entry.refreshOnMs),
    tokenSource,
    bindingCertificate: entry.bindingCertificate,
    correlationId,
  });
}

function errorCode(error: unknown): string {
  return (error as { errorCode?: string })?.errorCode ?? (error as Error)?.name ?? "error";
}
