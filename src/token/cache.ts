/**
 * The token cache of one application: one entry per resource (or scope set),
 * each remembering the binding certificate it is bound to. A plain `Map`:
 * a cache hit costs one lookup and two comparisons.
 *
 * @module
 */

import type { BindingCertificate } from "../core/binding_certificate.ts";

/** A token is not served from the cache within this margin of its expiry. */
export const EXPIRY_MARGIN_MS = 5 * 60_000;

/** One cached token. */
export interface CachedToken {
  readonly accessToken: string;
  /** Expiry, ms since epoch (never after the binding certificate's notAfter). */
  readonly expiresOnMs: number;
  /** When to refresh proactively, ms since epoch. */
  readonly refreshOnMs: number | undefined;
  /** The certificate the token is bound to. */
  readonly bindingCertificate: BindingCertificate;
}

/** Tokens by key. */
export class TokenCache {
  readonly #entries = new Map<string, CachedToken>();

  /** The entry for `key`, if any (fresh or not). */
  get(key: string): CachedToken | undefined {
    return this.#entries.get(key);
  }

  /** Stores an entry. */
  set(key: string, entry: CachedToken): void {
    this.#entries.set(key, entry);
  }

  /** Drops the entries bound to a certificate (after the binding was dropped). */
  deleteBoundTo(certificate: BindingCertificate): void {
    for (const [key, entry] of this.#entries) if (entry.bindingCertificate === certificate) this.#entries.delete(key);
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear();
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }
}

/**
 * Expiry and refresh times of a token just received, per PROTOCOL.md §4:
 * `refresh_in` when given, else half the lifetime when that is 2 hours or
 * more; expiry capped at the binding certificate's end of validity.
 */
export function tokenTimes(
  now: number,
  expiresInSeconds: number,
  refreshInSeconds: number | undefined,
  certificateNotAfter: Date,
): { expiresOnMs: number; refreshOnMs: number | undefined } {
  const expiresOnMs = Math.min(now + expiresInSeconds * 1000, certificateNotAfter.getTime());
  let refreshOnMs: number | undefined;
  if (refreshInSeconds !== undefined && refreshInSeconds > 0) refreshOnMs = now + refreshInSeconds * 1000;
  else if (expiresInSeconds >= 7200) refreshOnMs = now + (expiresInSeconds * 1000) / 2;
  if (refreshOnMs !== undefined && refreshOnMs >= expiresOnMs) refreshOnMs = undefined;
  return { expiresOnMs, refreshOnMs };
}
