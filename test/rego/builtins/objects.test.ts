import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { objectBuiltins } from "../../../src/rego/builtins/objects.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinTypeError } from "../../../src/rego/errors.js";
import { formatValue } from "../../../src/rego/format.js";
import { equals, objectFrom, RegoObject, RegoSet, type Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = objectBuiltins.find((d) => d.name === name);
  assert.ok(decl, `no builtin ${name}`);
  return decl.impl(args, ctx);
}

function assertValue(actual: Value | undefined, expected: Value): void {
  assert.ok(
    actual !== undefined && equals(actual, expected),
    `got ${actual === undefined ? "undefined" : formatValue(actual)}`,
  );
}

function throwsType(name: string, args: Value[], message: string): void {
  assert.throws(
    () => call(name, ...args),
    (e: unknown) => e instanceof BuiltinTypeError && e.message === message,
  );
}

const o = (entries: [Value, Value][]): RegoObject => new RegoObject(entries);
const s = (...xs: Value[]): RegoSet => new RegoSet(xs);

describe("object.get", () => {
  it("gets a key or the default", () => {
    assert.equal(call("object.get", objectFrom({ a: "b" }), "a", "c"), "b");
    assert.equal(call("object.get", objectFrom({ a: "b" }), "c", "c"), "c");
    assert.equal(call("object.get", o([[1, 2]]), 1, 3), 2);
    assert.equal(call("object.get", o([[1, 2]]), 2, 3), 3);
    assertValue(call("object.get", objectFrom({ a: objectFrom({ b: "c" }) }), "a", true), objectFrom({ b: "c" }));
    assert.equal(call("object.get", objectFrom({ a: objectFrom({ b: "c" }) }), "b", true), true);
  });

  it("follows array paths", () => {
    const nested = objectFrom({ a: objectFrom({ b: objectFrom({ c: 1 }) }) });
    assertValue(call("object.get", objectFrom({ a: 1 }), [], 2), objectFrom({ a: 1 }));
    assert.equal(call("object.get", objectFrom({ a: 1 }), ["a"], 2), 1);
    assert.equal(call("object.get", nested, ["a", "b", "c"], 2), 1);
    assert.equal(call("object.get", objectFrom({ a: 1 }), ["b"], 2), 2);
    assert.equal(call("object.get", nested, ["a", "b", "a"], 2), 2);
    const weird = o([[1, objectFrom({ b: o([[[1, 2, 3], 1]]) })]]);
    assert.equal(call("object.get", weird, [1, "b", [1, 2, 3]], 2), 1);
    assert.equal(call("object.get", objectFrom({ a: objectFrom({ b: [1, 2, 3] }) }), ["a", "b", "a"], 2), 2);
    assert.equal(
      call("object.get", objectFrom({ a: objectFrom({ b: [objectFrom({ c: 1 })] }) }), ["a", "b", 0, "c"], 2),
      1,
    );
    assert.equal(call("object.get", objectFrom({ a: s("x") }), ["a", "x"], 2), "x");
    assert.equal(call("object.get", objectFrom({ a: [1] }), ["a", 5], 2), 2);
  });

  it("requires an object", () => {
    throwsType("object.get", ["object", ["a"], 2], "operand 1 must be object but got string");
  });
});

describe("object.keys", () => {
  it("returns key sets of any key type", () => {
    assertValue(call("object.keys", objectFrom({ a: 1, b: 2 })), s("a", "b"));
    assertValue(
      call(
        "object.keys",
        o([
          [1, 1],
          [2, 2],
        ]),
      ),
      s(1, 2),
    );
    assertValue(call("object.keys", o([[s("a"), 1]])), s(s("a")));
    assertValue(call("object.keys", new RegoObject()), s());
  });

  it("requires an object", () => {
    throwsType("object.keys", ["object"], "operand 1 must be object but got string");
  });
});

describe("object.remove / object.filter", () => {
  const abc = objectFrom({ a: 1, b: 2, c: 3 });
  it("removes keys given as set, array or object", () => {
    assertValue(call("object.remove", abc, s("a")), objectFrom({ b: 2, c: 3 }));
    assertValue(call("object.remove", abc, ["b"]), objectFrom({ a: 1, c: 3 }));
    assertValue(call("object.remove", abc, objectFrom({ c: "x" })), objectFrom({ a: 1, b: 2 }));
    assertValue(abc, objectFrom({ a: 1, b: 2, c: 3 }));
  });

  it("filters keys given as set, array or object", () => {
    const big = objectFrom({ a: 1, b: 2, c: 3, e: 9 });
    assertValue(call("object.filter", big, s("a", "e")), objectFrom({ a: 1, e: 9 }));
    assertValue(call("object.filter", big, ["a", "e"]), objectFrom({ a: 1, e: 9 }));
    assertValue(call("object.filter", big, objectFrom({ a: "foo", e: "" })), objectFrom({ a: 1, e: 9 }));
    assertValue(call("object.filter", objectFrom({ a: 7 }), s()), new RegoObject());
    assertValue(call("object.filter", new RegoObject(), s("a")), new RegoObject());
    assertValue(
      call(
        "object.filter",
        o([
          ["a", 1],
          [[[7]], 2],
        ]),
        s([[7]]),
      ),
      o([[[[7]], 2]]),
    );
  });

  it("checks operand types", () => {
    throwsType("object.filter", [["a"], s("a")], "operand 1 must be object but got array");
    throwsType("object.filter", [null, s("a")], "operand 1 must be object but got null");
    throwsType("object.filter", [abc, "foo"], "operand 2 must be one of {object, set, array} but got string");
    throwsType("object.remove", [abc, 22], "operand 2 must be one of {object, set, array} but got number");
  });
});

