import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newCorrelationId } from "../src/token/correlation_id.ts";

describe("correlation ids", () => {
  it("are version 4 UUIDs, all different, across many batches", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = newCorrelationId();
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 10_000);
  });

  it("use every hex digit in every random position (not a constant or a counter)", () => {
    const ids = Array.from({ length: 2000 }, () => newCorrelationId());
    for (const position of [0, 7, 9, 15, 20, 35]) {
      const digits = new Set(ids.map((id) => id[position]));
      assert.equal(digits.size, 16, `position ${position}`);
    }
  });
});
