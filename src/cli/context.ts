/**
 * What a command may touch outside its arguments: where its output goes,
 * stdin, the environment and the shutdown signal. Commands get it passed in
 * rather than reaching for `process`, so that one place (main.ts) binds them
 * to the real process and everything else stays testable.
 *
 * @module
 */

import process from "node:process";
import { readEnv } from "../runtime/env.ts";
import { waitForShutdownSignal } from "./shutdown.ts";

/** The outside world of one command run. */
export interface CliContext {
  /** Writes text to stdout as is (add the newline yourself). */
  writeOut(text: string): void;
  /** Writes text to stderr as is (add the newline yourself). */
  writeErr(text: string): void;
  /** Reads all of stdin as text. */
  readStdin(): Promise<string>;
  /** An environment variable, or `undefined` when unset (or not readable). */
  env(name: string): string | undefined;
  /** Resolves with the signal's name at the first SIGINT or SIGTERM. */
  shutdownSignal(): Promise<string>;
}

/** The context bound to the running process. */
export function processContext(): CliContext {
  return {
    writeOut: (text) => void process.stdout.write(text),
    writeErr: (text) => void process.stderr.write(text),
    readStdin: readAllStdin,
    env: readEnv,
    shutdownSignal: waitForShutdownSignal,
  };
}

async function readAllStdin(): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of process.stdin as AsyncIterable<Uint8Array | string>) {
    text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}
