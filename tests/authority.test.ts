// PROTOCOL.md §2, rule by rule: which authorities and regions may use mTLS
// PoP, and which host each maps to.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import {
  checkedResult,
  ConfidentialClientApplication,
  isValidRegion,
  MsalClientError,
  mtlsHost,
  parseAuthority,
  toScope,
} from "../mod.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { opensslSelfSigned, tempDir } from "./helpers/openssl.ts";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

function errorCodeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof MsalClientError, `untyped: ${e}`);
    return e.errorCode;
  }
}

describe("authority rules", () => {
  const dir = tempDir();
  after(() => dir.remove());

  it("accepts tenanted Entra ID and dSTS authorities only", () => {
    const table: Array<[string, string | undefined]> = [
      [`https://login.microsoftonline.com/${TENANT}`, undefined],
      [`https://login.microsoftonline.com/contoso.onmicrosoft.com/`, undefined],
      [`https://login.microsoftonline.com/${TENANT}/v2.0`, undefined],
      ["https://login.microsoftonline.com/common", "missing_tenanted_authority"],
      ["https://login.microsoftonline.com/organizations", "missing_tenanted_authority"],
      ["https://login.microsoftonline.com/consumers", "missing_tenanted_authority"],
      ["https://login.microsoftonline.com/Common/", "missing_tenanted_authority"],
      ["https://login.microsoftonline.com", "missing_tenanted_authority"],
      ["https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin", "invalid_authority_type"],
      ["https://login.microsoftonline.com/tfp/contoso.onmicrosoft.com/B2C_1_signin", "invalid_authority_type"],
      ["https://adfs.contoso.com/adfs", "invalid_authority_type"],
      ["https://contoso.ciamlogin.com/contoso.onmicrosoft.com", "invalid_authority_type"],
      [`https://co2agg04-passive-dsts.dsts.core.azure-test.net/dstsv2/${TENANT}`, undefined],
      [`http://login.microsoftonline.com/${TENANT}`, "invalid_request"],
      ["not a url", "invalid_request"],
      [`https://login.microsoftonline.com/${TENANT}?x=1`, "invalid_request"],
    ];
    for (const [authority, code] of table) assert.equal(errorCodeOf(() => parseAuthority(authority)), code, authority);
    assert.deepEqual(parseAuthority(`https://LOGIN.microsoftonline.com/${TENANT}`), {
      type: "Aad",
      host: "login.microsoftonline.com",
      tenant: TENANT,
    });
  });

  it("validates regions as ASCII letters and digits, the whole string", () => {
    for (const ok of ["westus3", "eastus", "WestEurope", "centralus2"]) assert.equal(isValidRegion(ok), true, ok);
    for (
      const bad of [
        "",
        "west us",
        "eastus\n",
        "\neastus",
        "east-us",
        "east.us",
        "wеstus", /* Cyrillic е */
        "ｅastus",
        "eastus/",
        "a%2e",
        "x.evil.com#",
      ]
    ) {
      assert.equal(isValidRegion(bad), false, JSON.stringify(bad));
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        const valid = isValidRegion(s);
        assert.equal(valid, s.length > 0 && [...s].every((c) => /[a-zA-Z0-9]/.test(c) && c.charCodeAt(0) < 128));
        if (!valid) {
          const code = errorCodeOf(() => mtlsHost(parseAuthority(`https://login.microsoftonline.com/${TENANT}`), s));
          assert.equal(code, "invalid_request");
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("maps each cloud's host to its mTLS host", () => {
    const host = (authorityHost: string, region: string | undefined) =>
      mtlsHost(parseAuthority(`https://${authorityHost}/${TENANT}`), region);
    const table: Array<[string, string | undefined, string]> = [
      ["login.microsoftonline.com", "westus3", "westus3.mtlsauth.microsoft.com"],
      ["login.microsoft.com", "eastus", "eastus.mtlsauth.microsoft.com"],
      ["login.windows.net", "EastUS", "eastus.mtlsauth.microsoft.com"],
      ["sts.windows.net", "westeurope", "westeurope.mtlsauth.microsoft.com"],
      ["login.microsoftonline.com", undefined, "mtlsauth.microsoft.com"],
      ["login.microsoftonline.us", "usgovvirginia", "usgovvirginia.mtlsauth.microsoftonline.us"],
      ["login.microsoftonline.us", undefined, "mtlsauth.microsoftonline.us"],
      ["login.partner.microsoftonline.cn", "chinaeast2", "chinaeast2.mtlsauth.partner.microsoftonline.cn"],
      ["login.sovcloud-identity.fr", "francecentral", "francecentral.mtlsauth.sovcloud-identity.fr"],
      ["westus3.login.microsoft.com", "westus3", "westus3.login.microsoft.com"],
    ];
    for (const [authorityHost, region, expected] of table) {
      assert.equal(host(authorityHost, region), expected, `${authorityHost} ${region}`);
    }
    for (
      const unsupported of ["login.usgovcloudapi.net", "login.chinacloudapi.cn", "auth.contoso.com", "sts.contoso.com"]
    ) {
      assert.equal(
        errorCodeOf(() => host(unsupported, "westus3")),
        "mtls_pop_not_supported_for_environment",
        unsupported,
      );
    }
  });

  it("ConfidentialClientApplication applies the rules at construction", () => {
    const cert = opensslSelfSigned(dir.path, "c");
    const base = {
      clientId: "app",
      authority: `https://login.microsoftonline.com/${TENANT}`,
      azureRegion: "westus3",
      certificate: { certPem: cert.certPem, keyPem: cert.keyPem },
    };
    const build = (o: Partial<typeof base> & Record<string, unknown>) =>
      errorCodeOf(() => new ConfidentialClientApplication({ ...base, ...o }));
    assert.equal(build({}), undefined);
    assert.equal(build({ certificate: undefined }), "mtls_certificate_not_provided");
    assert.equal(build({ azureRegion: undefined }), "mtls_pop_without_region");
    assert.equal(build({ azureRegion: undefined, mtlsEndpoint: "https://127.0.0.1:8443" }), undefined);
    assert.equal(build({ azureRegion: "TryAutoDetect" }), undefined);
    assert.equal(build({ azureRegion: "west us" }), "invalid_request");
    assert.equal(build({ azureRegion: "eastus\n" }), "invalid_request");
    assert.equal(build({ authority: "https://login.microsoftonline.com/common" }), "missing_tenanted_authority");
    assert.equal(build({ authority: "https://adfs.contoso.com/adfs" }), "invalid_authority_type");
    assert.equal(
      build({ authority: `https://login.usgovcloudapi.net/${TENANT}` }),
      "mtls_pop_not_supported_for_environment",
    );
    assert.equal(build({ mtlsEndpoint: "http://127.0.0.1:8443" }), "invalid_request");
    assert.equal(build({ mtlsEndpoint: "https://127.0.0.1:8443/some/path" }), "invalid_request");
    assert.equal(build({ clientId: "" }), "invalid_request");
  });
});

describe("region auto-detection", () => {
  const f = useEmulator({ region: "northeurope" });
  const dir = tempDir();
  after(() => dir.remove());
  const cca = () => {
    const cert = opensslSelfSigned(dir.path, "r");
    return new ConfidentialClientApplication({
      clientId: "app",
      authority: `https://login.microsoftonline.com/${TENANT}`,
      azureRegion: "TryAutoDetect",
      certificate: { certPem: cert.certPem, keyPem: cert.keyPem },
      imdsEndpoint: f.emu.imdsEndpoint,
    });
  };

  it("takes REGION_NAME first (spaces removed, lower case)", async () => {
    const previous = process.env.REGION_NAME;
    process.env.REGION_NAME = "West US 2";
    try {
      await using app = cca();
      assert.equal(await app.tokenEndpoint(), `https://westus2.mtlsauth.microsoft.com/${TENANT}/oauth2/v2.0/token`);
      assert.equal(f.emu.requests.length, 0);
    } finally {
      if (previous === undefined) delete process.env.REGION_NAME;
      else process.env.REGION_NAME = previous;
    }
  });

  it("else asks IMDS instance metadata for the location", async () => {
    delete process.env.REGION_NAME;
    await using app = cca();
    assert.equal(await app.tokenEndpoint(), `https://northeurope.mtlsauth.microsoft.com/${TENANT}/oauth2/v2.0/token`);
    const [request] = f.emu.requests;
    assert.equal(request!.endpoint, "instanceCompute");
    assert.equal(request!.query["api-version"], "2021-02-01");
    assert.equal(request!.headers.metadata, "true");
  });

  it("falls back to the global host when IMDS is silent for 2 s, or says something that is not a region", async () => {
    delete process.env.REGION_NAME;
    f.emu.faults.add("instanceCompute", { delayMs: 10_000 });
    await using slow = cca();
    const started = Date.now();
    assert.equal(await slow.tokenEndpoint(), `https://mtlsauth.microsoft.com/${TENANT}/oauth2/v2.0/token`);
    const waited = Date.now() - started;
    assert.ok(waited >= 1_900 && waited < 9_000, `gave up after ${waited} ms`);
    f.emu.faults.add("instanceCompute", { status: 200, body: { location: "evil.com/x" } });
    await using odd = cca();
    assert.equal(await odd.tokenEndpoint(), `https://mtlsauth.microsoft.com/${TENANT}/oauth2/v2.0/token`);
  });
});

describe("resource or scope", () => {
  it("toScope turns a resource into <resource>/.default and keeps scopes", () => {
    const table: Array<[string, string]> = [
      ["https://vault.azure.net", "https://vault.azure.net/.default"],
      ["https://vault.azure.net/", "https://vault.azure.net/.default"],
      ["https://graph.microsoft.com/.default", "https://graph.microsoft.com/.default"],
      ["https://graph.microsoft.com/User.Read", "https://graph.microsoft.com/User.Read"],
      ["api://my-api", "api://my-api/.default"],
      ["00000003-0000-0000-c000-000000000000", "00000003-0000-0000-c000-000000000000/.default"],
    ];
    for (const [input, expected] of table) assert.equal(toScope(input), expected, input);
    for (const bad of ["", " ", "a b", "x\ny"]) assert.throws(() => toScope(bad), MsalClientError);
  });

  it("checkedResult refuses a result without a binding certificate or of another token type", () => {
    assert.throws(() => checkedResult({ tokenType: "mtls_pop" } as never), {
      errorCode: "mtls_certificate_not_provided",
    });
    assert.throws(() => checkedResult({ tokenType: "Bearer", bindingCertificate: {} } as never), {
      errorCode: "invalid_response",
    });
  });
});
