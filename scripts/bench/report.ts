// Turns the measurements into rows (figure, baseline from the same run,
// ratio, goal, met), a plain-text table for the terminal, and RESULTS.md.
import type { RuntimeName } from "../../mod.ts";
import type { ColdResult } from "./cold.ts";
import type { ConcurrencyResult, ConcurrencyScenario } from "./concurrency.ts";
import type { MemoryResult } from "./memory.ts";
import type { ClientFigures } from "./resource_calls.ts";
import type { RuntimeResult } from "./runtime.ts";

/** Everything one `npm run bench` measured. */
export interface BenchResults {
  /** ISO time the run finished. */
  finishedAt: string;
  /** How to reproduce. */
  command: string;
  /** `--quick` runs fewer iterations (for development; not for the record). */
  quick: boolean;
  /** Wall time of the whole run, seconds. */
  durationSeconds: number;
  /** The runtime of the main process, which measured items 2, 3 and 5 (Node under `npm run bench`). */
  mainRuntime: RuntimeName;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string };
  /** Version of each runtime measured. */
  runtimes: Partial<Record<RuntimeName, string>>;
  /** Items 1 and 4, per runtime (or why a runtime could not be measured). */
  perRuntime: Partial<Record<RuntimeName, RuntimeResult | { error: string }>>;
  cold?: ColdResult;
  concurrency?: ConcurrencyResult;
  memory?: MemoryResult | { error: string };
  /** The table. */
  rows: Row[];
}

/** One line of the table. */
export interface Row {
  /** Item number of issue 7. */
  item: number;
  runtime: RuntimeName;
  /** What was measured. */
  figure: string;
  /** The figure, formatted. */
  value: string;
  /** The baseline it is compared with, measured in the same run, formatted. */
  baseline: string;
  /** figure relative to baseline, formatted ("30.1x faster", "1.08x"). */
  ratio: string;
  /** The goal of issue 7, or "—" when the figure has none. */
  goal: string;
  /** Whether the goal is met; undefined without a goal. */
  met: boolean | undefined;
  /** The numbers behind the row. */
  numbers: { value: number; unit: string; baseline?: number; ratio?: number };
}

const ns = (value: number) => (value >= 10_000 ? `${(value / 1000).toFixed(1)} µs` : `${value.toFixed(0)} ns`);
const ms = (value: number) => `${value.toFixed(value >= 100 ? 0 : 1)} ms`;
const times = (value: number) => `${value.toFixed(value >= 10 ? 1 : 2)}x`;
const perSecond = (figures: ClientFigures) => `${figures.callsPerSecond.toFixed(0)} calls/s`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

function isError(value: unknown): value is { error: string } {
  return typeof value === "object" && value !== null && "error" in value;
}

function cacheHitRows(runtime: RuntimeName, result: RuntimeResult): Row[] {
  const { ours, msalNode, floor } = result.cacheHit;
  const rows: Row[] = [];
  if (isError(msalNode)) {
    rows.push({
      item: 1,
      runtime,
      figure: "cache hit, ours vs msal-node",
      value: `${ns(ours.medianNs)}/op`,
      baseline: msalNode.error,
      ratio: "—",
      goal: "≥ 20x faster",
      met: undefined,
      numbers: { value: ours.medianNs, unit: "ns/op" },
    });
  } else {
    const ratio = msalNode.medianNs / ours.medianNs;
    rows.push({
      item: 1,
      runtime,
      figure: "cache hit, ours vs msal-node",
      value: `${ns(ours.medianNs)}/op`,
      baseline: `msal-node ManagedIdentityApplication (bearer) cache hit: ${ns(msalNode.medianNs)}/op`,
      ratio: `${times(ratio)} faster`,
      goal: "≥ 20x faster",
      met: ratio >= 20,
      numbers: { value: ours.medianNs, unit: "ns/op", baseline: msalNode.medianNs, ratio },
    });
  }
  rows.push({
    item: 1,
    runtime,
    figure: "cache hit, ours, absolute",
    value: `${ns(ours.medianNs)}/op`,
    baseline: `floor: Map lookup + result object + await: ${ns(floor.medianNs)}/op`,
    ratio: times(ours.medianNs / floor.medianNs),
    goal: "< 1 µs/op",
    met: ours.medianNs < 1000,
    numbers: { value: ours.medianNs, unit: "ns/op", baseline: floor.medianNs, ratio: ours.medianNs / floor.medianNs },
  });
  return rows;
}

