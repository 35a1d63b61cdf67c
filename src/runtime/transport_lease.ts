/**
 * The transport an object uses: the one it was given (the giver closes it)
 * or one it made for itself (it closes it). Shared by the applications, the
 * resource caller and the all-in-one helper.
 *
 * @module
 */

import { ErrorCode, MsalClientError } from "../core/errors.ts";
import { createTransport } from "./detect.ts";
import type { MtlsTransport } from "./transport.ts";

/** A transport and whether its holder must close it. */
export class TransportLease {
  /** The transport to send with. */
  readonly transport: MtlsTransport;
  readonly #owned: boolean;
  #closed = false;

  /**
   * @param given a transport passed in by the caller (not closed here)
   * @param caCertificates extra roots for the transport made when none is given
   */
  constructor(given: MtlsTransport | undefined, caCertificates: string | readonly string[] | undefined) {
    this.transport = given ?? createTransport({ caCertificates });
    this.#owned = given === undefined;
  }

  /** Throws `invalid_request` once the holder is closed. */
  assertOpen(what: string): void {
    if (this.#closed) throw new MsalClientError(ErrorCode.invalidRequest, `This ${what} is closed.`);
  }

  /** Marks the holder closed and closes the transport if it was made here; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await this.transport.close();
  }
}
