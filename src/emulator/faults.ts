/**
 * Scripted faults for the emulator's endpoints: each endpoint has a queue of
 * faults, and each request to it takes the one at the head.
 *
 * @module
 */

/**
 * The emulator's endpoints, by what they do.
 *
 * @example
 * ```ts
 * import type { EmulatorEndpoint } from "mtls-pop/emulator";
 * const endpoint: EmulatorEndpoint = "issueCredential";
 * emu.faults.statuses(endpoint, [503, 200]); // fail once, then answer normally
 * await app.acquireToken({ resource: "https://vault.azure.net" }); // retried after the 503
 * console.log(emu.requests.filter((r) => r.endpoint === endpoint).length); // 2
 * ```
 */
export type EmulatorEndpoint =
  | "platformMetadata"
  | "issueCredential"
  | "instanceCompute"
  | "imdsV1Token"
  | "token"
  | "resource";

/**
 * The Entra errors the STS can be told to answer.
 *
 * @example
 * ```ts
 * import type { StsErrorName } from "mtls-pop/emulator";
 * const error: StsErrorName = "invalid_resource";
 * emu.faults.add("token", { error }); // answered as Entra would: HTTP 400, AADSTS500011
 * await app.acquireToken({ resource: "https://vault.azure.net" }); // rejects with MsalServiceError "invalid_resource"
 * ```
 */
export type StsErrorName =
  | "invalid_client"
  | "invalid_resource"
  | "invalid_request"
  | "unauthorized_client"
  | "invalid_scope";

/**
 * What to do to one request instead of (or on top of) answering it normally.
 * Several members may be combined, e.g. `{ status: 429, retryAfter: 2 }`.
 *
 * @example
 * ```ts
 * import type { Fault } from "mtls-pop/emulator";
 * const throttled: Fault = { status: 429, retryAfter: 2, times: 3 }; // three 429s with Retry-After: 2
 * const slow: Fault = { delayMs: 5_000 }; // longer than a 1 s requestTimeoutMs
 * emu.faults.add("token", throttled);
 * emu.faults.add("issueCredential", slow, { reset: true }); // then a dropped connection
 * ```
 */
export interface Fault {
  /** How many requests this fault applies to; 1 by default, `Infinity` until cleared. */
  times?: number;
  /** Wait this long before acting. */
  delayMs?: number;
  /** Destroy the connection instead of answering. */
  reset?: boolean;
  /** Cut the next new TLS connection to this endpoint's server during the handshake (the request is not reached). */
  handshakeFailure?: boolean;
  /** Answer with this status (and `body`); 200 without a `body` means "answer normally". */
  status?: number;
  /** Body of a `status` answer (an object is sent as JSON). */
  body?: string | Record<string, unknown>;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** `Retry-After` header value (seconds or an HTTP date). */
  retryAfter?: number | string;
  /** Answer 200 with a body that is not JSON. */
  malformedBody?: boolean;
  /** Send the normal answer's head and half its body, then close the connection. */
  truncatedBody?: boolean;
  /** Answer 200 with a JSON string body of this many bytes. */
  oversizedBodyBytes?: number;
  /** IMDS: leave out the `Server: IMDS/...` header. */
  omitServerHeader?: boolean;
  /** issuecredential: issue the certificate for another key than the CSR's. */
  certificateForDifferentKey?: boolean;
  /** issuecredential: issue a certificate that has already expired. */
  expiredCertificate?: boolean;
  /** STS: answer this Entra error. */
  error?: StsErrorName;
}

/**
 * The fault queues of a running emulator.
 *
 * @example
 * ```ts
 * emu.faults.statuses("issueCredential", [500, 500, 200]); // fail twice, then work
 * emu.faults.add("token", { error: "invalid_client" });    // once
 * emu.faults.add("platformMetadata", { status: 404, times: Infinity }); // an IMDSv1-only host
 * emu.faults.clear();
 * ```
 */
export class FaultController {
  readonly #queues = new Map<EmulatorEndpoint, Fault[]>();

  /** Appends faults to an endpoint's queue. */
  add(endpoint: EmulatorEndpoint, ...faults: Fault[]): void {
    const queue = this.#queues.get(endpoint) ?? [];
    for (const fault of faults) {
      const times = fault.times ?? 1;
      if (!(times > 0)) throw new RangeError("Fault.times must be positive");
      queue.push({ ...fault, times });
    }
    this.#queues.set(endpoint, queue);
  }

  /** Appends one fault per status: `[500, 500, 200]` fails twice, then answers normally. */
  statuses(endpoint: EmulatorEndpoint, statuses: readonly number[], extra: Omit<Fault, "status" | "times"> = {}): void {
    this.add(endpoint, ...statuses.map((status) => (status === 200 ? {} : { ...extra, status })));
  }

  /** Empties one endpoint's queue, or all of them. */
  clear(endpoint?: EmulatorEndpoint): void {
    if (endpoint) this.#queues.delete(endpoint);
    else this.#queues.clear();
  }

  /** How many requests the queued faults of an endpoint still apply to. */
  pending(endpoint: EmulatorEndpoint): number {
    return (this.#queues.get(endpoint) ?? []).reduce((n, f) => n + (f.times ?? 1), 0);
  }

  /** Takes the fault for the next request to `endpoint` (handshake faults stay for the connection). */
  take(endpoint: EmulatorEndpoint): Fault | undefined {
    return this.#consume(endpoint, (f) => !f.handshakeFailure);
  }

  /** Takes a handshake fault of any of `endpoints` for a new TLS connection, if one heads a queue. */
  takeHandshake(endpoints: readonly EmulatorEndpoint[]): Fault | undefined {
    for (const endpoint of endpoints) {
      const fault = this.#consume(endpoint, (f) => f.handshakeFailure === true);
      if (fault) return fault;
    }
    return undefined;
  }

  #consume(endpoint: EmulatorEndpoint, matches: (f: Fault) => boolean): Fault | undefined {
    const queue = this.#queues.get(endpoint);
    const head = queue?.[0];
    if (!queue || !head || !matches(head)) return undefined;
    head.times = (head.times ?? 1) - 1;
    if (head.times <= 0) queue.shift();
    return head;
  }
}
