import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as jose from "jose";
import { inspect } from "node:util";
import {
  decodeBase64,
  ManagedIdentityApplication,
  ManagedIdentityId,
  MemoryBindingStore,
  MsalClientError,
  toPem,
} from "../mod.ts";
import type { Emulator } from "../emulator.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { capturingLogger, emulatorApp } from "./helpers/mi.ts";
import { openssl } from "./helpers/openssl.ts";
import { runFixture } from "./helpers/runtime.ts";

const VAULT = "https://vault.azure.net";

function identities(emu: Emulator) {
  const uami = emu.identities.userAssigned[0]!;
  return [
    {
      name: "system-assigned",
      id: ManagedIdentityId.systemAssigned(),
      param: undefined,
      clientId: emu.identities.systemAssigned!.clientId,
    },
    {
      name: "client id",
      id: ManagedIdentityId.userAssignedClientId(uami.clientId),
      param: ["client_id", uami.clientId],
      clientId: uami.clientId,
    },
    {
      name: "resource id",
      id: ManagedIdentityId.userAssignedResourceId(uami.resourceId!),
      param: ["mi_res_id", uami.resourceId!],
      clientId: uami.clientId,
    },
    {
      name: "object id",
      id: ManagedIdentityId.userAssignedObjectId(uami.objectId),
      param: ["object_id", uami.objectId],
      clientId: uami.clientId,
    },
  ] as const;
}

