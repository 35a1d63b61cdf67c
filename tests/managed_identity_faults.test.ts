import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MsalClientError, MsalServiceError } from "../mod.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { blockingSleep, capturingLogger, emulatorApp, fakeSleep } from "./helpers/mi.ts";

const VAULT = "https://vault.azure.net";

describe("ManagedIdentityApplication: retries, errors and re-mints", () => {
  const f = useEmulator();
  const count = (endpoint: string) => f.emu.requests.filter((r) => r.endpoint === endpoint).length;

  it("retries IMDS 500, 500 then succeeds, waiting 1 s then 2 s", async () => {
    const fake = fakeSleep();
    f.emu.faults.statuses("issueCredential", [500, 500, 200]);
    await using app = emulatorApp(f.emu, { retry: { sleep: fake.sleep } });
    const result = await app.acquireToken({ resource: VAULT });
    assert.equal(result.tokenSource, "IdentityProvider");
    assert.deepEqual(fake.delays, [1000, 2000]);
    assert.equal(count("issueCredential"), 3);
  });

  it("retries IMDS 429 and 404 on issuecredential, and gives up after 3 retries (1, 2, 4 s)", async () => {
    const fake = fakeSleep();
    f.emu.faults.statuses("issueCredential", [429, 404]);
    await using app = emulatorApp(f.emu, { retry: { sleep: fake.sleep } });
    await app.acquireToken({ resource: VAULT });
    assert.deepEqual(fake.delays, [1000, 2000]);

    const again = fakeSleep();
    f.emu.faults.add("issueCredential", { status: 503, times: 4 });
    await using other = emulatorApp(f.emu, { retry: { sleep: again.sleep } });
    const error = await other.acquireToken({ resource: VAULT }).catch((e) => e);
    assert.ok(error instanceof MsalServiceError);
    assert.equal(error.errorCode, "managed_identity_request_failed");
    assert.equal(error.status, 503);
    assert.deepEqual(again.delays, [1000, 2000, 4000]);
  });

  it("retries 410 up to 7 times, 10 s apart", async () => {
    const fake = fakeSleep();
    f.emu.faults.add("platformMetadata", { status: 410, times: 7 });
    await using app = emulatorApp(f.emu, { retry: { sleep: fake.sleep } });
    await app.acquireToken({ resource: VAULT });
    assert.deepEqual(fake.delays, Array(7).fill(10_000));
    f.emu.faults.add("platformMetadata", { status: 410, times: 8 });
    const fake2 = fakeSleep();
    await using app2 = emulatorApp(f.emu, { retry: { sleep: fake2.sleep } });
    await assert.rejects(app2.acquireToken({ resource: VAULT }), { status: 410 });
    assert.equal(fake2.delays.length, 7);
  });

  it("platform metadata 404 means IMDSv1: mtls_pop_token_not_supported_in_imds_v1 at once, no retry", async () => {
    const fake = fakeSleep();
    f.emu.faults.add("platformMetadata", { status: 404, times: Infinity });
    await using app = emulatorApp(f.emu, { retry: { sleep: fake.sleep } });
    const error = await app.acquireToken({ resource: VAULT }).catch((e) => e);
    assert.ok(error instanceof MsalClientError, String(error));
    assert.equal(error.errorCode, "mtls_pop_token_not_supported_in_imds_v1");
    assert.deepEqual(fake.delays, []);
    assert.equal(count("platformMetadata"), 1);
  });

  it("a metadata response without the IMDS Server header, or with a malformed or incomplete body, fails", async () => {
    for (
      const fault of [{ omitServerHeader: true }, { malformedBody: true }, {
        status: 200,
        body: { clientId: "x", tenantId: "t" },
      }]
    ) {
      f.emu.faults.add("platformMetadata", fault);
      await using app = emulatorApp(f.emu);
      const error = await app.acquireToken({ resource: VAULT }).catch((e) => e);
      assert.ok(error instanceof MsalServiceError, `${JSON.stringify(fault)}: ${error}`);
      assert.equal(error.errorCode, "managed_identity_request_failed");
      assert.equal(count("issueCredential"), 0, "no issuance after bad metadata");
    }
  });

  it("an issuecredential body missing a field fails with managed_identity_request_failed", async () => {
    f.emu.faults.add("issueCredential", { status: 200, body: { client_id: "x", tenant_id: "t", certificate: "AA==" } });
    await using app = emulatorApp(f.emu);
    const error = await app.acquireToken({ resource: VAULT }).catch((e) => e);
    assert.equal(error.errorCode, "managed_identity_request_failed");
    assert.match(error.message, /identity_type, mtls_authentication_endpoint/);
  });

  it("refuses a certificate for another key or already expired, and mints once more", async () => {
    for (const fault of [{ certificateForDifferentKey: true }, { expiredCertificate: true }]) {
      f.emu.requests.length = 0;
      f.emu.faults.add("issueCredential", fault);
      await using app = emulatorApp(f.emu);
      const result = await app.acquireToken({ resource: VAULT });
      assert.equal(count("issueCredential"), 2, JSON.stringify(fault));
      assert.equal(
        f.emu.requests.find((r) => r.endpoint === "token")!.peerCertificate!.x5tS256,
        result.bindingCertificate.x5tS256,
      );
    }
    f.emu.requests.length = 0;
    f.emu.faults.add("issueCredential", { certificateForDifferentKey: true, times: 2 });
    await using app = emulatorApp(f.emu);
    await assert.rejects(app.acquireToken({ resource: VAULT }), { errorCode: "certificate_key_mismatch" });
    assert.equal(count("issueCredential"), 2);
    assert.equal(count("token"), 0, "no token request with a certificate that is not ours");
  });

  it("invalid_client from the STS drops the binding, mints exactly once more, and retries", async () => {
    await using app = emulatorApp(f.emu);
    const first = await app.acquireToken({ resource: VAULT });
    f.emu.requests.length = 0;
    f.emu.faults.add("token", { error: "invalid_client" });
    const second = await app.acquireToken({ resource: "https://graph.microsoft.com" });
    assert.deepEqual(f.emu.requests.map((r) => r.endpoint), ["token", "platformMetadata", "issueCredential", "token"]);
    assert.notEqual(second.bindingCertificate.x5tS256, first.bindingCertificate.x5tS256);
    // The vault token was bound to the dropped binding: it is not served any more.
    const vault = await app.acquireToken({ resource: VAULT });
    assert.equal(vault.tokenSource, "IdentityProvider");
    assert.equal(vault.bindingCertificate, second.bindingCertificate);

    f.emu.requests.length = 0;
    f.emu.faults.add("token", { error: "invalid_client", times: 2 });
    const error = await app.acquireToken({ resource: "https://management.azure.com" }).catch((e) => e);
    assert.ok(error instanceof MsalServiceError);
    assert.equal(error.errorCode, "invalid_client");
    assert.equal(error.status, 401);
    assert.equal(count("issueCredential"), 1, "one re-mint, not a loop");
  });

  it("a TLS handshake failure at the STS also re-mints once", async () => {
    await using app = emulatorApp(f.emu);
    f.emu.faults.add("token", { handshakeFailure: true });
    const result = await app.acquireToken({ resource: VAULT });
    assert.equal(result.tokenType, "mtls_pop");
    assert.equal(count("issueCredential"), 2);
    assert.equal(count("token"), 1, "the cut connection carried no request");
  });

  it("maps STS errors: invalid_resource keeps its code, error_codes and correlation id", async () => {
    await using app = emulatorApp(f.emu);
    const error = await app.acquireToken({
      resource: "https://unknown.example",
      correlationId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
    })
      .catch((e) => e);
    assert.ok(error instanceof MsalServiceError);
    assert.equal(error.errorCode, "invalid_resource");
    assert.equal(error.status, 400);
    assert.deepEqual(error.errorCodes, [500011]);
    assert.equal(error.correlationId, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
    assert.match(error.message, /AADSTS500011/);
  });

  it("retries the STS once on 5xx, and not at all when Retry-After is sent (surfaced on the error)", async () => {
    const fake = fakeSleep();
    await using app = emulatorApp(f.emu, { retry: { sleep: fake.sleep } });
    f.emu.faults.statuses("token", [500, 200]);
    await app.acquireToken({ resource: VAULT });
    assert.deepEqual(fake.delays, [1000]);
    f.emu.faults.statuses("token", [503, 503]);
    await assert.rejects(app.acquireToken({ resource: "https://graph.microsoft.com" }), { status: 503 });
    assert.deepEqual(fake.delays, [1000, 1000]);
    f.emu.faults.add("token", { status: 429, retryAfter: 7 }, { status: 503, retryAfter: 30 });
    const throttled = await app.acquireToken({ resource: "https://management.azure.com" }).catch((e) => e);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.retryAfter, 7000);
    const unavailable = await app.acquireToken({ resource: "https://management.azure.com" }).catch((e) => e);
    assert.equal(unavailable.status, 503);
    assert.equal(unavailable.retryAfter, 30_000);
    assert.deepEqual(fake.delays, [1000, 1000], "no retry when Retry-After is present");
  });

  it("abort during a retry wait rejects at once with the signal's reason", async () => {
    const blocking = blockingSleep();
    f.emu.faults.add("issueCredential", { status: 500, times: Infinity });
    await using app = emulatorApp(f.emu, { retry: { sleep: blocking.sleep } });
    const controller = new AbortController();
    const pending = app.acquireToken({ resource: VAULT, signal: controller.signal });
    assert.equal(await blocking.entered, 1000);
    const reason = new Error("user cancelled");
    controller.abort(reason);
    await assert.rejects(pending, (e: unknown) => e === reason);
    assert.equal(count("issueCredential"), 1);
    assert.equal(count("token"), 0);
  });

  it("one caller's abort does not cancel the work other callers wait for", async () => {
    await using app = emulatorApp(f.emu);
    f.emu.faults.add("platformMetadata", { delayMs: 100 });
    const controller = new AbortController();
    const leaving = app.acquireToken({ resource: VAULT, signal: controller.signal });
    const staying = app.acquireToken({ resource: VAULT });
    controller.abort(new Error("bye"));
    await assert.rejects(leaving, /bye/);
    const result = await staying;
    assert.equal(result.tokenType, "mtls_pop");
    assert.equal(count("issueCredential"), 1);
  });

  it("times out each request after requestTimeoutMs (IMDS retries timeouts)", async () => {
    const fake = fakeSleep();
    f.emu.faults.add("platformMetadata", { delayMs: 10_000, times: 4 });
    await using app = emulatorApp(f.emu, { retry: { sleep: fake.sleep }, requestTimeoutMs: 100 });
    await assert.rejects(app.acquireToken({ resource: VAULT }), { errorCode: "request_timeout" });
    assert.deepEqual(fake.delays, [1000, 2000, 4000]);
    assert.equal(count("platformMetadata"), 4);
  });
});

