import assert from "node:assert/strict";
import { before, beforeEach, describe, it } from "node:test";
import { createTransport, MsalClientError, MsalServiceError, type MtlsTransport, ResourceCaller } from "../mod.ts";
import type { Emulator } from "../emulator.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { mintToken } from "./helpers/manual_flow.ts";
import { openssl, tempDir, writeText } from "./helpers/openssl.ts";

type Minted = Awaited<ReturnType<typeof mintToken>>;
const bound = (m: Minted) => ({ accessToken: m.accessToken, bindingCertificate: m.binding, tokenType: m.tokenType });

describe("ResourceCaller against the emulator's resource", () => {
  const f = useEmulator();
  let emu: Emulator;
  let a: Minted;
  let b: Minted;
  before(async () => {
    a = await mintToken(f.emu, f.transport);
    b = await mintToken(f.emu, f.transport, `client_id=${f.emu.identities.userAssigned[0]!.clientId}`);
  });
  beforeEach(() => {
    emu = f.emu;
    emu.requests.length = 0;
  });

  it("calls with the binding certificate and Authorization: mtls_pop, and gets 200", async () => {
    await using caller = new ResourceCaller(bound(a), { caCertificates: emu.caCertificatePem });
    const body = JSON.parse(await caller.callResource(`${emu.resourceUrl}secrets/db`));
    assert.equal(body.ok, true);
    assert.equal(body.appid, a.clientId);
    assert.equal(body.x5tS256, a.binding.x5tS256);
    const seen = emu.requests.find((r) => r.endpoint === "resource")!;
    assert.equal(seen.headers.authorization, `mtls_pop ${a.accessToken}`);
    assert.equal(seen.peerCertificate?.x5tS256, a.binding.x5tS256);
    assert.equal(seen.path, "/secrets/db");
    assert.equal(seen.headers["x-ms-tokenboundauth"], undefined);
  });

  it("sends x-ms-tokenboundauth: true when asked (Key Vault)", async () => {
    await using caller = new ResourceCaller(bound(a), { caCertificates: emu.caCertificatePem, tokenBoundAuth: true });
    const body = JSON.parse(await caller.callResource(emu.resourceUrl));
    assert.equal(body.tokenBoundAuth, true);
    assert.equal(emu.requests[0]!.headers["x-ms-tokenboundauth"], "true");
  });

  it("a token bound to certificate A, sent with certificate B, is refused with 401", async () => {
    await using caller = new ResourceCaller({ ...bound(a), bindingCertificate: b.binding }, {
      caCertificates: emu.caCertificatePem,
    });
    const error = await caller.callResource(emu.resourceUrl).catch((e) => e);
    assert.ok(error instanceof MsalServiceError);
    assert.equal(error.errorCode, "resource_request_failed");
    assert.equal(error.status, 401);
    assert.match(error.message, /MtlsCnfClaimRequestDataValidationFailed/);
    assert.ok(!error.message.includes(a.accessToken), "the token is not in the error");
    const res = await caller.fetch(emu.resourceUrl);
    assert.equal(res.status, 401);
    assert.equal((await res.json()).reason, "cnf_mismatch");
  });

  it("a token sent without any client certificate is refused", async () => {
    const res = await f.transport.send(emu.resourceUrl, { headers: { authorization: `mtls_pop ${a.accessToken}` } });
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.equal(body.reason, "no_peer_certificate");
    assert.match(body.error_description, /Client certificate required/);
  });

  it("20 sequential calls use at most 3 TLS connections", async () => {
    await using caller = new ResourceCaller(bound(a), { caCertificates: emu.caCertificatePem });
    for (let i = 0; i < 20; i++) await caller.callResource(`${emu.resourceUrl}n/${i}`);
    const calls = emu.requests.filter((r) => r.endpoint === "resource");
    assert.equal(calls.length, 20);
    const connections = new Set(calls.map((r) => r.connectionId));
    assert.ok(connections.size <= 3, `${connections.size} connections`);
  });

  it("refuses http: and non-URLs with a typed error, before any request", async () => {
    await using caller = new ResourceCaller(bound(a));
    await assert.rejects(
      caller.callResource(emu.resourceUrl.replace("https:", "http:")),
      (e: unknown) => e instanceof MsalClientError && e.errorCode === "invalid_request" && /https only/.test(e.message),
    );
    await assert.rejects(caller.fetch("not a url"), { errorCode: "invalid_request" });
    assert.equal(emu.requests.length, 0);
    assert.throws(() => new ResourceCaller({ ...bound(a), tokenType: "Bearer" }), MsalClientError);
  });

  it("sends the caller's method, headers and body, but never lets them replace Authorization", async () => {
    await using caller = new ResourceCaller(bound(a), { caCertificates: emu.caCertificatePem });
    const res = await caller.fetch(`${emu.resourceUrl}items`, {
      method: "POST",
      headers: { "x-custom": "1", authorization: "Bearer stolen", "content-type": "application/json" },
      body: '{"a":1}',
    });
    assert.equal(res.status, 200);
    const seen = emu.requests.at(-1)!;
    assert.equal(seen.method, "POST");
    assert.equal(seen.headers["x-custom"], "1");
    assert.equal(seen.headers.authorization, `mtls_pop ${a.accessToken}`);
    assert.equal(seen.body, '{"a":1}');
  });

  it("works with a transport that only has send(), and transports' exchange() matches send()", async () => {
    const inner = f.transport;
    const sendOnly: MtlsTransport = {
      runtime: inner.runtime,
      send: (u, r) => inner.send(u, r),
      close: () => Promise.resolve(),
    };
    await using caller = new ResourceCaller(bound(a), { transport: sendOnly });
    assert.equal(JSON.parse(await caller.callResource(emu.resourceUrl)).ok, true);
    f.emu.faults.add("resource", { status: 503, body: { error: "busy" }, retryAfter: 4 });
    const error = await caller.callResource(emu.resourceUrl).catch((e) => e);
    assert.equal(error.status, 503);
    assert.equal(error.retryAfter, 4000);
    const request = { headers: { authorization: `mtls_pop ${a.accessToken}` }, clientCertificate: a.binding };
    const viaExchange = await inner.exchange!(emu.resourceUrl, request);
    const viaSend = await inner.send(emu.resourceUrl, request);
    assert.equal(viaExchange.status, viaSend.status);
    assert.equal(viaExchange.headers.get("Content-Type"), viaSend.headers.get("content-type"));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(viaExchange.body)).appid, (await viaSend.json()).appid);
  });

  it("curl (OpenSSL) with --cert --key --cacert calls the resource with the token and gets 200", async () => {
    const dir = tempDir();
    try {
      const cert = writeText(dir.path, "cert.pem", a.binding.pem);
      const key = writeText(dir.path, "key.pem", a.binding.exportPrivateKeyPem());
      const ca = writeText(dir.path, "ca.pem", emu.caCertificatePem);
      const { spawn } = await import("node:child_process");
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn("curl", [
          "--silent",
          "--show-error",
          "--max-time",
          "20",
          "--cert",
          cert,
          "--key",
          key,
          "--cacert",
          ca,
          "-H",
          `Authorization: mtls_pop ${a.accessToken}`,
          "-w",
          "\n%{http_code}",
          emu.resourceUrl,
        ]);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
      assert.equal(out.code, 0, out.stderr);
      const [body, status] = out.stdout.split("\n");
      assert.equal(status, "200", out.stdout);
      assert.equal(JSON.parse(body!).x5tS256, a.binding.x5tS256);
      assert.equal(openssl(["version"]).status, 0);
    } finally {
      dir.remove();
    }
  });
});

