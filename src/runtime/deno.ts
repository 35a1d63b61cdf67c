/**
 * Deno adapter: `fetch` with one `Deno.createHttpClient` per client
 * certificate (rustls), which pools keep-alive connections.
 *
 * @module
 */

import type { BindingCertificate } from "../core/binding_certificate.ts";
import { ErrorCode, MsalClientError } from "../core/errors.ts";
import { FetchTransport } from "./fetch_transport.ts";
import { caList, type MtlsTransportOptions } from "./transport.ts";

/**
 * The part of a `Deno.HttpClient` this adapter uses (typed here so that tsc
 * can build this file without Deno's types).
 *
 * @example
 * ```ts
 * import type { DenoHttpClient } from "mtls-pop";
 * const client: DenoHttpClient = Deno.createHttpClient({ caCerts: [caPem] });
 * client.close();
 * ```
 */
export interface DenoHttpClient {
  /** Closes the client and its pooled connections. */
  close(): void;
}
interface DenoApi {
  createHttpClient(
    options: { caCerts?: string[]; cert?: string; key?: string; poolIdleTimeout?: number },
  ): DenoHttpClient;
}

function deno(): DenoApi {
  const api = (globalThis as { Deno?: DenoApi }).Deno;
  if (!api?.createHttpClient) {
    throw new MsalClientError(ErrorCode.invalidRequest, "DenoTransport needs the Deno runtime.");
  }
  return api;
}

/**
 * An {@link MtlsTransport} on Deno's `fetch` and `Deno.createHttpClient`: one
 * HTTP client (rustls, with its own connection pool) per client certificate.
 *
 * @example
 * ```ts
 * import { DenoTransport } from "mtls-pop";
 * const transport = new DenoTransport({ caCertificates: [caPem] });
 * ```
 */
export class DenoTransport extends FetchTransport<DenoHttpClient> {
  /** Always `"deno"`. */
  readonly runtime = "deno" as const;
  readonly #ca: string[];

  /**
   * Creates the transport; connections open on first use.
   *
   * @param options extra roots, default timeout and body cap
   */
  constructor(options: MtlsTransportOptions = {}) {
    super(options);
    // Deno adds caCerts to its own roots.
    this.#ca = caList(options.caCertificates);
  }

  /** A Deno HTTP client presenting `certificate` and trusting the extra roots. */
  protected override createPool(certificate: BindingCertificate | undefined): DenoHttpClient {
    return deno().createHttpClient({
      caCerts: this.#ca.length ? this.#ca : undefined,
      ...(certificate ? { cert: certificate.chainPem, key: certificate.exportPrivateKeyPem() } : {}),
    });
  }

  /** Closes the client. */
  protected override disposePool(client: DenoHttpClient): void {
    client.close();
  }

  /** `{ client }`, Deno's `fetch` extension. */
  protected override fetchOptions(client: DenoHttpClient): Record<string, unknown> {
    return { client };
  }
}
