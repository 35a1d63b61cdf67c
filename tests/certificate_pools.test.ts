// Connection pools per client certificate stay bounded in a process that
// rotates bindings: expired certificates' pools are dropped, released ones too.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BindingCertificate } from "../mod.ts";
import { CertificatePools } from "../src/runtime/transport.ts";

const cert = (id: string, notAfterMs: number) =>
  ({ x5tS256: id, notAfter: new Date(notAfterMs) }) as unknown as BindingCertificate;

describe("CertificatePools", () => {
  it("reuses a pool per certificate and drops the pools of expired certificates", () => {
    const disposed: string[] = [];
    const pools = new CertificatePools<string>((c) => `pool:${c?.x5tS256 ?? "none"}`, (p) => disposed.push(p));
    const expired = cert("old", Date.now() - 1000);
    const current = cert("new", Date.now() + 3600_000);
    assert.equal(pools.get(expired), "pool:old");
    assert.equal(pools.get(expired), "pool:old", "same pool again");
    assert.equal(pools.get(undefined), "pool:none");
    assert.deepEqual(disposed, ["pool:old"], "making a pool prunes the expired ones");
    assert.equal(pools.get(current), "pool:new");
    assert.equal(pools.size, 2);
    pools.release(current);
    assert.deepEqual(disposed, ["pool:old", "pool:new"]);
    pools.clear();
    assert.deepEqual(disposed, ["pool:old", "pool:new", "pool:none"]);
    assert.equal(pools.size, 0);
  });
});
