/**
 * Correlation ids: random version 4 UUIDs, made in batches because every
 * `acquireToken` (cache hits included) needs one.
 *
 * @module
 */

/**
 * UUIDs made per batch by {@link newCorrelationId}. `getRandomValues` has a
 * fixed cost of about 2 µs per call on Node 20 whatever the size up to a few
 * KB, so a batch of 256 (4 KB of randomness, a 9 KB string that each id is a
 * slice of) brings it under 10 ns per id.
 */
const UUID_BATCH = 256;
/** Byte -> its two lower-case hex digits as ASCII, at 2*byte and 2*byte+1. */
const HEX_PAIRS = new Uint8Array(512);
for (let byte = 0; byte < 256; byte++) {
  HEX_PAIRS[2 * byte] = "0123456789abcdef".charCodeAt(byte >> 4);
  HEX_PAIRS[2 * byte + 1] = "0123456789abcdef".charCodeAt(byte & 15);
}
const uuidRandom = new Uint8Array(16 * UUID_BATCH);
const uuidAscii = new Uint8Array(36 * UUID_BATCH).fill(0x2d); // the dashes stay; the digits are rewritten
const asciiDecoder = new TextDecoder();
let uuidBatch = "";
let uuidNext = UUID_BATCH;

/**
 * A new random (version 4) UUID for a correlation id, like
 * `crypto.randomUUID()` and from the same CSPRNG, but made 256 at a time: one
 * `getRandomValues`, one hex pass and one string per batch, then a slice per
 * id. Every acquireToken, cache hits included, needs one, and on Node
 * `crypto.randomUUID()` (about 20 concatenated string pieces per id, and the
 * garbage they leave) cost half of a cache hit. The batch is process-wide
 * state, like Node's own buffer behind `randomUUID`; it holds no secrets.
 */
export function newCorrelationId(): string {
  if (uuidNext === UUID_BATCH) refillCorrelationIds();
  const start = 36 * uuidNext++;
  return uuidBatch.slice(start, start + 36);
}

function refillCorrelationIds(): void {
  const random = uuidRandom;
  const ascii = uuidAscii;
  crypto.getRandomValues(random);
  // Unrolled: the character offset of each byte is a constant (dashes at 8, 13, 18, 23).
  for (let r = 0, a = 0; r < random.length; r += 16, a += 36) {
    writeHex(ascii, a, random[r]!);
    writeHex(ascii, a + 2, random[r + 1]!);
    writeHex(ascii, a + 4, random[r + 2]!);
    writeHex(ascii, a + 6, random[r + 3]!);
    writeHex(ascii, a + 9, random[r + 4]!);
    writeHex(ascii, a + 11, random[r + 5]!);
    writeHex(ascii, a + 14, (random[r + 6]! & 0x0f) | 0x40); // version 4
    writeHex(ascii, a + 16, random[r + 7]!);
    writeHex(ascii, a + 19, (random[r + 8]! & 0x3f) | 0x80); // variant 10xx
    writeHex(ascii, a + 21, random[r + 9]!);
    writeHex(ascii, a + 24, random[r + 10]!);
    writeHex(ascii, a + 26, random[r + 11]!);
    writeHex(ascii, a + 28, random[r + 12]!);
    writeHex(ascii, a + 30, random[r + 13]!);
    writeHex(ascii, a + 32, random[r + 14]!);
    writeHex(ascii, a + 34, random[r + 15]!);
  }
  uuidBatch = asciiDecoder.decode(ascii);
  uuidNext = 0;
}

function writeHex(ascii: Uint8Array, at: number, byte: number): void {
  ascii[at] = HEX_PAIRS[byte << 1]!;
  ascii[at + 1] = HEX_PAIRS[(byte << 1) + 1]!;
}
