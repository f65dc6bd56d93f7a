import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_RANGE, numberBuiltins } from "../../../src/rego/builtins/numbers.js";
import type { BuiltinContext } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError, BuiltinTypeError } from "../../../src/rego/errors.js";
import { RegoSet, type Value } from "../../../src/rego/value.js";

function newCtx(): BuiltinContext {
  return { nowNs: 0, cache: new Map(), compiled: new BoundedCache(64), print() {} };
}

function call(name: string, args: Value[], ctx: BuiltinContext = newCtx()): Value | undefined {
  const decl = numberBuiltins.find((d) => d.name === name);
  assert.ok(decl, `no builtin ${name}`);
  return decl.impl(args, ctx);
}

function throwsType(name: string, args: Value[], message: string): void {
  assert.throws(
    () => call(name, args),
    (e: unknown) => e instanceof BuiltinTypeError && e.message === message,
  );
}

function throwsBuiltin(name: string, args: Value[], message: string): void {
  assert.throws(
    () => call(name, args),
    (e: unknown) => e instanceof BuiltinError && e.message === message,
  );
}

describe("plus/minus/mul/div", () => {
  it("computes on integers", () => {
    assert.equal(call("plus", [1, 2]), 3);
    assert.equal(call("minus", [1, 2]), -1);
    assert.equal(call("mul", [6, 7]), 42);
    assert.equal(call("div", [10, 4]), 2.5);
    assert.equal(call("div", [9, 3]), 3);
  });

  it("behaves like OPA's decimal arithmetic, not raw doubles", () => {
    assert.equal(call("plus", [0.1, 0.2]), 0.3);
    assert.equal(call("mul", [0.1, 3]), 0.3);
    assert.equal(call("minus", [0.3, 0.1]), 0.2);
    assert.equal(call("div", [0.3, 0.1]), 3);
    assert.equal(call("div", [1, 3]), 1 / 3);
  });

  it("keeps precision for integers above 2^32 (OPA bug 2469)", () => {
    assert.equal(call("plus", [49649733057, 1]), 49649733058);
  });

  it("never returns negative zero", () => {
    assert.ok(Object.is(call("mul", [0, -5]), 0));
    assert.ok(Object.is(call("div", [0, -5]), 0));
  });

  it("reports divide by zero as a builtin error", () => {
    throwsBuiltin("div", [1, 0], "divide by zero");
    throwsBuiltin("div", [1.5, 0], "divide by zero");
  });

  it("reports results outside the double range", () => {
    throwsBuiltin("mul", [1e200, 1e200], "numeric overflow: result does not fit a 64-bit float");
  });

  it("checks operand types", () => {
    throwsType("plus", ["a", 1], "operand 1 must be number but got string");
    throwsType("mul", [1, null], "operand 2 must be number but got null");
    throwsType("div", [1, [1]], "operand 2 must be number but got array");
  });

  it("subtracts sets", () => {
    const r = call("minus", [new RegoSet([1, 2, 3, 4]), new RegoSet([1, 3])]);
    assert.ok(r instanceof RegoSet);
    assert.deepEqual(r.sorted(), [2, 4]);
  });

  it("words minus operand errors like OPA", () => {
    throwsType("minus", ["a", 1], "operand 1 must be one of {number, set} but got string");
    throwsType("minus", [new RegoSet(), 1], "operand 2 must be set but got number");
    throwsType("minus", [1, new RegoSet()], "operand 2 must be number but got set");
    throwsType("minus", [new RegoSet(), "x"], "operand 2 must be number but got string");
  });
});

describe("rem", () => {
  it("truncates toward zero like Go", () => {
    assert.equal(call("rem", [7, 3]), 1);
    assert.equal(call("rem", [-7, 3]), -1);
    assert.ok(Object.is(call("rem", [-4, 2]), 0));
  });

  it("rejects zero and fractional operands", () => {
    throwsBuiltin("rem", [1, 0], "modulo by zero");
    throwsBuiltin("rem", [1.5, 1], "modulo on floating-point number");
    throwsBuiltin("rem", [1.5, 0], "modulo on floating-point number");
    throwsType("rem", [1, "a"], "operand 2 must be number but got string");
  });
});

