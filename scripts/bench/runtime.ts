// Items 1 and 4 on the runtime running this file (Deno and Bun are started
// on it by scripts/bench.ts): an emulator in this process, the cache hit
// against msal-node, the resource calls against this runtime's plain clients.
// Prints one BENCH_RESULT line of JSON for the parent.
import { startEmulator } from "../../emulator.ts";
import { detectRuntime, type RuntimeName } from "../../mod.ts";
import { type CacheHitResult, measureCacheHit } from "./cache_hit.ts";
import { handBack } from "./child.ts";
import { measureResourceCalls, type ResourceCallsOptions, type ResourceCallsResult } from "./resource_calls.ts";

/** What one runtime reports. */
export interface RuntimeResult {
  runtime: RuntimeName;
  version: string;
  cacheHit: CacheHitResult;
  resourceCalls: ResourceCallsResult;
}

/** The version of the runtime running this code. */
export function runtimeVersion(runtime: RuntimeName = detectRuntime()): string {
  const versions = process.versions as Record<string, string | undefined>;
  return versions[runtime] ?? "unknown";
}

/** Runs items 1 and 4 here. */
export async function measureRuntime(
  options: ResourceCallsOptions & { minCpuMs?: number } = {},
): Promise<RuntimeResult> {
  const runtime = detectRuntime();
  const emu = await startEmulator();
  try {
    console.error(`[${runtime}] item 1: cache hit, ours vs msal-node`);
    const cacheHit = await measureCacheHit(emu, options.minCpuMs);
    console.error(`[${runtime}] item 4: ${options.calls ?? 2000} sequential resource calls per client`);
    const resourceCalls = await measureResourceCalls(emu, options);
    return { runtime, version: runtimeVersion(runtime), cacheHit, resourceCalls };
  } finally {
    await emu.close();
  }
}

// Run as a child (Deno and Bun set import.meta.main; Node 20, which imports
// this module in-process, does not): the parent passes the sizes in
// BENCH_RUNTIME_OPTIONS.
if ((import.meta as { main?: boolean }).main) {
  const options = JSON.parse(process.env.BENCH_RUNTIME_OPTIONS ?? "{}") as ResourceCallsOptions & { minCpuMs?: number };
  handBack(await measureRuntime(options));
}
