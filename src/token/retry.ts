/**
 * Retry policies of PROTOCOL.md §5, with an injectable, cancellable sleep.
 *
 * IMDS: retry on 404 (except platform metadata's IMDSv1 meaning), 408, 410,
 * 429, 5xx, timeouts and network errors; up to 3 retries 1 s, 2 s, 4 s apart;
 * 410 up to 7 retries 10 s apart. ESTS: one retry on 5xx, a timeout or a
 * broken connection, none when the answer carries `Retry-After`.
 *
 * @module
 */

import { ErrorCode, MsalClientError } from "../core/errors.ts";

/**
 * Waits `ms` milliseconds, or rejects with the signal's reason when it aborts.
 *
 * @example
 * ```ts
 * import { ManagedIdentityApplication, type Sleep } from "mtls-pop";
 * const waits: number[] = [];
 * const noWait: Sleep = (ms) => (waits.push(ms), Promise.resolve()); // tests: record the back-off, skip the wait
 * const app = new ManagedIdentityApplication({
 *   imdsEndpoint: emu.imdsEndpoint, caCertificates: emu.caCertificatePem, retry: { sleep: noWait },
 * });
 * ```
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * Retry settings an application takes.
 *
 * @example
 * ```ts
 * import { ManagedIdentityApplication, type RetryOptions } from "mtls-pop";
 * const retry: RetryOptions = { disabled: true }; // fail fast, e.g. in a health probe
 * const app = new ManagedIdentityApplication({ retry });
 * ```
 */
export interface RetryOptions {
  /** Replaces the real wait between attempts (tests use a fake clock). */
  sleep?: Sleep;
  /** Turns retries off (every first failure is final). */
  disabled?: boolean;
}

/**
 * The default {@link Sleep}: a timer, cleared when the signal aborts.
 *
 * @example
 * ```ts
 * import { sleep } from "mtls-pop";
 * await sleep(1000, AbortSignal.timeout(5000));
 * ```
 */
export const sleep: Sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** What one attempt produced: a response, or an error thrown before one. */
export type Attempt = { response: Response } | { error: unknown };

/** Decides, after the n-th failed attempt (1-based), whether to try again and after how long. */
export type RetryDecision = (attempt: Attempt, retriesSoFar: number) => number | undefined;

const IMDS_RETRYABLE = new Set([404, 408, 429]);

function transient(error: unknown): boolean {
  return error instanceof MsalClientError &&
    (error.errorCode === ErrorCode.requestTimeout || error.errorCode === ErrorCode.networkError);
}

/** IMDS policy; `noRetryOn404` for platform metadata, where 404 means IMDSv1. */
export function imdsRetryPolicy(options: { noRetryOn404?: boolean } = {}): RetryDecision {
  return (attempt, retries) => {
    if ("error" in attempt) return transient(attempt.error) && retries < 3 ? 1000 * 2 ** retries : undefined;
    const status = attempt.response.status;
    if (status === 410) return retries < 7 ? 10_000 : undefined;
    const retryable = (IMDS_RETRYABLE.has(status) && !(status === 404 && options.noRetryOn404)) ||
      (status >= 500 && status <= 599);
    return retryable && retries < 3 ? 1000 * 2 ** retries : undefined;
  };
}

/**
 * ESTS policy: one retry on 5xx, a timeout or a broken connection, none when
 * the answer carries `Retry-After`. A failed TLS handshake is retried too when
 * `retryTlsFailures` is set (a confidential client, whose certificate cannot
 * be re-minted); a managed identity re-mints its binding instead.
 */
export function estsRetryPolicy(options: { retryTlsFailures?: boolean } = {}): RetryDecision {
  return (attempt, retries) => {
    if (retries >= 1) return undefined;
    if ("error" in attempt) {
      const code = attempt.error instanceof MsalClientError ? attempt.error.errorCode : undefined;
      const retryable = code === ErrorCode.requestTimeout || code === ErrorCode.networkError ||
        (code === ErrorCode.tlsHandshakeFailed && options.retryTlsFailures === true);
      return retryable ? 1000 : undefined;
    }
    const { status, headers } = attempt.response;
    return status >= 500 && status <= 599 && !headers.has("retry-after") ? 1000 : undefined;
  };
}

/**
 * Runs `send` until it succeeds or the policy stops: returns the last
 * response, or throws the last error.
 */
export async function withRetries(
  send: () => Promise<Response>,
  decide: RetryDecision,
  options: {
    sleep: Sleep;
    signal?: AbortSignal;
    disabled?: boolean;
    onRetry?: (delayMs: number, attempt: Attempt) => void;
  },
): Promise<Response> {
  for (let retries = 0;; retries++) {
    let attempt: Attempt;
    try {
      const response = await send();
      if (response.ok) return response;
      attempt = { response };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      attempt = { error };
    }
    const delay = options.disabled ? undefined : decide(attempt, retries);
    if (delay === undefined) {
      if ("error" in attempt) throw attempt.error;
      return attempt.response;
    }
    options.onRetry?.(delay, attempt);
    await options.sleep(delay, options.signal);
  }
}

/** `Retry-After` (delta seconds or HTTP date) in milliseconds from `now`, if present and valid. */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
