// Item 5: heap growth of one application holding 10,000 cached tokens for
// distinct resources. The application runs in a child process (started with
// --expose-gc, so the heap is read after a full collection) and the emulator
// in this one, so the emulator's own memory (its request log above all) is
// not in the figure.
import { startEmulator } from "../../emulator.ts";
import { detectRuntime } from "../../mod.ts";
import { runChild } from "./child.ts";

/** What the child reports. */
export interface MemoryResult {
  /** Tokens cached by the measured phase (each for its own resource). */
  tokens: number;
  /** heapUsed after a full GC, before and after the measured phase, bytes. */
  heapBeforeBytes: number;
  heapAfterBytes: number;
  /** heapAfter - heapBefore. */
  growthBytes: number;
  /** Sum of the access tokens' lengths: the bytes no cache can do without (one-byte strings). */
  tokenCharacters: number;
  /** growth / tokenCharacters. */
  overheadRatio: number;
  /** How the heap was collected before each reading ("gc()" or "none: ..."). */
  gc: string;
  /** Whether a sample of the resources was then served from the cache. */
  servedFromCache: boolean;
  /** Wall time of the measured phase, ms. */
  fillMs: number;
}

/** The resources of item 5: `warmup` to open connections before the first reading, then `count` measured ones. */
export function memoryResources(warmup: number, count: number): string[] {
  return Array.from({ length: warmup + count }, (_, i) => `https://memory-bench-${i}.example.net`);
}

/** Input handed to the child in BENCH_MEMORY_INPUT. */
export interface MemoryInput {
  imdsEndpoint: string;
  caCertificatePem: string;
  warmup: number;
  count: number;
  concurrency: number;
}

/** Runs item 5: an emulator here, the application in a child process of the same runtime. */
export async function measureMemory(count = 10_000, concurrency = 16): Promise<MemoryResult> {
  const warmup = concurrency;
  const emu = await startEmulator({ resources: memoryResources(warmup, count) });
  try {
    const input: MemoryInput = {
      imdsEndpoint: emu.imdsEndpoint,
      caCertificatePem: emu.caCertificatePem,
      warmup,
      count,
      concurrency,
    };
    // The emulator records every request; with 10,000 token requests the log
    // would be tens of MB in this process, so it is emptied as it fills.
    const trim = setInterval(() => (emu.requests.length = 0), 200);
    try {
      return await runChild<MemoryResult>(detectRuntime(), "memory_child", {
        BENCH_MEMORY_INPUT: JSON.stringify(input),
      });
    } finally {
      clearInterval(trim);
    }
  } finally {
    await emu.close();
  }
}
