/**
 * The emulated Instance Metadata Service: IMDSv2 platform metadata and
 * certificate issuance (PROTOCOL.md §1), instance compute metadata (region),
 * and the IMDSv1 bearer token endpoint that other libraries call.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import * as pkijs from "pkijs";
import { decodeBase64, encodeBase64 } from "../core/base64.ts";
import { parseCertificate } from "../core/certificate.ts";
import { CN_OID, CUID_ATTRIBUTE_OID, cuIdJson, DC_OID } from "../core/csr.ts";
import { formatName, nameAttributes, parseDer } from "../core/der.ts";
import type { BindingKey } from "../core/keys.ts";
import type { ConnectionInfo } from "../runtime/server.ts";
import type { EmulatorCa } from "./ca.ts";
import { type Answer, beginExchange, type ExchangeContext, finishExchange } from "./exchange.ts";
import type { EmulatorEndpoint } from "./faults.ts";

/**
 * A managed identity the emulated VM has.
 *
 * @example
 * ```ts
 * import { ManagedIdentityApplication, ManagedIdentityId } from "mtls-pop";
 * import type { EmulatorIdentity } from "mtls-pop/emulator";
 * const uami: EmulatorIdentity = emu.identities.userAssigned[0]!;
 * const id = ManagedIdentityId.userAssignedResourceId(uami.resourceId!);
 * const app = new ManagedIdentityApplication({ id, imdsEndpoint: emu.imdsEndpoint, caCertificates: emu.caCertificatePem });
 * // its tokens carry oid = uami.objectId
 * ```
 */
export interface EmulatorIdentity {
  /** `SystemAssigned` or `UserAssigned`. */
  type: "SystemAssigned" | "UserAssigned";
  /** Application (client) id. */
  clientId: string;
  /** Object (principal) id. */
  objectId: string;
  /** ARM resource id (user-assigned identities only). */
  resourceId?: string;
}

/** A binding certificate IMDS issued, by its `x5t#S256`. */
export interface IssuedBinding {
  identity: EmulatorIdentity;
  notAfter: Date;
  attested: boolean;
}

/** What the IMDS handler needs from the emulator. */
export interface ImdsContext extends ExchangeContext {
  tenantId: string;
  region: string;
  cuId: { vmId?: string; vmssId?: string };
  identities: readonly EmulatorIdentity[];
  ca: EmulatorCa;
  serverHeader: string;
  mtlsEndpoint: () => string;
  certificateLifetimeMs: number;
  issued: Map<string, IssuedBinding>;
  otherKey: () => Promise<BindingKey>;
  bearerToken: (identity: EmulatorIdentity, resource: string) => Promise<{ token: string; expiresIn: number }>;
}

const ROUTES: Record<string, { method: string; endpoint: EmulatorEndpoint }> = {
  "/metadata/identity/getplatformmetadata": { method: "GET", endpoint: "platformMetadata" },
  "/metadata/identity/issuecredential": { method: "POST", endpoint: "issueCredential" },
  "/metadata/instance/compute": { method: "GET", endpoint: "instanceCompute" },
  "/metadata/identity/oauth2/token": { method: "GET", endpoint: "imdsV1Token" },
};

const bad = (description: string, status = 400): Answer => ({
  status,
  body: { error: "invalid_request", error_description: description },
});

/** Picks the identity a request names by `client_id`, `mi_res_id` / `msi_res_id` or `object_id`. */
export function selectIdentity(
  identities: readonly EmulatorIdentity[],
  query: Record<string, string>,
): EmulatorIdentity | Answer {
  const selectors = (["client_id", "mi_res_id", "msi_res_id", "object_id"] as const).filter((k) => k in query);
  if (selectors.length > 1) return bad(`Only one identity selector is allowed; got ${selectors.join(", ")}.`);
  const [selector] = selectors;
  let found: EmulatorIdentity | undefined;
  if (!selector) {
    found = identities.find((i) => i.type === "SystemAssigned");
    if (!found) return bad("No system-assigned identity is enabled on this VM; name a user-assigned one.");
  } else {
    const value = query[selector]!;
    found = identities.find((i) =>
      selector === "client_id"
        ? i.type === "UserAssigned" && i.clientId.toLowerCase() === value.toLowerCase()
        : selector === "object_id"
        ? i.type === "UserAssigned" && i.objectId.toLowerCase() === value.toLowerCase()
        : i.type === "UserAssigned" && i.resourceId?.toLowerCase() === value.toLowerCase()
    );
    if (!found) return bad(`Identity not found (${selector}=${value}).`);
  }
  return found;
}

