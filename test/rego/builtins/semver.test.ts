import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { semverBuiltins } from "../../../src/rego/builtins/semver.js";
import type { BuiltinContext } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError, BuiltinTypeError } from "../../../src/rego/errors.js";
import type { Value } from "../../../src/rego/value.js";

const ctx: BuiltinContext = { nowNs: 0, cache: new Map(), compiled: new BoundedCache(64), print() {} };

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = semverBuiltins.find((d) => d.name === name);
  assert.ok(decl, `missing builtin ${name}`);
  return decl.impl(args, ctx);
}

describe("semver.is_valid", () => {
  it("accepts SemVer 2.0.0 strings", () => {
    for (const v of ["1.0.0", "0.0.0", "1.2.3-alpha.1", "1.2.3+build.5", "1.2.3-rc.1+meta-x", "1.2.3-a-b"]) {
      assert.equal(call("semver.is_valid", v), true, v);
    }
  });
  it("rejects others", () => {
    for (const v of ["v1.0.0", "1.0", "1.2.3.4", "1.2.3-a..b", "1.2.x", "", "1.2.3-a_b"]) {
      assert.equal(call("semver.is_valid", v), false, v);
    }
    // OPA only validates non-empty pre-release and metadata parts.
    assert.equal(call("semver.is_valid", "1.2.3-"), true);
    assert.equal(call("semver.is_valid", 1), false);
  });
});

describe("semver.compare", () => {
  it("orders by precedence", () => {
    assert.equal(call("semver.compare", "1.0.0", "1.0.0"), 0);
    assert.equal(call("semver.compare", "1.0.0", "2.0.0"), -1);
    assert.equal(call("semver.compare", "1.10.0", "1.9.0"), 1);
    assert.equal(call("semver.compare", "1.0.0-alpha", "1.0.0"), -1);
    assert.equal(call("semver.compare", "1.0.0-alpha", "1.0.0-alpha.1"), -1);
    assert.equal(call("semver.compare", "1.0.0-alpha.1", "1.0.0-alpha.beta"), -1);
    assert.equal(call("semver.compare", "1.0.0-beta.11", "1.0.0-beta.2"), 1);
    assert.equal(call("semver.compare", "1.0.0-rc.1", "1.0.0-beta.11"), 1);
    assert.equal(call("semver.compare", "1.0.0+a", "1.0.0+b"), 0);
  });
  it("reports invalid operands", () => {
    assert.throws(
      () => call("semver.compare", "1.0", "1.0.0"),
      new BuiltinError("operand 1: string 1.0 is not a valid SemVer"),
    );
    assert.throws(
      () => call("semver.compare", "1.0.0", "x"),
      new BuiltinError("operand 2: string x is not a valid SemVer"),
    );
    assert.throws(
      () => call("semver.compare", 1, "1.0.0"),
      new BuiltinTypeError("operand 1 must be string but got number"),
    );
  });
});
