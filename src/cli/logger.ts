/**
 * With `--verbose`, the library's own log lines go to stderr. The library
 * never logs tokens or keys; identifiers stay redacted too.
 *
 * @module
 */

import type { Logger } from "../../mod.ts";
import type { CliContext } from "./context.ts";

/**
 * A logger writing `mtls-pop: [level] message` lines to stderr when
 * `verbose`, or `undefined` (no logging) otherwise.
 *
 * @param verbose whether `--verbose` was given
 * @param context where stderr is
 */
export function verboseLogger(verbose: boolean, context: CliContext): Logger | undefined {
  if (!verbose) return undefined;
  return {
    level: "info",
    piiLoggingEnabled: false,
    log: (level, message) => context.writeErr(`mtls-pop: [${level}] ${message}\n`),
  };
}
