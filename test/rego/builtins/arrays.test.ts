import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { arrayBuiltins } from "../../../src/rego/builtins/arrays.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinTypeError } from "../../../src/rego/errors.js";
import { objectFrom, type Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = arrayBuiltins.find((d) => d.name === name);
  assert.ok(decl, `no builtin ${name}`);
  return decl.impl(args, ctx);
}

function throwsType(name: string, args: Value[], message: string): void {
  assert.throws(
    () => call(name, ...args),
    (e: unknown) => e instanceof BuiltinTypeError && e.message === message,
  );
}

const obj = objectFrom({ v1: "hello", v2: "goodbye" });

describe("array.concat", () => {
  it("concatenates", () => {
    assert.deepEqual(call("array.concat", [1, 2], [3, 4]), [1, 2, 3, 4]);
    assert.deepEqual(call("array.concat", [], []), []);
  });

  it("checks both operands", () => {
    throwsType("array.concat", [obj, [3, 4]], "operand 1 must be array but got object");
    throwsType("array.concat", [[1, 2], obj], "operand 2 must be array but got object");
  });
});

describe("array.slice", () => {
  const five = [1, 2, 3, 4, 5];
  it("slices with OPA's clamping", () => {
    assert.deepEqual(call("array.slice", five, 1, 3), [2, 3]);
    assert.deepEqual(call("array.slice", [1, 2, 3], 0, 0), []);
    assert.deepEqual(call("array.slice", five, -4, -1), []);
    assert.deepEqual(call("array.slice", five, 4, 1), []);
    assert.deepEqual(call("array.slice", five, -1, 2), [1, 2]);
    assert.deepEqual(call("array.slice", five, 3, 6), [4, 5]);
    assert.deepEqual(call("array.slice", [], 1000, 2000), []);
    assert.deepEqual(call("array.slice", [1, 2, 3], 1000, 2000), []);
  });

  it("requires integer indices", () => {
    throwsType("array.slice", [five, 1.5, 2], "operand 2 must be integer number but got floating-point number");
    throwsType("array.slice", [five, 1, "2"], "operand 3 must be number but got string");
    throwsType("array.slice", ["abc", 1, 2], "operand 1 must be array but got string");
  });
});

describe("array.reverse", () => {
  it("reverses without mutating", () => {
    const arr = [1, 2, 3];
    assert.deepEqual(call("array.reverse", arr), [3, 2, 1]);
    assert.deepEqual(arr, [1, 2, 3]);
    assert.deepEqual(call("array.reverse", []), []);
  });

  it("rejects non-arrays", () => {
    throwsType("array.reverse", [objectFrom({ bar: "baz", baz: "bar" })], "operand 1 must be array but got object");
  });
});
