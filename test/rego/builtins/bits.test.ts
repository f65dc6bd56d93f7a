import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bitsBuiltins } from "../../../src/rego/builtins/bits.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError, BuiltinTypeError } from "../../../src/rego/errors.js";
import type { Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = bitsBuiltins.find((d) => d.name === name);
  assert.ok(decl, `no builtin ${name}`);
  return decl.impl(args, ctx);
}

function throwsType(name: string, args: Value[], message: string): void {
  assert.throws(
    () => call(name, ...args),
    (e: unknown) => e instanceof BuiltinTypeError && e.message === message,
  );
}

const FLOAT_ERROR = "operand 1 must be integer number but got floating-point number";

describe("bits", () => {
  it("computes and/or/xor/negate", () => {
    assert.equal(call("bits.and", 7, 9), 1);
    assert.equal(call("bits.and", 50, 0), 0);
    assert.equal(call("bits.or", 7, 9), 15);
    assert.equal(call("bits.or", 50, 0), 50);
    assert.equal(call("bits.xor", 42, 3), 41);
    assert.equal(call("bits.xor", 42, 42), 0);
    assert.equal(call("bits.negate", 42), -43);
    assert.equal(call("bits.and", -1, 2 ** 40 + 5), 2 ** 40 + 5);
  });

  it("shifts beyond 32 bits without overflow", () => {
    assert.equal(call("bits.lsh", 1, 3), 8);
    assert.equal(call("bits.lsh", 2147483647, 1), 4294967294);
    // OPA's case uses 2^63 - 1, which a double holds as 2^63.
    assert.equal(call("bits.lsh", 2 ** 63, 1), 2 ** 64);
    assert.equal(call("bits.rsh", 8, 3), 1);
    assert.equal(call("bits.rsh", -8, 1), -4);
    assert.equal(call("bits.rsh", -8, 5000), -1);
    assert.equal(call("bits.rsh", 2 ** 60, 58), 4);
    assert.equal(call("bits.lsh", 0, 1e9), 0);
  });

  it("reports results beyond the double range", () => {
    assert.throws(() => call("bits.lsh", 1, 2000), BuiltinError);
  });

  it("requires integers", () => {
    throwsType("bits.and", [7.2, 42], FLOAT_ERROR);
    throwsType("bits.or", [7.2, 42], FLOAT_ERROR);
    throwsType("bits.xor", [7.2, 42], FLOAT_ERROR);
    throwsType("bits.negate", [7.2], FLOAT_ERROR);
    throwsType("bits.lsh", [7.2, 42], FLOAT_ERROR);
    throwsType("bits.and", ["7", 42], "operand 1 must be integer but got string");
    throwsType("bits.or", [1, null], "operand 2 must be integer but got null");
  });

  it("requires a non-negative shift", () => {
    const msg = "operand 2 must be an unsigned integer number but got a negative integer";
    throwsType("bits.lsh", [7, -1], msg);
    throwsType("bits.rsh", [7, -1], msg);
  });
});
