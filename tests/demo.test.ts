// The README's main command runs scripts/demo: run it on this runtime and
// check what it prints.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runScript, scriptPath } from "./helpers/runtime.ts";

describe("the demo", () => {
  it("gets tokens for the four identity kinds and a confidential client, IdentityProvider then Cache, calls the resource, exits 0", async () => {
    const r = await runScript(scriptPath("scripts/demo"), { timeoutMs: 60_000 });
    assert.equal(r.timedOut, false, r.stderr);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (
      const name of [
        "system-assigned",
        "user-assigned, client id",
        "user-assigned, resource id",
        "user-assigned, object id",
      ]
    ) {
      assert.ok(r.stdout.includes(`\n  ${name}\n`), `${name} in:\n${r.stdout}`);
    }
    assert.ok(r.stdout.includes("\n  confidential client\n"), r.stdout);
    assert.equal(r.stdout.match(/token source\s+1st call: IdentityProvider, 2nd call: Cache/g)?.length, 5, r.stdout);
    assert.equal(r.stdout.match(/resource call\s+HTTP 200/g)?.length, 5, r.stdout);
    assert.equal(r.stdout.match(/token type\s+mtls_pop/g)?.length, 5);
    assert.match(r.stdout, /All calls succeeded/);
  });
});
