/**
 * One request/response exchange inside the emulator: read and record the
 * request, apply the endpoint's scripted fault, and write the answer.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { ConnectionInfo } from "../runtime/server.ts";
import type { EmulatorEndpoint, Fault, FaultController } from "./faults.ts";

/**
 * Which of the emulator's three servers a request reached.
 *
 * @example
 * ```ts
 * import type { EmulatorServer } from "mtls-pop/emulator";
 * const server: EmulatorServer = "sts";
 * const connections = new Set(emu.requests.filter((r) => r.server === server).map((r) => r.connectionId));
 * console.log(`${connections.size} TLS connection(s) to the STS`); // 1 when keep-alive works
 * ```
 */
export type EmulatorServer = "imds" | "sts" | "resource";

/**
 * A request the emulator received, as tests assert on it.
 *
 * @example
 * ```ts
 * import type { RecordedRequest } from "mtls-pop/emulator";
 * const tokenRequests: RecordedRequest[] = emu.requests.filter((r) => r.endpoint === "token");
 * for (const r of tokenRequests) {
 *   console.log(r.status, r.form?.client_id, r.peerCertificate?.thumbprint, r.connectionId);
 * }
 * ```
 */
export interface RecordedRequest {
  /** The endpoint it was routed to, or `"unknown"`. */
  endpoint: EmulatorEndpoint | "unknown";
  /** The server it reached. */
  server: EmulatorServer;
  /** HTTP method. */
  method: string;
  /** Path without the query. */
  path: string;
  /** Query parameters, decoded. */
  query: Record<string, string>;
  /** Headers, names in lower case. */
  headers: Record<string, string>;
  /** Raw body text. */
  body: string;
  /** Form fields of an `application/x-www-form-urlencoded` body. */
  form?: Record<string, string>;
  /** Parsed JSON body, if it was JSON. */
  json?: unknown;
  /** The TLS client certificate, if one was presented. */
  peerCertificate?: { thumbprint: string; x5tS256: string; subject: string };
  /** Which TLS (or TCP) connection carried it; shared numbering across the three servers. */
  connectionId: number;
  /** When it arrived (ms since epoch, the emulator's clock). */
  time: number;
  /** The status it was answered with (0 if the connection was cut). */
  status: number;
  /** The fault applied to it, if any. */
  fault?: Fault;
}

/** An answer before faults. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Record<string, unknown>;
}

/** Reads a request body up to `limit` bytes (more is cut off). */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    req.on("data", (chunk: Uint8Array) => {
      total += chunk.byteLength;
      if (total <= limit) chunks.push(chunk);
    });
    req.on("end", () => {
      const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let offset = 0;
      for (const c of chunks) {
        all.set(c, offset);
        offset += c.byteLength;
      }
      resolve(new TextDecoder().decode(all));
    });
    req.on("error", reject);
  });
}

/** Request headers as one string per name. */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** What every handler shares. */
export interface ExchangeContext {
  faults: FaultController;
  requests: RecordedRequest[];
  now: () => number;
  /** Registers a timer so that `close()` can cancel it. */
  delay: (ms: number) => Promise<void>;
  /** Peer certificate facts, computed once per connection. */
  describePeer: (der: Uint8Array) => Promise<RecordedRequest["peerCertificate"]>;
}

/** A request being handled: its record, and the fault it drew. */
export interface Exchange {
  record: RecordedRequest;
  fault: Fault | undefined;
}

/** Reads and records a request, and draws its fault. */
export async function beginExchange(
  ctx: ExchangeContext,
  server: EmulatorServer,
  endpoint: EmulatorEndpoint | "unknown",
  req: IncomingMessage,
  connection: ConnectionInfo,
  bodyLimit: number,
): Promise<Exchange> {
  const url = new URL(req.url ?? "/", "http://emulator");
  const headers = flatHeaders(req);
  const record: RecordedRequest = {
    endpoint,
    server,
    method: req.method ?? "GET",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body: "",
    connectionId: connection.connectionId,
    time: ctx.now(),
    status: 0,
  };
  ctx.requests.push(record);
  record.body = await readBody(req, bodyLimit);
  const type = headers["content-type"] ?? "";
  if (type.startsWith("application/x-www-form-urlencoded")) {
    record.form = Object.fromEntries(new URLSearchParams(record.body));
  } else if (type.startsWith("application/json")) {
    try {
      record.json = JSON.parse(record.body);
    } catch {
      // left undefined: the handler answers 400
    }
  }
  if (connection.peerCertificate) record.peerCertificate = await ctx.describePeer(connection.peerCertificate);
  const fault = endpoint === "unknown" ? undefined : ctx.faults.take(endpoint);
  if (fault) record.fault = fault;
  return { record, fault };
}

/**
 * Writes an answer, bent by the exchange's fault. `produce` computes the normal
 * answer; it is not called when the fault replaces the answer.
 */
export async function finishExchange(
  ctx: ExchangeContext,
  exchange: Exchange,
  res: ServerResponse,
  produce: (fault: Fault | undefined) => Promise<Answer>,
  defaults: { headers?: Record<string, string>; faultBody: (status: number) => Record<string, unknown> },
): Promise<void> {
  const { fault, record } = exchange;
  if (fault?.delayMs) await ctx.delay(fault.delayMs);
  if (res.destroyed || res.writableEnded) return;
  if (fault?.reset) {
    record.status = 0;
    res.socket?.destroy();
    return;
  }
  let answer: Answer;
  if (fault?.status !== undefined && (fault.status !== 200 || fault.body !== undefined)) {
    answer = { status: fault.status, body: fault.body ?? defaults.faultBody(fault.status) };
  } else if (fault?.malformedBody) {
    answer = { status: 200, body: "{ this is not json", headers: { "content-type": "application/json" } };
  } else if (fault?.oversizedBodyBytes) {
    answer = { status: 200, body: JSON.stringify("x".repeat(Math.max(0, fault.oversizedBodyBytes - 2))) };
  } else {
    answer = await produce(fault);
  }
  const headers: Record<string, string> = { ...defaults.headers, ...answer.headers, ...fault?.headers };
  if (fault?.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
  if (fault?.omitServerHeader) {
    for (const name of Object.keys(headers)) if (name.toLowerCase() === "server") delete headers[name];
  }
  const text = typeof answer.body === "string"
    ? answer.body
    : answer.body === undefined
    ? ""
    : JSON.stringify(answer.body);
  if (typeof answer.body === "object" && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["content-type"] = "application/json; charset=utf-8";
  }
  const bytes = new TextEncoder().encode(text);
  headers["content-length"] = String(bytes.byteLength);
  record.status = answer.status;
  if (res.destroyed) return;
  res.writeHead(answer.status, headers);
  if (fault?.truncatedBody) {
    res.write(bytes.subarray(0, Math.floor(bytes.byteLength / 2)), () => res.socket?.destroy());
    return;
  }
  res.end(bytes);
}
