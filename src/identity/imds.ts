/**
 * The two IMDSv2 calls of the managed identity flow (PROTOCOL.md §1a, §1c):
 * platform metadata and certificate issuance, with IMDS's retry policy and
 * strict validation of what comes back.
 *
 * @module
 */

import { decodeBase64 } from "../core/base64.ts";
import { type CertificateInfo, parseCertificate } from "../core/certificate.ts";
import type { ComputeUnitId } from "../core/csr.ts";
import { ErrorCode, MsalClientError, MsalServiceError } from "../core/errors.ts";
import { parseJsonObject } from "../core/json.ts";
import type { MtlsTransport } from "../runtime/transport.ts";
import { type LibraryLogger, pii } from "../token/logger.ts";
import { imdsRetryPolicy, type Sleep, withRetries } from "../token/retry.ts";
import type { ManagedIdentityId } from "./managed_identity_id.ts";

/** The IMDS base URL when nothing else is configured. */
export const DEFAULT_IMDS_ENDPOINT = "http://169.254.169.254";

/** What `getplatformmetadata` returns. */
export interface PlatformMetadata {
  clientId: string;
  tenantId: string;
  cuId: ComputeUnitId;
  attestationEndpoint: string;
}

/** What `issuecredential` returns, checked and parsed. */
export interface IssuedCredential {
  clientId: string;
  tenantId: string;
  certificate: CertificateInfo;
  identityType: string;
  /** `https://<region>.mtlsauth.microsoft.com`, no trailing slash. */
  mtlsAuthenticationEndpoint: string;
}

/** Settings of an {@link ImdsClient}. */
export interface ImdsClientOptions {
  transport: MtlsTransport;
  baseUrl: string;
  sleep: Sleep;
  retryDisabled?: boolean;
  timeoutMs?: number;
  logger: LibraryLogger;
}

const MAX_IMDS_RESPONSE_BYTES = 64 * 1024;

/** Talks to IMDSv2. */
export class ImdsClient {
  readonly #options: ImdsClientOptions;

  constructor(options: ImdsClientOptions) {
    this.#options = options;
  }