function coldRows(runtime: RuntimeName, cold: ColdResult): Row[] {
  const part = (figure: string, median: number): Row => ({
    item: 2,
    runtime,
    figure,
    value: ms(median),
    baseline: `the cold acquisition: ${ms(cold.cold.medianMs)}`,
    ratio: `${((100 * median) / cold.cold.medianMs).toFixed(0)}% of it`,
    goal: "—",
    met: undefined,
    numbers: { value: median, unit: "ms", baseline: cold.cold.medianMs, ratio: median / cold.cold.medianMs },
  });
  return [
    {
      item: 2,
      runtime,
      figure: `cold acquisition (new app, binding, token), median of ${cold.cold.runs}`,
      value: ms(cold.cold.medianMs),
      baseline: `floor = max(keygen, metadata) + issuance + TLS+token: ${ms(cold.floorMs)}`,
      ratio: times(cold.ratio),
      goal: "≤ 1.2x",
      met: cold.ratio <= 1.2,
      numbers: { value: cold.cold.medianMs, unit: "ms", baseline: cold.floorMs, ratio: cold.ratio },
    },
    {
      item: 2,
      runtime,
      figure: "  the same, less each run's own key generation",
      value: ms(cold.coldLessOwnKeyGeneration.medianMs),
      baseline: `the floor less key generation (issuance + TLS+token): ${ms(cold.floorLessKeyGenerationMs)}`,
      ratio: times(cold.coldLessOwnKeyGeneration.medianMs / cold.floorLessKeyGenerationMs),
      goal: "—",
      met: undefined,
      numbers: {
        value: cold.coldLessOwnKeyGeneration.medianMs,
        unit: "ms",
        baseline: cold.floorLessKeyGenerationMs,
        ratio: cold.coldLessOwnKeyGeneration.medianMs / cold.floorLessKeyGenerationMs,
      },
    },
    part(`  RSA-2048 key generation, median of ${cold.keyGeneration.runs}`, cold.keyGeneration.medianMs),
    part("  platform metadata round trip (new TCP connection)", cold.platformMetadata.medianMs),
    part("  issuecredential round trip (CSR ready, warm connection)", cold.issueCredential.medianMs),
    part("  TLS handshake (client certificate) + token round trip", cold.tlsAndToken.medianMs),
  ];
}

function concurrencyRows(runtime: RuntimeName, result: ConcurrencyResult): Row[] {
  const rows: Row[] = [];
  const scenario = (name: string, s: ConcurrencyScenario, expectedTokens: number) => {
    const exact = (counts: number[], expected: number) => counts.every((c) => c === expected);
    const mints = s.platformMetadataRequests.map((m, i) => Math.max(m, s.issueCredentialRequests[i]!));
    const rounds = s.tokenRequests.length;
    rows.push({
      item: 3,
      runtime,
      figure: `${name}: mints (metadata + issuecredential)`,
      value: `${[...new Set(mints)].join("/")} per round (${rounds} rounds)`,
      baseline: `${s.callers} callers`,
      ratio: `${(s.callers / Math.max(...mints)).toFixed(0)} callers per mint`,
      goal: "exactly 1",
      met: exact(s.platformMetadataRequests, 1) && exact(s.issueCredentialRequests, 1) && s.allSucceeded,
      numbers: { value: Math.max(...mints), unit: "mints", baseline: s.callers },
    });
    rows.push({
      item: 3,
      runtime,
      figure: `${name}: token requests`,
      value: `${[...new Set(s.tokenRequests)].join("/")} per round, on ${
        [...new Set(s.tokenConnections)].join("/")
      } TLS connection(s)`,
      baseline: `${s.callers} callers`,
      ratio: `${(s.callers / Math.max(...s.tokenRequests)).toFixed(0)} callers per request`,
      goal: `exactly ${expectedTokens}`,
      met: exact(s.tokenRequests, expectedTokens) && s.allSucceeded,
      numbers: { value: Math.max(...s.tokenRequests), unit: "requests", baseline: s.callers },
    });
    rows.push({
      item: 3,
      runtime,
      figure: `${name}: total time of all callers, median of ${rounds}`,
      value: ms(s.medianMs),
      baseline: `one cold call, same rounds: ${ms(s.singleColdMedianMs)}`,
      ratio: times(s.ratio),
      goal: "—",
      met: undefined,
      numbers: { value: s.medianMs, unit: "ms", baseline: s.singleColdMedianMs, ratio: s.ratio },
    });
  };
  scenario(`${result.oneResource.callers} callers, 1 resource`, result.oneResource, 1);
  scenario(
    `${result.manyResources.callers} callers, ${result.manyResources.resources} resources`,
    result.manyResources,
    result.manyResources.resources,
  );
  return rows;
}

