/**
 * Command-line parsing on top of `node:util` `parseArgs` (the same on Node
 * 20, Deno and Bun): strict, so an unknown flag is a usage error, and with
 * the errors reworded into one short line that names the command's help.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliUsageError } from "./errors.ts";

/** A command's flag definitions, as `parseArgs` takes them (the type is not exported by @types/node 20). */
export type OptionDefinitions = NonNullable<ParseArgsConfig["options"]>;

/** Flags every command accepts. */
export const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h" },
  verbose: { type: "boolean" },
} as const satisfies OptionDefinitions;

/** What {@link parseCommandLine} returns for an option set `O`. */
export type ParsedCommandLine<O extends OptionDefinitions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/**
 * Parses one command's arguments (those after the command name).
 *
 * @param command the command's name, for the error message
 * @param args the arguments
 * @param options the flags the command accepts
 * @throws CliUsageError for an unknown flag, a missing value, a value given to a switch
 */
export function parseCommandLine<const O extends OptionDefinitions>(
  command: string,
  args: readonly string[],
  options: O,
): ParsedCommandLine<O> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliUsageError(`${describeParseError(error)}; see \`mtls-pop ${command} --help\`.`, undefined, {
      cause: error,
    });
  }
}

/** parseArgs' messages are long and suggest `--`; say what is wrong in a few words instead. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  const flag = /'([^']+)'/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag) return `unknown option ${flag}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag) {
    return /argument missing/.test(message)
      ? `${flag} needs a value`
      : `${flag.replace(/ <value>$/, "")}: ${message.replace(/^Option '[^']+' /, "")}`;
  }
  return message.replace(/\.$/, "");
}

/**
 * A flag's value, or a usage error naming the flag when it is missing or empty.
 *
 * @param value the parsed value
 * @param flag the flag's name with its dashes, e.g. `--resource`
 * @param example an example value for the error message
 */
export function requireValue(value: string | undefined, flag: string, example: string): string {
  if (value === undefined || value.trim() === "") {
    throw new CliUsageError(`${flag} is required, e.g. ${flag} ${example}.`);
  }
  return value.trim();
}

/**
 * At most `max` positional arguments; more is a usage error.
 *
 * @param command the command's name, for the error message
 * @param positionals the positional arguments
 * @param max how many the command takes
 */
export function checkPositionals(command: string, positionals: readonly string[], max: number): void {
  if (positionals.length > max) {
    const extra = positionals[max]!;
    throw new CliUsageError(`unexpected argument ${JSON.stringify(extra)}; see \`mtls-pop ${command} --help\`.`);
  }
}

/**
 * A TCP port number (0 picks a free one), or a usage error.
 *
 * @param value the flag's value, if given
 * @param flag the flag's name with its dashes
 */
export function parsePort(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new CliUsageError(`${flag} must be a port number from 0 to 65535, not ${JSON.stringify(value)}.`);
  }
  return port;
}
