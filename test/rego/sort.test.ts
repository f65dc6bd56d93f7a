import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sortInPlace } from "../../src/rego/sort.js";

describe("sortInPlace", () => {
  it("orders like Array.prototype.sort, stably, at every length around its cut-over", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let length = 0; length <= 20; length++) {
      for (let trial = 0; trial < 20; trial++) {
        const items = Array.from({ length }, (_, i) => ({ key: random() % 5, position: i }));
        const byKey = (a: { key: number }, b: { key: number }) => a.key - b.key;
        const expected = [...items].sort(byKey);
        const sorted = sortInPlace(items, byKey);
        assert.equal(sorted, items, "sorts the array it is given");
        assert.deepEqual(sorted, expected);
      }
    }
  });
});
