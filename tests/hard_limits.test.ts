// Hard limits: what arrives from configuration or the network cannot bend a
// URL, a header or a scheme.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ManagedIdentityId, MsalClientError, ResourceCaller } from "../mod.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { emulatorApp } from "./helpers/mi.ts";

describe("hard limits", () => {
  const awkward = [
    "a&client_id=evil",
    "id#fragment",
    "/subscriptions/x/../../metadata?x=1",
    "ünïcødé-id",
    "a+b=c;d",
    "%0d%0aHost: evil",
  ];
  const f = useEmulator({
    userAssigned: awkward.map((value, i) => ({
      clientId: value,
      objectId: `${value}-object-${i}`,
      resourceId:
        `/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${value}`,
    })),
  });

  it("identity ids reach IMDS as exactly one query parameter, whatever they contain", async () => {
    for (const value of awkward) {
      for (
        const [id, name, expected] of [
          [ManagedIdentityId.userAssignedClientId(value), "client_id", value],
          [
            ManagedIdentityId.userAssignedResourceId(
              `/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${value}`,
            ),
            "mi_res_id",
            `/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${value}`,
          ],
        ] as const
      ) {
        f.emu.requests.length = 0;
        await using app = emulatorApp(f.emu, { id });
        const result = await app.acquireToken({ resource: "https://vault.azure.net" });
        assert.equal(result.tokenType, "mtls_pop");
        for (const r of f.emu.requests.filter((r) => r.server === "imds")) {
          assert.equal(r.path.startsWith("/metadata/identity/"), true, r.path);
          assert.deepEqual(Object.keys(r.query).sort(), ["cred-api-version", name].sort(), JSON.stringify(r.query));
          assert.equal(r.query[name], expected);
        }
        const token = f.emu.requests.find((r) => r.endpoint === "token")!;
        assert.equal(token.form!.client_id, value, "the client id travels intact in the form");
        assert.deepEqual(Object.keys(token.form!).sort(), ["client_id", "grant_type", "scope", "token_type"]);
      }
    }
  });

  it("ids with control characters are refused before any request (no header or URL injection)", () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom("\r", "\n", "\u0000", "\u007f", "\t"), fc.string(), (a, control, b) => {
        const value = `${a}${control}${b}`;
        for (
          const make of [
            ManagedIdentityId.userAssignedClientId,
            ManagedIdentityId.userAssignedObjectId,
            ManagedIdentityId.userAssignedResourceId,
          ]
        ) {
          assert.throws(
            () => make(value),
            (e: unknown) => e instanceof MsalClientError && e.errorCode === "invalid_request",
          );
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses a token endpoint that is not https, even when IMDS names one", async () => {
    for (const endpoint of ["http://127.0.0.1:1", "ftp://sts.example", "https://sts.example/?x=1", "not a url"]) {
      f.emu.faults.add("issueCredential", {
        status: 200,
        body: {
          client_id: f.emu.identities.systemAssigned!.clientId,
          tenant_id: f.emu.tenantId,
          certificate: f.emu.caCertificatePem.replace(/-----[A-Z ]+-----|\s/g, ""),
          identity_type: "SystemAssigned",
          mtls_authentication_endpoint: endpoint,
        },
      });
      await using app = emulatorApp(f.emu);
      await assert.rejects(app.acquireToken({ resource: "https://vault.azure.net" }), (e: unknown) => {
        assert.equal((e as MsalClientError).errorCode, "managed_identity_request_failed", String(e));
        assert.match((e as Error).message, /https/);
        return true;
      });
    }
    assert.equal(f.emu.requests.filter((r) => r.endpoint === "token").length, 0, "no token request left the machine");
  });

  it("never sends a PoP token over plain http", async () => {
    await using app = emulatorApp(f.emu);
    const result = await app.acquireToken({ resource: "https://vault.azure.net" });
    await using caller = new ResourceCaller(result);
    f.emu.requests.length = 0;
    await assert.rejects(caller.fetch(f.emu.imdsEndpoint), { errorCode: "invalid_request" });
    assert.equal(f.emu.requests.length, 0);
  });

  it("caps IMDS and STS bodies with response_too_large", async () => {
    for (const endpoint of ["platformMetadata", "issueCredential", "token"] as const) {
      f.emu.faults.add(endpoint, { oversizedBodyBytes: 1024 * 1024 + 10, times: Infinity });
      await using app = emulatorApp(f.emu);
      await assert.rejects(app.acquireToken({ resource: "https://vault.azure.net" }), {
        errorCode: "response_too_large",
      });
      f.emu.faults.clear();
    }
  });
});
