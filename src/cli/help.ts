/**
 * The top-level help and version texts.
 *
 * @module
 */

import { VERSION } from "../version.ts";
import type { CommandEntry } from "./commands/index.ts";

/**
 * The text of `mtls-pop --help`.
 *
 * @param commands the subcommands to list
 */
export function mainHelp(commands: readonly CommandEntry[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const list = commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join("\n");
  return `mtls-pop ${VERSION}: Microsoft Entra mTLS Proof-of-Possession tokens (RFC 8705)

Usage: mtls-pop <command> [options]

Commands:
${list}
  ${"help".padEnd(width)}this text, or \`mtls-pop help <command>\` for one command's

Options:
  -h, --help    help (after a command: that command's help)
  --version     print the version
  --verbose     error details (cause, status, correlation id) and library logs on stderr

Access tokens are printed only with --show-token, private keys never.
Exit codes: 0 ok, 1 a service refused, 2 bad usage or a client-side error.

Try it off Azure: run \`mtls-pop emulator\` in one terminal and paste the
export lines it prints into another.
`;
}

/** The output options and exit codes, as the `token` and `cc-token` help texts end. */
export const TOKEN_OUTPUT_HELP = `Output:
  --json                print a JSON object instead of text
  --show-token          include the access token (a secret: handle with care)
  --verbose             log the library's steps and error details to stderr
  -h, --help            this text

Exit codes: 0 ok, 1 a service refused, 2 bad usage or a client-side error.`;

/** The text of `mtls-pop --version`. */
export function versionText(): string {
  return `mtls-pop ${VERSION}\n`;
}
