/**
 * The local Azure emulator: IMDSv2 (HTTP), the regional mTLS STS (HTTPS,
 * client certificate required) and a protected resource (HTTPS, client
 * certificate requested), on loopback, with a real CA, real TLS and real JWTs.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import * as jose from "jose";
import { parseCertificate } from "../core/certificate.ts";
import type { JsonWebKeySet } from "../resource/verify.ts";
import { BindingKey } from "../core/keys.ts";
import { type ConnectionInfo, type StartedServer, startServer } from "../runtime/server.ts";
import { EmulatorCa, generateEcKey } from "./ca.ts";
import type { ExchangeContext, RecordedRequest } from "./exchange.ts";
import { FaultController } from "./faults.ts";
import { type EmulatorIdentity, handleImds, type ImdsContext, type IssuedBinding } from "./imds.ts";
import { handleResource } from "./resource.ts";
import { handleSts, type RegisteredClient } from "./sts.ts";

/**
 * Options of {@link startEmulator}; every one has a default.
 *
 * @example
 * ```ts
 * import { type EmulatorOptions, startEmulator } from "mtls-pop/emulator";
 * const options: EmulatorOptions = {
 *   region: "eastus2",
 *   systemAssigned: null, // a VM with user-assigned identities only
 *   certificateLifetimeSeconds: 600,
 *   tokenLifetimeSeconds: 300,
 * };
 * await using emu = await startEmulator(options);
 * ```
 */
export interface EmulatorOptions {
  /** Tenant id of every identity. */
  tenantId?: string;
  /** Azure region the VM reports (`/metadata/instance/compute` `location`). */
  region?: string;
  /** The VM's compute unit id, sent in platform metadata and checked in CSRs. */
  cuId?: { vmId?: string; vmssId?: string };
  /** The system-assigned identity, or `null` for a VM without one. */
  systemAssigned?: { clientId: string; objectId: string } | null;
  /** User-assigned identities. */
  userAssigned?: ReadonlyArray<{ clientId: string; objectId: string; resourceId: string }>;
  /** Confidential clients (SNI apps) and their registered certificates (PEM). */
  confidentialClients?: ReadonlyArray<{ clientId: string; certificatePem: string; objectId?: string }>;
  /** Lifetime of the binding certificates IMDS issues, in seconds (default one day). */
  certificateLifetimeSeconds?: number;
  /** `expires_in` of the tokens the STS issues (default 3599). */
  tokenLifetimeSeconds?: number;
  /** `refresh_in` of those tokens; `null` leaves it out (default: half the lifetime). */
  refreshInSeconds?: number | null;
  /** Resources the STS issues tokens for, besides the emulator's own and common Azure ones. */
  resources?: readonly string[];
  /** The `Server` header IMDS sends. */
  imdsServerHeader?: string;
  /** The emulator's clock (ms since epoch); `Date.now` by default. */
  now?: () => number;
  /** Fixed ports (0 or absent picks free ones). */
  ports?: { imds?: number; sts?: number; resource?: number };
}

/**
 * A running emulator.
 *
 * @example
 * ```ts
 * import { type Emulator, startEmulator } from "mtls-pop/emulator";
 * const emu: Emulator = await startEmulator();
 * try {
 *   // ... run the code under test against emu.imdsEndpoint, trusting emu.caCertificatePem ...
 *   console.log(emu.requests.map((r) => `${r.endpoint} ${r.status}`));
 * } finally {
 *   await emu.close();
 * }
 * ```
 */
