/**
 * What the Deno and Bun adapters share: the runtime's own `fetch`, given one
 * runtime-specific option per client certificate (a Deno HTTP client, a Bun
 * `tls` object), pooled by {@link CertificatePools}.
 *
 * @module
 */

import type { BindingCertificate } from "../core/binding_certificate.ts";
import {
  type BufferedReply,
  CertificatePools,
  closedTransport,
  fetchReply,
  type MtlsRequest,
  type MtlsTransport,
  type MtlsTransportOptions,
  replyToResponse,
  type RuntimeName,
  type TransportDefaults,
  transportDefaults,
} from "./transport.ts";

/**
 * An {@link MtlsTransport} on a runtime's `fetch`; subclasses say which
 * `fetch` option carries the TLS material.
 *
 * @example
 * ```ts
 * import { DenoTransport, FetchTransport } from "mtls-pop";
 * const transport: FetchTransport<unknown> = new DenoTransport({ caCertificates: [caPem] });
 * const reply = await transport.exchange("https://example.com/");
 * ```
 */
export abstract class FetchTransport<Pool> implements MtlsTransport {
  /** The runtime whose `fetch` this adapter drives. */
  abstract readonly runtime: RuntimeName;
  readonly #pools: CertificatePools<Pool>;
  readonly #defaults: TransportDefaults;
  #closed = false;

  /**
   * Sets up the pools; connections open on first use.
   *
   * @param options extra roots, default timeout and body cap
   */
  constructor(options: MtlsTransportOptions) {
    this.#defaults = transportDefaults(options);
    this.#pools = new CertificatePools<Pool>((c) => this.createPool(c), (p) => this.disposePool(p));
  }

  /** Makes the runtime's per-certificate object (HTTP client, TLS options). */
  protected abstract createPool(certificate: BindingCertificate | undefined): Pool;

  /** Frees one (closes a Deno HTTP client); nothing by default. */
  protected disposePool(_pool: Pool): void {}

  /** The `fetch` init members that carry `pool`. */
  protected abstract fetchOptions(pool: Pool): Record<string, unknown>;

  /** Whether an error thrown by `fetch` means the TLS handshake failed (for runtimes whose errors are vague). */
  protected isTlsFailure(_error: unknown, _target: URL): boolean {
    return false;
  }

  /** Sends one request and returns the bytes; see {@link MtlsTransport.exchange}. */
  async exchange(url: string | URL, request: MtlsRequest = {}): Promise<BufferedReply> {
    if (this.#closed) throw closedTransport(this.constructor.name);
    const options = this.fetchOptions(this.#pools.get(request.clientCertificate));
    return await fetchReply(url, request, this.#defaults, options, (e, t) => this.isTlsFailure(e, t));
  }

  /** Sends one request; see {@link MtlsTransport.send}. */
  async send(url: string | URL, request: MtlsRequest = {}): Promise<Response> {
    const reply = await this.exchange(url, request);
    return replyToResponse(reply, reply.headers as Headers);
  }

  /** Drops what was kept for one certificate; see {@link MtlsTransport.release}. */
  release(certificate: BindingCertificate): void {
    this.#pools.release(certificate);
  }

  /** Drops everything kept per certificate. */
  close(): Promise<void> {
    this.#closed = true;
    this.#pools.clear();
    return Promise.resolve();
  }
}
