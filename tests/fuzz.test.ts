// Property tests: whatever bytes or text arrive, the parsers answer with a
// typed MsalClientError, never with a TypeError, a RangeError or a hang.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { BindingKey, buildImdsCsr, fromPem, MsalClientError, parseCertificate, readPemBlocks, toPem } from "../mod.ts";
import { opensslSelfSigned, tempDir } from "./helpers/openssl.ts";

async function typedOrValid(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (!(e instanceof MsalClientError)) {
      throw new Error(`untyped error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    assert.ok(e.errorCode.length > 0);
  }
}

describe("parsers under random input", () => {
  let certDer: Uint8Array;
  let csrDer: Uint8Array;
  before(async () => {
    const dir = tempDir();
    try {
      certDer = fromPem(opensslSelfSigned(dir.path, "c").certPem, "CERTIFICATE");
    } finally {
      dir.remove();
    }
    const key = await BindingKey.generate();
    csrDer = (await buildImdsCsr({ key, clientId: "c", tenantId: "t", cuId: { vmId: "v" } })).der;
  });

  it("parseCertificate on random bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), (b) => typedOrValid(() => parseCertificate(b))),
      {
        numRuns: 3000,
      },
    );
  });

  it("parseCertificate on a real certificate truncated, extended or with one byte changed", async () => {
    const mutated = fc.oneof(
      fc.nat({ max: certDer.length - 1 }).map((n) => certDer.subarray(0, n)),
      fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail) => new Uint8Array([...certDer, ...tail])),
      fc.tuple(fc.nat({ max: certDer.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const copy = certDer.slice();
        copy[i] = copy[i]! ^ x;
        return copy;
      }),
    );
    await fc.assert(fc.asyncProperty(mutated, (b) => typedOrValid(() => parseCertificate(b))), { numRuns: 3000 });
  });

  it("a CSR, any PEM label but CERTIFICATE, and random text are refused with a typed error", async () => {
    await assert.rejects(parseCertificate(csrDer), { errorCode: "invalid_certificate" });
    const label = fc.stringMatching(/^[A-Z][A-Z0-9 ]{0,20}[A-Z0-9]$/).filter((l) => l !== "CERTIFICATE");
    await fc.assert(
      fc.asyncProperty(label, async (l) => {
        await assert.rejects(parseCertificate(toPem(l, certDer)), { errorCode: "invalid_pem" });
      }),
      { numRuns: 500 },
    );
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 400 }), (s) => typedOrValid(() => parseCertificate(s))), {
      numRuns: 2000,
    });
  });

  it("readPemBlocks on random text with PEM-like pieces", () => {
    const piece = fc.oneof(
      fc.constantFrom(
        "-----BEGIN CERTIFICATE-----",
        "-----END CERTIFICATE-----",
        "-----BEGIN X-----",
        "\n",
        "=",
        "Proc-Type: 4",
      ),
      fc.base64String({ maxLength: 40 }),
      fc.string({ maxLength: 10 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }).map((a) => a.join("")), (text) => {
        try {
          readPemBlocks(text);
        } catch (e) {
          assert.ok(e instanceof MsalClientError, String(e));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
