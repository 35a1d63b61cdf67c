/**
 * Deno adapter: `fetch` with one `Deno.createHttpClient` per client
 * certificate (rustls), which pools keep-alive connections.
 *
 * @module
 */

import type { BindingCertificate } from "../core/binding_certificate.ts";
import {
  caList,
  CertificatePools,
  closedTransport,
  type BufferedReply,
  fetchBuffered,
  fetchReply,
  type MtlsRequest,
  type MtlsTransport,
  type MtlsTransportOptions,
  type TransportDefaults,
  transportDefaults,
} from "./transport.ts";

/** The part of Deno's API this adapter uses, typed here so tsc can build it. */
interface DenoHttpClient {
  close(): void;
}
interface DenoApi {
  createHttpClient(options: { caCerts?: string[]; cert?: string; key?: string; poolIdleTimeout?: number }): DenoHttpClient;
}

function deno(): DenoApi {
  const api = (globalThis as { Deno?: DenoApi }).Deno;
  if (!api?.createHttpClient) throw new Error("DenoTransport needs the Deno runtime");
  return api;
}

/**
 * An {@link MtlsTransport} on Deno's `fetch` and `Deno.createHttpClient`.
 *
 * @example
 * ```ts
 * import { DenoTransport } from "mtls-pop";
 * const transport = new DenoTransport({ caCertificates: [caPem] });
 * ```
 */
export class DenoTransport implements MtlsTransport {
  /** Always `"deno"`. */
  readonly runtime = "deno" as const;
  readonly #clients = new CertificatePools<DenoHttpClient>((c) => this.#createClient(c), (client) => client.close());
  readonly #ca: string[];
  readonly #defaults: TransportDefaults;
  #closed = false;

  /**
   * Creates the transport; connections open on first use.
   *
   * @param options extra roots, default timeout and body cap
   */
  constructor(options: MtlsTransportOptions = {}) {
    this.#ca = caList(options.caCertificates);
    this.#defaults = transportDefaults(options);
  }

  #createClient(certificate: BindingCertificate | undefined): DenoHttpClient {
    return deno().createHttpClient({
      caCerts: this.#ca.length ? this.#ca : undefined,
      ...(certificate ? { cert: certificate.chainPem, key: certificate.exportPrivateKeyPem() } : {}),
    });
  }

  /** Sends one request and returns the bytes; see {@link MtlsTransport.exchange}. */
  async exchange(url: string | URL, request: MtlsRequest = {}): Promise<BufferedReply> {
    if (this.#closed) throw closedTransport("DenoTransport");
    return await fetchReply(url, request, this.#defaults, { client: this.#clients.get(request.clientCertificate) });
  }

  /** Sends one request; see {@link MtlsTransport.send}. */
  async send(url: string | URL, request: MtlsRequest = {}): Promise<Response> {
    if (this.#closed) throw closedTransport("DenoTransport");
    return await fetchBuffered(url, request, this.#defaults, { client: this.#clients.get(request.clientCertificate) });
  }

  /** Closes the HTTP client of one certificate; see {@link MtlsTransport.release}. */
  release(certificate: BindingCertificate): void {
    this.#clients.release(certificate);
  }

  /** Closes every HTTP client and so every pooled connection. */
  close(): Promise<void> {
    this.#closed = true;
    this.#clients.clear();
    return Promise.resolve();
  }
}