  #url(path: string, id: ManagedIdentityId): URL {
    const url = new URL(`${this.#options.baseUrl}${path}`);
    url.searchParams.set("cred-api-version", "2.0");
    const parameter = id.queryParameter;
    if (parameter) url.searchParams.set(parameter[0], parameter[1]);
    return url;
  }

  async #send(
    what: string,
    url: URL,
    init: { method: string; body?: string },
    correlationId: string,
    signal: AbortSignal | undefined,
    noRetryOn404: boolean,
  ): Promise<{ response: Response; json: Record<string, unknown> | undefined; text: string }> {
    const { logger } = this.#options;
    const headers: Record<string, string> = {
      metadata: "true",
      "x-ms-client-request-id": correlationId,
      accept: "application/json",
    };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const response = await withRetries(
      () =>
        this.#options.transport.send(url, {
          ...init,
          headers,
          signal,
          timeoutMs: this.#options.timeoutMs,
          maxResponseBytes: MAX_IMDS_RESPONSE_BYTES,
          // Asking IMDS again is harmless: a repeated issuecredential just issues another certificate.
          idempotent: true,
        }),
      imdsRetryPolicy({ noRetryOn404 }),
      {
        sleep: this.#options.sleep,
        signal,
        disabled: this.#options.retryDisabled,
        onRetry: (delay, attempt) =>
          logger.warning`IMDS ${what} failed (${
            "response" in attempt ? `HTTP ${attempt.response.status}` : errorCode(attempt.error)
          }); retrying in ${delay} ms.`,
      },
    );
    const text = await response.text();
    return { response, json: parseJsonObject(text), text };
  }

  /** `GET /metadata/identity/getplatformmetadata`. */
  async getPlatformMetadata(
    id: ManagedIdentityId,
    correlationId: string,
    signal?: AbortSignal,
  ): Promise<PlatformMetadata> {
    const url = this.#url("/metadata/identity/getplatformmetadata", id);
    this.#options.logger.info`IMDS platform metadata for the ${id.description} identity ${pii(id.value)}.`;
    const { response, json } = await this.#send(
      "platform metadata",
      url,
      { method: "GET" },
      correlationId,
      signal,
      true,
    );
    if (response.status === 404) {
      throw new MsalClientError(
        ErrorCode.mtlsPopTokenNotSupportedInImdsV1,
        "This host's IMDS answered 404 to platform metadata: it only offers IMDSv1, which cannot issue mTLS PoP tokens.",
        { correlationId },
      );
    }
    if (response.status !== 200) throw imdsError("platform metadata", response, json, correlationId);
    const server = response.headers.get("server");
    if (!server || !/imds/i.test(server)) {
      throw new MsalServiceError(
        ErrorCode.managedIdentityRequestFailed,
        `The platform metadata response has no "Server: IMDS/..." header (got ${
          server ? JSON.stringify(server.slice(0, 60)) : "none"
        }): it does not come from IMDS.`,
        { status: response.status, correlationId },
      );
    }
    const cuId = json?.cuId as Record<string, unknown> | undefined;
    const clientId = json?.clientId;
    const tenantId = json?.tenantId;
    const attestationEndpoint = json?.attestationEndpoint;
    const vmId = typeof cuId?.vmId === "string" && cuId.vmId ? cuId.vmId : undefined;
    const vmssId = typeof cuId?.vmssId === "string" && cuId.vmssId ? cuId.vmssId : undefined;
    if (
      !nonEmpty(clientId) || !nonEmpty(tenantId) || !nonEmpty(attestationEndpoint) ||
      typeof cuId !== "object" || cuId === null || (!vmId && !vmssId)
    ) {
      throw new MsalServiceError(
        ErrorCode.managedIdentityRequestFailed,
        "The platform metadata is invalid: clientId, tenantId, attestationEndpoint and a cuId with vmId or vmssId are required.",
        { status: 200, correlationId },
      );
    }
    return {
      clientId,
      tenantId,
      attestationEndpoint,
      cuId: { ...(vmId ? { vmId } : {}), ...(vmssId ? { vmssId } : {}) },
    };
  }

  /** `POST /metadata/identity/issuecredential`. */
  async issueCredential(
    id: ManagedIdentityId,
    csrBase64: string,
    attestationToken: string | undefined,
    correlationId: string,
    signal?: AbortSignal,
  ): Promise<IssuedCredential> {
    const url = this.#url("/metadata/identity/issuecredential", id);
    const body = JSON.stringify(
      attestationToken === undefined ? { csr: csrBase64 } : { csr: csrBase64, attestation_token: attestationToken },
    );
    const { response, json } = await this.#send(
      "issuecredential",
      url,
      { method: "POST", body },
      correlationId,
      signal,
      false,
    );
    if (response.status !== 200) throw imdsError("issuecredential", response, json, correlationId);
    const fields = ["client_id", "tenant_id", "certificate", "identity_type", "mtls_authentication_endpoint"] as const;
    const missing = fields.filter((f) => !nonEmpty(json?.[f]));
    if (!json || missing.length) {
      throw new MsalServiceError(
        ErrorCode.managedIdentityRequestFailed,
        `The issuecredential response is invalid: ${json ? `missing ${missing.join(", ")}` : "the body is not JSON"}.`,
        { status: 200, correlationId },
      );
    }
    let certificate: CertificateInfo;
    try {
      certificate = await parseCertificate(decodeBase64(json.certificate as string));
    } catch (cause) {
      throw new MsalServiceError(
        ErrorCode.managedIdentityRequestFailed,
        "IMDS returned a certificate that cannot be parsed.",
        {
          status: 200,
          correlationId,
          cause,
        },
      );
    }
    const endpoint = (json.mtls_authentication_endpoint as string).replace(/\/+$/, "");
    let endpointUrl: URL | undefined;
    try {
      endpointUrl = new URL(endpoint);
    } catch {
      endpointUrl = undefined;
    }
    if (endpointUrl?.protocol !== "https:" || endpointUrl.search || endpointUrl.hash || endpointUrl.username) {
      throw new MsalServiceError(
        ErrorCode.managedIdentityRequestFailed,
        "IMDS returned an mtls_authentication_endpoint that is not a plain https URL.",
        { status: 200, correlationId },
      );
    }
    return {
      clientId: json.client_id as string,
      tenantId: json.tenant_id as string,
      identityType: json.identity_type as string,
      certificate,
      mtlsAuthenticationEndpoint: endpoint,
    };
  }
}

function nonEmpty(value: unknown): value is string {
  return typeof value === "string" && value.trim().length > 0;
}

function errorCode(error: unknown): string {
  return (error as { errorCode?: string })?.errorCode ?? "error";
}

function imdsError(what: string, response: Response, json: Record<string, unknown> | undefined, correlationId: string) {
  const description = typeof json?.error_description === "string"
    ? json.error_description
    : typeof json?.error === "string"
    ? json.error
    : undefined;
  return new MsalServiceError(
    ErrorCode.managedIdentityRequestFailed,
    `IMDS ${what} answered HTTP ${response.status}` + (description ? `: ${description.slice(0, 300)}` : "."),
    { status: response.status, correlationId, errorDescription: description },
  );
}
