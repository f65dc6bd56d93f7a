import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BuiltinContext } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { uuidBuiltins } from "../../../src/rego/builtins/uuid.js";
import { BuiltinTypeError } from "../../../src/rego/errors.js";
import { toJson, type Value } from "../../../src/rego/value.js";

function call(name: string, ctx: BuiltinContext, ...args: Value[]): Value | undefined {
  const decl = uuidBuiltins.find((d) => d.name === name);
  assert.ok(decl, `missing builtin ${name}`);
  return decl.impl(args, ctx);
}

const newCtx = (): BuiltinContext => ({ nowNs: 0, cache: new Map(), compiled: new BoundedCache(64), print() {} });
const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("uuid.rfc4122", () => {
  it("is a v4 UUID, stable per key within one evaluation", () => {
    const ctx = newCtx();
    const a = call("uuid.rfc4122", ctx, "k");
    assert.match(a as string, V4);
    assert.equal(call("uuid.rfc4122", ctx, "k"), a);
    assert.notEqual(call("uuid.rfc4122", ctx, "other"), a);
    assert.notEqual(call("uuid.rfc4122", newCtx(), "k"), a);
  });
});

describe("uuid.parse (conformance)", () => {
  const parse = (s: Value): unknown => {
    const r = call("uuid.parse", newCtx(), s);
    return r === undefined ? undefined : toJson(r);
  };
  const v2 = {
    clocksequence: 12800,
    domain: "Person",
    id: 1000,
    macvariables: "local:unicast",
    nodeid: "32-50-96-b3-9f-47",
    // 1693566990121469600 in OPA; as a double it rounds to this value.
    time: 1693566990121469700,
    variant: "RFC4122",
    version: 2,
  };
  it("describes v2, v3 and v4 UUIDs in all input forms", () => {
    assert.deepEqual(parse("00000000-0000-4000-8000-000000000000"), { variant: "RFC4122", version: 4 });
    assert.deepEqual(parse("{00000000-0000-4000-8000-000000000000}"), { variant: "RFC4122", version: 4 });
    assert.deepEqual(parse("000003e8-48b9-21ee-b200-325096b39f47"), v2);
    assert.deepEqual(parse("urn:uuid:000003e8-48b9-21ee-b200-325096b39f47"), v2);
    assert.deepEqual(parse("38074da4-0b00-388d-9c3c-362de965547a"), { variant: "RFC4122", version: 3 });
    assert.deepEqual(parse("6bea8ef2d3d33cd184e09bab06a52ece"), { variant: "RFC4122", version: 3 });
  });
  it("describes v1 UUIDs and other variants", () => {
    const v1 = parse("c232ab00-9414-11ec-b3c8-9f6bdeced846") as Record<string, unknown>;
    assert.equal(v1.version, 1);
    assert.equal(v1.time, 1645557742000000000);
    assert.equal(v1.nodeid, "9f-6b-de-ce-d8-46");
    assert.equal(v1.macvariables, "local:multicast");
    assert.equal(v1.clocksequence, 13256);
    assert.equal((parse("00000000-0000-4000-c000-000000000000") as Record<string, unknown>).variant, "Microsoft");
  });
  it("is undefined for malformed input and type-checks its operand", () => {
    assert.equal(parse("00000000-0000-4000-8000-00000000000"), undefined);
    assert.equal(parse("00000000x0000-4000-8000-000000000000"), undefined);
    assert.equal(parse("urn:uuiX:000003e8-48b9-21ee-b200-325096b39f47"), undefined);
    assert.throws(() => parse(123), new BuiltinTypeError("operand 1 must be string but got number"));
  });
});
