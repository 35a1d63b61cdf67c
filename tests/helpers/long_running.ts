// Starts a script as a long-running child process of this runtime (a
// server, say) and waits, event-driven on its stdout, for a given line.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { runtimeCommand } from "./runtime.ts";

export interface LongRunningChild {
  child: ChildProcessWithoutNullStreams;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with all of stdout once it matches `pattern`; rejects if the child exits first or `timeoutMs` passes. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code and signal once the child has exited. */
  exited: Promise<{ code: number | null; signal: string | null }>;
}

export function startScript(
  script: string,
  options: { args?: string[]; env?: Record<string, string> } = {},
): LongRunningChild {
  const [command, args] = runtimeCommand(script, options.args);
  const child = spawn(command, args, { env: { ...process.env, NO_COLOR: "1", ...options.env }, stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal }))
  );
  child.stdout.on("data", (d: string) => (stdout += d));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForStdout(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(stdout)) return;
          cleanup();
          resolve(stdout);
        };
        const onExit = () => {
          cleanup();
          reject(new Error(`the child exited before printing ${pattern}:\n${stdout}\n${stderr}`));
        };
        // A safety net for a child that hangs, not a wait for the output: that is event-driven.
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout.off("data", check);
          child.off("close", onExit);
        };
        child.stdout.on("data", check);
        child.on("close", onExit);
        check();
      });
    },
  };
}
