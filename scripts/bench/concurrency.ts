// Item 3: many cold callers at once on a new application. They must share
// one mint (platform metadata + issuecredential) and one token request per
// resource; requests are counted from the emulator's record. Their total time
// is compared with one cold call timed in the same rounds.
import { ManagedIdentityApplication } from "../../mod.ts";
import type { Emulator } from "../../emulator.ts";
import { median, nowMs } from "./timing.ts";

/** Counts and times of one scenario. */
export interface ConcurrencyScenario {
  callers: number;
  resources: number;
  /** Per round: requests the emulator saw, by endpoint. */
  platformMetadataRequests: number[];
  issueCredentialRequests: number[];
  tokenRequests: number[];
  /** Per round: TLS connections the token requests came on. */
  tokenConnections: number[];
  /** Median total time of all callers, ms. */
  medianMs: number;
  /** Median time of one cold call in the same rounds, ms. */
  singleColdMedianMs: number;
  /** medianMs / singleColdMedianMs. */
  ratio: number;
  /** Whether every caller got a token for its resource. */
  allSucceeded: boolean;
}

/** What item 3 measured. */
export interface ConcurrencyResult {
  oneResource: ConcurrencyScenario;
  manyResources: ConcurrencyScenario;
}

/** A new application pointed at the emulator. */
function newApp(emu: Emulator): ManagedIdentityApplication {
  return new ManagedIdentityApplication({ imdsEndpoint: emu.imdsEndpoint, caCertificates: emu.caCertificatePem });
}

async function scenario(
  emu: Emulator,
  callers: number,
  resources: readonly string[],
  rounds: number,
): Promise<ConcurrencyScenario> {
  const out: ConcurrencyScenario = {
    callers,
    resources: resources.length,
    platformMetadataRequests: [],
    issueCredentialRequests: [],
    tokenRequests: [],
    tokenConnections: [],
    medianMs: 0,
    singleColdMedianMs: 0,
    ratio: 0,
    allSucceeded: true,
  };
  const totals: number[] = [];
  const singles: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // One cold call, the baseline.
    {
      const app = newApp(emu);
      const started = nowMs();
      await app.acquireToken({ resource: resources[0]! });
      singles.push(nowMs() - started);
      await app.close();
    }
    emu.requests.length = 0;
    const app = newApp(emu);
    try {
      const started = nowMs();
      const results = await Promise.all(
        Array.from({ length: callers }, (_, i) => app.acquireToken({ resource: resources[i % resources.length]! })),
      );
      totals.push(nowMs() - started);
      // Callers of one resource share one token; every resource got its own.
      const byResource = new Map<number, string>();
      results.forEach((result, i) => {
        const slot = i % resources.length;
        const seen = byResource.get(slot);
        if (seen !== undefined && seen !== result.accessToken) out.allSucceeded = false;
        byResource.set(slot, result.accessToken);
      });
      if (new Set(byResource.values()).size !== resources.length) out.allSucceeded = false;
    } catch {
      out.allSucceeded = false;
    } finally {
      await app.close();
    }
    const count = (endpoint: string) => emu.requests.filter((r) => r.endpoint === endpoint).length;
    out.platformMetadataRequests.push(count("platformMetadata"));
    out.issueCredentialRequests.push(count("issueCredential"));
    out.tokenRequests.push(count("token"));
    out.tokenConnections.push(
      new Set(emu.requests.filter((r) => r.endpoint === "token").map((r) => r.connectionId)).size,
    );
    emu.requests.length = 0;
  }
  out.medianMs = median(totals);
  out.singleColdMedianMs = median(singles);
  out.ratio = out.medianMs / out.singleColdMedianMs;
  return out;
}

/**
 * Runs item 3. `resources` must be known to the emulator's STS and hold at
 * least `manyResources` entries.
 */
export async function measureConcurrency(
  emu: Emulator,
  resources: readonly string[],
  options: { callers?: number; manyResources?: number; rounds?: number } = {},
): Promise<ConcurrencyResult> {
  const callers = options.callers ?? 1000;
  const rounds = options.rounds ?? 7;
  const many = resources.slice(0, options.manyResources ?? 100);
  const oneResource = await scenario(emu, callers, [resources[0]!], rounds);
  const manyResources = await scenario(emu, callers, many, rounds);
  return { oneResource, manyResources };
}
