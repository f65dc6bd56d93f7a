import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BoundedCache } from "../../../src/rego/builtins/types.js";

describe("BoundedCache", () => {
  it("keeps namespaces apart", () => {
    const c = new BoundedCache(10);
    c.set("regex", "a", 1);
    c.set("glob", "a", 2);
    assert.equal(c.get("regex", "a"), 1);
    assert.equal(c.get("glob", "a"), 2);
    assert.equal(c.get("other", "a"), undefined);
  });

  it("evicts the oldest entry beyond its limit and stays bounded", () => {
    const c = new BoundedCache(3);
    for (let i = 0; i < 100; i++) c.set("ns", `k${i}`, i);
    assert.equal(c.get("ns", "k96"), undefined);
    assert.deepEqual(
      [97, 98, 99].map((i) => c.get("ns", `k${i}`)),
      [97, 98, 99],
    );
  });

  it("does not count a replaced key twice", () => {
    const c = new BoundedCache(2);
    c.set("ns", "a", 1);
    c.set("ns", "a", 2);
    c.set("ns", "b", 3);
    assert.equal(c.get("ns", "a"), 2);
    assert.equal(c.get("ns", "b"), 3);
  });
});
