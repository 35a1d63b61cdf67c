// Item 2: a cold acquisition (new application, new binding, first token)
// against its floor, the parts it cannot do without, each timed alone in
// the same run:
//   floor = max(RSA-2048 key generation, platform-metadata round trip)
//         + issuecredential round trip + (TLS handshake + token round trip)
// The parts use the plainest client there is (node:http / node:https), the
// emulator's CA alone as trust, and a new connection where the cold path
// needs one (metadata: first IMDS request; token: first mTLS connection).
import * as http from "node:http";
import { BindingKey, buildImdsCsr, decodeBase64, ManagedIdentityApplication, toPem } from "../../mod.ts";
import type { Emulator } from "../../emulator.ts";
import { exchangeJson } from "./wire.ts";
import { nowMs, summarise, type Timings } from "./timing.ts";

/** What item 2 measured. */
export interface ColdResult {
  /** New ManagedIdentityApplication, first acquireToken (mint + token), close. */
  cold: Timings;
  /** `BindingKey.generate()` alone. */
  keyGeneration: Timings;
  /** GET getplatformmetadata on a new TCP connection. */
  platformMetadata: Timings;
  /** POST issuecredential with a ready CSR on a kept-alive connection. */
  issueCredential: Timings;
  /** New TLS connection with the binding certificate + POST token. */
  tlsAndToken: Timings;
  /** max(keyGeneration, platformMetadata) + issueCredential + tlsAndToken, from the medians. */
  floorMs: number;
  /** cold / floor, from the medians. */
  ratio: number;
  /**
   * Each cold acquisition less the time of its own key generation (timed by
   * wrapping `crypto.subtle.generateKey` during the cold runs only): the
   * cold path's work besides the key, free of the key's large variance.
   */
  coldLessOwnKeyGeneration: Timings;
  /** The floor's counterpart: floor less key generation (issuance + TLS and token, plus any metadata time beyond the key). */
  floorLessKeyGenerationMs: number;
}

/**
 * Runs `work` with `crypto.subtle.generateKey` wrapped so that the time of
 * each RSA key generation it starts is recorded; behaviour is unchanged.
 */
async function withKeyGenerationTimed<T>(work: () => Promise<T>): Promise<{ value: T; keyGenerationMs: number[] }> {
  const subtle = crypto.subtle as SubtleCrypto & { generateKey: SubtleCrypto["generateKey"] };
  const original = subtle.generateKey;
  const keyGenerationMs: number[] = [];
  const timed = (async (...args: Parameters<SubtleCrypto["generateKey"]>) => {
    const started = nowMs();
    const key = await original.apply(subtle, args);
    keyGenerationMs.push(nowMs() - started);
    return key;
  }) as SubtleCrypto["generateKey"];
  Object.defineProperty(subtle, "generateKey", { value: timed, configurable: true, writable: true });
  try {
    return { value: await work(), keyGenerationMs };
  } finally {
    delete (subtle as { generateKey?: unknown }).generateKey;
    if (subtle.generateKey !== original) {
      Object.defineProperty(subtle, "generateKey", { value: original, configurable: true, writable: true });
    }
  }
}