function resourceCallRows(runtime: RuntimeName, result: RuntimeResult): Row[] {
  const { ours, keepAlive, newConnectionPerCall, others } = result.resourceCalls;
  const oursText = `${perSecond(ours)} (${ours.calls} calls, ${ours.connections} connection${
    ours.connections === 1 ? "" : "s"
  })`;
  const versus = (baseline: ClientFigures, goal: string, threshold: number | undefined): Row => {
    const ratio = ours.callsPerSecond / baseline.callsPerSecond;
    return {
      item: 4,
      runtime,
      figure: "resource calls, ResourceCaller (ours)",
      value: oursText,
      baseline: `${baseline.name}: ${perSecond(baseline)} (${baseline.calls} calls, ${baseline.connections} connection${
        baseline.connections === 1 ? "" : "s"
      })`,
      ratio: `${times(ratio)} the throughput`,
      goal,
      met: threshold === undefined ? undefined : ratio >= threshold,
      numbers: { value: ours.callsPerSecond, unit: "calls/s", baseline: baseline.callsPerSecond, ratio },
    };
  };
  const { transportOnly } = result.resourceCalls;
  return [
    versus(keepAlive, "≥ 0.9x", 0.9),
    versus(newConnectionPerCall, "≥ 5x", 5),
    {
      ...versus(keepAlive, "—", undefined),
      figure: "  its transport alone, createTransport().send() + text()",
      value: `${perSecond(transportOnly)} (${transportOnly.calls} calls, ${transportOnly.connections} connection${
        transportOnly.connections === 1 ? "" : "s"
      })`,
      ratio: `${times(transportOnly.callsPerSecond / keepAlive.callsPerSecond)} the throughput`,
      numbers: {
        value: transportOnly.callsPerSecond,
        unit: "calls/s",
        baseline: keepAlive.callsPerSecond,
        ratio: transportOnly.callsPerSecond / keepAlive.callsPerSecond,
      },
    },
    ...others.map((other) => versus(other, "—", undefined)),
  ];
}

function memoryRows(runtime: RuntimeName, memory: MemoryResult): Row[] {
  return [{
    item: 5,
    runtime,
    figure: `heap growth for ${memory.tokens.toLocaleString("en-US")} cached tokens (distinct resources)`,
    value: `${mb(memory.growthBytes)} (${(memory.growthBytes / memory.tokens).toFixed(0)} B/token)`,
    baseline: `the tokens' own characters: ${mb(memory.tokenCharacters)}`,
    ratio: times(memory.overheadRatio),
    goal: "< 20 MB",
    met: memory.growthBytes < 20e6 && memory.servedFromCache,
    numbers: {
      value: memory.growthBytes,
      unit: "bytes",
      baseline: memory.tokenCharacters,
      ratio: memory.overheadRatio,
    },
  }];
}