export interface Emulator {
  /** Base URL of IMDS, e.g. `http://127.0.0.1:40123`. Point `imdsEndpoint` or `AZURE_POD_IDENTITY_AUTHORITY_HOST` at it. */
  readonly imdsEndpoint: string;
  /** Base URL of the mTLS STS (what IMDS returns as `mtls_authentication_endpoint`); use as `mtlsEndpoint` of a confidential client. */
  readonly mtlsEndpoint: string;
  /** URL of the protected resource; its origin is a resource the STS issues tokens for. */
  readonly resourceUrl: string;
  /** PEM of the emulator's root CA: trust it (`caCertificates`) to reach the STS and the resource. */
  readonly caCertificatePem: string;
  /** Tenant of every identity. */
  readonly tenantId: string;
  /** Region the VM reports. */
  readonly region: string;
  /** The VM's identities. */
  readonly identities: {
    readonly systemAssigned?: EmulatorIdentity;
    readonly userAssigned: readonly EmulatorIdentity[];
  };
  /** `iss` of the tokens the STS issues. */
  readonly tokenIssuer: string;
  /** Public keys the STS signs tokens with. */
  readonly jwks: JsonWebKeySet;
  /** Every request received, in order of arrival. */
  readonly requests: RecordedRequest[];
  /** Scripted faults per endpoint. */
  readonly faults: FaultController;
  /** Registers a certificate for a confidential client with the STS (an app may have several). */
  registerConfidentialClient(clientId: string, certificatePem: string): Promise<void>;
  /**
   * Makes a confidential client for you: a new RSA key, a clientAuth
   * certificate from the emulator's CA, registered with the STS.
   */
  createConfidentialClient(clientId?: string): Promise<EmulatorConfidentialClient>;
  /** Stops every server and frees every port and socket. */
  close(): Promise<void>;
  /** Same as {@link Emulator.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A confidential client made by {@link Emulator.createConfidentialClient}.
 *
 * @example
 * ```ts
 * import { ConfidentialClientApplication } from "mtls-pop";
 * import { type EmulatorConfidentialClient, startEmulator } from "mtls-pop/emulator";
 * await using emu = await startEmulator();
 * const client: EmulatorConfidentialClient = await emu.createConfidentialClient();
 * await using cca = new ConfidentialClientApplication({
 *   clientId: client.clientId, certificate: { certPem: client.certificatePem, keyPem: client.privateKeyPem },
 *   authority: `https://login.microsoftonline.com/${emu.tenantId}`, mtlsEndpoint: emu.mtlsEndpoint, caCertificates: emu.caCertificatePem,
 * });
 * ```
 */
export interface EmulatorConfidentialClient {
  /** Its client id. */
  clientId: string;
  /** Its certificate, PEM. */
  certificatePem: string;
  /** Its private key, PKCS#8 PEM. */
  privateKeyPem: string;
}

/**
 * The identities an emulator has when none are configured.
 *
 * @example
 * ```ts
 * import { ManagedIdentityApplication, ManagedIdentityId } from "mtls-pop";
 * import { DEFAULT_EMULATOR_IDENTITIES, startEmulator } from "mtls-pop/emulator";
 * await using emu = await startEmulator();
 * const app = new ManagedIdentityApplication({
 *   id: ManagedIdentityId.userAssignedClientId(DEFAULT_EMULATOR_IDENTITIES.userAssigned[0].clientId),
 *   imdsEndpoint: emu.imdsEndpoint,
 *   caCertificates: emu.caCertificatePem,
 * });
 * ```
 */
export const DEFAULT_EMULATOR_IDENTITIES = {
  tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
  systemAssigned: {
    clientId: "4b7a2c1e-0d3f-4e5a-9b6c-7d8e9f0a1b2c",
    objectId: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
  },
  userAssigned: [
    {
      clientId: "6325cd32-9911-41f3-819c-416cdf9104e7",
      objectId: "ecb2ad92-3e55-4e5a-9c4f-2b7cbd4e8d11",
      resourceId:
        "/subscriptions/ff2af5a6-3f5e-4a7c-9d1e-0a1b2c3d4e5f/resourceGroups/rg-mtls/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-mtls",
    },
  ],
} as const;

const AZURE_RESOURCES = [
  "https://vault.azure.net",
  "https://graph.microsoft.com",
  "https://management.azure.com",
  "https://storage.azure.com",
  "https://database.windows.net",
];

/**
 * Starts the emulator on loopback. Close it when done: `await emu.close()`, or
 * `await using emu = await startEmulator()`.
 *
 * @example
 * ```ts
 * import { startEmulator } from "mtls-pop/emulator";
 * const emu = await startEmulator();
 * console.log(emu.imdsEndpoint, emu.mtlsEndpoint, emu.resourceUrl);
 * // ... point a ManagedIdentityApplication at emu.imdsEndpoint, trusting emu.caCertificatePem ...
 * await emu.close();
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? Date.now;
  const tenantId = options.tenantId ?? DEFAULT_EMULATOR_IDENTITIES.tenantId;
  const region = options.region ?? "westus3";
  const cuId = options.cuId ?? { vmId: "a3b6c9d2-5e8f-4b1a-9c7d-2e5f8a1b4c7d" };
  const identities: EmulatorIdentity[] = [];
  const system = options.systemAssigned === undefined
    ? DEFAULT_EMULATOR_IDENTITIES.systemAssigned
    : options.systemAssigned;
  if (system) identities.push({ type: "SystemAssigned", ...system });
  for (const u of options.userAssigned ?? DEFAULT_EMULATOR_IDENTITIES.userAssigned) {
    identities.push({ type: "UserAssigned", ...u });
  }

  const [ca, serverKey, signingKey] = await Promise.all([
    EmulatorCa.create(now()),
    generateEcKey(),
    jose.generateKeyPair("RS256", { extractable: true }),
  ]);
  const serverCertDer = await ca.issue({
    subject: "127.0.0.1",
    spki: serverKey.spki,
    notBefore: new Date(now() - 3600_000),
    notAfter: new Date(now() + 365 * 86400_000),
    usage: "serverAuth",
    subjectAltNames: { dns: ["localhost"], ip: ["127.0.0.1", "::1"] },
  });
  const serverTls = {
    cert: (await parseCertificate(serverCertDer)).pem + ca.certificatePem,
    key: serverKey.pkcs8Pem,
  };
  const publicJwk = await jose.exportJWK(signingKey.publicKey);
  const kid = await jose.calculateJwkThumbprint(publicJwk);
  const jwks: jose.JSONWebKeySet = { keys: [{ ...publicJwk, kid, alg: "RS256", use: "sig" }] };
  const issuer = `https://sts.windows.net/${tenantId}/`;
  const signToken = (claims: jose.JWTPayload) =>
    new jose.SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid }).sign(signingKey.privateKey);

  const requests: RecordedRequest[] = [];
  const faults = new FaultController();
  const issued = new Map<string, IssuedBinding>();
  const registered = new Map<string, RegisteredClient & { notAfter: Date }>();
  const timers = new Set<{ timer: ReturnType<typeof setTimeout>; resolve: () => void }>();
  const peerFacts = new Map<string, RecordedRequest["peerCertificate"]>();
  let otherKey: Promise<BindingKey> | undefined;
  let connections = 0;
  let closed = false;

  const exchange: ExchangeContext = {
    faults,
    requests,
    now,
    delay: (ms) =>
      new Promise<void>((resolve) => {
        const entry = { timer: setTimeout(() => (timers.delete(entry), resolve()), ms), resolve };
        timers.add(entry);
      }),
    describePeer: async (der) => {
      const key = String(der.length) + ":" + der.subarray(-32).join(",");
      let facts = peerFacts.get(key);
      if (!facts) {
        const info = await parseCertificate(der);
        facts = { thumbprint: info.thumbprint, x5tS256: info.x5tS256, subject: info.subject };
        peerFacts.set(key, facts);
      }
      return facts;
    },
  };

  const servers: StartedServer[] = [];
  type Handler = (req: IncomingMessage, res: ServerResponse, c: ConnectionInfo) => Promise<void>;
  const guard = (handle: Handler) => (req: IncomingMessage, res: ServerResponse, c: ConnectionInfo) => {
    handle(req, res, c).catch((error) => {
      if (res.headersSent || res.destroyed) return res.destroy();
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "emulator_error", error_description: String(error?.message ?? error) }));
    });
  };
  const nextConnectionId = () => ++connections;
  let mtlsEndpoint = "";
  let resourceUrl = "";
  const extraResources = options.resources ?? [];
  const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3599;
  const refreshInSeconds = options.refreshInSeconds === null
    ? undefined
    : options.refreshInSeconds ?? Math.floor(tokenLifetimeSeconds / 2);

  try {
    const imdsContext: ImdsContext = {
      ...exchange,
      tenantId,
      region,
      cuId,
      identities,
      ca,
      serverHeader: options.imdsServerHeader ?? "IMDS/150.870.65.1854",
      mtlsEndpoint: () => mtlsEndpoint,
      certificateLifetimeMs: (options.certificateLifetimeSeconds ?? 86400) * 1000,
      issued,
      otherKey: () => (otherKey ??= BindingKey.generate()),
      bearerToken: async (identity, resource) => {
        const iat = Math.floor(now() / 1000);
        const token = await signToken({
          aud: resource,
          iss: issuer,
          iat,
          nbf: iat,
          exp: iat + 86399,
          tid: tenantId,
          appid: identity.clientId,
          oid: identity.objectId,
          sub: identity.objectId,
          idtyp: "app",
        });
        return { token, expiresIn: 86399 };
      },
    };
    const imds = await startServer(
      { port: options.ports?.imds, nextConnectionId },
      guard((req, res, c) => handleImds(imdsContext, req, res, c)),
    );
    servers.push(imds);
    const tlsServer = (port: number | undefined, endpoint: "token" | "resource", handler: Handler) =>
      startServer(
        {
          port,
          nextConnectionId,
          tls: { ...serverTls, ca: [ca.certificatePem], requestCert: true },
          acceptConnection: () => !faults.takeHandshake([endpoint]),
        },
        guard(handler),
      );
    const sts = await tlsServer(options.ports?.sts, "token", (req, res, c) =>
      handleSts(
        {
          ...exchange,
          tenantId,
          issuer,
          identities,
          issued,
          registered,
          knownResources: () => [...AZURE_RESOURCES, ...extraResources, new URL(resourceUrl).origin],
          signToken,
          jwks,
          tokenLifetimeSeconds,
          refreshInSeconds,
        },
        req,
        res,
        c,
      ));
    servers.push(sts);
    const resource = await tlsServer(options.ports?.resource, "resource", (req, res, c) =>
      handleResource(
        {
          ...exchange,
          jwks,
          issuer,
          audiences: () => [new URL(resourceUrl).origin, resourceUrl],
        },
        req,
        res,
        c,
      ));
    servers.push(resource);
    mtlsEndpoint = `https://127.0.0.1:${sts.port}`;
    resourceUrl = `https://127.0.0.1:${resource.port}/`;
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    throw error;
  }

  const register = async (clientId: string, certificatePem: string, objectId?: string) => {
    const info = await parseCertificate(certificatePem);
    registered.set(info.x5tS256, { clientId, objectId: objectId ?? crypto.randomUUID(), notAfter: info.notAfter });
  };
  for (const client of options.confidentialClients ?? []) {
    await register(client.clientId, client.certificatePem, client.objectId);
  }

  const close = async () => {
    if (closed) return;
    closed = true;
    for (const entry of timers) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    timers.clear();
    await Promise.all(servers.map((s) => s.close()));
  };

  const systemIdentity = identities.find((i) => i.type === "SystemAssigned");
  return {
    imdsEndpoint: `http://127.0.0.1:${servers[0]!.port}`,
    mtlsEndpoint,
    resourceUrl,
    caCertificatePem: ca.certificatePem,
    tenantId,
    region,
    identities: {
      ...(systemIdentity ? { systemAssigned: systemIdentity } : {}),
      userAssigned: identities.filter((i) => i.type === "UserAssigned"),
    },
    tokenIssuer: issuer,
    jwks: jwks as JsonWebKeySet,
    requests,
    faults,
    registerConfidentialClient: (clientId, certificatePem) => register(clientId, certificatePem),
    createConfidentialClient: async (clientId = crypto.randomUUID()) => {
      const key = await BindingKey.generate();
      const der = await ca.issue({
        subject: clientId,
        spki: key.spki,
        notBefore: new Date(now() - 3600_000),
        notAfter: new Date(now() + 30 * 86400_000),
        usage: "clientAuth",
      });
      const certificatePem = (await parseCertificate(der)).pem;
      await register(clientId, certificatePem);
      return { clientId, certificatePem, privateKeyPem: key.exportPkcs8Pem() };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
