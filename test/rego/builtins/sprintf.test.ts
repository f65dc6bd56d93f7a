import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sprintfBuiltins } from "../../../src/rego/builtins/sprintf.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinTypeError } from "../../../src/rego/errors.js";
import { compile } from "../../../src/rego/index.js";
import { fromJson, RegoSet, type Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };
const decl = sprintfBuiltins.find((b) => b.name === "sprintf");
const sprintf = (format: unknown, values: unknown): Value | undefined => {
  if (!decl) throw new Error("no sprintf");
  return decl.impl([fromJson(format), values instanceof RegoSet ? values : fromJson(values)], ctx);
};

describe("sprintf", () => {
  it("matches the conformance cases", () => {
    assert.equal(sprintf("hi", []), "hi");
    assert.equal(sprintf("hi %s", ["there"]), "hi there");
    assert.equal(sprintf("hi %02d", [5]), "hi 05");
    assert.equal(sprintf("hi %02X.%02X", [127, 1]), "hi 7F.01");
    assert.equal(sprintf("hi %.2f", [1.2345]), "hi 1.23");
    assert.equal(sprintf("hi %s", [true]), "hi true");
    assert.equal(sprintf("hi %v", [["there", 5, 1.25]]), 'hi ["there", 5, 1.25]');
    assert.equal(sprintf("%s/%d", ["p", 0]), "p/0");
  });

  it("formats Rego values as OPA prints terms", () => {
    assert.equal(sprintf("%v", [{ a: 1, b: ["x", null] }]), '{"a": 1, "b": ["x", null]}');
    assert.equal(sprintf("%v %v", [new RegoSet([2, 1]), new RegoSet()]), "{1, 2} set()");
    assert.equal(sprintf("%s", [[1, 2]]), "[1, 2]");
    assert.equal(sprintf("%v", [["tab\there"]]), '["tab\\there"]');
    assert.equal(sprintf("%v %v", [null, false]), "null false");
  });

  it("quotes strings inside values as Go does, plain ASCII and otherwise", () => {
    assert.equal(
      sprintf("%v", [["plain text ~!#[]{}`", 'a"b', "a\\b", "", "tab\there", "é", "\u007f", "😀"]]),
      '["plain text ~!#[]{}`", "a\\"b", "a\\\\b", "", "tab\\there", "é", "\\x7f", "😀"]',
    );
  });

  it("reports verb/type mismatches, missing and extra operands as Go does", () => {
    assert.equal(sprintf("%d", ["a"]), "%!d(string=a)");
    assert.equal(sprintf("%t", [true]), "%!t(string=true)");
    assert.equal(sprintf("%d", [1.5]), "%!d(float64=1.5)");
    assert.equal(sprintf("%z", [1]), "%!z(int=1)");
    assert.equal(sprintf("%d %d", [1]), "1 %!d(MISSING)");
    assert.equal(sprintf("%d", [1, 2, "x"]), "1%!(EXTRA int=2, string=x)");
    assert.equal(sprintf("%[3]d", [1, 2]), "%!d(BADINDEX)");
    assert.equal(sprintf("100%% %", []), "100% %!(NOVERB)");
  });

  it("supports flags, widths, precisions and argument indexes", () => {
    assert.equal(
      sprintf("%x %X %o %O %b %#x %#o %#b", [255, 255, 8, 8, 5, 255, 8, 5]),
      "ff FF 10 0o10 101 0xff 010 0b101",
    );
    assert.equal(sprintf("%08d|%-8d|%+08d|% d|%+d", [-42, 42, 42, 5, 5]), "-0000042|42      |+0000042| 5|+5");
    assert.equal(sprintf("%c %q %U %#U", [65, 65, 0x1f600, 0x41]), "A 'A' U+1F600 U+0041 'A'");
    assert.equal(
      sprintf("%10s|%-10s|%.2s|%5.1s|", ["right", "left", "trunc", "abc"]),
      "     right|left      |tr|    a|",
    );
    assert.equal(sprintf("%q %#q %+q", ["héllo\n", "back", "é"]), '"héllo\\n" `back` "\\u00e9"');
    assert.equal(sprintf("%x % x %#x", ["hi", "hi", "hi"]), "6869 68 69 0x6869");
    assert.equal(sprintf("%[2]d %[1]d", [1, 2]), "2 1");
    assert.equal(sprintf("%*d|%-*d|%.*f", [5, 42, 5, 42, 2, 1.23456]), "   42|42   |1.23");
    assert.equal(sprintf("%.3d|%.0d|%6.2f|%+.1e", [7, 0, -1.23456, 12345.678]), "007|| -1.23|+1.2e+04");
  });

  it("formats floats like strconv", () => {
    assert.equal(sprintf("%v %v %v %v", [1.5, 0.000001, 123456.7, 1e-7]), "1.5 1e-06 123456.7 1e-07");
    assert.equal(
      sprintf("%e %E %g %.3e", [1234.5678, 0.000123, 1e-7, 1234.5678]),
      "1.234568e+03 1.230000E-04 1e-07 1.235e+03",
    );
    // Exact binary values, rounded half to even.
    assert.equal(sprintf("%.0f %.0f %.0f %.1f %.2f", [0.5, 1.5, 2.5, 0.25, 1.005]), "0 2 2 0.2 1.00");
    assert.equal(sprintf("%#g %b %x", [1.5, 1.5, 1.5]), "1.50000 6755399441055744p-52 0x1.8p+00");
    assert.equal(sprintf("%8.3f|%-8.3f|%08.3f", [1.23456, 1.23456, -1.23456]), "   1.235|1.235   |-001.235");
  });

  it("uses *big.Int formatting beyond int64", () => {
    assert.equal(sprintf("%d", [2 ** 70]), "1180591620717411303424");
    assert.equal(sprintf("%x", [2 ** 70]), "400000000000000000");
    assert.equal(sprintf("%e", [2 ** 70]), "%!e(big.Int=1180591620717411303424)");
  });

  it("requires an array of values", () => {
    assert.throws(
      () => sprintf("%s", "x"),
      (e: unknown) => e instanceof BuiltinTypeError && e.message === "operand 2 must be array but got string",
    );
  });
});

describe("numbers beyond the double range", () => {
  it("keep their exact value, and sprintf prints a literal written with an exponent as written (as OPA)", () => {
    const policy = compile({
      modules: {
        "n.rego":
          'package n\n\nv := sprintf("%v|%d", [2e308, 2e308])\n\nbigger if 2e308 > 1e308\n\nsame if 2e308 == 20e307\n\nneg := sprintf("%v", [-3.5e400])\n',
      },
    });
    assert.deepEqual(policy.query("data.n.v = v"), [{ v: "2e308|%!d(string=2e308)" }]);
    assert.deepEqual(policy.query("data.n.bigger = b; data.n.same = s"), [{ b: true, s: true }]);
    assert.deepEqual(policy.query("data.n.neg = v"), [{ v: "-3.5e400" }]);
  });
});
