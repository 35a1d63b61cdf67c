/**
 * Bun adapter: Bun's `fetch` with its `tls` option (client certificate, key
 * and roots), which pools keep-alive connections per TLS configuration.
 *
 * @module
 */

import { rootCertificates } from "node:tls";
import type { BindingCertificate } from "../core/binding_certificate.ts";
import { FetchTransport } from "./fetch_transport.ts";
import { caList, type MtlsTransportOptions } from "./transport.ts";

/**
 * Bun's `tls` option of `fetch`, as this adapter fills it (typed here so that
 * tsc can build this file without Bun's types).
 *
 * @example
 * ```ts
 * import type { BunTlsOptions } from "mtls-pop";
 * const tls: BunTlsOptions = { cert: certPem, key: keyPem };
 * await fetch("https://example.com/", { tls } as RequestInit);
 * ```
 */
export interface BunTlsOptions {
  /** Trusted roots (replacing the system's: the adapter passes both). */
  ca?: string[];
  /** Client certificate chain, PEM. */
  cert?: string;
  /** Its private key, PEM. */
  key?: string;
}

/**
 * An {@link MtlsTransport} on Bun's `fetch`. One `tls` object per client
 * certificate, so Bun's pool sees the same TLS configuration every time; Bun
 * closes idle connections itself.
 *
 * @example
 * ```ts
 * import { BunTransport } from "mtls-pop";
 * const transport = new BunTransport({ caCertificates: [caPem] });
 * ```
 */
export class BunTransport extends FetchTransport<BunTlsOptions> {
  /** Always `"bun"`. */
  readonly runtime = "bun" as const;
  readonly #ca: string[] | undefined;

  /**
   * Creates the transport; connections open on first use.
   *
   * @param options extra roots, default timeout and body cap
   */
  constructor(options: MtlsTransportOptions = {}) {
    super(options);
    const extra = caList(options.caCertificates);
    // Bun's `ca` replaces the system roots: keep them and add the extra ones.
    this.#ca = extra.length ? [...rootCertificates, ...extra] : undefined;
  }

  /** The `tls` object for `certificate`. */
  protected override createPool(certificate: BindingCertificate | undefined): BunTlsOptions {
    return {
      ...(this.#ca ? { ca: this.#ca } : {}),
      ...(certificate ? { cert: certificate.chainPem, key: certificate.exportPrivateKeyPem() } : {}),
    };
  }

  /** `{ tls }`, Bun's `fetch` extension. */
  protected override fetchOptions(tls: BunTlsOptions): Record<string, unknown> {
    return { tls };
  }

  /** Bun reports a connection cut during the TLS handshake only as ECONNRESET. */
  protected override isTlsFailure(error: unknown, target: URL): boolean {
    return (error as { code?: unknown })?.code === "ECONNRESET" && target.protocol === "https:";
  }
}
