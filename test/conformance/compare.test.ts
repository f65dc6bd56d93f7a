import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonEqual, numbersEqual, rowsEqual, sortBindings } from "../../scripts/conformance/compare.js";

describe("conformance comparison", () => {
  it("compares numbers exactly up to 2^53 and approximately beyond", () => {
    assert.equal(numbersEqual(1, 1), true);
    assert.equal(numbersEqual(0.1 + 0.2, 0.3), false);
    assert.equal(numbersEqual(2 ** 53 - 1, 2 ** 53 - 2), false);
    assert.equal(numbersEqual(1e30, 1e30 * (1 + 1e-12)), true);
    assert.equal(numbersEqual(1e30, 1.0001e30), false);
  });

  it("ignores object key order but not array order", () => {
    assert.equal(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }), true);
    assert.equal(jsonEqual([1, 2], [2, 1]), false);
    assert.equal(jsonEqual({ a: 1 }, { a: 1, b: 2 }), false);
    assert.equal(jsonEqual(null, {}), false);
    assert.equal(jsonEqual("1", 1), false);
  });

  it("compares rows as sets", () => {
    assert.equal(rowsEqual([{ x: 1 }, { x: 2 }], [{ x: 2 }, { x: 1 }]), true);
    assert.equal(rowsEqual([{ x: 1 }, { x: 1 }], [{ x: 1 }]), true);
    assert.equal(rowsEqual([{ x: 1 }], [{ x: 1 }, { x: 2 }]), false);
    assert.equal(rowsEqual([], []), true);
  });

  it("sorts binding arrays in Rego order", () => {
    assert.deepEqual(sortBindings([{ x: ["b", 1, null, "a", [1]], y: 3 }]), [{ x: [null, 1, "a", "b", [1]], y: 3 }]);
  });
});