describe("object.union / object.union_n", () => {
  it("merges recursively with the right side winning", () => {
    assertValue(call("object.union", new RegoObject(), objectFrom({ a: 1 })), objectFrom({ a: 1 }));
    assertValue(call("object.union", objectFrom({ a: 1 }), objectFrom({ a: 2 })), objectFrom({ a: 2 }));
    assertValue(
      call("object.union", objectFrom({ a: 1 }), objectFrom({ a: objectFrom({ b: objectFrom({ c: 1 }) }), d: 7 })),
      objectFrom({ a: objectFrom({ b: objectFrom({ c: 1 }) }), d: 7 }),
    );
    assertValue(
      call(
        "object.union",
        objectFrom({ a: objectFrom({ b: objectFrom({ c: 1 }) }), e: 1 }),
        objectFrom({ a: objectFrom({ b: "foo", b1: "bar" }), d: 7, e: 17 }),
      ),
      objectFrom({ a: objectFrom({ b: "foo", b1: "bar" }), d: 7, e: 17 }),
    );
  });

  it("merges arrays of objects", () => {
    const input = [
      objectFrom({ a: objectFrom({ b: 2 }) }),
      objectFrom({ a: 4 }),
      objectFrom({ a: objectFrom({ c: 3 }) }),
    ];
    assertValue(call("object.union_n", input), objectFrom({ a: objectFrom({ c: 3 }) }));
    assertValue(
      call("object.union_n", [objectFrom({ a: objectFrom({ b: 1 }) }), objectFrom({ a: objectFrom({ c: 2 }) })]),
      objectFrom({ a: objectFrom({ b: 1, c: 2 }) }),
    );
    assertValue(call("object.union_n", []), new RegoObject());
  });

  it("checks operand types", () => {
    throwsType("object.union", [[1, 2, 3], objectFrom({ b: 2 })], "operand 1 must be object but got array");
    throwsType("object.union", [objectFrom({ a: 1 }), [1, 2, 3]], "operand 2 must be object but got array");
    throwsType(
      "object.union_n",
      [[objectFrom({}), 1, "x"]],
      "operand 1 must be array of objects but got array containing string",
    );
    throwsType("object.union_n", [objectFrom({})], "operand 1 must be array but got object");
  });
});

describe("object.subset", () => {
  const sub = (a: Value, b: Value): Value | undefined => call("object.subset", a, b);

  it("compares objects recursively", () => {
    const A = objectFrom({
      a: 5,
      b: 7,
      nested: objectFrom({ x: 10, y: 15, z: 20, set1: s(1, 2, 3, 4), arr1: [6, 7, 8, 9] }),
    });
    const B = objectFrom({ a: 5, nested: objectFrom({ x: 10, y: 15, set1: s(4, 1), arr1: [6, 7] }) });
    assert.equal(sub(A, B), true);
    assert.equal(sub(B, A), false);
    assert.equal(sub(objectFrom({ a: 5, b: 7 }), objectFrom({ a: 5, b: 10 })), false);
    assert.equal(sub(objectFrom({ a: [1, 2] }), objectFrom({ a: s(1) })), false);
  });

  it("compares sets by membership", () => {
    assert.equal(sub(s(1, 2, 3), s(3, 2)), true);
    assert.equal(sub(s(3, 2), s(1, 2, 3)), false);
    assert.equal(sub(s(1, 2, 3, s("a", "b", "c")), s(3, 2, s("a", "b", "c"))), true);
    assert.equal(sub(s(1, 2, 3, s("a", "b", "c")), s(3, 2, s("a", "b"))), false);
  });

  it("finds contiguous runs in arrays", () => {
    const A = [1, 2, 3, 4, 5, 6];
    assert.equal(sub(A, [3, 4, 5]), true);
    assert.equal(sub(A, [1, 2, 3]), true);
    assert.equal(sub(A, [4, 5, 6]), true);
    assert.equal(sub(A, A), true);
    assert.equal(sub(A, [4, 5, 6, 8]), false);
    assert.equal(sub(A, [8, 9, 10]), false);
    assert.equal(sub(A, [1, 3]), false);
    assert.equal(sub([1, 1, 2], [1, 2]), true);
    assert.equal(sub([3, 4, 5], A), false);
  });

  it("finds set elements in an array", () => {
    assert.equal(sub([1, 2, 3, 4, 5, 6], s(4, 3, 2)), true);
    assert.equal(sub([1, 2, 3, 4, 5, 6], s(9, 8, 7)), false);
    // OPA quirks: duplicates count twice, and an empty array contains nothing.
    assert.equal(sub([1, 1], s(1, 2)), true);
    assert.equal(sub([], s()), false);
    assert.equal(sub([1], s()), true);
  });

  it("rejects mismatched operands with OPA's type error", () => {
    const msg = "both arguments object.subset must be of the same type or array and set";
    throwsType("object.subset", [s(4, 3, 2), [1, 2, 3]], msg);
    throwsType("object.subset", [objectFrom({}), [1]], msg);
    throwsType("object.subset", ["a", "a"], msg);
  });
});
