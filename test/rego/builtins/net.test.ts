import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { netBuiltins } from "../../../src/rego/builtins/net.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError, BuiltinTypeError } from "../../../src/rego/errors.js";
import { RegoObject, RegoSet, type Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = netBuiltins.find((d) => d.name === name);
  assert.ok(decl, `no builtin ${name}`);
  return decl.impl(args, ctx);
}

function throwsBuiltin(name: string, args: Value[], message: string): void {
  assert.throws(
    () => call(name, ...args),
    (e: unknown) => e instanceof BuiltinError && e.message === message,
    `${name} should fail with ${message}`,
  );
}

/** A set result as a sorted array of plain values. */
function members(v: Value | undefined): Value[] {
  assert.ok(v instanceof RegoSet, "expected a set");
  return v.sorted();
}

describe("net.cidr_contains", () => {
  it("checks CIDRs and IPs, IPv4 and IPv6 (conformance)", () => {
    assert.equal(call("net.cidr_contains", "10.0.0.0/8", "10.1.0.0/24"), true);
    assert.equal(call("net.cidr_contains", "172.17.0.0/24", "172.17.0.0/16"), false);
    assert.equal(call("net.cidr_contains", "10.0.0.0/8", "192.168.1.0/24"), false);
    assert.equal(call("net.cidr_contains", "10.0.0.0/8", "10.1.1.1/32"), true);
    assert.equal(call("net.cidr_contains", "2001:4860:4860::8888/32", "2001:4860:4860:1234::8888/40"), true);
    assert.equal(
      call("net.cidr_contains", "2001:4860:4860::8888/32", "2001:4860:4860:1234:5678:1234:5678:8888/128"),
      true,
    );
    assert.equal(call("net.cidr_contains", "2001:4860::/96", "2001:4860::/32"), false);
    assert.equal(call("net.cidr_contains", "2001:4860::/32", "fd1e:5bfe:8af3:9ddc::/64"), false);
    assert.equal(call("net.cidr_contains", "10.0.0.0/8", "10.1.2.3"), true);
    assert.equal(call("net.cidr_contains", "10.0.0.0/8", "192.168.1.1"), false);
  });

  it("treats IPv4-mapped IPv6 as IPv4, and never mixes families", () => {
    assert.equal(call("net.cidr_contains", "::ffff:10.0.0.0/104", "10.1.2.3"), true);
    assert.equal(call("net.cidr_contains", "10.0.0.0/8", "::ffff:10.1.2.3"), true);
    assert.equal(call("net.cidr_contains", "::/0", "10.1.2.3"), false);
  });

  it("reports malformed operands", () => {
    throwsBuiltin("net.cidr_contains", ["not-a-cidr", "192.168.1.67"], "invalid CIDR address: not-a-cidr");
    throwsBuiltin(
      "net.cidr_contains",
      ["192.168.1.0/28", "not-a-cidr"],
      "not a valid textual representation of an IP address or CIDR: not-a-cidr",
    );
    // OPA reads both operands with position 1.
    assert.throws(
      () => call("net.cidr_contains", "10.0.0.0/8", 1),
      (e: unknown) => e instanceof BuiltinTypeError && e.message === "operand 1 must be string but got number",
    );
  });
});

describe("net.cidr_intersects", () => {
  it("detects overlap (conformance)", () => {
    assert.equal(call("net.cidr_intersects", "192.168.1.0/25", "192.168.1.64/25"), true);
    assert.equal(call("net.cidr_intersects", "192.168.1.0/24", "192.168.2.0/24"), false);
    assert.equal(call("net.cidr_intersects", "fd1e:5bfe:8af3:9ddc::/64", "fd1e:5bfe:8af3:9ddc:1111::/72"), true);
    assert.equal(call("net.cidr_intersects", "fd1e:5bfe:8af3:9ddc::/64", "2001:4860:4860::8888/32"), false);
    throwsBuiltin("net.cidr_intersects", ["not-a-cidr", "192.168.1.0/24"], "invalid CIDR address: not-a-cidr");
    throwsBuiltin("net.cidr_intersects", ["192.168.1.0/28", "not-a-cidr"], "invalid CIDR address: not-a-cidr");
  });
});

