/**
 * The extra CA certificates to trust for HTTPS: `--ca-file`, else the file
 * named by `MTLS_POP_CA_FILE` (what `mtls-pop emulator` tells you to export).
 *
 * @module
 */

import type { CliContext } from "./context.ts";
import { readCaFile } from "./files.ts";

/** The environment variable naming a PEM file of extra trusted CA certificates. */
export const CA_FILE_ENV = "MTLS_POP_CA_FILE";

/**
 * The PEM of the extra trusted roots, or `undefined` when none are configured.
 *
 * @param caFileFlag the value of `--ca-file`, if given
 * @param context where the environment is read
 */
export function extraTrustedCertificates(caFileFlag: string | undefined, context: CliContext): string | undefined {
  if (caFileFlag !== undefined) return readCaFile(caFileFlag, "--ca-file");
  const fromEnv = context.env(CA_FILE_ENV);
  return fromEnv ? readCaFile(fromEnv, CA_FILE_ENV) : undefined;
}
