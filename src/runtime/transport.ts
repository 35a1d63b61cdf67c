/**
 * The one interface every runtime adapter implements: send an HTTP(S) request,
 * optionally presenting a client certificate, and get back a standard
 * `Response` whose body has been read under a size cap.
 *
 * @module
 */

import type { BindingCertificate } from "../core/binding_certificate.ts";
import { ErrorCode, MsalClientError } from "../core/errors.ts";

/**
 * The runtimes this library has an adapter for.
 *
 * @example
 * ```ts
 * import { createTransport, type RuntimeName } from "mtls-pop";
 * const transport = createTransport();
 * const runtime: RuntimeName = transport.runtime; // "node", "deno" or "bun"
 * console.log(`mTLS through the ${runtime} TLS stack`);
 * ```
 */
export type RuntimeName = "node" | "deno" | "bun";

/** Default cap on a response body: 1 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
/** Default time a request may take from start to last body byte. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * One request through an {@link MtlsTransport}.
 *
 * @example
 * ```ts
 * import type { MtlsRequest } from "mtls-pop";
 * const request: MtlsRequest = {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ value: "s3cret" }),
 *   clientCertificate: binding, // presented as the TLS client certificate
 * };
 * const res = await transport.send("https://my.api.example/items", request);
 * ```
 */
export interface MtlsRequest {
  /** HTTP method; `GET` by default. */
  method?: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Request body. */
  body?: string | Uint8Array;
  /** Certificate and key to present as the TLS client certificate (https only). */
  clientCertificate?: BindingCertificate;
  /** Aborts the request; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Time allowed for the whole exchange, in milliseconds; `request_timeout` after it. */
  timeoutMs?: number;
  /** Largest body accepted, in bytes; `response_too_large` beyond it. */
  maxResponseBytes?: number;
  /**
   * Whether the request may be sent again when a pooled keep-alive connection
   * turns out to be dead. By default only for GET, HEAD, OPTIONS, PUT and
   * DELETE; the token flows mark their POSTs as safe to repeat.
   */
  idempotent?: boolean;
}

const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** Whether a request may be resent on a new connection (see {@link MtlsRequest.idempotent}). */
export function isIdempotent(request: MtlsRequest): boolean {
  return request.idempotent ?? IDEMPOTENT_METHODS.has((request.method ?? "GET").toUpperCase());
}

/**
 * Sends requests over (m)TLS with pooled keep-alive connections, one pool per
 * client certificate.
 *
 * @example
 * ```ts
 * import { createTransport } from "mtls-pop";
 * const transport = createTransport({ caCertificates: [emulatorCaPem] });
 * const res = await transport.send("https://127.0.0.1:8443/", { clientCertificate: binding });
 * console.log(res.status, await res.text());
 * await transport.close();
 * ```
 */
export interface MtlsTransport {
  /** The runtime whose TLS stack this adapter drives. */
  readonly runtime: RuntimeName;
  /** Sends one request; the returned `Response`'s body is already in memory. */
  send(url: string | URL, request?: MtlsRequest): Promise<Response>;
  /**
   * Like {@link MtlsTransport.send}, but returns the bytes and headers
   * without building a `Response` (a few tens of µs per call on Node).
   * Optional: callers fall back to `send`.
   */
  exchange?(url: string | URL, request?: MtlsRequest): Promise<BufferedReply>;
  /**
   * Closes the connections pooled for one client certificate (a binding that
   * was replaced). Optional: pools of expired certificates are dropped anyway.
   */
  release?(certificate: BindingCertificate): void;
  /** Closes every pooled connection. The transport must not be used afterwards. */
  close(): Promise<void>;
}

/**
 * Connection pools (agents, HTTP clients, TLS options) by client certificate.
 * A pool whose certificate has expired is dropped when the next pool is
 * made, so a long-running process that rotates bindings keeps a bounded
 * number of them.
 */
export class CertificatePools<Pool> {
  readonly #pools = new Map<string, { pool: Pool; notAfter: number }>();
  readonly #create: (certificate: BindingCertificate | undefined) => Pool;
  readonly #dispose: (pool: Pool) => void;

  constructor(create: (certificate: BindingCertificate | undefined) => Pool, dispose: (pool: Pool) => void = () => {}) {
    this.#create = create;
    this.#dispose = dispose;
  }

  /** The pool for a certificate (or for no certificate), made on first use. */
  get(certificate: BindingCertificate | undefined): Pool {
    const key = certificate?.x5tS256 ?? "";
    const found = this.#pools.get(key);
    if (found) return found.pool;
    const now = Date.now();
    for (const [k, entry] of this.#pools) {
      if (entry.notAfter <= now) {
        this.#pools.delete(k);
        this.#dispose(entry.pool);
      }
    }
    const pool = this.#create(certificate);
    this.#pools.set(key, { pool, notAfter: certificate?.notAfter.getTime() ?? Infinity });
    return pool;
  }

