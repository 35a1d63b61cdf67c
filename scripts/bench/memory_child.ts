// The child of item 5 (see memory.ts): one ManagedIdentityApplication
// against the parent's emulator; heap read after a full GC before and after
// caching `count` tokens for distinct resources.
import { ManagedIdentityApplication } from "../../mod.ts";
import { handBack } from "./child.ts";
import { type MemoryInput, memoryResources, type MemoryResult } from "./memory.ts";
import { forcedGc, nowMs } from "./timing.ts";

const input = JSON.parse(process.env.BENCH_MEMORY_INPUT ?? "") as MemoryInput;
const gc = forcedGc();

/** heapUsed after two full collections (the second picks up what finalizers freed). */
function settledHeap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** Acquires tokens for `resources`, `concurrency` at a time; returns the sum of their lengths. */
async function fill(
  app: ManagedIdentityApplication,
  resources: readonly string[],
  concurrency: number,
): Promise<number> {
  let next = 0;
  let characters = 0;
  const worker = async () => {
    while (next < resources.length) {
      const resource = resources[next++]!;
      // Only the length is kept: holding the results would add them to the heap.
      const result = await app.acquireToken({ resource });
      characters += result.accessToken.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return characters;
}

const resources = memoryResources(input.warmup, input.count);
const app = new ManagedIdentityApplication({
  imdsEndpoint: input.imdsEndpoint,
  caCertificates: input.caCertificatePem,
});
// Warm-up: the binding, the transport and its `concurrency` connections exist before the first reading.
await fill(app, resources.slice(0, input.warmup), input.concurrency);
const heapBeforeBytes = settledHeap();
const started = nowMs();
const tokenCharacters = await fill(app, resources.slice(input.warmup), input.concurrency);
const fillMs = nowMs() - started;
const heapAfterBytes = settledHeap();
let servedFromCache = true;
for (let i = input.warmup; i < resources.length; i += 97) {
  if ((await app.acquireToken({ resource: resources[i]! })).tokenSource !== "Cache") servedFromCache = false;
}
await app.close();
const result: MemoryResult = {
  tokens: input.count,
  heapBeforeBytes,
  heapAfterBytes,
  growthBytes: heapAfterBytes - heapBeforeBytes,
  tokenCharacters,
  overheadRatio: (heapAfterBytes - heapBeforeBytes) / tokenCharacters,
  gc: gc
    ? "full GC before each reading (--expose-gc / Bun.gc)"
    : "none available: readings include uncollected garbage",
  servedFromCache,
  fillMs,
};
handBack(result);
