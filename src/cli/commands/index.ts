/**
 * The list of subcommands, in the order `mtls-pop --help` shows them. Each
 * command's module is loaded only when that command runs: the library graph
 * behind them (PKI, TLS, the emulator) costs Node a few hundred milliseconds
 * to load, which `--help`, `--version` and usage errors should not pay.
 *
 * @module
 */

import type { CliCommand } from "../command.ts";

/** What the command list needs to know before a command is loaded. */
export interface CommandEntry {
  /** The word that selects it. */
  readonly name: string;
  /** One line for `mtls-pop --help`. */
  readonly summary: string;
  /** Loads the command's module. */
  load(): Promise<CliCommand>;
}

/** Every subcommand. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "token",
    summary: "get an mTLS PoP token for this VM's managed identity (IMDSv2)",
    load: async () => (await import("./token.ts")).tokenCommand,
  },
  {
    name: "cc-token",
    summary: "get an mTLS PoP token for a confidential client with its own certificate",
    load: async () => (await import("./cc_token.ts")).ccTokenCommand,
  },
  {
    name: "call",
    summary: "get a managed identity token and call a resource with it over mTLS",
    load: async () => (await import("./call.ts")).callCommand,
  },
  {
    name: "inspect",
    summary: "decode a token (no verification): binding, expiry, audience, app id",
    load: async () => (await import("./inspect.ts")).inspectCommand,
  },
  {
    name: "emulator",
    summary: "run the local emulator of IMDSv2, the mTLS STS and a resource until Ctrl-C",
    load: async () => (await import("./emulator.ts")).emulatorCommand,
  },
];

/** The subcommand with this name, if there is one. */
export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((command) => command.name === name);
}
