// `mtls-pop inspect` decodes whatever it is given: random text and JWTs with
// random claims give a report or a usage error, never a crash.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { encodeBase64Url } from "../mod.ts";
import { inspectToken, renderInspection } from "../src/cli/commands/inspect.ts";
import { CliUsageError } from "../src/cli/errors.ts";

const b64 = (value: unknown) => encodeBase64Url(new TextEncoder().encode(JSON.stringify(value)));
const claimValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e300, -1e300, 8.64e12, 8.64e15 / 1000 + 1, Number.MAX_SAFE_INTEGER, 0, -1),
  fc.string(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer())),
);

function check(token: string): void {
  try {
    const report = inspectToken(token, Date.now());
    assert.equal(typeof renderInspection(report), "string");
    JSON.stringify(report);
  } catch (e) {
    assert.ok(e instanceof CliUsageError, `untyped: ${e instanceof Error ? `${e.name}: ${e.message}` : e}`);
  }
}

describe("inspect under random input", () => {
  it("JWTs with random claims", () => {
    fc.assert(
      fc.property(
        fc.record({ alg: fc.oneof(fc.string(), fc.constant("RS256")), kid: fc.option(fc.string()) }),
        fc.record({ exp: claimValue, iat: claimValue, aud: claimValue, appid: claimValue, cnf: claimValue }, {
          requiredKeys: [],
        }),
        fc.string({ maxLength: 20 }),
        (header, claims, signature) => check(`${b64(header)}.${b64(claims)}.${signature}`),
      ),
      { numRuns: 3000 },
    );
  });

  it("random text and damaged tokens", () => {
    const pieces = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.base64String({ maxLength: 60 }),
      fc.constantFrom(".", "..", "mtls_pop ", "eyJ"),
    );
    fc.assert(fc.property(fc.array(pieces, { maxLength: 6 }).map((a) => a.join("")), check), { numRuns: 3000 });
  });
});