describe("round/ceil/floor/abs", () => {
  it("rounds halves away from zero", () => {
    assert.equal(call("round", [2.5]), 3);
    assert.equal(call("round", [-2.5]), -3);
    assert.equal(call("round", [2.4]), 2);
    assert.equal(call("round", [0.49999999999999994]), 0);
    assert.ok(Object.is(call("round", [-0.4]), 0));
  });

  it("ceils and floors", () => {
    assert.equal(call("ceil", [1.2]), 2);
    assert.equal(call("ceil", [-1.5]), -1);
    assert.equal(call("floor", [1.8]), 1);
    assert.equal(call("floor", [-1.5]), -2);
    assert.equal(call("floor", [3]), 3);
  });

  it("keeps OPA's results for values in (-1, 0)", () => {
    assert.equal(call("ceil", [-0.5]), 1);
    assert.equal(call("floor", [-0.5]), 0);
  });

  it("takes absolute values", () => {
    assert.equal(call("abs", [-3.5]), 3.5);
    throwsType("abs", ["1"], "operand 1 must be number but got string");
  });
});

describe("numbers.range", () => {
  it("counts up and down inclusively", () => {
    assert.deepEqual(call("numbers.range", [0, 0]), [0]);
    assert.deepEqual(call("numbers.range", [-2, 3]), [-2, -1, 0, 1, 2, 3]);
    assert.deepEqual(call("numbers.range", [2, -3]), [2, 1, 0, -1, -2, -3]);
    assert.deepEqual(call("numbers.range", [5, 2]), [5, 4, 3, 2]);
  });

  it("is exact for large integers", () => {
    assert.deepEqual(
      call("numbers.range", [49649733057, 49649733060]),
      [49649733057, 49649733058, 49649733059, 49649733060],
    );
  });

  it("requires integers", () => {
    throwsType("numbers.range", [3.14, 4], "operand 1 must be integer number but got floating-point number");
    throwsType("numbers.range", [3, 3.14], "operand 2 must be integer number but got floating-point number");
    throwsType("numbers.range", ["a", 3], "operand 1 must be integer but got string");
  });
});

describe("numbers.range_step", () => {
  it("steps in either direction", () => {
    assert.deepEqual(call("numbers.range_step", [0, 10, 2]), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(call("numbers.range_step", [0, -10, 2]), [0, -2, -4, -6, -8, -10]);
    assert.deepEqual(call("numbers.range_step", [10, 3, 2]), [10, 8, 6, 4]);
    assert.deepEqual(call("numbers.range_step", [1024, 4096, 1024]), [1024, 2048, 3072, 4096]);
    assert.deepEqual(call("numbers.range_step", [2, 2, 2]), [2]);
    assert.deepEqual(call("numbers.range_step", [2, 5, 2]), [2, 4]);
  });

  it("rejects a non-positive step", () => {
    const msg = "numbers.range_step: step must be a positive number above zero";
    throwsBuiltin("numbers.range_step", [0, 10, -2], msg);
    throwsBuiltin("numbers.range_step", [0, 10, 0], msg);
    throwsBuiltin("numbers.range_step", [1000, 2000, -1], msg);
  });

  it("checks operand types outside OPA's small-int fast path", () => {
    throwsType(
      "numbers.range_step",
      [1000, 2000, 1.5],
      "operand 3 must be integer number but got floating-point number",
    );
    throwsType("numbers.range_step", [1000, "x", 1], "operand 2 must be integer but got string");
  });
});

describe("rand.intn", () => {
  it("returns an integer in [0, |n|)", () => {
    for (let i = 0; i < 50; i++) {
      const r = call("rand.intn", [`k${i}`, -10]);
      assert.ok(typeof r === "number" && Number.isInteger(r) && r >= 0 && r < 10);
    }
    assert.equal(call("rand.intn", ["x", 0]), 0);
  });

  it("memoises per (str, n) within one context", () => {
    const ctx = newCtx();
    const first = call("rand.intn", ["seed", 1_000_000_000], ctx);
    for (let i = 0; i < 5; i++) assert.equal(call("rand.intn", ["seed", 1_000_000_000], ctx), first);
    assert.equal(call("rand.intn", ["seed", -1_000_000_000], ctx), first);
  });

  it("checks operands", () => {
    throwsType("rand.intn", [1, 1], "operand 1 must be string but got number");
    throwsType("rand.intn", ["a", 1.5], "operand 2 must be integer number but got floating-point number");
  });

  it("is marked nondeterministic", () => {
    assert.equal(numberBuiltins.find((d) => d.name === "rand.intn")?.nondeterministic, true);
  });
});

describe("numbers.range limits", () => {
  it("refuses ranges over MAX_RANGE elements instead of exhausting memory", () => {
    const range = numberBuiltins.find((d) => d.name === "numbers.range");
    assert.ok(range);
    const c = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(8), print() {} };
    assert.equal((range.impl([1, MAX_RANGE], c) as unknown[]).length, MAX_RANGE);
    assert.throws(() => range.impl([0, 1e12], c), /over the limit/);
  });
});
