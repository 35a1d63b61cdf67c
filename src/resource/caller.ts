/**
 * Calls a protected resource with an mTLS PoP token: `Authorization:
 * mtls_pop <token>` on a TLS connection that presents the token's binding
 * certificate, over pooled keep-alive connections.
 *
 * @module
 */

import type { BindingCertificate } from "../core/binding_certificate.ts";
import { ErrorCode, MsalClientError, MsalServiceError } from "../core/errors.ts";
import type { BufferedReply, MtlsRequest, MtlsTransport } from "../runtime/transport.ts";
import { TransportLease } from "../runtime/transport_lease.ts";

/**
 * What a {@link ResourceCaller} needs from a token result.
 *
 * @example
 * ```ts
 * import { BindingCertificate, type BoundToken, ResourceCaller } from "mtls-pop";
 * const token: BoundToken = { // an AuthenticationResult is one too
 *   accessToken: savedAccessToken,
 *   bindingCertificate: await BindingCertificate.create(certPem, keyPem),
 * };
 * await using caller = new ResourceCaller(token);
 * ```
 */
export interface BoundToken {
  /** The access token. */
  readonly accessToken: string;
  /** The certificate the token is bound to, with its private key. */
  readonly bindingCertificate: BindingCertificate;
  /** `"mtls_pop"`; other token types are refused. */
  readonly tokenType?: string;
}

/**
 * Options of {@link ResourceCaller}.
 *
 * @example
 * ```ts
 * import { ResourceCaller, type ResourceCallerOptions } from "mtls-pop";
 * const options: ResourceCallerOptions = { tokenBoundAuth: true, timeoutMs: 10_000, maxResponseBytes: 1024 * 1024 };
 * await using caller = new ResourceCaller(result, options);
 * ```
 */
export interface ResourceCallerOptions {
  /**
   * Send `x-ms-tokenboundauth: true`, which Azure Key Vault needs to ask for
   * the client certificate.
   */
  tokenBoundAuth?: boolean;
  /** Extra PEM roots to trust (the emulator's CA, a private cloud's). */
  caCertificates?: string | readonly string[];
  /** A transport to use instead of a new one for this runtime; it is not closed by {@link ResourceCaller.close}. */
  transport?: MtlsTransport;
  /** Time allowed per call, in milliseconds (30 s by default). */
  timeoutMs?: number;
  /** Largest response body accepted, in bytes (16 MiB by default). */
  maxResponseBytes?: number;
}

/**
 * Request options of {@link ResourceCaller.fetch}.
 *
 * @example
 * ```ts
 * import type { ResourceRequestInit } from "mtls-pop";
 * const init: ResourceRequestInit = {
 *   method: "PUT",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ value: "s3cret" }),
 *   timeoutMs: 10_000,
 * };
 * const res = await caller.fetch("https://myvault.vault.azure.net/secrets/db?api-version=7.4", init);
 * ```
 */
export interface ResourceRequestInit {
  /** HTTP method; `GET` by default. */
  method?: string;
  /** Extra headers; `Authorization` is set by the caller and cannot be overridden. */
  headers?: HeadersInit;
  /** Request body. */
  body?: string | Uint8Array;
  /** Aborts the call. */
  signal?: AbortSignal;
  /** Time allowed for this call, in milliseconds. */
  timeoutMs?: number;
}

const UTF8 = new TextDecoder();
const DEFAULT_RESOURCE_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Calls resources with an mTLS PoP token and its binding certificate.
 *
 * @example
 * ```ts
 * import { ResourceCaller } from "mtls-pop";
 * await using caller = new ResourceCaller(result, { tokenBoundAuth: true });
 * const secret = await caller.callResource("https://myvault.vault.azure.net/secrets/db?api-version=7.4");
 * const res = await caller.fetch("https://myvault.vault.azure.net/keys?api-version=7.4");
 * ```
 */
export class ResourceCaller {
  readonly #token: BoundToken;
  readonly #lease: TransportLease;
  readonly #tokenBoundAuth: boolean;
  readonly #timeoutMs: number | undefined;
  readonly #maxResponseBytes: number;

