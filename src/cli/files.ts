/**
 * Reading the files named on the command line, with errors that say which
 * flag named the file and what is wrong with it (exit code 2), never a stack.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { CliErrorCode, CliUsageError } from "./errors.ts";

/**
 * A file's bytes.
 *
 * @param path the file
 * @param source where the path came from, e.g. `--pfx` or `MTLS_POP_CA_FILE`
 * @throws CliUsageError `file_not_found` or `file_unreadable`
 */
export function readBinaryFile(path: string, source: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw fileError(error, path, source);
  }
}

/**
 * A file's text (UTF-8).
 *
 * @param path the file
 * @param source where the path came from, e.g. `--cert`
 * @throws CliUsageError `file_not_found` or `file_unreadable`
 */
export function readTextFile(path: string, source: string): string {
  return new TextDecoder().decode(readBinaryFile(path, source));
}

/**
 * The PEM text of a file of trusted CA certificates, checked to hold at
 * least one certificate so that a wrong file fails here rather than as a
 * puzzling TLS error later.
 *
 * @param path the file
 * @param source where the path came from
 */
export function readCaFile(path: string, source: string): string {
  const pem = readTextFile(path, source);
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new CliUsageError(`${source} ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`);
  }
  return pem;
}

function fileError(error: unknown, path: string, source: string): CliUsageError {
  const code = (error as { code?: unknown })?.code;
  if (code === "ENOENT" || (error instanceof Error && error.name === "NotFound")) {
    return new CliUsageError(`${source}: no such file ${path}.`, CliErrorCode.fileNotFound, { cause: error });
  }
  const reason = code === "EACCES" || code === "EPERM"
    ? "permission denied"
    : code === "EISDIR"
    ? "it is a directory"
    : "cannot read it";
  return new CliUsageError(`${source}: ${path}: ${reason}.`, CliErrorCode.fileUnreadable, { cause: error });
}
