// Property tests on what comes from outside: IMDS and STS response bodies,
// PKCS#12 files, private key PEM, authorities. Thousands of cases each; the
// answer is a result or a typed MsalError, never a crash or a hang.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import {
  loadPrivateKeyPem,
  ManagedIdentityId,
  MsalError,
  type MtlsRequest,
  type MtlsTransport,
  parseAuthority,
  readPkcs12,
  toPem,
} from "../mod.ts";
import { ImdsClient } from "../src/identity/imds.ts";
import { LibraryLogger } from "../src/token/logger.ts";
import { requestMtlsPopToken } from "../src/token/sts_request.ts";
import { openssl, opensslSelfSigned, tempDir } from "./helpers/openssl.ts";
import { BindingCertificate } from "../mod.ts";

/** A transport that answers every request with the next canned response, without a network. */
class CannedTransport implements MtlsTransport {
  readonly runtime = "node" as const;
  answer: () => Response = () => new Response("{}");
  send(_url: string | URL, _request?: MtlsRequest): Promise<Response> {
    return Promise.resolve(this.answer());
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function typedOrValue(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (!(e instanceof MsalError)) {
      throw new Error(`untyped error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  }
}

const jsonish = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.record({
    clientId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    tenantId: fc.oneof(fc.string(), fc.constant(undefined)),
    cuId: fc.oneof(fc.record({ vmId: fc.oneof(fc.string(), fc.integer()) }), fc.string(), fc.constant(null)),
    attestationEndpoint: fc.oneof(fc.string(), fc.boolean()),
  }).map((o) => JSON.stringify(o)),
  fc.record({
    client_id: fc.string(),
    tenant_id: fc.string(),
    certificate: fc.oneof(fc.base64String({ maxLength: 200 }), fc.string()),
    identity_type: fc.string(),
    mtls_authentication_endpoint: fc.oneof(fc.webUrl(), fc.string()),
  }).map((o) => JSON.stringify(o)),
  fc.record({
    token_type: fc.oneof(fc.constant("mtls_pop"), fc.string()),
    access_token: fc.oneof(fc.string(), fc.integer()),
    expires_in: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
    refresh_in: fc.oneof(fc.integer(), fc.string()),
    error: fc.string(),
    error_codes: fc.oneof(fc.array(fc.integer()), fc.string()),
  }).map((o) => JSON.stringify(o)),
);
const statuses = fc.constantFrom(200, 200, 200, 400, 401, 404, 410, 429, 500, 503);
const headers = fc.constantFrom<Record<string, string>>({ server: "IMDS/1.0" }, {}, { server: "nginx" }, {
  server: "IMDS",
  "retry-after": "x",
});

describe("protocol parsers under random responses", () => {
  let certificate: BindingCertificate;
  before(async () => {
    const dir = tempDir();
    try {
      const c = opensslSelfSigned(dir.path, "fuzz");
      certificate = await BindingCertificate.create(c.certPem, c.keyPem);
    } finally {
      dir.remove();
    }
  });

  it("IMDS platform metadata and issuecredential", async () => {
    const transport = new CannedTransport();
    const imds = new ImdsClient({
      transport,
      baseUrl: "http://169.254.169.254",
      sleep: () => Promise.resolve(),
      logger: new LibraryLogger(),
    });
    const id = ManagedIdentityId.systemAssigned();
    await fc.assert(
      fc.asyncProperty(jsonish, statuses, headers, async (body, status, h) => {
        transport.answer = () => new Response(body, { status, headers: h });
        await typedOrValue(() => imds.getPlatformMetadata(id, "c"));
        await typedOrValue(() => imds.issueCredential(id, "AAAA", undefined, "c"));
      }),
      { numRuns: 2000 },
    );
  });

  it("STS token responses", async () => {
    const transport = new CannedTransport();
    await fc.assert(
      fc.asyncProperty(jsonish, statuses, headers, async (body, status, h) => {
        transport.answer = () => new Response(body, { status, headers: h });
        await typedOrValue(async () => {
          const r = await requestMtlsPopToken({
            transport,
            tokenEndpoint: "https://sts.example/t/oauth2/v2.0/token",
            clientId: "c",
            scope: "s/.default",
            certificate,
            correlationId: "x",
            sleep: () => Promise.resolve(),
            logger: new LibraryLogger(),
            now: Date.now,
          });
          assert.equal(typeof r.accessToken, "string");
          assert.ok(Number.isFinite(r.expiresInSeconds));
        });
      }),
      { numRuns: 2000 },
    );
  });
});

describe("key material under random input", () => {
  let pfx: Uint8Array;
  let keyPem: string;
  before(() => {
    const dir = tempDir();
    try {
      const c = opensslSelfSigned(dir.path, "p");
      keyPem = c.keyPem;
      const out = join(dir.path, "p.pfx");
      openssl(["pkcs12", "-export", "-in", c.certPath, "-inkey", c.keyPath, "-out", out, "-passout", "pass:pw"]);
      pfx = new Uint8Array(readFileSync(out));
    } finally {
      dir.remove();
    }
  });

  it("readPkcs12 on random bytes and on mutations of a real file", async () => {
    const mutated = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.nat({ max: pfx.length - 1 }).map((n) => pfx.subarray(0, n)),
      fc.tuple(fc.nat({ max: pfx.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const copy = pfx.slice();
        copy[i] = copy[i]! ^ x;
        return copy;
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        mutated,
        fc.constantFrom("pw", "", "wrong"),
        (b, pass) => typedOrValue(() => readPkcs12(b, pass)),
      ),
      {
        numRuns: 1500,
      },
    );
  });

  it("loadPrivateKeyPem on random text and damaged keys", async () => {
    const der = keyPem.replace(/-----[A-Z ]+-----|\s/g, "");
    const damaged = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.uint8Array({ minLength: 1, maxLength: 400 }).map((b) =>
        toPem(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"][b[0]! % 3]!, b)
      ),
      fc.nat({ max: der.length - 1 }).map((n) =>
        `-----BEGIN PRIVATE KEY-----\n${der.slice(0, n)}\n-----END PRIVATE KEY-----\n`
      ),
    );
    await fc.assert(fc.asyncProperty(damaged, (text) => typedOrValue(() => loadPrivateKeyPem(text))), {
      numRuns: 2000,
    });
  });

  it("parseAuthority on random strings and URL-like text", () => {
    const urlish = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.tuple(
        fc.constantFrom(
          "https://login.microsoftonline.com/",
          "https://login.microsoftonline.us/",
          "https://x.b2clogin.com/",
        ),
        fc.string(),
      )
        .map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(urlish, (text) => {
        try {
          const a = parseAuthority(text);
          assert.ok(a.tenant.length > 0 && /^[A-Za-z0-9.-]+$/.test(a.tenant), JSON.stringify(a));
        } catch (e) {
          assert.ok(e instanceof MsalError, String(e));
        }
      }),
      { numRuns: 5000 },
    );
  });
});