/** Handles one IMDS request. */
export async function handleImds(
  ctx: ImdsContext,
  req: IncomingMessage,
  res: ServerResponse,
  connection: ConnectionInfo,
): Promise<void> {
  const path = new URL(req.url ?? "/", "http://imds").pathname;
  const route = ROUTES[path];
  const exchange = await beginExchange(ctx, "imds", route?.endpoint ?? "unknown", req, connection, 64 * 1024);
  const { record } = exchange;
  await finishExchange(ctx, exchange, res, async (fault) => {
    if (!route) return { status: 404, body: { error: "not_found", error_description: `No IMDS endpoint ${path}.` } };
    if (record.method !== route.method) return bad(`${path} takes ${route.method}.`, 405);
    if (record.headers["metadata"]?.toLowerCase() !== "true") return bad("Required metadata header not specified");
    if (route.endpoint === "instanceCompute") {
      if (!record.query["api-version"]) return bad("Missing api-version.");
      return { status: 200, body: { location: ctx.region, name: "emulated-vm", vmId: ctx.cuId.vmId ?? "" } };
    }
    if (route.endpoint === "imdsV1Token") {
      if (!record.query["api-version"]) return bad("Missing api-version.");
      const identity = selectIdentity(ctx.identities, record.query);
      if ("status" in identity) return identity;
      const resource = record.query.resource;
      if (!resource) return bad("Missing resource.");
      const { token, expiresIn } = await bearerFor(ctx, identity, resource);
      const now = Math.floor(ctx.now() / 1000);
      return {
        status: 200,
        body: {
          access_token: token,
          client_id: identity.clientId,
          expires_in: String(expiresIn),
          expires_on: String(now + expiresIn),
          ext_expires_in: String(expiresIn),
          not_before: String(now),
          resource,
          token_type: "Bearer",
        },
      };
    }
    if (record.query["cred-api-version"] !== "2.0") return bad("cred-api-version=2.0 is required.");
    const identity = selectIdentity(ctx.identities, record.query);
    if ("status" in identity) return identity;
    if (route.endpoint === "platformMetadata") {
      return {
        status: 200,
        body: {
          clientId: identity.clientId,
          tenantId: ctx.tenantId,
          cuId: { ...ctx.cuId },
          attestationEndpoint: "https://emulated.attest.azure.net",
        },
      };
    }
    // issuecredential
    const body = record.json as { csr?: unknown; attestation_token?: unknown } | undefined;
    if (!body || typeof body.csr !== "string") return bad("The body must be JSON with a csr.");
    if ("attestation_token" in body && (typeof body.attestation_token !== "string" || !body.attestation_token)) {
      return bad("attestation_token must be a non-empty string when present.");
    }
    const checked = await checkCsr(body.csr, identity, ctx);
    if ("status" in checked) return checked;
    const now = ctx.now();
    const spki = fault?.certificateForDifferentKey ? (await ctx.otherKey()).spki : checked.spki;
    const [notBefore, notAfter] = fault?.expiredCertificate
      ? [new Date(now - 2 * 86400_000), new Date(now - 86400_000)]
      : [new Date(now - 5 * 60_000), new Date(now + ctx.certificateLifetimeMs)];
    const der = await ctx.ca.issue({ subject: checked.subjectDer, spki, notBefore, notAfter, usage: "clientAuth" });
    const info = await parseCertificate(der);
    ctx.issued.set(info.x5tS256, { identity, notAfter, attested: "attestation_token" in body });
    return {
      status: 200,
      body: {
        client_id: identity.clientId,
        tenant_id: ctx.tenantId,
        certificate: encodeBase64(der),
        identity_type: identity.type,
        mtls_authentication_endpoint: ctx.mtlsEndpoint(),
      },
    };
  }, {
    headers: { server: ctx.serverHeader },
    faultBody: (status) => ({ error: "server_error", error_description: `Emulated IMDS failure (HTTP ${status}).` }),
  });
}

async function bearerFor(ctx: ImdsContext, identity: EmulatorIdentity, resource: string) {
  return await ctx.bearerToken(identity, resource.replace(/\/+$/, ""));
}

/** Verifies a CSR the way IMDS must: signature, subject, cuId attribute, RSA-2048. */
async function checkCsr(
  base64: string,
  identity: EmulatorIdentity,
  ctx: ImdsContext,
): Promise<{ spki: Uint8Array; subjectDer: Uint8Array } | Answer> {
  let csr: pkijs.CertificationRequest;
  try {
    if (/[\s-]/.test(base64)) return bad("The CSR must be raw base64 of the DER, without PEM armour or line breaks.");
    csr = new pkijs.CertificationRequest({ schema: parseDer(decodeBase64(base64), "invalid_request", "CSR") });
  } catch {
    return bad("The CSR cannot be parsed.");
  }
  let signatureValid = false;
  try {
    signatureValid = await csr.verify();
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) return bad("The CSR signature does not verify.");
  if (csr.signatureAlgorithm.algorithmId !== "1.2.840.113549.1.1.10") {
    return bad("The CSR must be signed with RSASSA-PSS.");
  }
  const subjectDer = new Uint8Array(csr.subject.toSchema().toBER(false));
  const rdns = nameAttributes(csr.subject.toSchema());
  const subjectOk = rdns.length === 2 && rdns.every((rdn) => rdn.length === 1) &&
    rdns[0]![0]!.oid === DC_OID && rdns[0]![0]!.value === ctx.tenantId &&
    rdns[1]![0]!.oid === CN_OID && rdns[1]![0]!.value === identity.clientId;
  if (!subjectOk) {
    return bad(
      `The CSR subject is "${
        formatName(csr.subject.toSchema())
      }", expected DC=${ctx.tenantId} then CN=${identity.clientId}.`,
    );
  }
  const attribute = csr.attributes?.find((a) => a.type === CUID_ATTRIBUTE_OID);
  const value = attribute?.values[0] as { valueBlock?: { value?: unknown } } | undefined;
  if (attribute?.values.length !== 1 || value?.valueBlock?.value !== cuIdJson(ctx.cuId)) {
    return bad(`The CSR must carry attribute ${CUID_ATTRIBUTE_OID} with ${cuIdJson(ctx.cuId)}.`);
  }
  const spki = new Uint8Array(csr.subjectPublicKeyInfo.toSchema().toBER(false));
  if (csr.subjectPublicKeyInfo.algorithm.algorithmId !== "1.2.840.113549.1.1.1") return bad("The CSR key must be RSA.");
  const bits = new Uint8Array(csr.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).length * 8;
  if (bits < 2048) return bad("The CSR key must be RSA-2048 or larger.");
  return { spki, subjectDer };
}
