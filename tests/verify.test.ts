import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as jose from "jose";
import { fromPem, MtlsPopTokenError, type MtlsPopTokenFailure, parseCertificate, verifyMtlsPopToken } from "../mod.ts";
import { opensslSelfSigned, tempDir } from "./helpers/openssl.ts";

describe("verifyMtlsPopToken", () => {
  const dir = tempDir();
  let keys: jose.GenerateKeyPairResult;
  let otherKeys: jose.GenerateKeyPairResult;
  let jwks: jose.JSONWebKeySet;
  let certA: Uint8Array;
  let certB: Uint8Array;
  let x5tA: string;
  const audience = "https://api.example";
  const issuer = "https://sts.windows.net/tenant/";
  before(async () => {
    keys = await jose.generateKeyPair("RS256", { extractable: true });
    otherKeys = await jose.generateKeyPair("RS256");
    jwks = { keys: [{ ...(await jose.exportJWK(keys.publicKey)), kid: "k1", alg: "RS256" }] };
    certA = fromPem(opensslSelfSigned(dir.path, "a").certPem, "CERTIFICATE");
    certB = fromPem(opensslSelfSigned(dir.path, "b").certPem, "CERTIFICATE");
    x5tA = (await parseCertificate(certA)).x5tS256;
  });
  after(() => dir.remove());

  const sign = (claims: jose.JWTPayload, key: CryptoKey = keys.privateKey, kid = "k1") =>
    new jose.SignJWT(claims).setProtectedHeader({ alg: "RS256", kid }).sign(key);
  const now = () => Math.floor(Date.now() / 1000);
  const good = () => ({
    aud: audience,
    iss: issuer,
    iat: now(),
    nbf: now(),
    exp: now() + 600,
    appid: "app",
    cnf: { "x5t#S256": x5tA },
  });

  it("accepts a token bound to the peer certificate, with a key set or a key", async () => {
    const token = await sign(good());
    const viaJwks = await verifyMtlsPopToken({ token, peerCertificate: certA, jwks, audience, issuer });
    assert.equal(viaJwks.payload.appid, "app");
    assert.equal(viaJwks.x5tS256, x5tA);
    const viaKey = await verifyMtlsPopToken({
      token,
      peerCertificate: await parseCertificate(certA),
      key: keys.publicKey,
      audience,
    });
    assert.equal(viaKey.payload.cnf["x5t#S256"], x5tA);
  });

  const cases: Array<[MtlsPopTokenFailure, () => Promise<Parameters<typeof verifyMtlsPopToken>[0]>]> = [
    ["no_peer_certificate", async () => ({ token: await sign(good()), peerCertificate: undefined, jwks, audience })],
    ["malformed", async () => ({ token: "not.a-jwt", peerCertificate: certA, jwks, audience })],
    ["malformed", async () => ({ token: "abc", peerCertificate: certA, jwks, audience })],
    [
      "signature",
      async () => ({ token: await sign(good(), otherKeys.privateKey), peerCertificate: certA, jwks, audience }),
    ],
    [
      "no_matching_key",
      async () => ({ token: await sign(good(), keys.privateKey, "other"), peerCertificate: certA, jwks, audience }),
    ],
    [
      "expired",
      async () => ({ token: await sign({ ...good(), exp: now() - 3600 }), peerCertificate: certA, jwks, audience }),
    ],
    [
      "not_yet_valid",
      async () => ({ token: await sign({ ...good(), nbf: now() + 3600 }), peerCertificate: certA, jwks, audience }),
    ],
    [
      "audience",
      async () => ({ token: await sign({ ...good(), aud: "https://other" }), peerCertificate: certA, jwks, audience }),
    ],
    [
      "issuer",
      async () => ({ token: await sign(good()), peerCertificate: certA, jwks, audience, issuer: "https://evil/" }),
    ],
    [
      "missing_cnf",
      async () => ({ token: await sign({ ...good(), cnf: undefined }), peerCertificate: certA, jwks, audience }),
    ],
    [
      "missing_cnf",
      async () => ({ token: await sign({ ...good(), cnf: { jkt: "x" } }), peerCertificate: certA, jwks, audience }),
    ],
    ["cnf_mismatch", async () => ({ token: await sign(good()), peerCertificate: certB, jwks, audience })],
    ["algorithm", async () => ({
      token: await new jose.SignJWT(good()).setProtectedHeader({ alg: "HS256", kid: "k1" }).sign(new Uint8Array(32)),
      peerCertificate: certA,
      jwks,
      audience,
    })],
  ];
  for (const [reason, make] of cases) {
    it(`refuses with reason ${reason}`, async () => {
      const options = await make();
      await assert.rejects(verifyMtlsPopToken(options), (e: unknown) => {
        assert.ok(e instanceof MtlsPopTokenError, String(e));
        assert.equal(e.reason, reason, e.message);
        assert.equal(e.errorCode, "invalid_token");
        return true;
      });
    });
  }

  it("allows the configured clock skew, and no more", async () => {
    const token = await sign({ ...good(), exp: now() - 30 });
    await verifyMtlsPopToken({ token, peerCertificate: certA, jwks, audience });
    await assert.rejects(
      verifyMtlsPopToken({ token, peerCertificate: certA, jwks, audience, clockToleranceSeconds: 0 }),
      {
        reason: "expired",
      },
    );
  });
});