describe("transport limits", () => {
  const f = useEmulator();
  let emu: Emulator;
  let transport: MtlsTransport;
  beforeEach(() => ({ emu, transport } = f));
  const metadata = () => `${emu.imdsEndpoint}/metadata/identity/getplatformmetadata?cred-api-version=2.0`;

  it("caps the response body", async () => {
    emu.faults.add("platformMetadata", { oversizedBodyBytes: 2 * 1024 * 1024 });
    await assert.rejects(transport.send(metadata(), { headers: { metadata: "true" } }), {
      errorCode: "response_too_large",
    });
    emu.faults.add("platformMetadata", { oversizedBodyBytes: 5000 });
    await assert.rejects(transport.send(metadata(), { headers: { metadata: "true" }, maxResponseBytes: 4096 }), {
      errorCode: "response_too_large",
    });
    const ok = await transport.send(metadata(), { headers: { metadata: "true" } });
    assert.equal(ok.status, 200);
  });

  it("times out with request_timeout, and an abort rejects with the signal's reason at once", async () => {
    emu.faults.add("platformMetadata", { delayMs: 5_000 });
    await assert.rejects(transport.send(metadata(), { headers: { metadata: "true" }, timeoutMs: 100 }), {
      errorCode: "request_timeout",
    });
    emu.faults.add("platformMetadata", { delayMs: 5_000 });
    const controller = new AbortController();
    const pending = transport.send(metadata(), { headers: { metadata: "true" }, signal: controller.signal });
    const reason = new Error("caller gave up");
    setTimeout(() => controller.abort(reason), 20);
    await assert.rejects(pending, (e: unknown) => e === reason);
  });

  it("fails the handshake with tls_handshake_failed when the server's CA is not trusted", async () => {
    const untrusting = createTransport();
    try {
      await assert.rejects(untrusting.send(emu.resourceUrl), { errorCode: "tls_handshake_failed" });
    } finally {
      await untrusting.close();
    }
  });

  it("fails a refused connection with network_error", async () => {
    const { createServer } = await import("node:net");
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    await assert.rejects(transport.send(`https://127.0.0.1:${port}/`), { errorCode: "network_error" });
  });
});

describe("resending on a dead pooled connection", () => {
  const f = useEmulator();

  it("a POST to a resource is not sent twice when its kept-alive connection is reset; a GET may be", async () => {
    const a = await mintToken(f.emu, f.transport);
    await using caller = new ResourceCaller(bound(a), { caCertificates: f.emu.caCertificatePem });
    await caller.callResource(f.emu.resourceUrl); // a pooled connection now exists
    f.emu.requests.length = 0;
    f.emu.faults.add("resource", { reset: true });
    const post = await caller.callResource(`${f.emu.resourceUrl}orders`, { method: "POST", body: "{}" }).catch((e) =>
      e
    );
    const posts = f.emu.requests.filter((r) => r.method === "POST");
    if (post instanceof Error) {
      assert.ok(
        ["network_error", "tls_handshake_failed"].includes((post as { errorCode?: string }).errorCode ?? ""),
        String(post),
      );
    }
    // The library never replays a POST itself; a runtime's own fetch may (Bun does for some resets), which is visible here.
    if (f.transport.runtime === "node") {
      assert.ok(post instanceof Error, "Node: the POST fails rather than being replayed");
      assert.equal(posts.length, 1);
    }
  });
});
