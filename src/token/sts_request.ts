/**
 * The token request to the mTLS STS (PROTOCOL.md §1d and §2): a
 * `client_credentials` grant with `token_type=mtls_pop`, authenticated only
 * by the TLS client certificate, with ESTS's retry policy and Entra's error
 * shape mapped to {@link MsalServiceError}.
 *
 * @module
 */

import type { BindingCertificate } from "../core/binding_certificate.ts";
import { ErrorCode, MsalServiceError } from "../core/errors.ts";
import { parseJsonObject } from "../core/json.ts";
import { platformDescription } from "../runtime/env.ts";
import type { MtlsTransport } from "../runtime/transport.ts";
import { SKU, VERSION } from "../version.ts";
import { type LibraryLogger, pii } from "./logger.ts";
import { estsRetryPolicy, retryAfterMs, type Sleep, withRetries } from "./retry.ts";

/** One token request. */
export interface StsTokenRequest {
  transport: MtlsTransport;
  /** `https://<mtls host>/<tenant>/oauth2/v2.0/token`. */
  tokenEndpoint: string;
  clientId: string;
  /** Space-separated scopes. */
  scope: string;
  certificate: BindingCertificate;
  correlationId: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  sleep: Sleep;
  retryDisabled?: boolean;
  /** Retry once after a failed TLS handshake (when the certificate cannot be replaced). */
  retryTlsFailures?: boolean;
  logger: LibraryLogger;
  now: () => number;
}

/** A successful token response. */
export interface StsTokenResponse {
  accessToken: string;
  expiresInSeconds: number;
  refreshInSeconds: number | undefined;
}

/** The headers every STS request carries. */
export function stsHeaders(correlationId: string): Record<string, string> {
  return {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
    "client-request-id": correlationId,
    "return-client-request-id": "true",
    "x-ms-lib-capability": "retry-after, h429",
    "x-client-SKU": SKU,
    "x-client-Ver": VERSION,
    "x-client-OS": platformDescription(),
  };
}

/** A number that may arrive as a string (`"3599"`). */
function seconds(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

/** Asks the STS for an mtls_pop token. */
export async function requestMtlsPopToken(request: StsTokenRequest): Promise<StsTokenResponse> {
  const { logger, correlationId } = request;
  const url = new URL(request.tokenEndpoint);
  if (url.protocol !== "https:") {
    throw new MsalServiceError(ErrorCode.invalidResponse, `The token endpoint must be https, not ${url.protocol}.`, {
      correlationId,
    });
  }
  const body = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: request.clientId,
    scope: request.scope,
    token_type: "mtls_pop",
  }).toString();
  logger.info`Requesting an mtls_pop token from ${url.host} for client ${
    pii(request.clientId)
  } (correlation id ${correlationId}).`;
  const response = await withRetries(
    () =>
      request.transport.send(url, {
        method: "POST",
        headers: stsHeaders(correlationId),
        body,
        clientCertificate: request.certificate,
        signal: request.signal,
        timeoutMs: request.timeoutMs,
        // A token request may be repeated: the STS just issues another token.
        idempotent: true,
      }),
    estsRetryPolicy({ retryTlsFailures: request.retryTlsFailures }),
    {
      sleep: request.sleep,
      signal: request.signal,
      disabled: request.retryDisabled,
      onRetry: (delay, attempt) =>
        logger.warning`STS attempt failed (${
          "response" in attempt ? `HTTP ${attempt.response.status}` : "no response"
        }); retrying in ${delay} ms.`,
    },
  );
  const json = parseJsonObject(await response.text());
  const retryAfter = retryAfterMs(response.headers, request.now());
  const serverCorrelation = typeof json?.correlation_id === "string" ? json.correlation_id : correlationId;

  if (response.status !== 200) {
    const error = typeof json?.error === "string" && json.error ? json.error : ErrorCode.invalidResponse;
    const description = typeof json?.error_description === "string" ? json.error_description : undefined;
    const codes = Array.isArray(json?.error_codes)
      ? json.error_codes.filter((c): c is number => typeof c === "number")
      : [];
    logger.warning`The STS answered HTTP ${response.status} ${error} (correlation id ${serverCorrelation}).`;
    throw new MsalServiceError(
      error,
      `The STS answered HTTP ${response.status}: ${error}` +
        (description ? `: ${description}` : json ? "" : " (the body is not JSON)"),
      {
        status: response.status,
        errorCodes: codes,
        errorDescription: description,
        correlationId: serverCorrelation,
        retryAfterMs: retryAfter,
      },
    );
  }
  const accessToken = json?.access_token;
  const expiresIn = seconds(json?.expires_in);
  const tokenType = json?.token_type;
  if (!json || typeof accessToken !== "string" || !accessToken || expiresIn === undefined) {
    throw new MsalServiceError(
      ErrorCode.invalidResponse,
      "The STS answered 200 without a valid access_token and expires_in.",
      {
        status: 200,
        correlationId: serverCorrelation,
      },
    );
  }
  if (typeof tokenType !== "string" || tokenType.toLowerCase() !== "mtls_pop") {
    throw new MsalServiceError(
      ErrorCode.invalidResponse,
      `The STS answered token_type ${String(tokenType)}, not mtls_pop.`,
      {
        status: 200,
        correlationId: serverCorrelation,
      },
    );
  }
  return { accessToken, expiresInSeconds: expiresIn, refreshInSeconds: seconds(json.refresh_in) };
}
