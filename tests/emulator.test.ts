import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import * as jose from "jose";
import { createTransport, decodeBase64, type MtlsTransport, parseCertificate } from "../mod.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { type Emulator, startEmulator } from "../emulator.ts";
import { mintBinding, mintToken, requestToken, tokenForm } from "./helpers/manual_flow.ts";
import { openssl } from "./helpers/openssl.ts";
import { runFixture } from "./helpers/runtime.ts";

describe("emulator: IMDSv2", () => {
  const f = useEmulator();
  let emu: Emulator;
  let transport: MtlsTransport;
  beforeEach(() => ({ emu, transport } = f));
  const get = (path: string, headers: Record<string, string> = { metadata: "true" }) =>
    transport.send(`${emu.imdsEndpoint}${path}`, { headers });

  it("serves platform metadata with the IMDS Server header", async () => {
    const res = await get("/metadata/identity/getplatformmetadata?cred-api-version=2.0");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("server") ?? "", /^IMDS\//);
    const body = await res.json();
    assert.equal(body.clientId, emu.identities.systemAssigned!.clientId);
    assert.equal(body.tenantId, emu.tenantId);
    assert.ok(body.cuId.vmId);
    assert.ok(body.attestationEndpoint);
  });

  it("selects user-assigned identities by client_id, mi_res_id and object_id", async () => {
    const uami = emu.identities.userAssigned[0]!;
    for (
      const q of [
        `client_id=${uami.clientId}`,
        `mi_res_id=${encodeURIComponent(uami.resourceId!)}`,
        `object_id=${uami.objectId}`,
      ]
    ) {
      const res = await get(`/metadata/identity/getplatformmetadata?cred-api-version=2.0&${q}`);
      assert.equal(res.status, 200, q);
      assert.equal((await res.json()).clientId, uami.clientId, q);
    }
  });

  it("refuses requests without Metadata: true, without cred-api-version=2.0, or for an unknown identity", async () => {
    const noHeader = await get("/metadata/identity/getplatformmetadata?cred-api-version=2.0", {});
    assert.equal(noHeader.status, 400);
    assert.match(await noHeader.text(), /metadata header/i);
    assert.equal((await get("/metadata/identity/getplatformmetadata")).status, 400);
    assert.equal((await get("/metadata/identity/getplatformmetadata?cred-api-version=1.0")).status, 400);
    const unknown = await get(
      "/metadata/identity/getplatformmetadata?cred-api-version=2.0&client_id=00000000-0000-0000-0000-000000000000",
    );
    assert.equal(unknown.status, 400);
    assert.match(await unknown.text(), /Identity not found/);
    const two = await get(`/metadata/identity/getplatformmetadata?cred-api-version=2.0&client_id=a&object_id=b`);
    assert.equal(two.status, 400);
  });

  it("issues an X.509 v3 clientAuth certificate for the CSR's key, signed by its CA", async () => {
    const { binding } = await mintBinding(emu, transport);
    const text = openssl(["x509", "-noout", "-text"], binding.pem).stdout;
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature/);
    assert.match(text, /X509v3 Extended Key Usage:\s+TLS Web Client Authentication/);
    assert.equal(binding.subject, `CN=${emu.identities.systemAssigned!.clientId}, DC=${emu.tenantId}`);
    const { tempDir, writeText } = await import("./helpers/openssl.ts");
    const dir = tempDir();
    try {
      const ca = writeText(dir.path, "ca.pem", emu.caCertificatePem);
      const leaf = writeText(dir.path, "leaf.pem", binding.pem);
      const v = openssl(["verify", "-CAfile", ca, "-purpose", "sslclient", leaf]);
      assert.equal(v.status, 0, v.stdout + v.stderr);
    } finally {
      dir.remove();
    }
    const issue = emu.requests.find((r) => r.endpoint === "issueCredential")!;
    assert.deepEqual(Object.keys(issue.json as object), ["csr"]);
  });

  it("refuses a CSR whose subject is not the identity's, or that is not signed by its key", async () => {
    const { BindingKey, buildImdsCsr } = await import("../mod.ts");
    const key = await BindingKey.generate();
    const wrong = await buildImdsCsr({ key, clientId: "someone-else", tenantId: emu.tenantId, cuId: { vmId: "x" } });
    const post = (csr: string) =>
      transport.send(`${emu.imdsEndpoint}/metadata/identity/issuecredential?cred-api-version=2.0`, {
        method: "POST",
        headers: { metadata: "true", "content-type": "application/json" },
        body: JSON.stringify({ csr }),
      });
    const r1 = await post(wrong.base64);
    assert.equal(r1.status, 400);
    assert.match(await r1.text(), /subject|attribute/);
    const meta = await (await get("/metadata/identity/getplatformmetadata?cred-api-version=2.0")).json();
    const good = await buildImdsCsr({ key, clientId: meta.clientId, tenantId: meta.tenantId, cuId: meta.cuId });
    const tampered = good.der.slice();
    tampered[tampered.length - 5]! ^= 0xff; // inside the signature
    const { encodeBase64 } = await import("../mod.ts");
    const r2 = await post(encodeBase64(tampered));
    assert.equal(r2.status, 400);
    assert.match(await r2.text(), /signature/);
    const r3 = await post(good.pem);
    assert.equal(r3.status, 400, "PEM armour is refused: IMDS wants raw base64");
  });

  it("answers random and damaged CSRs with 400 (or 200 if the damage left it valid), never a 500", async () => {
    const { BindingKey, buildImdsCsr, encodeBase64 } = await import("../mod.ts");
    const fc = (await import("fast-check")).default;
    const key = await BindingKey.generate();
    const meta = await (await get("/metadata/identity/getplatformmetadata?cred-api-version=2.0")).json();
    const good = (await buildImdsCsr({ key, clientId: meta.clientId, tenantId: meta.tenantId, cuId: meta.cuId })).der;
    const csr = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.uint8Array({ maxLength: 300 }).map(encodeBase64),
      fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const copy = good.slice();
        copy[i] = copy[i]! ^ x;
        return encodeBase64(copy);
      }),
      fc.nat({ max: good.length - 1 }).map((n) => encodeBase64(good.subarray(0, n))),
    );
    await fc.assert(
      fc.asyncProperty(csr, async (value) => {
        const res = await transport.send(`${emu.imdsEndpoint}/metadata/identity/issuecredential?cred-api-version=2.0`, {
          method: "POST",
          headers: { metadata: "true", "content-type": "application/json" },
          body: JSON.stringify({ csr: value }),
        });
        await res.text();
        // A flipped byte outside the signed part (e.g. in the algorithm parameters' encoding) may still verify: 200.
        assert.ok(res.status === 400 || res.status === 200, `${res.status} for ${value}`);
      }),
      { numRuns: 400 },
    );
  });

  it("applies scripted faults: status sequences with Retry-After, missing Server header, malformed and truncated bodies, resets, delays", async () => {
    const path = "/metadata/identity/getplatformmetadata?cred-api-version=2.0";
    emu.faults.statuses("platformMetadata", [500, 429, 200], { retryAfter: 3 });
    const r1 = await get(path);
    assert.equal(r1.status, 500);
    assert.equal(r1.headers.get("retry-after"), "3");
    assert.equal((await get(path)).status, 429);
    assert.equal((await get(path)).status, 200);
    assert.equal(emu.faults.pending("platformMetadata"), 0);

    emu.faults.add("platformMetadata", { omitServerHeader: true }, { malformedBody: true }, { truncatedBody: true }, {
      reset: true,
    });
    const noServer = await get(path);
    assert.equal(noServer.status, 200);
    assert.equal(noServer.headers.get("server"), null);
    const malformed = await get(path);
    await assert.rejects(malformed.json());
    await assert.rejects(get(path), { errorCode: "network_error" });
    await assert.rejects(get(path), { errorCode: "network_error" });

    emu.faults.add("platformMetadata", { delayMs: 2_000 });
    await assert.rejects(
      transport.send(`${emu.imdsEndpoint}${path}`, { headers: { metadata: "true" }, timeoutMs: 50 }),
      {
        errorCode: "request_timeout",
      },
    );
    assert.deepEqual(emu.requests.map((r) => r.status), [500, 429, 200, 200, 200, 200, 0, 0]);
  });

  it("issues, when told, a certificate for another key or one already expired", async () => {
    emu.faults.add("issueCredential", { certificateForDifferentKey: true });
    const { binding } = await mintBinding(emu, transport);
    const { samePublicKey } = await import("../mod.ts");
    const issuedSpki = (await parseCertificate(binding.der)).spki;
    // The binding pairs the issued certificate with our key: they must differ.
    const { BindingKey } = await import("../mod.ts");
    const ours = await BindingKey.fromPkcs8(decodePkcs8(binding.exportPrivateKeyPem()));
    assert.equal(samePublicKey(issuedSpki, ours.spki), false);

    emu.faults.add("issueCredential", { expiredCertificate: true });
    const expired = await mintBinding(emu, transport);
    assert.ok(expired.binding.notAfter.getTime() < Date.now());
  });
});

