/**
 * The emulated regional mTLS STS: `POST /{tenant}/oauth2/v2.0/token` with
 * `token_type=mtls_pop`, authenticated by the TLS client certificate alone
 * (PROTOCOL.md §1d and §2). It answers RS256 JWTs bound to the presented
 * certificate, or errors in Entra's JSON shape.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type * as jose from "jose";
import type { ConnectionInfo } from "../runtime/server.ts";
import { type Answer, beginExchange, type ExchangeContext, finishExchange } from "./exchange.ts";
import type { StsErrorName } from "./faults.ts";
import type { EmulatorIdentity, IssuedBinding } from "./imds.ts";

/** A confidential client the STS knows: an app and its registered certificate. */
export interface RegisteredClient {
  clientId: string;
  objectId: string;
}

/** What the STS handler needs from the emulator. */
export interface StsContext extends ExchangeContext {
  tenantId: string;
  issuer: string;
  identities: readonly EmulatorIdentity[];
  issued: Map<string, IssuedBinding>;
  /** Registered SNI certificates by `x5t#S256`. */
  registered: Map<string, RegisteredClient & { notAfter: Date }>;
  knownResources: () => readonly string[];
  signToken: (claims: jose.JWTPayload) => Promise<string>;
  jwks: jose.JSONWebKeySet;
  tokenLifetimeSeconds: number;
  refreshInSeconds: number | undefined;
}

const ERROR_DEFAULTS: Record<
  StsErrorName | "unsupported_grant_type" | "temporarily_unavailable",
  { status: number; code: number }
> = {
  invalid_client: { status: 401, code: 700027 },
  invalid_resource: { status: 400, code: 500011 },
  invalid_request: { status: 400, code: 900144 },
  unauthorized_client: { status: 400, code: 700016 },
  invalid_scope: { status: 400, code: 70011 },
  unsupported_grant_type: { status: 400, code: 70003 },
  temporarily_unavailable: { status: 503, code: 90033 },
};

