import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { castBuiltins, parseGoFloat } from "../../../src/rego/builtins/casts.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError, BuiltinTypeError } from "../../../src/rego/errors.js";
import { equals, objectFrom, RegoSet, type Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };

function call(name: string, arg: Value): Value | undefined {
  const decl = castBuiltins.find((d) => d.name === name);
  assert.ok(decl, `no builtin ${name}`);
  return decl.impl([arg], ctx);
}

function throwsWith(arg: Value, kind: typeof BuiltinError | typeof BuiltinTypeError, message: string): void {
  assert.throws(
    () => call("to_number", arg),
    (e: unknown) => e instanceof kind && e.message === message,
  );
}

describe("to_number", () => {
  it("converts strings, booleans, null and numbers", () => {
    assert.equal(call("to_number", "-42.0"), -42);
    assert.equal(call("to_number", false), 0);
    assert.equal(call("to_number", true), 1);
    assert.equal(call("to_number", null), 0);
    assert.equal(call("to_number", 100.1), 100.1);
    assert.equal(call("to_number", "3"), 3);
    assert.equal(call("to_number", "+1.5e3"), 1500);
    assert.equal(call("to_number", ".5"), 0.5);
    assert.equal(call("to_number", "5."), 5);
    assert.ok(Object.is(call("to_number", "-0"), 0));
  });

  it("accepts Go's hex floats and digit separators", () => {
    assert.equal(call("to_number", "0x1p4"), 16);
    assert.equal(call("to_number", "-0x1.8p1"), -3);
    assert.equal(call("to_number", "1_000"), 1000);
  });

  it("reports Go's parse errors", () => {
    throwsWith("broken", BuiltinError, 'strconv.ParseFloat: parsing "broken": invalid syntax');
    throwsWith("", BuiltinError, 'strconv.ParseFloat: parsing "": invalid syntax');
    throwsWith(" 1", BuiltinError, 'strconv.ParseFloat: parsing " 1": invalid syntax');
    throwsWith("0x10", BuiltinError, 'strconv.ParseFloat: parsing "0x10": invalid syntax');
    throwsWith("1e400", BuiltinError, 'strconv.ParseFloat: parsing "1e400": value out of range');
    throwsWith("a\tb", BuiltinError, 'strconv.ParseFloat: parsing "a\\tb": invalid syntax');
  });

  it("rejects infinities and NaN as a type error", () => {
    for (const s of ["nan", "inf", "-inf", "Infinity", "-Infinity", "-nan", "-NaN", "iNf", "+-inf"]) {
      throwsWith(s, BuiltinTypeError, "operand 1 must be valid number string but got string");
    }
  });

  it("rejects other types", () => {
    throwsWith([1], BuiltinTypeError, "operand 1 must be one of {null, boolean, number, string} but got array");
  });
});

describe("parseGoFloat", () => {
  it("follows Go's underscore rules", () => {
    assert.equal(parseGoFloat("1_2.5_0e1_0"), 12.5e10);
    assert.equal(parseGoFloat("_1"), "syntax");
    assert.equal(parseGoFloat("1__0"), "syntax");
    assert.equal(parseGoFloat("1_"), "syntax");
    assert.equal(parseGoFloat("0x_1p0"), 1);
  });

  it("needs digits and a complete exponent", () => {
    assert.equal(parseGoFloat("."), "syntax");
    assert.equal(parseGoFloat("1e"), "syntax");
    assert.equal(parseGoFloat("++1"), "syntax");
    assert.equal(parseGoFloat("0x.p1"), "syntax");
    assert.equal(parseGoFloat("1e-400"), 0);
  });
});

describe("deprecated casts", () => {
  it("convert between arrays and sets", () => {
    assert.deepEqual(call("cast_array", new RegoSet([2, 1])), [1, 2]);
    assert.deepEqual(call("cast_array", [3, 1]), [3, 1]);
    const set = call("cast_set", [1, 1, 2]);
    assert.ok(set !== undefined && equals(set, new RegoSet([1, 2])));
  });

  it("pass through values of the expected type", () => {
    assert.equal(call("cast_string", "x"), "x");
    assert.equal(call("cast_boolean", true), true);
    assert.equal(call("cast_null", null), null);
    const o = objectFrom({ a: 1 });
    assert.equal(call("cast_object", o), o);
  });

  it("reject other types", () => {
    assert.throws(() => call("cast_string", 1), { message: "operand 1 must be string but got number" });
    assert.throws(() => call("cast_null", false), { message: "operand 1 must be null but got boolean" });
    assert.throws(() => call("cast_object", [1]), { message: "operand 1 must be object but got array" });
    assert.throws(() => call("cast_array", "x"), { message: "operand 1 must be one of {array, set} but got string" });
  });
});
