// Item 1: a token served from the cache. Ours (`acquireToken` on a warm
// ManagedIdentityApplication) against @azure/msal-node's
// ManagedIdentityApplication cache hit (a bearer token from the emulator's
// IMDSv1 endpoint) in the same process, and against the floor of any cache
// hit: a Map lookup, one result object and an awaited promise.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { ManagedIdentityApplication } from "../../mod.ts";
import type { Emulator } from "../../emulator.ts";
import { type PerCall, perCall } from "./timing.ts";

/** What item 1 measured on one runtime. */
export interface CacheHitResult {
  /** Our cache hit. */
  ours: PerCall;
  /** msal-node's cache hit, or why it could not be measured here. */
  msalNode: PerCall | { error: string };
  /** A Map lookup plus a result object plus an await: no cache can be cheaper. */
  floor: PerCall;
}

/** The resource both libraries ask for: one the emulator's STS knows. */
const RESOURCE = "https://vault.azure.net";

/** The smallest structure msal-node's acquireToken is used through here. */
interface MsalManagedIdentityApp {
  acquireToken(request: { resource: string }): Promise<{ accessToken: string; fromCache: boolean; tokenType: string }>;
}

/**
 * A loopback HTTP server that forwards to the emulator's IMDS with one
 * trailing `/` dropped from the path. msal-node canonicalises the URL it
 * builds from AZURE_POD_IDENTITY_AUTHORITY_HOST into
 * `/metadata/identity/oauth2/token/` (UrlString.canonicalizeUri appends a
 * slash), which the emulator's exact route match does not accept. Only
 * msal-node's one cold request goes through it; cache hits never touch the
 * network.
 */
async function trailingSlashShim(target: string): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", target);
    url.pathname = url.pathname.replace(/\/+$/, "");
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string" && name !== "host") headers[name] = value;
    }
    fetch(url, { method: req.method, headers }).then(async (answer) => {
      const body = new Uint8Array(await answer.arrayBuffer());
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
      res.end(body);
    }, (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/**
 * Loads msal-node and makes its ManagedIdentityApplication talk to `imds`:
 * msal-node has no endpoint option for IMDS; it reads
 * AZURE_POD_IDENTITY_AUTHORITY_HOST (Imds.tryCreate, when no App Service,
 * Arc, Cloud Shell... variable is set) and appends /metadata/identity/oauth2/token.
 */
async function msalNodeApp(imds: string): Promise<MsalManagedIdentityApp> {
  for (
    const name of [
      "IDENTITY_ENDPOINT",
      "IDENTITY_HEADER",
      "IMDS_ENDPOINT",
      "MSI_ENDPOINT",
      "MSI_SECRET",
      "IDENTITY_SERVER_THUMBPRINT",
    ]
  ) {
    delete process.env[name];
  }
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = imds;
  const msal = await import("@azure/msal-node");
  return new msal.ManagedIdentityApplication() as unknown as MsalManagedIdentityApp;
}

/** Measures item 1 against a running emulator. */
export async function measureCacheHit(emu: Emulator, minCpuMs = 700): Promise<CacheHitResult> {
  const app = new ManagedIdentityApplication({ imdsEndpoint: emu.imdsEndpoint, caCertificates: emu.caCertificatePem });
  try {
    await app.acquireToken({ resource: RESOURCE });
    const check = await app.acquireToken({ resource: RESOURCE });
    if (check.tokenSource !== "Cache") throw new Error(`our second call came from ${check.tokenSource}, not the cache`);
    const request = { resource: RESOURCE };
    const ours = await perCall(() => app.acquireToken(request), minCpuMs);

    let msalNode: CacheHitResult["msalNode"];
    const shim = await trailingSlashShim(emu.imdsEndpoint);
    try {
      const msal = await msalNodeApp(shim.endpoint);
      const msalRequest = { resource: RESOURCE };
      const first = await msal.acquireToken(msalRequest);
      const second = await msal.acquireToken(msalRequest);
      if (first.fromCache || !second.fromCache) {
        throw new Error("msal-node did not serve its second token from its cache");
      }
      msalNode = await perCall(() => msal.acquireToken(msalRequest), minCpuMs, 2_000);
    } catch (error) {
      msalNode = { error: `msal-node could not be measured here: ${(error as Error)?.message ?? error}` };
    } finally {
      await shim.close();
    }

    // The floor: what any in-memory cache hit must do at least.
    const entries = new Map<string, { accessToken: string; expiresOnMs: number }>([[RESOURCE, {
      accessToken: check.accessToken,
      expiresOnMs: check.expiresOn.getTime(),
    }]]);
    const floorHit = (resource: string) => {
      const entry = entries.get(resource)!;
      return Promise.resolve({ accessToken: entry.accessToken, expiresOn: entry.expiresOnMs, tokenSource: "Cache" });
    };
    const floor = await perCall(() => floorHit(RESOURCE), minCpuMs);
    return { ours, msalNode, floor };
  } finally {
    await app.close();
  }
}