describe("net.cidr_contains_matches", () => {
  it("matches strings, arrays, tuples, sets and objects (conformance)", () => {
    assert.deepEqual(members(call("net.cidr_contains_matches", "1.1.1.0/24", "1.1.1.1")), [["1.1.1.0/24", "1.1.1.1"]]);
    assert.deepEqual(members(call("net.cidr_contains_matches", ["1.1.2.0/24", "1.1.1.0/24"], ["1.1.1.1", "1.1.2.1"])), [
      [0, 1],
      [1, 0],
    ]);
    assert.deepEqual(
      members(call("net.cidr_contains_matches", [["1.1.2.0/24", 1], "1.1.1.0/24"], ["1.1.1.1", "1.1.2.1"])),
      [
        [0, 1],
        [1, 0],
      ],
    );
    assert.deepEqual(
      members(
        call(
          "net.cidr_contains_matches",
          new RegoSet(["1.1.1.0/24", "1.1.2.0/24"]),
          new RegoSet(["1.1.1.1", "1.1.2.1"]),
        ),
      ),
      [
        ["1.1.1.0/24", "1.1.1.1"],
        ["1.1.2.0/24", "1.1.2.1"],
      ],
    );
    const cidrs = new RegoSet([
      ["1.1.1.0/24", "bar"],
      ["1.1.2.0/24", "foo"],
    ]);
    const ips = new RegoSet([
      ["1.1.1.1", "baz"],
      ["1.1.2.1", "qux"],
    ]);
    assert.deepEqual(members(call("net.cidr_contains_matches", cidrs, ips)), [
      [
        ["1.1.1.0/24", "bar"],
        ["1.1.1.1", "baz"],
      ],
      [
        ["1.1.2.0/24", "foo"],
        ["1.1.2.1", "qux"],
      ],
    ]);
    const obj = new RegoObject([
      ["k1", "1.1.1.1/24"],
      ["k2", ["1.1.1.2/24", 1]],
    ]);
    assert.deepEqual(members(call("net.cidr_contains_matches", obj, "1.1.1.128")), [
      ["k1", "1.1.1.128"],
      ["k2", "1.1.1.128"],
    ]);
  });

  it("rejects elements that are neither strings nor non-empty arrays (conformance)", () => {
    const message = "operand 2: element must be string or non-empty array";
    throwsBuiltin(
      "net.cidr_contains_matches",
      [
        ["1.1.2.0/24", "1.1.1.0/24"],
        ["1.1.1.1", 1],
      ],
      message,
    );
    throwsBuiltin(
      "net.cidr_contains_matches",
      [new RegoSet([["1.1.1.0/24", "bar"]]), new RegoSet([1, ["1.1.2.1", "qux"]])],
      message,
    );
    throwsBuiltin(
      "net.cidr_contains_matches",
      [new RegoSet([["1.1.1.0/24", "bar"]]), new RegoSet([[], ["1.1.2.1", "qux"]])],
      message,
    );
    throwsBuiltin(
      "net.cidr_contains_matches",
      [[5], "1.1.1.1"],
      "operand 1: element must be string or non-empty array",
    );
  });
});

describe("net.cidr_expand", () => {
  it("lists every address (conformance)", () => {
    assert.deepEqual(members(call("net.cidr_expand", "192.168.1.1/30")), [
      "192.168.1.0",
      "192.168.1.1",
      "192.168.1.2",
      "192.168.1.3",
    ]);
    assert.deepEqual(members(call("net.cidr_expand", "172.16.100.255/30")), [
      "172.16.100.252",
      "172.16.100.253",
      "172.16.100.254",
      "172.16.100.255",
    ]);
    assert.deepEqual(members(call("net.cidr_expand", "192.168.1.1/32")), ["192.168.1.1"]);
    assert.deepEqual(members(call("net.cidr_expand", "fe80::/127")), ["fe80::", "fe80::1"]);
    throwsBuiltin("net.cidr_expand", ["192.168.1.1/33"], "invalid CIDR address: 192.168.1.1/33");
  });

  it("refuses ranges too large to hold in memory", () => {
    throwsBuiltin("net.cidr_expand", ["10.0.0.0/8"], "CIDR 10.0.0.0/8 has more than 1048576 addresses to expand");
  });
});

describe("net.cidr_is_valid", () => {
  it("accepts only Go-valid CIDRs (conformance)", () => {
    const valid = [
      "192.168.1.0/24",
      "2002::1234:abcd:ffff:c0a8:101/64",
      "1.2.3.4/024",
      "1:2:3:4:5:6:7::/112",
      "::ffff:1.2.3.4/120",
    ];
    const invalid = [
      "",
      "there goes a string",
      "192.168.1.2",
      "01.2.3.4/8",
      "::1%eth0/128",
      "1::2::3/64",
      "1:2:3:4:5:6:7:8::/112",
      "1.2.3.4/",
    ];
    for (const c of valid) assert.equal(call("net.cidr_is_valid", c), true, c);
    for (const c of invalid) assert.equal(call("net.cidr_is_valid", c), false, c);
    assert.equal(call("net.cidr_is_valid", 5), false);
  });
});