function decodePkcs8(pem: string): Uint8Array {
  return decodeBase64(pem.replace(/-----[A-Z ]+-----/g, ""));
}

describe("emulator: mTLS STS", () => {
  const f = useEmulator();
  let emu: Emulator;
  let transport: MtlsTransport;
  beforeEach(() => ({ emu, transport } = f));

  it("issues an RS256 mtls_pop JWT bound to the presented certificate", async () => {
    const m = await mintBinding(emu, transport);
    const r = await requestToken(
      transport,
      m.tokenEndpoint,
      tokenForm(m.clientId, "https://vault.azure.net/"),
      m.binding,
      {
        "client-request-id": "11111111-2222-3333-4444-555555555555",
        "return-client-request-id": "true",
      },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.token_type, "mtls_pop");
    assert.equal(r.body.expires_in, 3599);
    assert.equal(r.body.refresh_in, 1799);
    assert.equal(r.headers.get("client-request-id"), "11111111-2222-3333-4444-555555555555");
    const token = r.body.access_token as string;
    const { payload, protectedHeader } = await jose.jwtVerify(token, jose.createLocalJWKSet(emu.jwks), {
      issuer: emu.tokenIssuer,
      audience: "https://vault.azure.net",
    });
    assert.equal(protectedHeader.alg, "RS256");
    assert.equal(payload.tid, emu.tenantId);
    assert.equal(payload.appid, m.clientId);
    assert.deepEqual(payload.cnf, { "x5t#S256": m.binding.x5tS256 });
    assert.ok(typeof payload.iat === "number" && payload.nbf === payload.iat && payload.exp === payload.iat + 3599);
    const seen = emu.requests.find((q) => q.endpoint === "token")!;
    assert.equal(seen.peerCertificate?.x5tS256, m.binding.x5tS256);
    assert.deepEqual(seen.form, {
      grant_type: "client_credentials",
      client_id: m.clientId,
      scope: "https://vault.azure.net/.default",
      token_type: "mtls_pop",
    });
  });

  it("answers Entra-shaped errors: no certificate, another identity's certificate, unknown resource, bad grant", async () => {
    const sys = await mintBinding(emu, transport);
    const uami = await mintBinding(emu, transport, `client_id=${emu.identities.userAssigned[0]!.clientId}`);
    const cases: Array<[string, Awaited<ReturnType<typeof requestToken>>, number, string]> = [
      [
        "no certificate",
        await requestToken(transport, sys.tokenEndpoint, tokenForm(sys.clientId, emu.resourceUrl), undefined),
        401,
        "invalid_client",
      ],
      [
        "another identity's certificate",
        await requestToken(transport, sys.tokenEndpoint, tokenForm(sys.clientId, emu.resourceUrl), uami.binding),
        401,
        "invalid_client",
      ],
      [
        "unknown client",
        await requestToken(transport, sys.tokenEndpoint, tokenForm("nobody", emu.resourceUrl), sys.binding),
        400,
        "unauthorized_client",
      ],
      [
        "unknown resource",
        await requestToken(
          transport,
          sys.tokenEndpoint,
          tokenForm(sys.clientId, "https://nothing.example"),
          sys.binding,
        ),
        400,
        "invalid_resource",
      ],
      [
        "bearer token type",
        await requestToken(
          transport,
          sys.tokenEndpoint,
          tokenForm(sys.clientId, emu.resourceUrl, { token_type: "bearer" }),
          sys.binding,
        ),
        400,
        "invalid_request",
      ],
      [
        "client assertion",
        await requestToken(
          transport,
          sys.tokenEndpoint,
          tokenForm(sys.clientId, emu.resourceUrl, { client_assertion: "x" }),
          sys.binding,
        ),
        400,
        "invalid_request",
      ],
      [
        "grant",
        await requestToken(
          transport,
          sys.tokenEndpoint,
          tokenForm(sys.clientId, emu.resourceUrl, { grant_type: "password" }),
          sys.binding,
        ),
        400,
        "unsupported_grant_type",
      ],
    ];
    for (const [name, r, status, error] of cases) {
      assert.equal(r.status, status, name);
      assert.equal(r.body.error, error, name);
      assert.ok(Array.isArray(r.body.error_codes) && typeof r.body.error_codes[0] === "number", name);
      assert.match(r.body.error_description as string, /^AADSTS\d+: /, name);
      assert.ok(r.body.correlation_id, name);
    }
    emu.faults.add("token", { error: "invalid_client" });
    const once = await requestToken(
      transport,
      sys.tokenEndpoint,
      tokenForm(sys.clientId, emu.resourceUrl),
      sys.binding,
    );
    assert.equal(once.body.error, "invalid_client");
    const then = await requestToken(
      transport,
      sys.tokenEndpoint,
      tokenForm(sys.clientId, emu.resourceUrl),
      sys.binding,
    );
    assert.equal(then.status, 200);
  });

  it("refuses an expired binding certificate", async () => {
    emu.faults.add("issueCredential", { expiredCertificate: true });
    const m = await mintBinding(emu, transport);
    const r = await requestToken(transport, m.tokenEndpoint, tokenForm(m.clientId, emu.resourceUrl), m.binding);
    assert.equal(r.status, 401);
    assert.match(r.body.error_description as string, /expired/);
  });

  it("cuts a new TLS connection during the handshake when told", async () => {
    const m = await mintBinding(emu, transport);
    emu.faults.add("token", { handshakeFailure: true });
    const fresh = createTransport({ caCertificates: emu.caCertificatePem });
    try {
      await assert.rejects(
        requestToken(fresh, m.tokenEndpoint, tokenForm(m.clientId, emu.resourceUrl), m.binding),
        { errorCode: "tls_handshake_failed" },
      );
      const r = await requestToken(fresh, m.tokenEndpoint, tokenForm(m.clientId, emu.resourceUrl), m.binding);
      assert.equal(r.status, 200);
    } finally {
      await fresh.close();
    }
    assert.equal(emu.requests.filter((r) => r.endpoint === "token").length, 1, "the cut connection carried no request");
  });
});

describe("emulator lifecycle", () => {
  it("a process that closes the emulator and its clients exits by itself", async () => {
    const r = await runFixture("emulator_lifecycle", { timeoutMs: 30_000 });
    assert.equal(r.timedOut, false, `still running after 30 s; stderr: ${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /done ok=true/);
  });

  it("close() frees the ports", async () => {
    const emu = await startEmulator();
    const port = Number(new URL(emu.mtlsEndpoint).port);
    await emu.close();
    const again = await startEmulator({ ports: { sts: port } });
    assert.equal(new URL(again.mtlsEndpoint).port, String(port));
    await again.close();
  });
});
