import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setBuiltins } from "../../../src/rego/builtins/sets.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinTypeError } from "../../../src/rego/errors.js";
import { RegoSet, type Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = setBuiltins.find((d) => d.name === name);
  assert.ok(decl, `no builtin ${name}`);
  return decl.impl(args, ctx);
}

function sorted(v: Value | undefined): Value[] {
  assert.ok(v instanceof RegoSet, "expected a set");
  return v.sorted();
}

function throwsType(name: string, args: Value[], message: string): void {
  assert.throws(
    () => call(name, ...args),
    (e: unknown) => e instanceof BuiltinTypeError && e.message === message,
  );
}

const s = (...xs: Value[]): RegoSet => new RegoSet(xs);

describe("and / or", () => {
  it("intersects and unites two sets", () => {
    assert.deepEqual(sorted(call("and", s(3, 2, 3), s(3, 4, 3))), [3]);
    assert.deepEqual(sorted(call("and", s(1), s(2))), []);
    assert.deepEqual(sorted(call("or", s(3, 2), s(3, 4))), [2, 3, 4]);
  });

  it("requires sets", () => {
    throwsType("and", [[1], s()], "operand 1 must be set but got array");
    throwsType("or", [s(), 1], "operand 2 must be set but got number");
  });
});

describe("intersection / union", () => {
  it("handles no sets", () => {
    assert.deepEqual(sorted(call("intersection", s())), []);
    assert.deepEqual(sorted(call("union", s())), []);
  });

  it("combines several sets", () => {
    assert.deepEqual(sorted(call("intersection", s(s(), s(1, 2)))), []);
    assert.deepEqual(sorted(call("intersection", s(s(1, 2, 3), s(2)))), [2]);
    assert.deepEqual(sorted(call("intersection", s(s(1, 2, 3), s(2, 3, 4), s(4, 5, 6)))), []);
    assert.deepEqual(sorted(call("intersection", s(s("a", "b", "c", "d"), s("b", "c", "d"), s("c", "d"), s("d")))), [
      "d",
    ]);
    assert.deepEqual(sorted(call("union", s(s(), s(1, 2)))), [1, 2]);
    assert.deepEqual(sorted(call("union", s(s(1, 2, 3), s(2, 3, 4), s(4, 5, 6)))), [1, 2, 3, 4, 5, 6]);
  });

  it("requires a set of sets", () => {
    throwsType("union", [[s()]], "operand 1 must be set but got array");
    throwsType("intersection", [s(1)], "operand 1 must be set but got number");
    throwsType("union", [s(s(1), "x")], "operand 1 must be set but got string");
  });
});

describe("set_diff", () => {
  it("returns the difference", () => {
    assert.deepEqual(sorted(call("set_diff", s(1, 2, 3), s(2, 3))), [1]);
  });
});
