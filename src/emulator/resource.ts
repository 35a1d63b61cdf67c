/**
 * The emulated protected resource: accepts `Authorization: mtls_pop <jwt>`
 * only on a TLS connection whose client certificate the token is bound to,
 * checked with {@link verifyMtlsPopToken} like any resource server would.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type * as jose from "jose";
import { MtlsPopTokenError, verifyMtlsPopToken } from "../resource/verify.ts";
import type { ConnectionInfo } from "../runtime/server.ts";
import { type Answer, beginExchange, type ExchangeContext, finishExchange } from "./exchange.ts";

/** What the resource handler needs from the emulator. */
export interface ResourceContext extends ExchangeContext {
  jwks: jose.JSONWebKeySet;
  issuer: string;
  audiences: () => readonly string[];
}

function unauthorized(reason: string, description: string): Answer {
  return {
    status: 401,
    headers: {
      "www-authenticate": `mtls_pop error="invalid_token", error_description="${description.replace(/"/g, "'")}"`,
    },
    body: { error: "invalid_token", reason, error_description: description },
  };
}

/** Handles one resource request. */
export async function handleResource(
  ctx: ResourceContext,
  req: IncomingMessage,
  res: ServerResponse,
  connection: ConnectionInfo,
): Promise<void> {
  const exchange = await beginExchange(ctx, "resource", "resource", req, connection, 1024 * 1024);
  const { record } = exchange;
  await finishExchange(ctx, exchange, res, async () => {
    const authorization = record.headers["authorization"] ?? "";
    const match = /^mtls_pop\s+(\S+)$/i.exec(authorization);
    if (!match) {
      return unauthorized("no_token", "An Authorization: mtls_pop <token> header is required.");
    }
    if (!connection.peerCertificate) {
      return unauthorized("no_peer_certificate", "Client certificate required for using MTLS_POP token.");
    }
    try {
      const verified = await verifyMtlsPopToken({
        token: match[1]!,
        peerCertificate: connection.peerCertificate,
        jwks: ctx.jwks,
        audience: [...ctx.audiences()],
        issuer: ctx.issuer,
        currentDate: new Date(ctx.now()),
      });
      const claims = verified.payload;
      return {
        status: 200,
        body: {
          ok: true,
          method: record.method,
          path: record.path,
          appid: claims.appid,
          oid: claims.oid,
          tid: claims.tid,
          aud: claims.aud,
          x5tS256: verified.x5tS256,
          tokenBoundAuth: record.headers["x-ms-tokenboundauth"] === "true",
        },
      };
    } catch (e) {
      if (!(e instanceof MtlsPopTokenError)) throw e;
      const tag = e.reason === "cnf_mismatch" ? "[MtlsCnfClaimRequestDataValidationFailed] " : "";
      return unauthorized(e.reason, tag + e.message);
    }
  }, {
    faultBody: (status) => ({ error: "emulated_failure", error_description: `Emulated HTTP ${status}.` }),
  });
}
