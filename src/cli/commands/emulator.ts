/**
 * `mtls-pop emulator`: runs the local Azure emulator (IMDSv2, the mTLS STS
 * and a protected resource) until Ctrl-C, and prints how to point the other
 * commands, or any client, at it.
 *
 * @module
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, startEmulator } from "../../../emulator.ts";
import { detectRuntime, MsalError } from "../../../mod.ts";
import { checkPositionals, COMMON_OPTIONS, parseCommandLine, parsePort } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { CliErrorCode, CliUsageError, ExitCode } from "../errors.ts";
import { IMDS_ENDPOINT_ENV } from "../managed_identity.ts";
import { type Field, renderFields, shellQuote } from "../output.ts";
import { CA_FILE_ENV } from "../trust.ts";
import { MTLS_ENDPOINT_ENV } from "./cc_token.ts";

const OPTIONS = {
  ...COMMON_OPTIONS,
  "port-imds": { type: "string" },
  "port-sts": { type: "string" },
  "port-resource": { type: "string" },
} as const;

/** The files the command writes for clients, removed when it stops. */
interface EmulatorFiles {
  /** The folder holding them (mode 0700). */
  directory: string;
  /** The emulator's root CA, PEM. */
  caFile: string;
  /** The ready-made confidential client's certificate, PEM. */
  clientCertFile: string;
  /** Its private key, PKCS#8 PEM (mode 0600). */
  clientKeyFile: string;
}

/** `mtls-pop emulator [--port-imds N --port-sts N --port-resource N]` */
export const emulatorCommand: CliCommand = {
  name: "emulator",
  help: `Usage: mtls-pop emulator [--port-imds N] [--port-sts N] [--port-resource N]

Runs the local Azure emulator on loopback: IMDSv2 (plain HTTP), the regional
mTLS STS and a protected resource (HTTPS, with a CA of its own). Writes the
CA certificate and a ready-made confidential client's certificate and key to
a private temporary folder, prints the endpoints, the environment variables
that point the other commands at it, and commands to try. Stays up until
Ctrl-C (SIGINT) or SIGTERM, then stops and removes those files.

  --port-imds N         IMDS port (default: a free one)
  --port-sts N          mTLS STS port (default: a free one)
  --port-resource N     resource port (default: a free one)
  --verbose             error details on stderr
  -h, --help            this text`,

  async run(args, context) {
    const { values, positionals } = parseCommandLine("emulator", args, OPTIONS);
    checkPositionals("emulator", positionals, 0);
    const ports = {
      imds: parsePort(values["port-imds"], "--port-imds"),
      sts: parsePort(values["port-sts"], "--port-sts"),
      resource: parsePort(values["port-resource"], "--port-resource"),
    };
    // Listen for Ctrl-C before anything starts, so that an early one still cleans up.
    const stopSignal = context.shutdownSignal();
    const emu = await startEmulator({ ports }).catch((error: unknown) => {
      if (error instanceof MsalError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new CliUsageError(`the emulator could not start: ${reason}.`, CliErrorCode.emulatorFailed, {
        cause: error,
      });
    });
    let files: EmulatorFiles | undefined;
    try {
      files = makeTemporaryFolder();
      writeFileSync(files.caFile, emu.caCertificatePem, { mode: 0o644 });
      const client = await emu.createConfidentialClient();
      writeFileSync(files.clientCertFile, client.certificatePem, { mode: 0o600 });
      writeFileSync(files.clientKeyFile, client.privateKeyPem, { mode: 0o600 });
      context.writeOut(describeEmulator(emu, files, client.clientId));
      const signal = await stopSignal;
      context.writeErr(`mtls-pop: stopping the emulator (${signal}).\n`);
    } finally {
      await emu.close();
      if (files) rmSync(files.directory, { recursive: true, force: true });
    }
    return ExitCode.ok;
  },
};

/** A new private folder (mkdtemp makes it mode 0700) and the names of the files to go in it. */
function makeTemporaryFolder(): EmulatorFiles {
  const directory = mkdtempSync(join(tmpdir(), "mtls-pop-emulator-"));
  return {
    directory,
    caFile: join(directory, "ca.pem"),
    clientCertFile: join(directory, "client-cert.pem"),
    clientKeyFile: join(directory, "client-key.pem"),
  };
}

/** Everything a user needs to point a client at the emulator; the key file is named, never printed. */
function describeEmulator(emu: Emulator, files: EmulatorFiles, clientId: string): string {
  const resource = new URL(emu.resourceUrl).origin;
  const identities: Field[] = [];
  if (emu.identities.systemAssigned) {
    identities.push(["system-assigned", `client id ${emu.identities.systemAssigned.clientId}`]);
  }
  for (const identity of emu.identities.userAssigned) {
    identities.push(["user-assigned", [
      ["client id", identity.clientId],
      ["object id", identity.objectId],
      ["resource id", identity.resourceId],
    ]]);
  }
  const firstUserAssigned = emu.identities.userAssigned[0];
  const command = (...words: string[]) => `  ${words.map(shellQuote).join(" ")}\n`;
  return `mtls-pop emulator on ${detectRuntime()}: IMDSv2, the mTLS STS and a protected resource on loopback\n\n` +
    renderFields([
      ["IMDS", emu.imdsEndpoint],
      ["mTLS STS", emu.mtlsEndpoint],
      ["resource", emu.resourceUrl],
      ["CA certificate", files.caFile],
      ["tenant", emu.tenantId],
      ["region", emu.region],
    ], "  ") +
    "\nIdentities\n" + renderFields(identities, "  ") +
    "\nPoint a client at it:\n\n" +
    `  export ${IMDS_ENDPOINT_ENV}=${shellQuote(emu.imdsEndpoint)}\n` +
    `  export ${CA_FILE_ENV}=${shellQuote(files.caFile)}\n` +
    `  export ${MTLS_ENDPOINT_ENV}=${shellQuote(emu.mtlsEndpoint)}\n` +
    "\nManaged identity:\n\n" +
    command("mtls-pop", "token", "--resource", resource) +
    (firstUserAssigned
      ? command("mtls-pop", "token", "--resource", resource, "--client-id", firstUserAssigned.clientId)
      : "") +
    command("mtls-pop", "call", emu.resourceUrl, "--resource", resource) +
    "\nConfidential client (its certificate and key are in files of mode 0600):\n\n" +
    command(
      "mtls-pop",
      "cc-token",
      "--client-id",
      clientId,
      "--tenant",
      emu.tenantId,
      "--region",
      emu.region,
      "--cert",
      files.clientCertFile,
      "--key",
      files.clientKeyFile,
      "--scope",
      `${resource}/.default`,
    ) +
    "\nReady. Press Ctrl-C to stop.\n";
}
