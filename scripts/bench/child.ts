// Child processes of the benchmark: where the repository is, how to run one
// of scripts/bench/*.ts on a given runtime, and the one line of JSON a child
// hands back on stdout.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { detectRuntime, type RuntimeName } from "../../mod.ts";

/** Marks the stdout line that carries a child's result. */
export const RESULT_MARKER = "BENCH_RESULT ";

/** The repository root, whether this module runs from scripts/ (.ts) or from build/scripts/ (.js). */
export function repoRoot(): string {
  const here = new URL("../../", import.meta.url);
  const root = here.pathname.endsWith("/build/") ? new URL("../", here) : here;
  return fileURLToPath(root).replace(/\/$/, "");
}

/**
 * The command that runs `scripts/bench/<name>` on `runtime`: Node runs the
 * tsc output under build/ (and gets `--expose-gc`), Deno and Bun the .ts
 * source, each from node_modules/.bin as npm installed it.
 */
export function benchCommand(runtime: RuntimeName, name: string): [string, string[]] {
  const root = repoRoot();
  switch (runtime) {
    case "deno":
      return [
        runtime === detectRuntime() ? process.execPath : `${root}/node_modules/.bin/deno`,
        ["run", "-A", "--v8-flags=--expose-gc", `${root}/scripts/bench/${name}.ts`],
      ];
    case "bun":
      return [runtime === detectRuntime() ? process.execPath : `${root}/node_modules/.bin/bun`, [
        `${root}/scripts/bench/${name}.ts`,
      ]];
    default:
      return [runtime === detectRuntime() ? process.execPath : "node", [
        "--expose-gc",
        `${root}/build/scripts/bench/${name}.js`,
      ]];
  }
}

/** Prints a child's result for its parent. */
export function handBack(result: unknown): void {
  console.log(RESULT_MARKER + JSON.stringify(result));
}

/**
 * Runs a benchmark child and returns the JSON it handed back. Its stderr
 * (progress lines) goes to ours. Asynchronous on purpose: the parent's event
 * loop stays free, for an emulator the child talks to.
 */
export function runChild<T>(
  runtime: RuntimeName,
  name: string,
  env: Record<string, string> = {},
  timeoutMs = 240_000,
): Promise<T> {
  const [command, args] = benchCommand(runtime, name);
  return new Promise<T>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: repoRoot(),
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARKER));
      if (code === 0 && line) return resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as T);
      reject(
        new Error(
          `${command} ${args.join(" ")} ended with ${signal ?? `code ${code}`}: ${
            (stderr || stdout).trim().slice(-800)
          }`,
        ),
      );
    });
  });
}