  /**
   * Creates a caller for one token and its binding certificate.
   *
   * @param token a token result (its `accessToken` and `bindingCertificate`)
   * @param options transport, trusted roots, Key Vault header, limits
   */
  constructor(token: BoundToken, options: ResourceCallerOptions = {}) {
    if (!token || typeof token.accessToken !== "string" || !token.accessToken) {
      throw new MsalClientError(ErrorCode.invalidRequest, "ResourceCaller needs a token result with an accessToken.");
    }
    if (!token.bindingCertificate) {
      throw new MsalClientError(
        ErrorCode.mtlsCertificateNotProvided,
        "ResourceCaller needs the token's binding certificate.",
      );
    }
    if (token.tokenType !== undefined && token.tokenType !== "mtls_pop") {
      throw new MsalClientError(
        ErrorCode.invalidRequest,
        `ResourceCaller sends mtls_pop tokens, not ${token.tokenType}.`,
      );
    }
    this.#token = token;
    this.#lease = new TransportLease(options.transport, options.caCertificates);
    this.#tokenBoundAuth = options.tokenBoundAuth ?? false;
    this.#timeoutMs = options.timeoutMs;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_RESOURCE_MAX_BYTES;
  }

  /**
   * Sends a request and returns the response, whatever its status.
   * Only `https:` URLs are accepted: a PoP token is never sent in clear text.
   */
  async fetch(url: string | URL, init: ResourceRequestInit = {}): Promise<Response> {
    const [target, request] = this.#request(url, init);
    return await this.#lease.transport.send(target, request);
  }

  /**
   * Sends a request and returns the body as text; a non-2xx answer throws a
   * `resource_request_failed` {@link MsalServiceError} with the status and the
   * start of the body.
   */
  async callResource(url: string | URL, init: ResourceRequestInit = {}): Promise<string> {
    const [target, request] = this.#request(url, init);
    // The body is all the caller wants: skip building a Response where the transport can.
    const transport = this.#lease.transport;
    const reply: BufferedReply = transport.exchange
      ? await transport.exchange(target, request)
      : await toReply(await transport.send(target, request));
    const text = UTF8.decode(reply.body);
    if (reply.status < 200 || reply.status > 299) throw resourceError(reply, text, target);
    return text;
  }

  /** The URL (https only) and the transport request for a call. */
  #request(url: string | URL, init: ResourceRequestInit): [URL, MtlsRequest] {
    this.#lease.assertOpen("ResourceCaller");
    let target: URL;
    try {
      target = new URL(url);
    } catch (cause) {
      throw new MsalClientError(ErrorCode.invalidRequest, "The resource URL is not an absolute URL.", { cause });
    }
    if (target.protocol !== "https:") {
      throw new MsalClientError(
        ErrorCode.invalidRequest,
        `Resources are called over https only, not ${target.protocol}.`,
      );
    }
    const headers: Record<string, string> = {};
    if (init.headers !== undefined) {
      new Headers(init.headers).forEach((value, name) => {
        if (name !== "authorization") headers[name] = value;
      });
    }
    headers["authorization"] = `mtls_pop ${this.#token.accessToken}`;
    if (this.#tokenBoundAuth) headers["x-ms-tokenboundauth"] = "true";
    return [target, {
      method: init.method ?? "GET",
      headers,
      body: init.body,
      signal: init.signal,
      timeoutMs: init.timeoutMs ?? this.#timeoutMs,
      maxResponseBytes: this.#maxResponseBytes,
      clientCertificate: this.#token.bindingCertificate,
    }];
  }

  /** Closes the transport's connections (unless the transport was passed in). */
  async close(): Promise<void> {
    await this.#lease.close();
  }

  /** Same as {@link ResourceCaller.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The error of a non-2xx resource answer: status, a short excerpt of the body, `WWW-Authenticate`. */
export function resourceError(
  res: Pick<BufferedReply, "status" | "headers">,
  body: string,
  url: URL,
): MsalServiceError {
  const excerpt = body.replace(/\s+/g, " ").trim().slice(0, 300);
  const challenge = res.headers.get("www-authenticate");
  const retryAfter = res.headers.get("retry-after");
  const seconds = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
  return new MsalServiceError(
    ErrorCode.resourceRequestFailed,
    `${url.origin}${url.pathname} answered HTTP ${res.status}` + (excerpt ? `: ${excerpt}` : "") +
      (challenge ? ` (WWW-Authenticate: ${challenge.slice(0, 300)})` : ""),
    { status: res.status, retryAfterMs: seconds },
  );
}

async function toReply(res: Response): Promise<BufferedReply> {
  return {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
    body: new Uint8Array(await res.arrayBuffer()),
  };
}
