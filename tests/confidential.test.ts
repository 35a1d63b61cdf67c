import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as jose from "jose";
import {
  ConfidentialClientApplication,
  type ConfidentialClientApplicationOptions,
  MsalClientError,
  MsalServiceError,
  MtlsPopTokenAcquirer,
  ResourceCaller,
} from "../mod.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { fakeSleep } from "./helpers/mi.ts";
import { openssl, type OpensslCertificate, opensslSelfSigned, tempDir } from "./helpers/openssl.ts";

const CLIENT_ID = "b3c1f0f4-7f43-4f0e-8f3e-5d1a2c3b4a59";
const OTHER_CLIENT = "0c9e1a7d-2b3f-4d5e-9f8a-7b6c5d4e3f21";

describe("ConfidentialClientApplication against the emulator", () => {
  const f = useEmulator();
  const dir = tempDir();
  let rsa: OpensslCertificate;
  let ec: OpensslCertificate;
  let unregistered: OpensslCertificate;
  let pfx: Uint8Array;
  before(async () => {
    rsa = opensslSelfSigned(dir.path, "app-rsa", { subject: "/CN=app-rsa" });
    ec = opensslSelfSigned(dir.path, "app-ec", { keyType: "ec", subject: "/CN=app-ec" });
    unregistered = opensslSelfSigned(dir.path, "stranger");
    const pfxPath = join(dir.path, "app.pfx");
    const r = openssl([
      "pkcs12",
      "-export",
      "-in",
      rsa.certPath,
      "-inkey",
      rsa.keyPath,
      "-out",
      pfxPath,
      "-passout",
      "pass:p@ss w0rd",
    ]);
    assert.equal(r.status, 0, r.stderr);
    pfx = new Uint8Array(readFileSync(pfxPath));
    await f.emu.registerConfidentialClient(CLIENT_ID, rsa.certPem);
    await f.emu.registerConfidentialClient(CLIENT_ID, ec.certPem);
    // The stranger's certificate belongs to another app: not to CLIENT_ID.
    await f.emu.registerConfidentialClient(OTHER_CLIENT, unregistered.certPem);
  });
  after(() => dir.remove());

  const app = (
    certificate: ConfidentialClientApplicationOptions["certificate"],
    extra: Partial<ConfidentialClientApplicationOptions> = {},
  ) =>
    new ConfidentialClientApplication({
      clientId: CLIENT_ID,
      authority: `https://login.microsoftonline.com/${f.emu.tenantId}`,
      azureRegion: "westus3",
      certificate,
      mtlsEndpoint: f.emu.mtlsEndpoint,
      caCertificates: f.emu.caCertificatePem,
      retry: { sleep: fakeSleep().sleep },
      ...extra,
    });

  it("gets an mtls_pop token with a PEM certificate, authenticated by TLS alone", async () => {
    await using cca = app({ certPem: rsa.certPem, keyPem: rsa.keyPem });
    const result = await cca.acquireTokenForClient({ scopes: ["https://vault.azure.net/.default"] });
    assert.equal(result.tokenType, "mtls_pop");
    assert.equal(result.tokenSource, "IdentityProvider");
    const cert = await cca.certificate();
    assert.equal(result.bindingCertificate.x5tS256, cert.x5tS256);
    const [token, ...rest] = f.emu.requests;
    assert.equal(rest.length, 0);
    assert.equal(token!.path, `/${f.emu.tenantId}/oauth2/v2.0/token`);
    assert.deepEqual(token!.form, {
      grant_type: "client_credentials",
      client_id: CLIENT_ID,
      scope: "https://vault.azure.net/.default",
      token_type: "mtls_pop",
    });
    const form: Record<string, string> = { ...token!.form };
    for (const field of ["client_assertion", "client_assertion_type", "client_secret"]) {
      assert.equal(form[field], undefined);
    }
    assert.equal(token!.peerCertificate!.x5tS256, cert.x5tS256);
    assert.deepEqual(jose.decodeJwt(result.accessToken).cnf, { "x5t#S256": cert.x5tS256 });
    const again = await cca.acquireTokenForClient({ scopes: ["https://vault.azure.net/.default"] });
    assert.equal(again.tokenSource, "Cache");
    assert.equal(f.emu.requests.length, 1);
  });

  it("gets a token with a PKCS#12 file, and one with an EC key in SEC1 PEM", async () => {
    await using fromPfx = app({ pfx, passphrase: "p@ss w0rd" });
    const a = await fromPfx.acquireTokenForClient({ scopes: ["https://vault.azure.net/.default"] });
    assert.equal(a.bindingCertificate.subject, "CN=app-rsa");
    const sec1 = openssl(["ec", "-in", ec.keyPath]).stdout;
    assert.match(sec1, /BEGIN EC PRIVATE KEY/);
    await using fromEc = app({ certPem: ec.certPem, keyPem: sec1 });
    const b = await fromEc.acquireTokenForClient({ scopes: ["https://vault.azure.net/.default"] });
    assert.equal(b.bindingCertificate.subject, "CN=app-ec");
    const pkcs1 = openssl(["rsa", "-in", rsa.keyPath, "-traditional"]).stdout;
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
    await using fromPkcs1 = app({ certPem: rsa.certPem, keyPem: pkcs1 });
    await fromPkcs1.acquireTokenForClient({ scopes: ["https://graph.microsoft.com/.default"] });
    const peers = f.emu.requests.map((r) => r.peerCertificate!.subject);
    assert.deepEqual(peers, ["CN=app-rsa", "CN=app-ec", "CN=app-rsa"]);
  });

  it("joins scopes with spaces, and the token works at the resource", async () => {
    await using cca = app({ certPem: rsa.certPem, keyPem: rsa.keyPem });
    const resource = new URL(f.emu.resourceUrl).origin;
    const result = await cca.acquireTokenForClient({ scopes: [`${resource}/.default`, "openid", "profile"] });
    assert.equal(f.emu.requests[0]!.form!.scope, `${resource}/.default openid profile`);
    await using caller = new ResourceCaller(result, { caCertificates: f.emu.caCertificatePem });
    const body = JSON.parse(await caller.callResource(f.emu.resourceUrl));
    assert.equal(body.appid, CLIENT_ID);
  });

  it("a certificate the STS does not know for this app gets invalid_client", async () => {
    await using cca = app({ certPem: unregistered.certPem, keyPem: unregistered.keyPem });
    const error = await cca.acquireTokenForClient({ scopes: ["https://vault.azure.net/.default"] }).catch((e) => e);
    assert.ok(error instanceof MsalServiceError);
    assert.equal(error.errorCode, "invalid_client");
    assert.equal(error.status, 401);
    assert.ok(error.errorCodes.length > 0);
  });

  it("never shares tokens between two certificates", async () => {
    await using a = app({ certPem: rsa.certPem, keyPem: rsa.keyPem });
    await using b = app({ certPem: ec.certPem, keyPem: ec.keyPem });
    const ta = await a.acquireTokenForClient({ scopes: ["https://vault.azure.net/.default"] });
    const tb = await b.acquireTokenForClient({ scopes: ["https://vault.azure.net/.default"] });
    assert.notEqual(ta.accessToken, tb.accessToken);
    assert.notEqual(jose.decodeJwt(ta.accessToken).cnf, undefined);
    assert.notDeepEqual(jose.decodeJwt(ta.accessToken).cnf, jose.decodeJwt(tb.accessToken).cnf);
    assert.equal(tb.tokenSource, "IdentityProvider");
    assert.equal(f.emu.requests.length, 2);
  });

  it("refuses a key of another certificate, an expired certificate, an encrypted key and a wrong passphrase before any request", async () => {
    const cases: Array<
      [ConfidentialClientApplicationOptions["certificate"], string, Partial<ConfidentialClientApplicationOptions>?]
    > = [
      [{ certPem: rsa.certPem, keyPem: ec.keyPem }, "certificate_key_mismatch"],
      [{ certPem: rsa.certPem, keyPem: rsa.keyPem }, "certificate_expired", {
        clock: () => Date.now() + 10 * 365 * 86400_000,
      }],
      [
        { certPem: rsa.certPem, keyPem: openssl(["pkcs8", "-topk8", "-in", rsa.keyPath, "-passout", "pass:x"]).stdout },
        "invalid_key",
      ],
      [{ pfx, passphrase: "wrong" }, "invalid_certificate"],
      [{ certPem: "not a certificate", keyPem: rsa.keyPem }, "invalid_certificate"],
      [{ certPem: rsa.certPem, keyPem: "" }, "invalid_key"],
    ];
    for (const [certificate, errorCode, extra] of cases) {
      await using cca = app(certificate, extra);
      await assert.rejects(
        cca.acquireTokenForClient({ scopes: ["https://vault.azure.net/.default"] }),
        (e: unknown) => {
          assert.ok(e instanceof MsalClientError, String(e));
          assert.equal(e.errorCode, errorCode);
          return true;
        },
      );
    }
    assert.equal(f.emu.requests.length, 0);
  });

  it("refuses bad scopes with typed errors", async () => {
    await using cca = app({ certPem: rsa.certPem, keyPem: rsa.keyPem });
    for (const scopes of [[], [""], ["a b"], ["x\r\ny"], undefined as unknown as string[]]) {
      await assert.rejects(cca.acquireTokenForClient({ scopes }), { errorCode: "invalid_request" });
    }
  });

  it("MtlsPopTokenAcquirer: confidential client and managed identity, resource or scope", async () => {
    await using cc = MtlsPopTokenAcquirer.forConfidentialClient({
      clientId: CLIENT_ID,
      authority: `https://login.microsoftonline.com/${f.emu.tenantId}`,
      azureRegion: "westus3",
      certificate: { certPem: rsa.certPem, keyPem: rsa.keyPem },
      mtlsEndpoint: f.emu.mtlsEndpoint,
      caCertificates: f.emu.caCertificatePem,
    });
    const a = await cc.acquireToken("https://graph.microsoft.com/");
    assert.equal(a.tokenType, "mtls_pop");
    assert.equal(f.emu.requests.at(-1)!.form!.scope, "https://graph.microsoft.com/.default");
    await cc.acquireToken("https://vault.azure.net/.default");
    assert.equal(f.emu.requests.at(-1)!.form!.scope, "https://vault.azure.net/.default");

    await using mi = MtlsPopTokenAcquirer.forManagedIdentity(undefined, {
      imdsEndpoint: f.emu.imdsEndpoint,
      caCertificates: f.emu.caCertificatePem,
    });
    const b = await mi.acquireToken("https://management.azure.com/.default");
    assert.equal(b.tokenType, "mtls_pop");
    assert.equal(f.emu.requests.at(-1)!.form!.scope, "https://management.azure.com/.default");
    await assert.rejects(mi.acquireToken("https://graph.microsoft.com/User.Read"), { errorCode: "invalid_request" });
  });
});
