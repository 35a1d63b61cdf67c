// Timing helpers shared by the benchmarks: mitata for the sub-microsecond
// loops, a monotonic clock and medians for the hand-rolled ones, and a
// garbage collector when the runtime exposes one.
import { measure } from "mitata";

/** Milliseconds from a monotonic clock. */
export function nowMs(): number {
  return performance.now();
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Summary of repeated timings, in milliseconds. */
export interface Timings {
  /** Median, the figure the report uses. */
  medianMs: number;
  /** Fastest run. */
  minMs: number;
  /** Slowest run. */
  maxMs: number;
  /** How many runs. */
  runs: number;
}

/** Summarises timings in milliseconds. */
export function summarise(samplesMs: readonly number[]): Timings {
  return {
    medianMs: median(samplesMs),
    minMs: Math.min(...samplesMs),
    maxMs: Math.max(...samplesMs),
    runs: samplesMs.length,
  };
}

/** Runs `work` `runs` times one after the other and times each run. */
export async function timeRuns(runs: number, work: (run: number) => Promise<unknown>): Promise<Timings> {
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = nowMs();
    await work(run);
    samples.push(nowMs() - started);
  }
  return summarise(samples);
}

/**
 * A full garbage collection, if this runtime lets a script ask for one:
 * `Bun.gc(true)` on Bun, `globalThis.gc` on Node and Deno started with
 * `--expose-gc`. Undefined otherwise: the caller says so in the report.
 */
export function forcedGc(): (() => void) | undefined {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun?.gc) return () => bun.gc(true);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") return () => gc();
  return undefined;
}

/** What mitata measured for one function, per call. */
export interface PerCall {
  /** Median time per call, in nanoseconds. */
  medianNs: number;
  /** Mean time per call, in nanoseconds. */
  meanNs: number;
  /** 99th percentile of the per-batch means, in nanoseconds. */
  p99Ns: number;
  /** Calls made while measuring. */
  calls: number;
}

/**
 * Time per call of `fn` (sync or async) with mitata: batches of calls after a
 * warm-up, at least `minCpuMs` of measured time. A forced GC, when available,
 * runs before the loop only, so collections the function itself causes are
 * part of its cost.
 */
export async function perCall(fn: () => unknown, minCpuMs = 700, warmupCalls = 20_000): Promise<PerCall> {
  // Warm the function up first: mitata decides from its first few calls
  // whether to time batches of calls, and a cold first call (JIT, lazy
  // initialisation) would make it time single calls, timer cost included.
  for (let i = 0; i < warmupCalls; i++) await fn();
  const gc = forcedGc();
  const stats = await measure(fn, { min_cpu_time: minCpuMs * 1e6, gc: gc ?? false, inner_gc: false });
  return { medianNs: stats.p50, meanNs: stats.avg, p99Ns: stats.p99, calls: stats.ticks };
}