/** An error in Entra's JSON shape. */
export function entraError(
  error: keyof typeof ERROR_DEFAULTS,
  description: string,
  correlationId: string,
  status = ERROR_DEFAULTS[error].status,
): Answer {
  const code = ERROR_DEFAULTS[error].code;
  const traceId = crypto.randomUUID();
  const timestamp = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  return {
    status,
    body: {
      error,
      error_description:
        `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
    },
  };
}

const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

/** Handles one STS request. */
export async function handleSts(
  ctx: StsContext,
  req: IncomingMessage,
  res: ServerResponse,
  connection: ConnectionInfo,
): Promise<void> {
  const path = new URL(req.url ?? "/", "https://sts").pathname;
  const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
  const keysPath = /^\/([^/]+)\/discovery\/v2\.0\/keys$/.exec(path);
  const exchange = await beginExchange(ctx, "sts", tokenPath ? "token" : "unknown", req, connection, 64 * 1024);
  const { record } = exchange;
  const correlationId = record.headers["client-request-id"] ?? crypto.randomUUID();
  const echo: Record<string, string> = { "x-ms-request-id": crypto.randomUUID(), "cache-control": "no-store" };
  if (record.headers["return-client-request-id"] === "true" && record.headers["client-request-id"]) {
    echo["client-request-id"] = record.headers["client-request-id"];
  }

  await finishExchange(ctx, exchange, res, async (fault) => {
    if (keysPath && record.method === "GET") {
      return { status: 200, body: ctx.jwks as unknown as Record<string, unknown> };
    }
    if (!tokenPath) return { status: 404, body: { error: "not_found", error_description: `No STS endpoint ${path}.` } };
    if (record.method !== "POST") {
      return entraError("invalid_request", "The token endpoint takes POST.", correlationId, 405);
    }
    if (fault?.error) return entraError(fault.error, `Emulated ${fault.error}.`, correlationId);
    const form = record.form;
    if (!form) {
      return entraError("invalid_request", "The body must be application/x-www-form-urlencoded.", correlationId);
    }
    if (tokenPath[1] !== ctx.tenantId) {
      return entraError("invalid_request", `Tenant '${tokenPath[1]}' not found.`, correlationId);
    }
    for (const field of ["grant_type", "client_id", "scope", "token_type"]) {
      if (!form[field]) {
        return entraError("invalid_request", `The request body must contain the parameter '${field}'.`, correlationId);
      }
    }
    if (form.grant_type !== "client_credentials") {
      return entraError(
        "unsupported_grant_type",
        `Grant type '${form.grant_type}' is not supported here.`,
        correlationId,
      );
    }
    if (form.token_type !== "mtls_pop") {
      return entraError(
        "invalid_request",
        `token_type must be mtls_pop at the mTLS endpoint, not '${form.token_type}'.`,
        correlationId,
      );
    }
    if (form.client_assertion || form.client_assertion_type || form.client_secret) {
      return entraError(
        "invalid_request",
        "The client is authenticated by its TLS certificate; send no other credential.",
        correlationId,
      );
    }
    const peer = record.peerCertificate;
    if (!peer) {
      return entraError("invalid_client", "A client certificate is required at the mTLS endpoint.", correlationId);
    }

    const now = ctx.now();
    const issued = ctx.issued.get(peer.x5tS256);
    const registered = ctx.registered.get(peer.x5tS256);
    const holder = issued
      ? {
        clientId: issued.identity.clientId,
        objectId: issued.identity.objectId,
        notAfter: issued.notAfter,
        mi: issued.identity,
      }
      : registered
      ? { ...registered, mi: undefined }
      : undefined;
    const clientKnown = ctx.identities.some((i) => i.clientId === form.client_id) ||
      [...ctx.registered.values()].some((r) => r.clientId === form.client_id);
    if (!clientKnown) {
      return entraError(
        "unauthorized_client",
        `Application with identifier '${form.client_id}' was not found in the directory.`,
        correlationId,
      );
    }
    if (!holder) {
      return entraError(
        "invalid_client",
        `The certificate ${peer.thumbprint} is not registered for any client.`,
        correlationId,
      );
    }
    if (holder.notAfter.getTime() <= now) {
      return entraError("invalid_client", `The certificate ${peer.thumbprint} has expired.`, correlationId);
    }
    if (holder.clientId !== form.client_id) {
      return entraError(
        "invalid_client",
        `The certificate ${peer.thumbprint} does not belong to client '${form.client_id}'.`,
        correlationId,
      );
    }

    const scopes = form.scope!.split(" ").filter(Boolean);
    const resources = new Set<string>();
    for (const scope of scopes) {
      if (OIDC_SCOPES.has(scope)) continue;
      if (!scope.endsWith("/.default")) {
        return entraError(
          "invalid_scope",
          `The scope '${scope}' is not valid for client credentials: use <resource>/.default.`,
          correlationId,
        );
      }
      resources.add(scope.slice(0, -"/.default".length));
    }
    if (resources.size !== 1) {
      return entraError("invalid_scope", "Ask for the .default scope of exactly one resource.", correlationId);
    }
    const [resource] = resources as unknown as [string];
    if (!ctx.knownResources().some((r) => r.replace(/\/+$/, "") === resource.replace(/\/+$/, ""))) {
      return entraError(
        "invalid_resource",
        `The resource principal named ${resource} was not found in the tenant.`,
        correlationId,
      );
    }
    const iat = Math.floor(now / 1000);
    const token = await ctx.signToken({
      aud: resource,
      iss: ctx.issuer,
      iat,
      nbf: iat,
      exp: iat + ctx.tokenLifetimeSeconds,
      tid: ctx.tenantId,
      appid: holder.clientId,
      azp: holder.clientId,
      oid: holder.objectId,
      sub: holder.objectId,
      idtyp: "app",
      ver: "1.0",
      ...(holder.mi?.resourceId ? { xms_mirid: holder.mi.resourceId } : {}),
      cnf: { "x5t#S256": peer.x5tS256 },
      uti: crypto.randomUUID().replaceAll("-", ""),
    });
    return {
      status: 200,
      headers: echo,
      body: {
        token_type: "mtls_pop",
        access_token: token,
        expires_in: ctx.tokenLifetimeSeconds,
        ext_expires_in: ctx.tokenLifetimeSeconds,
        ...(ctx.refreshInSeconds !== undefined ? { refresh_in: ctx.refreshInSeconds } : {}),
      },
    };
  }, {
    headers: echo,
    faultBody: (status) =>
      entraError(
        status >= 500 ? "temporarily_unavailable" : "invalid_request",
        `Emulated HTTP ${status}.`,
        correlationId,
        status,
      )
        .body as Record<string, unknown>,
  });
}
