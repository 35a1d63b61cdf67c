/**
 * Bun adapter: Bun's `fetch` with its `tls` option (client certificate, key
 * and roots), which pools keep-alive connections per TLS configuration.
 *
 * @module
 */

import { rootCertificates } from "node:tls";
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

/** Bun's `tls` fetch option, typed here so tsc can build this file. */
interface BunTlsOptions {
  ca?: string[];
  cert?: string;
  key?: string;
}

/**
 * An {@link MtlsTransport} on Bun's `fetch`.
 *
 * @example
 * ```ts
 * import { BunTransport } from "mtls-pop";
 * const transport = new BunTransport({ caCertificates: [caPem] });
 * ```
 */
export class BunTransport implements MtlsTransport {
  /** Always `"bun"`. */
  readonly runtime = "bun" as const;
  // One options object per certificate, so Bun's pool sees the same TLS configuration each time.
  readonly #tls = new CertificatePools<BunTlsOptions>((c) => this.#createTlsOptions(c));
  readonly #ca: string[] | undefined;
  readonly #defaults: TransportDefaults;
  #closed = false;

  /**
   * Creates the transport; connections open on first use.
   *
   * @param options extra roots, default timeout and body cap
   */
  constructor(options: MtlsTransportOptions = {}) {
    const extra = caList(options.caCertificates);
    this.#ca = extra.length ? [...rootCertificates, ...extra] : undefined;
    this.#defaults = transportDefaults(options);
  }

  #createTlsOptions(certificate: BindingCertificate | undefined): BunTlsOptions {
    return {
      ...(this.#ca ? { ca: this.#ca } : {}),
      ...(certificate ? { cert: certificate.chainPem, key: certificate.exportPrivateKeyPem() } : {}),
    };
  }

  /** Sends one request and returns the bytes; see {@link MtlsTransport.exchange}. */
  async exchange(url: string | URL, request: MtlsRequest = {}): Promise<BufferedReply> {
    if (this.#closed) throw closedTransport("BunTransport");
    return await fetchReply(url, request, this.#defaults, { tls: this.#tls.get(request.clientCertificate) }, bunReset);
  }

  /** Sends one request; see {@link MtlsTransport.send}. */
  async send(url: string | URL, request: MtlsRequest = {}): Promise<Response> {
    if (this.#closed) throw closedTransport("BunTransport");
    return await fetchBuffered(url, request, this.#defaults, { tls: this.#tls.get(request.clientCertificate) }, bunReset);
  }

  /** Forgets the TLS configuration of one certificate; Bun closes idle connections itself. */
  release(certificate: BindingCertificate): void {
    this.#tls.release(certificate);
  }

  /** Forgets the TLS configurations; Bun closes idle pooled connections itself. */
  close(): Promise<void> {
    this.#closed = true;
    this.#tls.clear();
    return Promise.resolve();
  }
}

/** Bun reports a connection cut during the TLS handshake only as ECONNRESET. */
function bunReset(error: unknown, target: URL): boolean {
  return (error as { code?: unknown })?.code === "ECONNRESET" && target.protocol === "https:";
}
