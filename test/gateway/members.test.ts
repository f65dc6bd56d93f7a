import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { copyMembers, withMetaMember } from "../../src/gateway/members.js";

describe("copyMembers", () => {
  it("copies own members, leaves one out, and keeps a __proto__ member a member", () => {
    const parsed = JSON.parse('{"a":1,"b":{"c":2},"__proto__":{"polluted":true},"skip":3}') as Record<string, unknown>;
    const copy = copyMembers(parsed, "skip");
    assert.deepEqual(Object.keys(copy), ["a", "b", "__proto__"]);
    assert.equal(copy.b, parsed.b, "shallow");
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.equal((copy as { polluted?: unknown }).polluted, undefined);
    assert.deepEqual(copyMembers(undefined), {});
  });
});

describe("withMetaMember", () => {
  it("sets a _meta member on a copy, dropping another, without touching the original", () => {
    const params = JSON.parse(
      '{"name":"echo","arguments":{"x":1},"_meta":{"progressToken":"t1","other":"kept"}}',
    ) as Record<string, unknown>;
    const copy = withMetaMember(params, "traceparent", "00-abc-def-01", "progressToken");
    assert.deepEqual(copy, {
      name: "echo",
      arguments: { x: 1 },
      _meta: { other: "kept", traceparent: "00-abc-def-01" },
    });
    assert.deepEqual(params._meta, { progressToken: "t1", other: "kept" });
  });

  it("creates _meta when there is none (or it is not an object)", () => {
    assert.deepEqual(withMetaMember({ name: "t" }, "progressToken", 7), { name: "t", _meta: { progressToken: 7 } });
    assert.deepEqual(withMetaMember({ _meta: "junk" }, "k", 1), { _meta: { k: 1 } });
    assert.deepEqual(withMetaMember(undefined, "k", 1), { _meta: { k: 1 } });
  });
});
