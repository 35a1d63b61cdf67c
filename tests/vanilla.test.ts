import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManagedIdentityId, MsalServiceError, VanillaMsiMtlsPop } from "../mod.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { fakeSleep } from "./helpers/mi.ts";

describe("VanillaMsiMtlsPop", () => {
  const f = useEmulator();
  const make = (id = ManagedIdentityId.systemAssigned(), tokenBoundAuth = false) =>
    new VanillaMsiMtlsPop(id, {
      imdsEndpoint: f.emu.imdsEndpoint,
      caCertificates: f.emu.caCertificatePem,
      retry: { sleep: fakeSleep().sleep },
      tokenBoundAuth,
    });
  const endpoints = () => f.emu.requests.map((r) => r.endpoint);

  it("gets a token for the URL's origin and calls the resource with it over mTLS", async () => {
    await using msi = make(ManagedIdentityId.userAssignedClientId(f.emu.identities.userAssigned[0]!.clientId), true);
    const body = JSON.parse(await msi.callResourceWithPop(`${f.emu.resourceUrl}secrets/a`));
    assert.equal(body.ok, true);
    assert.equal(body.appid, f.emu.identities.userAssigned[0]!.clientId);
    assert.equal(body.tokenBoundAuth, true);
    const token = f.emu.requests.find((r) => r.endpoint === "token")!;
    assert.equal(token.form!.scope, `${new URL(f.emu.resourceUrl).origin}/.default`);
    const call = f.emu.requests.find((r) => r.endpoint === "resource")!;
    assert.equal(call.peerCertificate!.x5tS256, body.x5tS256);
    // The second call takes the token from the cache.
    await msi.callResourceWithPop(`${f.emu.resourceUrl}secrets/b`);
    assert.deepEqual(endpoints(), ["platformMetadata", "issueCredential", "token", "resource", "resource"]);
    const cached = await msi.acquireToken(new URL(f.emu.resourceUrl).origin);
    assert.equal(cached.tokenSource, "Cache");
  });

  it("re-acquires once with forceRefresh when the resource reports a binding failure", async () => {
    await using msi = make();
    f.emu.faults.add("resource", {
      status: 401,
      body: { error: "invalid_token", error_description: "[MtlsCnfClaimRequestDataValidationFailed] binding mismatch" },
    });
    const body = JSON.parse(await msi.callResourceWithPop(f.emu.resourceUrl));
    assert.equal(body.ok, true);
    assert.deepEqual(endpoints(), ["platformMetadata", "issueCredential", "token", "resource", "token", "resource"]);
  });

  it("does not retry other 401s, and surfaces them as typed errors", async () => {
    await using msi = make();
    f.emu.faults.add("resource", { status: 401, body: { error: "invalid_token", error_description: "expired" } });
    const error = await msi.callResourceWithPop(f.emu.resourceUrl).catch((e) => e);
    assert.ok(error instanceof MsalServiceError);
    assert.equal(error.status, 401);
    assert.equal(endpoints().filter((e) => e === "resource").length, 1);
  });

  it("uses the resource it is told instead of the URL's origin", async () => {
    await using msi = make();
    f.emu.faults.add("resource", { status: 200, body: { ok: true } });
    await msi.callResourceWithPop(f.emu.resourceUrl, { resource: "https://vault.azure.net" });
    assert.equal(f.emu.requests.find((r) => r.endpoint === "token")!.form!.scope, "https://vault.azure.net/.default");
  });
});