describe("net.cidr_merge", () => {
  const merge = (...cidrs: string[]) => members(call("net.cidr_merge", cidrs));

  it("merges IPv4 (conformance)", () => {
    assert.deepEqual(merge("192.0.128.0/24"), ["192.0.128.0/24"]);
    assert.deepEqual(merge("192.0.128.0/24", "192.0.128.0/24"), ["192.0.128.0/24"]);
    assert.deepEqual(merge("192.0.128.0/24", "0.0.0.0/0"), ["0.0.0.0/0"]);
    assert.deepEqual(merge("192.0.128.0/24", "192.0.129.0/24"), ["192.0.128.0/23"]);
    assert.deepEqual(merge("192.0.2.112/30", "192.0.2.116/31", "192.0.2.118/31"), ["192.0.2.112/29"]);
    assert.deepEqual(merge("192.0.129.0/24", "192.0.130.0/24"), ["192.0.129.0/24", "192.0.130.0/24"]);
    assert.deepEqual(merge("192.0.2.112/30", "192.0.2.116/32", "192.0.2.118/31"), [
      "192.0.2.112/30",
      "192.0.2.116/32",
      "192.0.2.118/31",
    ]);
    assert.deepEqual(merge("192.0.2.112/31", "192.0.2.116/31", "192.0.2.118/31"), ["192.0.2.112/31", "192.0.2.116/30"]);
    const sixteenths = Array.from({ length: 16 }, (_, i) => `192.0.2.${i * 16}/28`);
    assert.deepEqual(merge("192.0.1.254/31", ...sixteenths, "192.0.3.0/28"), [
      "192.0.1.254/31",
      "192.0.2.0/24",
      "192.0.3.0/28",
    ]);
    assert.deepEqual(merge(), []);
    assert.deepEqual(
      members(call("net.cidr_merge", new RegoSet(["192.0.2.112/30", "192.0.2.116/31", "192.0.2.118/31"]))),
      ["192.0.2.112/29"],
    );
  });

  it("gives bare IPv4 addresses their classful mask, as OPA does (conformance)", () => {
    assert.deepEqual(merge("192.0.2.112", "192.0.2.116/31", "192.0.2.118/31"), ["192.0.2.0/24"]);
    assert.deepEqual(merge("192.0.128.0", "192.0.129.0"), ["192.0.128.0/23"]);
    // Unmerged, Go prints the address unmasked.
    assert.deepEqual(merge("10.1.2.3"), ["10.1.2.3/8"]);
  });

  it("merges IPv6 and mixed families (conformance)", () => {
    assert.deepEqual(merge("2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128"), [
      "2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128",
    ]);
    assert.deepEqual(merge("2601:600:8a80:207e:a57d:7567:e2c9:e7b3/64", "2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128"), [
      "2601:600:8a80:207e::/64",
    ]);
    assert.deepEqual(merge("::/0", "fe80::1/128"), ["::/0"]);
    assert.deepEqual(merge("::/0", "::192.0.2.0/124", "ff00::101/128"), ["::/0"]);
    assert.deepEqual(merge("fe80::/120", "192.0.2.0/24", "192.0.3.0/24", "192.0.4.0/25", "192.0.4.128/25"), [
      "192.0.2.0/23",
      "192.0.4.0/24",
      "fe80::/120",
    ]);
    assert.deepEqual(merge("1.0.0.1/32", "1.0.0.2/31", "1.0.0.4/30", "1.0.0.8/29", "1.0.0.16/32"), [
      "1.0.0.1/32",
      "1.0.0.16/32",
      "1.0.0.2/31",
      "1.0.0.4/30",
      "1.0.0.8/29",
    ]);
  });

  it("reports invalid input (conformance)", () => {
    throwsBuiltin("net.cidr_merge", [["2601:600:8a80:207e:a57d:7567:e2c9:e7b3"]], "IPv6 invalid: needs prefix length");
    throwsBuiltin("net.cidr_merge", [["foo"]], "invalid CIDR address: foo");
    throwsBuiltin("net.cidr_merge", [[1]], "element must be string");
  });
});
