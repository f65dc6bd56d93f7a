import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { typeBuiltins } from "../../../src/rego/builtins/typechecks.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { objectFrom, RegoSet, type Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };

function call(name: string, arg: Value): Value | undefined {
  const decl = typeBuiltins.find((d) => d.name === name);
  assert.ok(decl, `no builtin ${name}`);
  return decl.impl([arg], ctx);
}

const samples: [string, Value][] = [
  ["null", null],
  ["boolean", false],
  ["number", -42.5],
  ["string", "Hello"],
  ["array", [1, 2, 3]],
  ["set", new RegoSet([1, 2, 3])],
  ["object", objectFrom({ foo: 1 })],
];

describe("is_* predicates", () => {
  it("return true for their type and false (not undefined) otherwise", () => {
    for (const [type] of samples) {
      for (const [other, value] of samples) {
        assert.equal(call(`is_${type}`, value), type === other, `is_${type}(${other})`);
      }
    }
  });
});

describe("type_name", () => {
  it("names every type", () => {
    for (const [type, value] of samples) assert.equal(call("type_name", value), type);
  });
});
