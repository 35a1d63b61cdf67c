// Runs a fixture script in a child process of the runtime running the tests.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { detectRuntime } from "../../mod.ts";

/** Path of tests/fixtures/<name> as this runtime runs it (.ts, or .js under build/). */
export function fixturePath(name: string): string {
  return scriptPath(`tests/fixtures/${name}`);
}

/** Path of a script under the repository (e.g. `scripts/demo`) as this runtime runs it. */
export function scriptPath(pathWithoutExtension: string): string {
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return fileURLToPath(new URL(`../../${pathWithoutExtension}${ext}`, import.meta.url));
}

export function runtimeCommand(script: string, args: string[] = []): [string, string[]] {
  switch (detectRuntime()) {
    case "deno":
      return [process.execPath, ["run", "--allow-all", "--no-prompt", script, ...args]];
    case "bun":
      return [process.execPath, [script, ...args]];
    default:
      return [process.execPath, [script, ...args]];
  }
}

export interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a fixture; kills it (and reports timedOut) if it has not exited after `timeoutMs`. */
export function runFixture(
  name: string,
  options: { args?: string[]; env?: Record<string, string>; timeoutMs?: number; input?: string } = {},
): Promise<ChildResult> {
  return runScript(fixturePath(name), options);
}

/** Runs a script file on this runtime. */
export function runScript(
  script: string,
  options: { args?: string[]; env?: Record<string, string>; timeoutMs?: number; input?: string } = {},
): Promise<ChildResult> {
  const [command, args] = runtimeCommand(script, options.args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, NO_COLOR: "1", ...options.env }, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? 30_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}
