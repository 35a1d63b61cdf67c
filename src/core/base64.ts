/**
 * Base64 and base64url for `Uint8Array` in plain TypeScript (no runtime byte
 * helpers), strict on input.
 *
 * @module
 */

import { ErrorCode, MsalClientError } from "./errors.ts";

const STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function decodeTable(alphabet: string): Int16Array {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}
const STANDARD_TABLE = decodeTable(STANDARD);
const URL_SAFE_TABLE = decodeTable(URL_SAFE);

function encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + (pad ? "==" : "");
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + (pad ? "=" : "");
  }
  return out;
}

function invalid(what: string, reason: string): MsalClientError {
  return new MsalClientError(ErrorCode.invalidBase64, `Invalid ${what}: ${reason}.`);
}

function decode(text: string, table: Int16Array, what: string, padding: "required" | "optional"): Uint8Array {
  let end = text.length;
  let padCount = 0;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) {
    end--;
    padCount++;
  }
  if (padCount > 2) throw invalid(what, "too much padding");
  const remainder = end % 4;
  if (remainder === 1) throw invalid(what, "wrong length");
  if (padCount > 0 && (end + padCount) % 4 !== 0) throw invalid(what, "wrong padding");
  if (padding === "required" && padCount === 0 && remainder !== 0) throw invalid(what, "missing padding");
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? table[c]! : -1;
    if (v < 0) throw invalid(what, `unexpected character at offset ${i}`);
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  if (bits > 0 && (buffer & ((1 << bits) - 1)) !== 0) throw invalid(what, "non-zero trailing bits");
  return out.subarray(0, o);
}

/**
 * Encodes bytes as standard base64 with padding.
 *
 * @example
 * ```ts
 * import { encodeBase64 } from "mtls-pop";
 * encodeBase64(new Uint8Array([1, 2, 3])); // "AQID"
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  return encode(bytes, STANDARD, true);
}

/**
 * Decodes standard base64. Whitespace (line breaks of PEM bodies) is ignored;
 * anything else outside the alphabet is an `invalid_base64` {@link MsalClientError}.
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "mtls-pop";
 * decodeBase64("AQID"); // Uint8Array [1, 2, 3]
 * ```
 */
export function decodeBase64(text: string): Uint8Array {
  return decode(text.replace(/[\s]+/g, ""), STANDARD_TABLE, "base64", "required");
}

/**
 * Encodes bytes as base64url without padding (RFC 4648 §5), as JOSE uses it.
 *
 * @example
 * ```ts
 * import { encodeBase64Url } from "mtls-pop";
 * encodeBase64Url(new Uint8Array([251, 255])); // "-_8"
 * ```
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, URL_SAFE, false);
}

/**
 * Decodes base64url, with or without padding.
 *
 * @example
 * ```ts
 * import { decodeBase64Url } from "mtls-pop";
 * decodeBase64Url("-_8"); // Uint8Array [251, 255]
 * ```
 */
export function decodeBase64Url(text: string): Uint8Array {
  return decode(text, URL_SAFE_TABLE, "base64url", "optional");
}

/** Lower-case or upper-case hex of bytes. */
export function toHex(bytes: Uint8Array, upperCase = false): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return upperCase ? out.toUpperCase() : out;
}
