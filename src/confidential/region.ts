/**
 * Azure region auto-detection (opt-in): `REGION_NAME` from the environment,
 * else the VM's `location` from IMDS instance metadata, with a 2 s timeout.
 *
 * @module
 */

import { readEnv } from "../runtime/env.ts";
import type { MtlsTransport } from "../runtime/transport.ts";
import type { LibraryLogger } from "../token/logger.ts";
import { isValidRegion } from "./authority.ts";

/** How long the IMDS compute metadata request may take. */
export const REGION_DETECTION_TIMEOUT_MS = 2_000;

/**
 * The region this code runs in, or `undefined` when neither the environment
 * nor IMDS tells (or tells something that is not a valid region name).
 */
export async function detectRegion(
  transport: MtlsTransport,
  imdsBaseUrl: string,
  logger: LibraryLogger,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const fromEnv = readEnv("REGION_NAME")?.replace(/\s+/g, "").toLowerCase();
  if (fromEnv) {
    if (isValidRegion(fromEnv)) {
      logger.info`Region ${fromEnv} from REGION_NAME.`;
      return fromEnv;
    }
    logger.warning`REGION_NAME is not a valid region name; ignoring it.`;
  }
  try {
    const url = new URL(`${imdsBaseUrl}/metadata/instance/compute`);
    url.searchParams.set("api-version", "2021-02-01");
    const res = await transport.send(url, {
      headers: { metadata: "true" },
      timeoutMs: REGION_DETECTION_TIMEOUT_MS,
      maxResponseBytes: 64 * 1024,
      signal,
    });
    if (res.status !== 200) {
      logger.warning`IMDS instance metadata answered HTTP ${res.status}; no region detected.`;
      return undefined;
    }
    const location = ((await res.json()) as { location?: unknown })?.location;
    const region = typeof location === "string" ? location.replace(/\s+/g, "").toLowerCase() : "";
    if (isValidRegion(region)) {
      logger.info`Region ${region} from IMDS.`;
      return region;
    }
    logger.warning`IMDS instance metadata has no valid location; no region detected.`;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    logger.warning`Region detection through IMDS failed (${(error as { errorCode?: string })?.errorCode ?? "error"}).`;
  }
  return undefined;
}
