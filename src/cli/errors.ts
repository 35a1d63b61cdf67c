/**
 * How the `mtls-pop` command reports failures: the error kinds of its own
 * (bad command lines, unreadable files, malformed input), which exit code
 * each failure maps to, and the one-line (or, with `--verbose`, detailed)
 * text written to stderr.
 *
 * @module
 */

// The error classes themselves, not mod.ts: this module loads before any command and must stay light.
import { MsalClientError, MsalError, MsalServiceError } from "../core/errors.ts";

/** The process exit codes of the command. */
export const ExitCode = {
  /** Everything worked. */
  ok: 0,
  /** A service answered with an error: IMDS, the STS, or a non-2xx resource answer. */
  serviceError: 1,
  /** The command line, a local file, the configuration or this machine is at fault. */
  usageError: 2,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Codes of the errors the command line tool raises itself (the library's own are in `ErrorCode`). */
export const CliErrorCode = {
  /** An unknown flag, a missing or conflicting one, or a bad flag value. */
  usage: "usage_error",
  /** A file named on the command line or in the environment does not exist. */
  fileNotFound: "file_not_found",
  /** A file exists but cannot be read. */
  fileUnreadable: "file_unreadable",
  /** Input that should be a JWT is not one. */
  malformedToken: "malformed_token",
  /** The emulator could not start (for example, a port is taken). */
  emulatorFailed: "emulator_failed",
  /** Anything else: a bug, or a failure this tool has no better name for. */
  unexpected: "unexpected_error",
} as const;

/**
 * A mistake on the user's side that the library never sees: a bad command
 * line, a missing file, input that is not a token. Exits with code 2.
 */
export class CliUsageError extends Error {
  /** Machine-readable code; see {@link CliErrorCode}. */
  readonly errorCode: string;

  /**
   * Creates it.
   *
   * @param message what is wrong and, where possible, how to fix it
   * @param errorCode the code printed before the message
   * @param options the error that caused this one, if any
   */
  constructor(message: string, errorCode: string = CliErrorCode.usage, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliUsageError";
    this.errorCode = errorCode;
  }
}

/**
 * The exit code for an error: 1 when a service said no, 2 for everything
 * that is the caller's or this machine's doing.
 */
export function exitCodeFor(error: unknown): ExitCodeValue {
  return error instanceof MsalServiceError ? ExitCode.serviceError : ExitCode.usageError;
}

/** The code printed for an error: its `errorCode` when it has one. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof MsalError || error instanceof CliUsageError) return error.errorCode;
  return CliErrorCode.unexpected;
}

/**
 * The lines to write to stderr for an error: one line
 * `mtls-pop: <errorCode>: <message>`, then, only when `verbose`, indented
 * details (status, correlation id, Entra error codes, Retry-After, the cause
 * chain, and a stack for errors that are not this library's).
 */
export function formatError(error: unknown, verbose: boolean): string[] {
  const lines = [`mtls-pop: ${errorCodeOf(error)}: ${oneLine(messageOf(error))}`];
  if (!verbose) return lines;
  if (error instanceof MsalError) {
    lines.push(
      `  kind: ${
        error instanceof MsalServiceError
          ? "service error"
          : error instanceof MsalClientError
          ? "client error"
          : "error"
      }`,
    );
  }
  if (error instanceof MsalServiceError) {
    if (error.status !== undefined) lines.push(`  status: ${error.status}`);
    if (error.errorCodes.length > 0) lines.push(`  error codes: ${error.errorCodes.join(", ")}`);
    if (error.retryAfter !== undefined) lines.push(`  retry after: ${Math.ceil(error.retryAfter / 1000)} s`);
  }
  if (error instanceof MsalError && error.correlationId) lines.push(`  correlation id: ${error.correlationId}`);
  let cause = causeOf(error);
  // A cycle in a cause chain would loop forever; a few levels say all there is to say.
  for (let depth = 0; cause !== undefined && depth < 8; depth++) {
    lines.push(`  caused by: ${describeCause(cause)}`);
    cause = causeOf(cause);
  }
  // Only errors this tool did not anticipate get a stack: for the others the code and message say it all.
  if (!(error instanceof MsalError) && !(error instanceof CliUsageError) && error instanceof Error && error.stack) {
    lines.push(...error.stack.split("\n").slice(1).map((line) => `  ${line.trim()}`));
  }
  return lines;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Multi-line messages (a service's body excerpt, say) would break the one-line contract. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function causeOf(error: unknown): unknown {
  return error instanceof Error ? error.cause : undefined;
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return oneLine(String(cause));
  const code = (cause as { code?: unknown }).code;
  const codeText = typeof code === "string" && !cause.message.includes(code) ? ` (${code})` : "";
  return `${cause.name}: ${oneLine(cause.message)}${codeText}`;
}
