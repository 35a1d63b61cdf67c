/**
 * HTTP and HTTPS servers that see the client's TLS certificate, on every
 * runtime: `node:https` on Node and Deno; on Bun, whose `node:https` server
 * does not expose the peer certificate, a `node:tls` server handing its
 * sockets to a `node:http` server. Used by the emulator and by tests.
 *
 * @module
 */

import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import * as tls from "node:tls";
import { detectRuntime } from "./detect.ts";

/** What the handler learns about the connection a request came on. */
export interface ConnectionInfo {
  /** 1, 2, 3... in the order connections first carried a request. */
  connectionId: number;
  /** DER of the client's TLS certificate, if it presented one. */
  peerCertificate: Uint8Array | undefined;
}

/** Handles one request. */
export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse, connection: ConnectionInfo) => void;

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** TLS certificate chain and key (PEM); without them the server speaks plain HTTP. */
  tls?: { cert: string; key: string; ca?: string[]; requestCert?: boolean };
  /** Interface to listen on; `127.0.0.1` by default. */
  host?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /**
   * Called for each new TCP connection before any TLS; returning `false`
   * destroys it (a handshake failure as the client sees it).
   */
  acceptConnection?: () => boolean;
  /** Numbers connections; several servers can share one counter. Counts from 1 by default. */
  nextConnectionId?: () => number;
}

/** A listening server. */
export interface StartedServer {
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP(S) server on loopback.
 *
 * @example
 * ```ts
 * const server = await startServer({ tls: { cert, key, requestCert: true } }, (req, res, conn) => {
 *   res.end(conn.peerCertificate ? "hello, certificate holder" : "who are you?");
 * });
 * await server.close();
 * ```
 */
export async function startServer(options: ServerOptions, handler: RequestHandler): Promise<StartedServer> {
  const sockets = new Set<Socket>();
  const ids = new WeakMap<object, number>();
  let counter = 0;
  const nextId = options.nextConnectionId ?? (() => ++counter);
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    let id = ids.get(socket);
    if (id === undefined) {
      id = nextId();
      ids.set(socket, id);
    }
    let peerCertificate: Uint8Array | undefined;
    const getPeer = (socket as Partial<tls.TLSSocket>).getPeerCertificate;
    if (typeof getPeer === "function") {
      const peer = getPeer.call(socket, false) as { raw?: Uint8Array } | null;
      if (peer?.raw && peer.raw.length > 0) peerCertificate = new Uint8Array(peer.raw);
    }
    handler(req, res, { connectionId: id, peerCertificate });
  };

  let listener: tls.Server | http.Server;
  const httpServer = http.createServer({ keepAliveTimeout: 5_000 }, onRequest);
  if (!options.tls) {
    listener = httpServer;
  } else {
    const tlsOptions: tls.TlsOptions = {
      cert: options.tls.cert,
      key: options.tls.key,
      ca: options.tls.ca,
      requestCert: options.tls.requestCert ?? false,
      // Client certificates are checked by the handler (it knows which ones it issued
      // or registered); the handshake accepts any so that the handler can answer why.
      rejectUnauthorized: false,
    };
    if (detectRuntime() === "bun") {
      listener = tls.createServer(tlsOptions, (socket) => httpServer.emit("connection", socket));
    } else {
      listener = https.createServer({ ...tlsOptions, keepAliveTimeout: 5_000 }, onRequest);
    }
  }
  listener.on("connection", (socket: Socket) => {
    if (options.acceptConnection && !options.acceptConnection()) {
      socket.destroy();
      return;
    }
    track(socket);
  });
  // Bun hands TLS sockets to the HTTP server; track those too.
  if (listener !== httpServer) httpServer.on("connection", (socket: Socket) => track(socket));

  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      listener.off("error", reject);
      resolve();
    });
  });
  const port = (listener.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        listener.close(() => resolve());
        for (const s of [listener, httpServer] as Array<{ closeAllConnections?: () => void }>) {
          s.closeAllConnections?.();
        }
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      });
      return closing;
    },
  };
}
