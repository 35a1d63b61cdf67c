import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decodeBase64,
  decodeBase64Url,
  encodeBase64,
  encodeBase64Url,
  fromPem,
  MsalClientError,
  readPemBlocks,
  toPem,
} from "../mod.ts";

// btoa is an independent base64 encoder present on every runtime.
const reference = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

describe("base64", () => {
  it("matches btoa and round-trips for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b64 = encodeBase64(bytes);
        assert.equal(b64, reference(bytes));
        assert.deepEqual(decodeBase64(b64), bytes);
        const url = encodeBase64Url(bytes);
        assert.equal(url, b64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, ""));
        assert.deepEqual(decodeBase64Url(url), bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it("ignores whitespace in base64 and refuses everything else outside the alphabet", () => {
    assert.deepEqual(decodeBase64("AQ\nID\r\n"), new Uint8Array([1, 2, 3]));
    for (const bad of ["A", "AQI", "AQID=", "AQ==A", "A===", "AQ-_", "AQ*D", "AR==" /* non-zero tail */]) {
      assert.throws(
        () => decodeBase64(bad),
        (e: unknown) => e instanceof MsalClientError && e.errorCode === "invalid_base64",
        bad,
      );
    }
    assert.throws(() => decodeBase64Url("AQ+/"), MsalClientError);
    assert.deepEqual(decodeBase64Url("AQ=="), new Uint8Array([1]));
  });
});

describe("PEM", () => {
  it("round-trips with 64-character lines", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), (der) => {
        const pem = toPem("CERTIFICATE", der);
        for (const line of pem.split("\n").slice(1, -2)) assert.ok(line.length <= 64);
        assert.deepEqual(fromPem(pem, "CERTIFICATE"), der);
      }),
      { numRuns: 500 },
    );
  });

  it("reads chains, skips text between blocks, and names what it found when the label is wrong", () => {
    const text = "Bag Attributes\n" + toPem("CERTIFICATE", new Uint8Array([1])) + "junk\n" +
      toPem("PRIVATE KEY", new Uint8Array([2]));
    assert.deepEqual(readPemBlocks(text).map((b) => b.label), ["CERTIFICATE", "PRIVATE KEY"]);
    assert.deepEqual(fromPem(text, "PRIVATE KEY"), new Uint8Array([2]));
    assert.throws(() => fromPem(text, "CERTIFICATE REQUEST"), /found CERTIFICATE, PRIVATE KEY/);
    assert.throws(() => fromPem("-----BEGIN A-----\nAQ==\n-----END B-----", "A"), { errorCode: "invalid_pem" });
    assert.throws(() => fromPem("-----BEGIN A-----\nProc-Type: 4,ENCRYPTED\n\nAQ==\n-----END A-----", "A"), {
      errorCode: "invalid_pem",
    });
    assert.throws(() => fromPem("", "A"), { errorCode: "invalid_pem" });
  });
});
