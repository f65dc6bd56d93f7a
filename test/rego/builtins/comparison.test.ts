import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { comparisonBuiltins } from "../../../src/rego/builtins/comparison.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { objectFrom, RegoSet, type Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };

function call(name: string, a: Value, b: Value): Value | undefined {
  const decl = comparisonBuiltins.find((d) => d.name === name);
  assert.ok(decl, `no builtin ${name}`);
  return decl.impl([a, b], ctx);
}

describe("comparison", () => {
  it("tests equality structurally", () => {
    assert.equal(call("equal", new RegoSet([1, 2]), new RegoSet([2, 1])), true);
    assert.equal(call("equal", objectFrom({ a: [1] }), objectFrom({ a: [1] })), true);
    assert.equal(call("equal", 1, "1"), false);
    assert.equal(call("neq", 1, "1"), true);
    assert.equal(call("neq", [1], [1]), false);
  });

  it("orders numbers and strings", () => {
    assert.equal(call("lt", 1, 2), true);
    assert.equal(call("lte", 2, 2), true);
    assert.equal(call("gt", 2, 2), false);
    assert.equal(call("gte", 2, 2), true);
    assert.equal(call("lt", "a", "b"), true);
    assert.equal(call("gt", "ab", "a"), true);
  });

  it("orders across types: null < boolean < number < string < array < object < set", () => {
    const ordered: Value[] = [null, false, true, -1, 0, "", "a", [], [1], objectFrom({}), new RegoSet()];
    for (let i = 0; i + 1 < ordered.length; i++) {
      assert.equal(call("lt", ordered[i] as Value, ordered[i + 1] as Value), true, `index ${i}`);
      assert.equal(call("gte", ordered[i] as Value, ordered[i + 1] as Value), false, `index ${i}`);
    }
  });
});
