/**
 * PEM armour (RFC 7468): wrap DER in a labelled block and read blocks back.
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "./base64.ts";
import { ErrorCode, MsalClientError } from "./errors.ts";

/**
 * One PEM block: its label (e.g. `CERTIFICATE`) and the DER it carries.
 *
 * @example
 * ```ts
 * import { type PemBlock, readPemBlocks } from "mtls-pop";
 * const certificates: PemBlock[] = readPemBlocks(chainPem).filter((b) => b.label === "CERTIFICATE");
 * console.log(certificates.map((b) => b.der.byteLength));
 * ```
 */
export interface PemBlock {
  /** The label between `-----BEGIN ` and `-----`. */
  label: string;
  /** The decoded body. */
  der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----([\s\S]*?)-----END ([A-Z0-9 ]{1,64})-----/g;

/**
 * Wraps DER in PEM armour with 64-character lines.
 *
 * @example
 * ```ts
 * import { toPem } from "mtls-pop";
 * const pem = toPem("CERTIFICATE", new Uint8Array([0x30, 0x00]));
 * // "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"
 * ```
 */
export function toPem(label: string, der: Uint8Array): string {
  const body = encodeBase64(der).replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/**
 * Reads every PEM block of a text, in order. Text between blocks is ignored
 * (as OpenSSL does with "Bag Attributes"). A block whose END label differs or
 * whose body is not base64 is an `invalid_pem` {@link MsalClientError}.
 *
 * @example
 * ```ts
 * import { readPemBlocks } from "mtls-pop";
 * const blocks = readPemBlocks("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n");
 * blocks[0]?.label; // "CERTIFICATE"
 * ```
 */
export function readPemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, begin, body, end] = match;
    if (begin !== end) {
      throw new MsalClientError(ErrorCode.invalidPem, `PEM block BEGIN ${begin} ends with END ${end}.`);
    }
    // Encapsulated headers (RFC 1421 "Proc-Type:") mean an encrypted legacy key.
    if (/^[ \t]*[A-Za-z-]+:/m.test(body!)) {
      throw new MsalClientError(
        ErrorCode.invalidPem,
        `PEM block ${begin} has headers (an encrypted legacy key?); use PKCS#8.`,
      );
    }
    let der: Uint8Array;
    try {
      der = decodeBase64(body!);
    } catch (cause) {
      throw new MsalClientError(ErrorCode.invalidPem, `PEM block ${begin} has a body that is not base64.`, { cause });
    }
    if (der.length === 0) throw new MsalClientError(ErrorCode.invalidPem, `PEM block ${begin} is empty.`);
    blocks.push({ label: begin!, der });
  }
  return blocks;
}

/**
 * Reads the first PEM block with one of the given labels.
 *
 * @example
 * ```ts
 * import { fromPem } from "mtls-pop";
 * const der = fromPem("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", "CERTIFICATE");
 * ```
 */
export function fromPem(text: string, ...labels: string[]): Uint8Array {
  const blocks = readPemBlocks(text);
  const found = blocks.find((b) => labels.includes(b.label));
  if (found) return found.der;
  const seen = blocks.map((b) => b.label).join(", ");
  throw new MsalClientError(
    ErrorCode.invalidPem,
    `Expected a PEM block labelled ${labels.join(" or ")}` + (seen ? `, found ${seen}.` : ", found none."),
  );
}
