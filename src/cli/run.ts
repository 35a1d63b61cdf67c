/**
 * The command line tool as a function: arguments and a context in, an exit
 * code out. Every failure becomes one line on stderr (more with `--verbose`)
 * and exit code 1 (a service said no) or 2 (usage, files, configuration).
 *
 * @module
 */

import { COMMANDS, findCommand } from "./commands/index.ts";
import type { CliContext } from "./context.ts";
import { CliUsageError, ExitCode, exitCodeFor, type ExitCodeValue, formatError } from "./errors.ts";
import { mainHelp, versionText } from "./help.ts";

/**
 * Runs `mtls-pop` with these arguments (those after the program name).
 *
 * @example
 * ```ts
 * const code = await runCli(["inspect", token, "--json"], processContext());
 * ```
 *
 * @param argv the arguments
 * @param context output, input, environment and signals
 * @returns the exit code
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<ExitCodeValue> {
  try {
    return await dispatch(argv, context);
  } catch (error) {
    for (const line of formatError(error, wantsVerbose(argv))) context.writeErr(line + "\n");
    return exitCodeFor(error);
  }
}

async function dispatch(argv: readonly string[], context: CliContext): Promise<ExitCodeValue> {
  const [first, ...rest] = argv;
  if (first === undefined) throw new CliUsageError("a command is required; see `mtls-pop --help`.");
  if (first === "--help" || first === "-h") {
    context.writeOut(mainHelp(COMMANDS));
    return ExitCode.ok;
  }
  if (first === "--version") {
    context.writeOut(versionText());
    return ExitCode.ok;
  }
  if (first === "help") {
    const topic = rest[0];
    if (topic === undefined) {
      context.writeOut(mainHelp(COMMANDS));
      return ExitCode.ok;
    }
    const command = findCommand(topic);
    if (!command) throw unknownCommand(topic);
    context.writeOut((await command.load()).help + "\n");
    return ExitCode.ok;
  }
  // `mtls-pop --verbose token ...` means `mtls-pop token --verbose ...`.
  if (first === "--verbose" && rest.length > 0) {
    return await dispatch([rest[0]!, "--verbose", ...rest.slice(1)], context);
  }
  const command = findCommand(first);
  if (!command) {
    throw first.startsWith("-")
      ? new CliUsageError(`unknown option ${first}; see \`mtls-pop --help\`.`)
      : unknownCommand(first);
  }
  const loaded = await command.load();
  // `mtls-pop <command> --help` anywhere before `--`: every command's help, in one place.
  const beforeDashes = rest.indexOf("--") < 0 ? rest : rest.slice(0, rest.indexOf("--"));
  if (beforeDashes.includes("--help") || beforeDashes.includes("-h")) {
    context.writeOut(loaded.help + "\n");
    return ExitCode.ok;
  }
  return await loaded.run(rest, context);
}

function unknownCommand(name: string): CliUsageError {
  return new CliUsageError(
    `unknown command ${JSON.stringify(name)}; the commands are ${
      COMMANDS.map((c) => c.name).join(", ")
    } (see \`mtls-pop --help\`).`,
  );
}

/** Whether `--verbose` appears before any `--` (known before parsing, which may be what fails). */
function wantsVerbose(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--verbose");
}