  /** Drops the pool of one certificate. */
  release(certificate: BindingCertificate): void {
    const entry = this.#pools.get(certificate.x5tS256);
    if (!entry) return;
    this.#pools.delete(certificate.x5tS256);
    this.#dispose(entry.pool);
  }

  /** Drops every pool. */
  clear(): void {
    for (const entry of this.#pools.values()) this.#dispose(entry.pool);
    this.#pools.clear();
  }

  /** Number of pools held. */
  get size(): number {
    return this.#pools.size;
  }
}

/**
 * A response read into memory, without the cost of a `Response` object.
 *
 * @example
 * ```ts
 * import { createTransport, type BufferedReply } from "mtls-pop";
 * const transport = createTransport();
 * const reply: BufferedReply | undefined = await transport.exchange?.("https://example.com/");
 * if (reply) console.log(reply.status, reply.headers.get("content-type"), new TextDecoder().decode(reply.body));
 * ```
 */
export interface BufferedReply {
  /** HTTP status. */
  status: number;
  /** HTTP reason phrase. */
  statusText: string;
  /** Response headers (names case-insensitive). */
  headers: { get(name: string): string | null };
  /** The body. */
  body: Uint8Array;
}

/** A `Response` around a {@link BufferedReply}. */
export function replyToResponse(reply: BufferedReply, headers: HeadersInit): Response {
  return bufferedResponse(reply.status, reply.statusText, headers, reply.body);
}

/**
 * Options every adapter takes.
 *
 * @example
 * ```ts
 * import { createTransport, type MtlsTransportOptions } from "mtls-pop";
 * const options: MtlsTransportOptions = {
 *   caCertificates: [emu.caCertificatePem], // trusted besides the system roots
 *   timeoutMs: 5_000,
 *   maxResponseBytes: 64 * 1024,
 * };
 * const transport = createTransport(options);
 * ```
 */
export interface MtlsTransportOptions {
  /** Extra PEM root certificates to trust for HTTPS, besides the system's. */
  caCertificates?: string | readonly string[];
  /** Default for {@link MtlsRequest.timeoutMs}. */
  timeoutMs?: number;
  /** Default for {@link MtlsRequest.maxResponseBytes}. */
  maxResponseBytes?: number;
}

/** The error of a call on a closed transport. */
export function closedTransport(name: string): MsalClientError {
  return new MsalClientError(ErrorCode.invalidRequest, `This ${name} is closed.`);
}

/** `caCertificates` as a list. */
export function caList(ca: string | readonly string[] | undefined): string[] {
  if (ca === undefined) return [];
  return typeof ca === "string" ? [ca] : [...ca];
}

/** The URL as a `URL`, with only http: and https: allowed. */
export function checkedUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new MsalClientError(ErrorCode.invalidRequest, "Not an absolute URL.", { cause });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new MsalClientError(ErrorCode.invalidRequest, `Unsupported URL scheme ${parsed.protocol}.`);
  }
  return parsed;
}

/**
 * The end of a request: the caller's signal or the timeout, whichever comes
 * first. Adapters either take `signal` (made on first use, for `fetch`) or
 * register `onAbort` (Node, which destroys the request itself: no
 * AbortController per call). The timer is cleared by `done()`, so no handle
 * outlives the request.
 */
export class RequestDeadline {
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort = () => this.#abort(this.#caller?.reason);
  #controller: AbortController | undefined;
  #listener: ((reason: unknown) => void) | undefined;
  #aborted = false;
  #reason: unknown;
  #timedOut = false;

  constructor(readonly timeoutMs: number, caller?: AbortSignal) {
    this.#caller = caller;
    if (caller?.aborted) {
      this.#abort(caller.reason);
      return;
    }
    caller?.addEventListener("abort", this.#onCallerAbort, { once: true });
    if (Number.isFinite(timeoutMs)) {
      this.#timer = setTimeout(() => {
        this.#timedOut = true;
        this.#abort(new MsalClientError(ErrorCode.requestTimeout, `The request took longer than ${timeoutMs} ms.`));
      }, timeoutMs);
    }
  }

  /** An AbortSignal that aborts with the deadline. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Calls `listener` once when the deadline passes or the caller aborts (at once if that already happened). */
  onAbort(listener: (reason: unknown) => void): void {
    if (this.#aborted) listener(this.#reason);
    else this.#listener = listener;
  }

  /** Whether the request must stop. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Why it must stop. */
  get reason(): unknown {
    return this.#reason;
  }

  #abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#listener?.(reason);
  }

  /** Whether the caller (not the timeout) aborted. */
  get abortedByCaller(): boolean {
    return this.#caller?.aborted === true;
  }

  /** Whether the timeout fired. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** Releases the timer and the listener. */
  done(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#caller?.removeEventListener("abort", this.#onCallerAbort);
    this.#listener = undefined;
  }
}