describe("ManagedIdentityApplication: cache timing", () => {
  const f = useEmulator({ tokenLifetimeSeconds: 3600, refreshInSeconds: 1800 });

  it("refreshes in the background after refresh_in while serving the cached token", async () => {
    let now = Date.now();
    const logger = capturingLogger("info");
    await using app = emulatorApp(f.emu, { clock: () => now, logger });
    const first = await app.acquireToken({ resource: VAULT });
    assert.equal(first.refreshOn!.getTime() - now, 1800_000);
    now += 1801_000;
    const served = await app.acquireToken({ resource: VAULT });
    assert.equal(served.tokenSource, "Cache");
    assert.equal(served.accessToken, first.accessToken);
    await logger.waitFor("Background refresh done");
    assert.equal(f.emu.requests.filter((r) => r.endpoint === "token").length, 2);
    const refreshed = await app.acquireToken({ resource: VAULT });
    assert.equal(refreshed.tokenSource, "Cache");
    assert.notEqual(refreshed.accessToken, first.accessToken);
    assert.equal(f.emu.requests.filter((r) => r.endpoint === "issueCredential").length, 1);
  });

  it("does not serve a token within 5 minutes of its expiry", async () => {
    let now = Date.now();
    await using app = emulatorApp(f.emu, { clock: () => now });
    const first = await app.acquireToken({ resource: VAULT });
    now = first.expiresOn.getTime() - 4 * 60_000;
    const next = await app.acquireToken({ resource: VAULT });
    assert.equal(next.tokenSource, "IdentityProvider");
  });
});

describe("ManagedIdentityApplication: binding renewal", () => {
  const f = useEmulator({ certificateLifetimeSeconds: 3600 });

  it("renews the binding before its certificate expires, and caps token expiry at the certificate's", async () => {
    let now = Date.now();
    await using app = emulatorApp(f.emu, { clock: () => now });
    const first = await app.acquireToken({ resource: VAULT });
    assert.ok(first.expiresOn.getTime() <= first.bindingCertificate.notAfter.getTime());
    now += 50 * 60_000; // 10 minutes of certificate life left, less than a quarter of it
    const other = await app.acquireToken({ resource: "https://graph.microsoft.com" });
    assert.notEqual(other.bindingCertificate.x5tS256, first.bindingCertificate.x5tS256);
    assert.equal(f.emu.requests.filter((r) => r.endpoint === "issueCredential").length, 2);
  });
});
