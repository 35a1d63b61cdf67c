// Every fault the emulator can inject, on every endpoint of both token paths
// and on the resource: the flow either succeeds within its retries or ends
// with the documented typed error, and never sends more requests than its
// policies allow.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ManagedIdentityApplication, MsalClientError, MsalError, ResourceCaller } from "../mod.ts";
import type { EmulatorEndpoint, Fault } from "../emulator.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { emulatorApp, emulatorConfidentialApp, fakeSleep } from "./helpers/mi.ts";

type Outcome = "ok" | string | string[];
interface Row {
  name: string;
  fault: Fault;
  /** Outcome when the fault happens once. */
  once: Outcome;
  /** Outcome when it happens every time. */
  always: Outcome;
}

// Bun cannot tell a reset during the TLS handshake from a later one.
const RESET = ["network_error", "tls_handshake_failed"];
// Long enough for a normal answer on a busy machine, short enough to keep the matrix quick.
const TIMEOUT_MS = 1_000;

const imdsRows = (endpoint: "platformMetadata" | "issueCredential"): Row[] => [
  { name: "HTTP 500", fault: { status: 500 }, once: "ok", always: "managed_identity_request_failed" },
  {
    name: "HTTP 429 with Retry-After",
    fault: { status: 429, retryAfter: 1 },
    once: "ok",
    always: "managed_identity_request_failed",
  },
  { name: "HTTP 410", fault: { status: 410 }, once: "ok", always: "managed_identity_request_failed" },
  {
    name: "HTTP 404",
    fault: { status: 404 },
    once: endpoint === "platformMetadata" ? "mtls_pop_token_not_supported_in_imds_v1" : "ok",
    always: endpoint === "platformMetadata"
      ? "mtls_pop_token_not_supported_in_imds_v1"
      : "managed_identity_request_failed",
  },
  { name: "connection reset", fault: { reset: true }, once: "ok", always: "network_error" },
  {
    name: "malformed body",
    fault: { malformedBody: true },
    once: "managed_identity_request_failed",
    always: "managed_identity_request_failed",
  },
  { name: "truncated body", fault: { truncatedBody: true }, once: "ok", always: "network_error" },
  {
    name: "oversized body",
    fault: { oversizedBodyBytes: 2 * 1024 * 1024 },
    once: "response_too_large",
    always: "response_too_large",
  },
  { name: "no answer in time", fault: { delayMs: 10_000 }, once: "ok", always: "request_timeout" },
  ...(endpoint === "platformMetadata"
    ? [{
      name: "no Server header",
      fault: { omitServerHeader: true },
      once: "managed_identity_request_failed",
      always: "managed_identity_request_failed",
    }]
    : [
      {
        name: "certificate for another key",
        fault: { certificateForDifferentKey: true },
        once: "ok",
        always: "certificate_key_mismatch",
      },
      { name: "expired certificate", fault: { expiredCertificate: true }, once: "ok", always: "certificate_expired" },
    ]),
];

const stsRows = (path: "mi" | "cc"): Row[] => [
  { name: "HTTP 500", fault: { status: 500 }, once: "ok", always: "temporarily_unavailable" },
  {
    name: "HTTP 503 with Retry-After",
    fault: { status: 503, retryAfter: 5 },
    once: "temporarily_unavailable",
    always: "temporarily_unavailable",
  },
  { name: "HTTP 429", fault: { status: 429, retryAfter: 5 }, once: "invalid_request", always: "invalid_request" },
  { name: "connection reset", fault: { reset: true }, once: "ok", always: RESET },
  { name: "malformed body", fault: { malformedBody: true }, once: "invalid_response", always: "invalid_response" },
  { name: "truncated body", fault: { truncatedBody: true }, once: "ok", always: "network_error" },
  {
    name: "oversized body",
    fault: { oversizedBodyBytes: 2 * 1024 * 1024 },
    once: "response_too_large",
    always: "response_too_large",
  },
  { name: "no answer in time", fault: { delayMs: 10_000 }, once: "ok", always: "request_timeout" },
  {
    name: "invalid_client",
    fault: { error: "invalid_client" },
    once: path === "mi" ? "ok" : "invalid_client",
    always: "invalid_client",
  },
  {
    name: "invalid_resource",
    fault: { error: "invalid_resource" },
    once: "invalid_resource",
    always: "invalid_resource",
  },
  { name: "TLS handshake cut", fault: { handshakeFailure: true }, once: "ok", always: "tls_handshake_failed" },
];

const resourceRows: Row[] = [
  { name: "HTTP 500", fault: { status: 500 }, once: "resource_request_failed", always: "resource_request_failed" },
  { name: "HTTP 401", fault: { status: 401 }, once: "resource_request_failed", always: "resource_request_failed" },
  // A runtime may retry a request that was reset on a reused keep-alive connection (Bun's pool is shared).
  { name: "connection reset", fault: { reset: true }, once: ["ok", ...RESET], always: RESET },
  { name: "truncated body", fault: { truncatedBody: true }, once: "network_error", always: "network_error" },
  {
    name: "oversized body",
    fault: { oversizedBodyBytes: 17 * 1024 * 1024 },
    once: "response_too_large",
    always: "response_too_large",
  },
  { name: "no answer in time", fault: { delayMs: 10_000 }, once: "request_timeout", always: "request_timeout" },
  {
    name: "TLS handshake cut",
    fault: { handshakeFailure: true },
    once: "tls_handshake_failed",
    always: "tls_handshake_failed",
  },
];