describe("ManagedIdentityApplication: the IMDSv2 flow on the wire", () => {
  const f = useEmulator();

  it("for each identity kind: id parameter on both IMDS calls, CSR per metadata, token form and the issued certificate in TLS", async () => {
    for (const { name, id, param, clientId } of identities(f.emu)) {
      f.emu.requests.length = 0;
      await using app = emulatorApp(f.emu, { id });
      const result = await app.acquireToken({
        resource: `${VAULT}/`,
        correlationId: "0f0e0d0c-0b0a-4908-8706-050403020100",
      });
      assert.equal(result.tokenType, "mtls_pop", name);
      assert.equal(result.tokenSource, "IdentityProvider", name);
      assert.equal(result.correlationId, "0f0e0d0c-0b0a-4908-8706-050403020100");

      const [metadata, issue, token, ...rest] = f.emu.requests;
      assert.equal(rest.length, 0, `${name}: exactly three requests`);
      assert.equal(metadata!.endpoint, "platformMetadata");
      assert.equal(issue!.endpoint, "issueCredential");
      assert.equal(token!.endpoint, "token");
      for (const imds of [metadata!, issue!]) {
        assert.equal(imds.query["cred-api-version"], "2.0", name);
        assert.equal(imds.headers.metadata, "true", name);
        assert.equal(imds.headers["x-ms-client-request-id"], result.correlationId, name);
        const expected = param ? { [param[0]]: param[1] } : {};
        const { "cred-api-version": _, ...idParams } = imds.query;
        assert.deepEqual(idParams, expected, `${name}: identity parameter of ${imds.endpoint}`);
      }

      // The CSR, read back by openssl, says what the metadata said.
      const csr = (issue!.json as { csr: string }).csr;
      assert.match(csr, /^[A-Za-z0-9+/]+=*$/, "raw base64");
      const text = openssl(["req", "-verify", "-noout", "-text"], toPem("CERTIFICATE REQUEST", decodeBase64(csr)));
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`Subject: DC = ${f.emu.tenantId}, CN = ${clientId}\\n`), name);
      assert.ok(text.stdout.includes(`1.3.6.1.4.1.311.90.2.10  :{"vmId":"`), name);
      assert.deepEqual(Object.keys(issue!.json as object), ["csr"], "no attestation_token without a provider");

      assert.deepEqual(token!.form, {
        grant_type: "client_credentials",
        client_id: clientId,
        scope: `${VAULT}/.default`,
        token_type: "mtls_pop",
      });
      assert.equal(token!.path, `/${f.emu.tenantId}/oauth2/v2.0/token`);
      assert.equal(token!.headers["client-request-id"], result.correlationId);
      assert.equal(token!.headers["return-client-request-id"], "true");
      assert.equal(token!.headers["x-ms-lib-capability"], "retry-after, h429");
      assert.ok(token!.headers["x-client-sku"] && token!.headers["x-client-ver"] && token!.headers["x-client-os"]);
      assert.equal(
        token!.peerCertificate?.x5tS256,
        result.bindingCertificate.x5tS256,
        "the STS saw the issued certificate",
      );

      const claims = jose.decodeJwt(result.accessToken);
      assert.deepEqual(claims.cnf, { "x5t#S256": result.bindingCertificate.x5tS256 });
      assert.equal(claims.aud, VAULT);
      assert.equal(result.bindingCertificate.subject, `CN=${clientId}, DC=${f.emu.tenantId}`);
    }
  });

  it("serves a second call from the cache without any request, and forceRefresh goes to the STS with the same binding", async () => {
    await using app = emulatorApp(f.emu);
    const first = await app.acquireToken({ resource: VAULT });
    const count = f.emu.requests.length;
    const second = await app.acquireToken({ resource: VAULT });
    assert.equal(second.tokenSource, "Cache");
    assert.equal(second.accessToken, first.accessToken);
    assert.equal(f.emu.requests.length, count, "a cache hit makes no request");
    const forced = await app.acquireToken({ resource: VAULT, forceRefresh: true });
    assert.equal(forced.tokenSource, "IdentityProvider");
    assert.deepEqual(f.emu.requests.slice(count).map((r) => r.endpoint), ["token"]);
    assert.equal(forced.bindingCertificate, first.bindingCertificate);
    // Another resource reuses the binding: one token request, no mint.
    await app.acquireToken({ resource: "https://graph.microsoft.com" });
    assert.deepEqual(f.emu.requests.slice(count + 1).map((r) => r.endpoint), ["token"]);
  });

  it("100 concurrent callers cause one mint and one token request", async () => {
    await using app = emulatorApp(f.emu);
    const results = await Promise.all(Array.from({ length: 100 }, () => app.acquireToken({ resource: VAULT })));
    assert.equal(f.emu.requests.filter((r) => r.endpoint === "issueCredential").length, 1);
    assert.equal(f.emu.requests.filter((r) => r.endpoint === "token").length, 1);
    assert.equal(new Set(results.map((r) => r.accessToken)).size, 1);
  });

  it("concurrent callers across resources cause one mint and one token request per resource", async () => {
    await using app = emulatorApp(f.emu);
    const resources = [
      VAULT,
      "https://graph.microsoft.com",
      "https://management.azure.com",
      "https://storage.azure.com",
      new URL(f.emu.resourceUrl).origin,
    ];
    await Promise.all(
      resources.flatMap((resource) => Array.from({ length: 20 }, () => app.acquireToken({ resource }))),
    );
    assert.equal(f.emu.requests.filter((r) => r.endpoint === "issueCredential").length, 1);
    const tokens = f.emu.requests.filter((r) => r.endpoint === "token");
    assert.deepEqual(tokens.map((r) => r.form!.scope).sort(), resources.map((r) => `${r}/.default`).sort());
  });

  it("keeps the token and the private key out of JSON, inspect and String()", async () => {
    await using app = emulatorApp(f.emu);
    const result = await app.acquireToken({ resource: VAULT });
    const key = result.bindingCertificate.exportPrivateKeyPem().split("\n")[1]!;
    for (const shown of [JSON.stringify(result), inspect(result, { depth: 10, showHidden: true }), String(result)]) {
      assert.ok(!shown.includes(result.accessToken), shown);
      assert.ok(!shown.includes(key), shown);
      assert.ok(!shown.includes("PRIVATE KEY"));
    }
    assert.equal(JSON.parse(JSON.stringify(result)).accessToken, "[redacted]");
    assert.equal(JSON.parse(JSON.stringify(result)).bindingCertificate.x5tS256, result.bindingCertificate.x5tS256);
  });

  it("sends attestation_token only with a provider, and keeps attested and plain bindings apart", async () => {
    const store = new MemoryBindingStore();
    const seen: string[] = [];
    const attestationTokenProvider = async (c: { attestationEndpoint: string; publicKeySpki: Uint8Array }) => {
      seen.push(c.attestationEndpoint);
      assert.ok(c.publicKeySpki.length > 200);
      return "eyJhbGciOiJub25lIn0.eyJhdHRlc3RlZCI6dHJ1ZX0.";
    };
    await using plain = emulatorApp(f.emu, { bindingStore: store });
    await using attested = emulatorApp(f.emu, { bindingStore: store, attestationTokenProvider });
    await using plainAgain = emulatorApp(f.emu, { bindingStore: store });
    const a = await plain.acquireToken({ resource: VAULT });
    const b = await attested.acquireToken({ resource: VAULT });
    const c = await plainAgain.acquireToken({ resource: VAULT });
    const issues = f.emu.requests.filter((r) => r.endpoint === "issueCredential");
    assert.equal(issues.length, 2, "the third application reused the stored plain binding");
    assert.deepEqual(Object.keys(issues[0]!.json as object), ["csr"]);
    assert.equal(
      (issues[1]!.json as { attestation_token?: string }).attestation_token,
      "eyJhbGciOiJub25lIn0.eyJhdHRlc3RlZCI6dHJ1ZX0.",
    );
    assert.equal(seen.length, 1);
    assert.notEqual(a.bindingCertificate.x5tS256, b.bindingCertificate.x5tS256);
    assert.equal(c.bindingCertificate.x5tS256, a.bindingCertificate.x5tS256);
    assert.equal(store.size, 2);
  });

  it("a failing attestation provider is attestation_failed, before issuecredential", async () => {
    await using app = emulatorApp(f.emu, { attestationTokenProvider: () => Promise.reject(new Error("MAA down")) });
    await assert.rejects(app.acquireToken({ resource: VAULT }), { errorCode: "attestation_failed" });
    assert.equal(f.emu.requests.filter((r) => r.endpoint === "issueCredential").length, 0);
  });

  it("honours AZURE_POD_IDENTITY_AUTHORITY_HOST when no imdsEndpoint is given", async () => {
    const previous = process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = f.emu.imdsEndpoint + "/";
    try {
      await using app = new ManagedIdentityApplication({ caCertificates: f.emu.caCertificatePem });
      const result = await app.acquireToken({ resource: VAULT });
      assert.equal(result.tokenType, "mtls_pop");
      assert.equal(f.emu.requests[0]!.endpoint, "platformMetadata");
    } finally {
      if (previous === undefined) delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
      else process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = previous;
    }
  });

  it("refuses bad input with typed errors before any request", async () => {
    await using app = emulatorApp(f.emu);
    for (const resource of ["", "   ", "https://vault.azure.net/\r\nx: y", undefined as unknown as string]) {
      await assert.rejects(
        app.acquireToken({ resource }),
        (e: unknown) => e instanceof MsalClientError && e.errorCode === "invalid_request",
      );
    }
    assert.throws(() => ManagedIdentityId.userAssignedClientId(""), MsalClientError);
    assert.throws(() => ManagedIdentityId.userAssignedResourceId("/subs/x\r\nHost: evil"), MsalClientError);
    assert.throws(() => new ManagedIdentityApplication({ imdsEndpoint: "ftp://x" }), MsalClientError);
    assert.equal(f.emu.requests.length, 0);
  });

  it("logs no token, key or CSR, and no identifiers unless PII logging is on", async () => {
    for (const piiOn of [false, true]) {
      const logger = capturingLogger("verbose", piiOn);
      const uami = f.emu.identities.userAssigned[0]!;
      await using app = emulatorApp(f.emu, { id: ManagedIdentityId.userAssignedClientId(uami.clientId), logger });
      const result = await app.acquireToken({ resource: VAULT });
      const all = logger.lines.map((l) => l.message).join("\n");
      assert.ok(logger.lines.length >= 3, all);
      assert.ok(!all.includes(result.accessToken.slice(20, 60)));
      assert.ok(!all.includes("PRIVATE KEY"));
      const csr = (f.emu.requests.find((r) => r.endpoint === "issueCredential")!.json as { csr: string }).csr;
      assert.ok(!all.includes(csr.slice(40, 80)));
      assert.equal(all.includes(uami.clientId), piiOn, all);
      f.emu.requests.length = 0;
    }
  });
});

describe("ManagedIdentityApplication: lifecycle", () => {
  it("a process that closes its application exits by itself", async () => {
    const r = await runFixture("managed_identity_lifecycle", { timeoutMs: 30_000 });
    assert.equal(r.timedOut, false, `still running; stderr: ${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /IdentityProvider Cache 200/);
  });
});