/** The error a request ends with, given why it ended. */
export function requestFailure(error: unknown, deadline: RequestDeadline, url: URL, tlsHint = false): unknown {
  if (deadline.abortedByCaller) return deadline.reason;
  if (deadline.timedOut) {
    return new MsalClientError(
      ErrorCode.requestTimeout,
      `${url.origin} did not answer within ${deadline.timeoutMs} ms.`,
      {
        cause: error,
      },
    );
  }
  if (error instanceof MsalClientError) return error;
  const detail = describeError(error);
  if (tlsHint || looksLikeTlsFailure(detail)) {
    return new MsalClientError(ErrorCode.tlsHandshakeFailed, `TLS handshake with ${url.host} failed: ${detail}`, {
      cause: error,
    });
  }
  return new MsalClientError(ErrorCode.networkError, `Request to ${url.host} failed: ${detail}`, { cause: error });
}

/** Message and code of an error and its causes, one line. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    if (current instanceof Error || typeof current === "object") {
      const e = current as { message?: unknown; code?: unknown; cause?: unknown };
      const text = [typeof e.code === "string" ? e.code : "", typeof e.message === "string" ? e.message : ""]
        .filter(Boolean)
        .join(": ");
      if (text && !parts.includes(text)) parts.push(text);
      current = e.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(" <- ").replace(/\s+/g, " ").slice(0, 500) || "unknown error";
}

const TLS_FAILURE =
  /\b(tls|ssl|alert|handshake|certificate|cert_|self[- ]signed|unable to verify|unknownissuer|badcertificate|certificaterequired|err_tls|err_ssl|close_notify|invalid peer)/i;

/** Whether an error text names a TLS-level failure. */
export function looksLikeTlsFailure(detail: string): boolean {
  return TLS_FAILURE.test(detail);
}

/** Reads a body stream into memory, failing with `response_too_large` past `limit`. */
export async function readCapped(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
  url: URL,
): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(url, limit);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return concat(chunks, total);
}

/** The `response_too_large` error. */
export function tooLarge(url: URL, limit: number): MsalClientError {
  return new MsalClientError(
    ErrorCode.responseTooLarge,
    `The response from ${url.host} is larger than ${limit} bytes.`,
  );
}

/** Joins byte chunks. */
export function concat(
  chunks: readonly Uint8Array[],
  total = chunks.reduce((n, c) => n + c.byteLength, 0),
): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** A `Response` around bytes already read (status 1xx/204/304 carry no body). */
export function bufferedResponse(status: number, statusText: string, headers: HeadersInit, body: Uint8Array): Response {
  const nullBody = status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : (body as BodyInit), { status, statusText, headers });
}

/** The per-request defaults an adapter resolves from its options. */
export interface TransportDefaults {
  timeoutMs: number;
  maxResponseBytes: number;
}

/** Resolves {@link TransportDefaults} from adapter options. */
export function transportDefaults(options: MtlsTransportOptions): TransportDefaults {
  return {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  };
}

/**
 * Sends a request with the runtime's own `fetch` (Deno, Bun), adding the
 * runtime-specific TLS member (`client`, `tls`) to the init, and reads the
 * body under the cap.
 *
 * @param runtimeInit the runtime's extra `fetch` options
 * @param isTlsFailure tells, for runtimes whose errors are vague, that an error is a handshake failure
 */
export async function fetchReply(
  url: string | URL,
  request: MtlsRequest,
  defaults: TransportDefaults,
  runtimeInit: Record<string, unknown>,
  isTlsFailure: (error: unknown, target: URL) => boolean = () => false,
): Promise<BufferedReply> {
  const target = checkedUrl(url);
  const limit = request.maxResponseBytes ?? defaults.maxResponseBytes;
  const deadline = new RequestDeadline(request.timeoutMs ?? defaults.timeoutMs, request.signal);
  try {
    const init = {
      method: request.method ?? "GET",
      headers: request.headers,
      body: request.body as BodyInit | undefined,
      signal: deadline.signal,
      ...runtimeInit,
    } as RequestInit;
    let res: Response;
    try {
      res = await fetch(target, init);
    } catch (e) {
      // Only an error before any response can be a handshake failure.
      throw requestFailure(e, deadline, target, isTlsFailure(e, target));
    }
    const declared = res.headers.get("content-length");
    if (Number(declared) > limit) {
      await res.body?.cancel();
      throw tooLarge(target, limit);
    }
    // A declared length within the cap is enforced by the runtime's HTTP
    // parser: read it in one go. Otherwise count the bytes as they come.
    const body = declared !== null && /^\d+$/.test(declared)
      ? new Uint8Array(await res.arrayBuffer())
      : await readCapped(res.body, limit, target);
    return { status: res.status, statusText: res.statusText, headers: res.headers, body };
  } catch (e) {
    throw requestFailure(e, deadline, target);
  } finally {
    deadline.done();
  }
}