/** Most requests each endpoint may see for one operation under any fault (IMDS 410: 1 + 7 retries, twice for a re-mint; a resource call may be resent once by the runtime on a reused connection). */
const MAX_REQUESTS: Record<string, number> = { platformMetadata: 16, issueCredential: 16, token: 4, resource: 2 };

function matches(outcome: Outcome, error: unknown): boolean {
  const allowed = Array.isArray(outcome) ? outcome : [outcome];
  return error instanceof MsalError && allowed.includes(error.errorCode);
}

describe("fault matrix", () => {
  const f = useEmulator();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  before(() => process.on("unhandledRejection", onUnhandled));
  after(() => {
    process.off("unhandledRejection", onUnhandled);
    assert.deepEqual(unhandled, [], "no unhandled rejections");
  });

  async function expectOutcome(label: string, outcome: Outcome, run: () => Promise<unknown>): Promise<void> {
    let failure: unknown;
    let failed = false;
    try {
      await run();
    } catch (error) {
      failed = true;
      failure = error;
    }
    if (!failed) {
      assert.ok(
        outcome === "ok" || (Array.isArray(outcome) && outcome.includes("ok")),
        `${label}: succeeded, expected ${outcome}`,
      );
    } else {
      const got = failure instanceof MsalError ? `${failure.errorCode}: ${failure.message}` : String(failure);
      assert.ok(outcome !== "ok" && matches(outcome, failure), `${label}: expected ${outcome}, got ${got}`);
    }
    for (const [endpoint, max] of Object.entries(MAX_REQUESTS)) {
      const sent = f.emu.requests.filter((r) => r.endpoint === endpoint).length;
      assert.ok(sent <= max, `${label}: ${sent} ${endpoint} requests (at most ${max})`);
    }
  }

  const mi = (): ManagedIdentityApplication =>
    emulatorApp(f.emu, { requestTimeoutMs: TIMEOUT_MS, retry: { sleep: fakeSleep().sleep } });

  for (
    const endpoint of ["platformMetadata", "issueCredential", "token"] as const satisfies readonly EmulatorEndpoint[]
  ) {
    const rows = endpoint === "token" ? stsRows("mi") : imdsRows(endpoint);
    it(`managed identity, ${endpoint}: each fault once and always`, async () => {
      for (const row of rows) {
        for (const mode of ["once", "always"] as const) {
          f.emu.faults.clear();
          f.emu.requests.length = 0;
          f.emu.faults.add(endpoint, { ...row.fault, times: mode === "once" ? 1 : Infinity });
          await using app = mi();
          await expectOutcome(
            `MI ${endpoint} ${row.name} ${mode}`,
            row[mode],
            () => app.acquireToken({ resource: "https://vault.azure.net" }),
          );
        }
      }
    });
  }

  it("confidential client, token: each fault once and always", async () => {
    let sni = await f.emu.createConfidentialClient();
    for (const row of stsRows("cc")) {
      for (const mode of ["once", "always"] as const) {
        // A handshake fault needs a new TLS connection: a new certificate gets one on every runtime
        // (Bun pools connections process-wide by TLS configuration).
        if (row.fault.handshakeFailure) sni = await f.emu.createConfidentialClient();
        f.emu.faults.clear();
        f.emu.requests.length = 0;
        f.emu.faults.add("token", { ...row.fault, times: mode === "once" ? 1 : Infinity });
        await using cca = emulatorConfidentialApp(f.emu, sni, { requestTimeoutMs: TIMEOUT_MS });
        await expectOutcome(
          `CC token ${row.name} ${mode}`,
          row[mode],
          () => cca.acquireTokenForClient({ scopes: ["https://vault.azure.net/.default"] }),
        );
      }
    }
  });

  it("resource: each fault once and always, through ResourceCaller", async () => {
    f.emu.faults.clear();
    const resource = new URL(f.emu.resourceUrl).origin;
    await using app = mi();
    let token = await app.acquireToken({ resource });
    for (const row of resourceRows) {
      for (const mode of ["once", "always"] as const) {
        f.emu.faults.clear();
        if (row.fault.handshakeFailure) {
          // A new binding certificate, so that the call needs a new TLS connection on every runtime.
          await using fresh = mi();
          token = await fresh.acquireToken({ resource });
        }
        f.emu.requests.length = 0;
        f.emu.faults.add("resource", { ...row.fault, times: mode === "once" ? 1 : Infinity });
        // A new caller per case: a handshake fault needs a new connection.
        await using caller = new ResourceCaller(token, {
          caCertificates: f.emu.caCertificatePem,
          timeoutMs: TIMEOUT_MS,
        });
        await expectOutcome(`resource ${row.name} ${mode}`, row[mode], () => caller.callResource(f.emu.resourceUrl));
      }
    }
  });

  it("errors are typed: client errors are MsalClientError", async () => {
    f.emu.faults.clear();
    f.emu.faults.add("platformMetadata", { status: 404, times: Infinity });
    await using app = mi();
    const error = await app.acquireToken({ resource: "https://vault.azure.net" }).catch((e) => e);
    assert.ok(error instanceof MsalClientError);
    f.emu.faults.clear();
  });
});