/** Runs item 2: `runs` rounds, each doing one of every measurement, interleaved so drift hits all alike. */
export async function measureCold(emu: Emulator, runs = 30): Promise<ColdResult> {
  const imds = emu.imdsEndpoint;
  const metadataUrl = `${imds}/metadata/identity/getplatformmetadata?cred-api-version=2.0`;
  const issueUrl = `${imds}/metadata/identity/issuecredential?cred-api-version=2.0`;
  const imdsHeaders = { metadata: "true", accept: "application/json" };

  // One binding made by hand, the way the library makes it, to time the
  // issuance and token exchanges alone.
  const metadata = await exchangeJson(metadataUrl, { headers: imdsHeaders, agent: false }) as {
    clientId: string;
    tenantId: string;
    cuId: { vmId?: string; vmssId?: string };
  };
  const key = await BindingKey.generate();
  const csr = await buildImdsCsr({
    key,
    clientId: metadata.clientId,
    tenantId: metadata.tenantId,
    cuId: metadata.cuId,
  });
  const issueBody = JSON.stringify({ csr: csr.base64 });
  const issueHeaders = { ...imdsHeaders, "content-type": "application/json" };
  const imdsAgent = new http.Agent({ keepAlive: true });
  const issued = await exchangeJson(issueUrl, {
    method: "POST",
    headers: issueHeaders,
    body: issueBody,
    agent: imdsAgent,
  }) as {
    client_id: string;
    tenant_id: string;
    certificate: string;
    mtls_authentication_endpoint: string;
  };
  const tokenUrl = `${issued.mtls_authentication_endpoint}/${issued.tenant_id}/oauth2/v2.0/token`;
  const tls = {
    ca: emu.caCertificatePem,
    cert: toPem("CERTIFICATE", decodeBase64(issued.certificate)),
    key: key.exportPkcs8Pem(),
  };
  const tokenBody = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: issued.client_id,
    scope: "https://vault.azure.net/.default",
    token_type: "mtls_pop",
  }).toString();
  const tokenHeaders = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };

  const parts = {
    cold: [] as number[],
    coldLessOwnKeyGeneration: [] as number[],
    keyGeneration: [] as number[],
    platformMetadata: [] as number[],
    issueCredential: [] as number[],
    tlsAndToken: [] as number[],
  };
  const time = async (samples: number[], work: () => Promise<unknown>) => {
    const started = nowMs();
    await work();
    samples.push(nowMs() - started);
  };
  try {
    // One untimed round warms up every code path (JIT, lazy module state).
    for (let round = -1; round < runs; round++) {
      const into = (samples: number[]) => (round < 0 ? [] : samples);
      const coldStarted = nowMs();
      const { keyGenerationMs } = await withKeyGenerationTimed(async () => {
        const app = new ManagedIdentityApplication({ imdsEndpoint: imds, caCertificates: emu.caCertificatePem });
        try {
          const result = await app.acquireToken({ resource: "https://vault.azure.net" });
          if (result.tokenSource !== "IdentityProvider") throw new Error("a cold call was served from a cache");
        } finally {
          await app.close();
        }
      });
      const coldMs = nowMs() - coldStarted;
      if (keyGenerationMs.length !== 1) throw new Error(`a cold acquisition generated ${keyGenerationMs.length} keys`);
      into(parts.cold).push(coldMs);
      into(parts.coldLessOwnKeyGeneration).push(coldMs - keyGenerationMs[0]!);
      await time(into(parts.keyGeneration), () => BindingKey.generate());
      await time(into(parts.platformMetadata), () => exchangeJson(metadataUrl, { headers: imdsHeaders, agent: false }));
      await time(
        into(parts.issueCredential),
        () => exchangeJson(issueUrl, { method: "POST", headers: issueHeaders, body: issueBody, agent: imdsAgent }),
      );
      await time(
        into(parts.tlsAndToken),
        () => exchangeJson(tokenUrl, { method: "POST", headers: tokenHeaders, body: tokenBody, agent: false, tls }),
      );
      emu.requests.length = 0;
    }
  } finally {
    imdsAgent.destroy();
  }
  const cold = summarise(parts.cold);
  const keyGeneration = summarise(parts.keyGeneration);
  const platformMetadata = summarise(parts.platformMetadata);
  const issueCredential = summarise(parts.issueCredential);
  const tlsAndToken = summarise(parts.tlsAndToken);
  const floorMs = Math.max(keyGeneration.medianMs, platformMetadata.medianMs) + issueCredential.medianMs +
    tlsAndToken.medianMs;
  return {
    cold,
    keyGeneration,
    platformMetadata,
    issueCredential,
    tlsAndToken,
    floorMs,
    ratio: cold.medianMs / floorMs,
    coldLessOwnKeyGeneration: summarise(parts.coldLessOwnKeyGeneration),
    floorLessKeyGenerationMs: floorMs - keyGeneration.medianMs,
  };
}
