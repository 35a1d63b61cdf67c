/**
 * The shape every subcommand has.
 *
 * @module
 */

import type { CliContext } from "./context.ts";
import type { ExitCodeValue } from "./errors.ts";

/** One subcommand of `mtls-pop`. */
export interface CliCommand {
  /** The word that selects it, e.g. `token`. */
  readonly name: string;
  /** The full text of `mtls-pop <name> --help`. */
  readonly help: string;
  /**
   * Runs it. Failures are thrown (the caller turns them into an exit code
   * and a line on stderr); the returned code is for success paths.
   *
   * @param args the arguments after the command name
   * @param context output, input, environment and signals
   */
  run(args: readonly string[], context: CliContext): Promise<ExitCodeValue>;
}
