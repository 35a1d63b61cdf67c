/**
 * Node adapter: `node:https` with one keep-alive `https.Agent` per client
 * certificate, so each certificate's connections are pooled and reused.
 *
 * @module
 */

import * as http from "node:http";
import * as https from "node:https";
import { createSecureContext, rootCertificates } from "node:tls";
import type { BindingCertificate } from "../core/binding_certificate.ts";
import {
  type BufferedReply,
  caList,
  CertificatePools,
  checkedUrl,
  closedTransport,
  concat,
  isIdempotent,
  type MtlsRequest,
  type MtlsTransport,
  type MtlsTransportOptions,
  replyToResponse,
  RequestDeadline,
  requestFailure,
  tooLarge,
  type TransportDefaults,
  transportDefaults,
} from "./transport.ts";

type Socketish = { encrypted?: boolean; once(event: string, listener: () => void): unknown };

/**
 * An {@link MtlsTransport} on `node:https`.
 *
 * @example
 * ```ts
 * import { NodeTransport } from "mtls-pop";
 * const transport = new NodeTransport({ caCertificates: [caPem] });
 * ```
 */
export class NodeTransport implements MtlsTransport {
  /** Always `"node"`. */
  readonly runtime = "node" as const;
  readonly #agents = new CertificatePools<https.Agent>((c) => this.#createAgent(c), (agent) => agent.destroy());
  readonly #httpAgent = new http.Agent({ keepAlive: true });
  readonly #extraCa: string[];
  readonly #defaults: TransportDefaults;
  #closed = false;

  /**
   * Creates the transport; connections open on first use.
   *
   * @param options extra roots, default timeout and body cap
   */
  constructor(options: MtlsTransportOptions = {}) {
    this.#extraCa = caList(options.caCertificates);
    this.#defaults = transportDefaults(options);
  }

  #createAgent(certificate: BindingCertificate | undefined): https.Agent {
    // One secure context per agent, built once. Passing ca/cert/key as agent
    // options instead makes Node fold them (the whole root store) into the
    // pool key of every request: ~150 µs of string work per call.
    const cert = certificate?.chainPem;
    const key = certificate?.exportPrivateKeyPem();
    let secureContext = createSecureContext({ cert, key });
    const native = (secureContext as { context?: { addCACert?: (pem: string) => void } }).context;
    if (this.#extraCa.length && typeof native?.addCACert === "function") {
      // Extra roots on top of Node's own (already parsed) root store: ~3 ms,
      // where `ca: [...rootCertificates, ...extra]` re-parses ~145 PEMs, ~17 ms
      // on every new binding. `context` is Node's native SecureContext.
      for (const pem of this.#extraCa) native.addCACert(pem);
    } else if (this.#extraCa.length) {
      secureContext = createSecureContext({ ca: [...rootCertificates, ...this.#extraCa], cert, key });
    }
    return new https.Agent({ keepAlive: true, secureContext });
  }

  /** Sends one request; see {@link MtlsTransport.send}. */
  async send(url: string | URL, request: MtlsRequest = {}): Promise<Response> {
    const reply = await this.#exchange(url, request);
    return replyToResponse(reply, reply.rawHeaders);
  }

  /** Sends one request and returns the bytes; see {@link MtlsTransport.exchange}. */
  exchange(url: string | URL, request: MtlsRequest = {}): Promise<BufferedReply> {
    return this.#exchange(url, request);
  }

  async #exchange(url: string | URL, request: MtlsRequest): Promise<NodeReply> {
    if (this.#closed) throw closedTransport("NodeTransport");
    const target = checkedUrl(url);
    try {
      return await this.#attempt(target, request, isIdempotent(request));
    } catch (e) {
      if (e instanceof StaleSocket) return await this.#attempt(target, request, false);
      throw e;
    }
  }

  #attempt(target: URL, request: MtlsRequest, mayRetryStale: boolean): Promise<NodeReply> {
    const deadline = new RequestDeadline(request.timeoutMs ?? this.#defaults.timeoutMs, request.signal);
    const limit = request.maxResponseBytes ?? this.#defaults.maxResponseBytes;
    const secure = target.protocol === "https:";
    return new Promise<NodeReply>((resolve, reject) => {
      let connected = false;
      let handshakeDone = false;
      let responded = false;
      const fail = (error: unknown) => {
        deadline.done();
        reject(error);
      };
      if (deadline.aborted) return fail(requestFailure(deadline.reason, deadline, target));
      const options: https.RequestOptions = {
        method: request.method ?? "GET",
        headers: request.headers,
        agent: secure ? this.#agents.get(request.clientCertificate) : this.#httpAgent,
      };
      const req = (secure ? https : http).request(target, options, (res) => {
        responded = true;
        const declared = Number(res.headers["content-length"]);
        if (declared > limit) {
          res.destroy();
          return fail(tooLarge(target, limit));
        }
        const chunks: Uint8Array[] = [];
        let total = 0;
        res.on("data", (chunk: Uint8Array) => {
          total += chunk.byteLength;
          if (total > limit) {
            res.destroy();
            fail(tooLarge(target, limit));
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", (e) => fail(requestFailure(e, deadline, target)));
        res.on("aborted", () => fail(requestFailure(new Error("response aborted"), deadline, target)));
        res.on("end", () => {
          if (!res.complete) return fail(requestFailure(new Error("response ended early"), deadline, target));
          deadline.done();
          const incoming = res.headers;
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? "",
            headers: {
              get(name: string): string | null {
                const value = incoming[name.toLowerCase()];
                return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
              },
            },
            get rawHeaders(): Array<[string, string]> {
              // rawHeaders keeps repeated headers (set-cookie) as separate pairs.
              const pairs: Array<[string, string]> = [];
              const raw = res.rawHeaders;
              for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
              return pairs;
            },
            body: concat(chunks, total),
          });
        });
      });
      deadline.onAbort((reason) => req.destroy(reason instanceof Error ? reason : new Error(String(reason))));
      req.on("socket", (socket: Socketish) => {
        if (!secure || req.reusedSocket) {
          handshakeDone = true;
          return;
        }
        socket.once("connect", () => (connected = true));
        socket.once("secureConnect", () => (handshakeDone = true));
      });
      req.on("error", (e: Error & { code?: string }) => {
        if (!responded && mayRetryStale && req.reusedSocket && (e.code === "ECONNRESET" || e.code === "EPIPE")) {
          deadline.done();
          return reject(new StaleSocket());
        }
        // A TCP connection that broke before the TLS handshake finished is a handshake failure.
        fail(requestFailure(e, deadline, target, connected && !handshakeDone && !responded));
      });
      req.end(request.body);
    });
  }

  /** Destroys the connections of one certificate; see {@link MtlsTransport.release}. */
  release(certificate: BindingCertificate): void {
    this.#agents.release(certificate);
  }

  /** Destroys every pooled connection. */
  close(): Promise<void> {
    this.#closed = true;
    this.#agents.clear();
    this.#httpAgent.destroy();
    return Promise.resolve();
  }
}

/** What Node's exchange gives: a {@link BufferedReply} and the raw header pairs. */
interface NodeReply extends BufferedReply {
  readonly rawHeaders: Array<[string, string]>;
}

/** A pooled keep-alive socket that the server had already closed: retried once on a new one. */
class StaleSocket extends Error {}
