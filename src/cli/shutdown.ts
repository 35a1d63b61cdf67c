/**
 * Waiting for Ctrl-C. `process.on("SIGINT" | "SIGTERM")` works on Node, Bun
 * and Deno 2 alike (checked on Deno 2.9.6: the listener runs and the process
 * exits with the code it chooses), so no runtime-specific adapter in
 * src/runtime/ is needed.
 *
 * @module
 */

import process from "node:process";

/** The signals that ask the command to stop. */
export const SHUTDOWN_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * Resolves with the signal's name at the first SIGINT or SIGTERM. While
 * waiting, those signals no longer kill the process: the caller decides
 * how to shut down. The listeners are removed once one fires, so that a
 * second Ctrl-C during a slow shutdown kills the process the usual way.
 *
 * @example
 * ```ts
 * const signal = await waitForShutdownSignal();
 * console.error(`stopping on ${signal}`);
 * ```
 */
export function waitForShutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    const listeners = SHUTDOWN_SIGNALS.map((signal) => {
      const listener = () => {
        for (const [name, registered] of listeners) process.off(name, registered);
        resolve(signal);
      };
      process.on(signal, listener);
      return [signal, listener] as const;
    });
  });
}