/** The rows of the table, in item order. */
export function buildRows(results: Omit<BenchResults, "rows">): Row[] {
  const rows: Row[] = [];
  const runtimes = Object.entries(results.perRuntime) as Array<[RuntimeName, RuntimeResult | { error: string }]>;
  const failed = (item: number, runtime: RuntimeName, error: string): Row => ({
    item,
    runtime,
    figure: "could not be measured",
    value: "—",
    baseline: error.slice(0, 300),
    ratio: "—",
    goal: "—",
    met: false,
    numbers: { value: NaN, unit: "" },
  });
  for (const [runtime, result] of runtimes) {
    rows.push(...(isError(result) ? [failed(1, runtime, result.error)] : cacheHitRows(runtime, result)));
  }
  const main = results.mainRuntime;
  if (results.cold) rows.push(...coldRows(main, results.cold));
  if (results.concurrency) rows.push(...concurrencyRows(main, results.concurrency));
  for (const [runtime, result] of runtimes) if (!isError(result)) rows.push(...resourceCallRows(runtime, result));
  if (results.memory) {
    rows.push(
      ...(isError(results.memory) ? [failed(5, main, results.memory.error)] : memoryRows(main, results.memory)),
    );
  }
  return rows;
}

const metText = (met: boolean | undefined) => (met === undefined ? "—" : met ? "met" : "MISSED");

/** The table as aligned plain text for the terminal. */
export function textTable(rows: readonly Row[]): string {
  const header = ["#", "runtime", "figure", "value", "ratio", "goal", "met"];
  const lines = rows.map((r) => [String(r.item), r.runtime, r.figure, r.value, r.ratio, r.goal, metText(r.met)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const out = [format(header), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const line of lines) out.push(format(line));
  out.push("", "Baselines (each measured in the same run):");
  for (const r of rows) out.push(`  ${r.item} ${r.runtime.padEnd(4)} ${r.figure.trim()}: ${r.baseline}`);
  return out.join("\n");
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** RESULTS.md. */
export function markdown(results: BenchResults, notes: string[]): string {
  const { machine, runtimes } = results;
  const lines = [
    "# Benchmark results (issue 7)",
    "",
    `Measured ${results.finishedAt} by \`${results.command}\` in ${results.durationSeconds.toFixed(0)} s` +
    (results.quick ? " — **quick run (fewer iterations): not for the record**." : "."),
    "",
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(0)} GiB, ${machine.os}. ` +
    `Runtimes: ${Object.entries(runtimes).map(([name, version]) => `${name} ${version}`).join(", ")}. ` +
    "The emulator runs on loopback, in the measuring process except for item 5.",
    "",
    "Every figure is compared with a baseline measured in the same run (and the same process, except item 5 whose " +
    "application runs in a child process against an emulator in the parent). Times are medians.",
    "",
    "| # | Runtime | Figure | Value | Baseline (same run) | Ratio | Goal | Met |",
    "|---|---|---|---|---|---|---|---|",
    ...results.rows.map((r) =>
      `| ${r.item} | ${r.runtime} | ${cell(r.figure.trim())} | ${cell(r.value)} | ${cell(r.baseline)} | ${
        cell(r.ratio)
      } | ${cell(r.goal)} | ${r.met === undefined ? "—" : r.met ? "met" : "**missed**"} |`
    ),
    "",
    "## Reproduce",
    "",
    "```sh",
    "npm ci",
    "npm run bench          # writes bench/results.json and bench/RESULTS.md; about 3 minutes",
    "```",
    "",
    "`npm run bench` compiles with tsc and runs `build/scripts/bench.js` on Node; that process starts Deno " +
    "(`node_modules/.bin/deno run -A scripts/bench/runtime.ts`) and Bun (`node_modules/.bin/bun scripts/bench/runtime.ts`) " +
    "for items 1 and 4, and a Node child with `--expose-gc` for item 5. `npm run bench -- --quick` runs fewer iterations.",
    "",
    "## Notes",
    "",
    ...notes.flatMap((note) => [note, ""]),
  ];
  return lines.join("\n");
}
