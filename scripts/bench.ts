// `npm run bench`: issue 7's benchmarks against the alternatives and the
// physical floor. Prints a table and writes bench/results.json and
// bench/RESULTS.md. Every figure is compared with a baseline measured in the
// same run; see scripts/bench/ for each item.
//
//   1 cache hit, ours vs msal-node (Node, Deno, Bun)       scripts/bench/cache_hit.ts
//   2 cold acquisition vs its floor                         scripts/bench/cold.ts
//   3 1,000 concurrent cold callers: one mint, one request  scripts/bench/concurrency.ts
//   4 resource calls vs plain keep-alive and naive clients  scripts/bench/resource_calls.ts
//   5 heap growth for 10,000 cached tokens                  scripts/bench/memory.ts
//
// `npm run bench -- --quick` runs far fewer iterations, for trying changes.
import { mkdirSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { startEmulator } from "../emulator.ts";
import { detectRuntime, type RuntimeName } from "../mod.ts";
import { repoRoot, runChild } from "./bench/child.ts";
import { measureCold } from "./bench/cold.ts";
import { measureConcurrency } from "./bench/concurrency.ts";
import { measureMemory } from "./bench/memory.ts";
import { explain } from "./bench/notes.ts";
import { type BenchResults, buildRows, markdown, textTable } from "./bench/report.ts";
import { measureRuntime, type RuntimeResult, runtimeVersion } from "./bench/runtime.ts";
import { nowMs } from "./bench/timing.ts";

const quick = process.argv.includes("--quick");
/** Iterations; `--quick` shrinks them for development runs. */
const sizes = quick
  ? { minCpuMs: 250, calls: 300, naiveCalls: 100, rounds: 2, coldRuns: 8, concurrencyRounds: 2, memoryTokens: 2_000 }
  : {
    minCpuMs: 700,
    calls: 2_000,
    naiveCalls: 2_000,
    rounds: 4,
    coldRuns: 80,
    concurrencyRounds: 7,
    memoryTokens: 10_000,
  };

const progress = (text: string) => console.error(`[bench] ${text}`);
const errorText = (error: unknown) => String((error as Error)?.stack ?? error);

const started = nowMs();
const here = detectRuntime();
const perRuntime: BenchResults["perRuntime"] = {};
const runtimes: BenchResults["runtimes"] = { [here]: runtimeVersion(here) };

// Items 1 and 4 first, in a fresh process (measureRuntime starts its own emulator).
progress(`${here} ${runtimes[here]}: item 1 (cache hit) and item 4 (resource calls)`);
perRuntime[here] = await measureRuntime({
  minCpuMs: sizes.minCpuMs,
  calls: sizes.calls,
  naiveCalls: sizes.naiveCalls,
  rounds: sizes.rounds,
})
  .catch((error) => ({ error: errorText(error) }));

/** 100 made-up resources the emulator's STS is told about (item 3). */
const resources = Array.from(
  { length: 100 },
  (_, i) => `https://bench-resource-${String(i).padStart(3, "0")}.example.com`,
);
const emu = await startEmulator({ resources });
let cold: BenchResults["cold"];
let concurrency: BenchResults["concurrency"];
try {
  progress(`item 2: ${sizes.coldRuns} cold acquisitions and their parts`);
  cold = await measureCold(emu, sizes.coldRuns);
  progress(`item 3: 1,000 concurrent cold callers, ${sizes.concurrencyRounds} rounds`);
  concurrency = await measureConcurrency(emu, resources, { rounds: sizes.concurrencyRounds });
} finally {
  await emu.close();
}

progress(`item 5: heap growth for ${sizes.memoryTokens.toLocaleString("en-US")} cached tokens (child process)`);
const memory = await measureMemory(sizes.memoryTokens).catch((error) => ({ error: errorText(error) }));

// Deno and Bun, one after the other (two would compete for the CPUs).
for (const runtime of ["deno", "bun"] as RuntimeName[]) {
  if (runtime === here) continue;
  progress(`${runtime}: items 1 and 4 in a child process`);
  try {
    const result = await runChild<RuntimeResult>(runtime, "runtime", {
      BENCH_RUNTIME_OPTIONS: JSON.stringify({
        minCpuMs: sizes.minCpuMs,
        calls: sizes.calls,
        naiveCalls: sizes.naiveCalls,
        rounds: sizes.rounds,
      }),
    });
    perRuntime[runtime] = result;
    runtimes[runtime] = result.version;
  } catch (error) {
    perRuntime[runtime] = { error: errorText(error) };
  }
}

const cpus = os.cpus();
const partial: Omit<BenchResults, "rows"> = {
  finishedAt: new Date().toISOString(),
  command: `npm run bench${quick ? " -- --quick" : ""}`,
  quick,
  durationSeconds: (nowMs() - started) / 1000,
  mainRuntime: here,
  machine: {
    cpu: cpus[0]?.model.trim() ?? "unknown CPU",
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  },
  runtimes,
  perRuntime,
  cold,
  concurrency,
  memory,
};
const results: BenchResults = { ...partial, rows: buildRows(partial) };

const outDir = `${repoRoot()}/bench`;
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}/results.json`, JSON.stringify(results, null, 2) + "\n");
writeFileSync(`${outDir}/RESULTS.md`, markdown(results, explain(results)));
console.log(textTable(results.rows));
const missed = results.rows.filter((r) => r.met === false).length;
console.log(
  `\n${
    results.rows.filter((r) => r.met === true).length
  } goals met, ${missed} missed; wrote bench/results.json and bench/RESULTS.md in ${
    results.durationSeconds.toFixed(0)
  } s.`,
);
