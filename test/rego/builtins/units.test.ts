import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BuiltinDecl } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { unitsBuiltins } from "../../../src/rego/builtins/units.js";
import { BuiltinError } from "../../../src/rego/errors.js";
import type { Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };
const decl = (name: string): BuiltinDecl => {
  const d = unitsBuiltins.find((b) => b.name === name);
  if (!d) throw new Error(`no builtin ${name}`);
  return d;
};
const call = (name: string, ...args: Value[]): Value | undefined => decl(name).impl(args, ctx);

// Transcribed from the OPA v1.5 conformance category `units`.
const equalCases: [string, string, number][] = [
  ["units.parse", "500m", 0.5],
  ["units.parse", "0.0005K", 0.5],
  ["units.parse", "0.0000005M", 0.5],
  ["units.parse_bytes", '"100TIB"', 109951162777600],
  ["units.parse_bytes", "0", 0],
  ["units.parse_bytes", "0.0", 0],
  ["units.parse_bytes", ".0", 0],
  ["units.parse_bytes", "12345", 12345],
  ["units.parse_bytes", "10KB", 10000],
  ["units.parse_bytes", "10KIB", 10240],
  ["units.parse_bytes", "10kb", 10000],
  ["units.parse_bytes", "10Kib", 10240],
  ["units.parse_bytes", "200mb", 200000000],
  ["units.parse_bytes", "300GiB", 322122547200],
  ["units.parse_bytes", "1.1KB", 1100],
  ["units.parse_bytes", "1.1KiB", 1126],
  ["units.parse_bytes", ".5KB", 500],
  ["units.parse_bytes", "100k", 100000],
  ["units.parse_bytes", "100kb", 100000],
  ["units.parse_bytes", "100ki", 102400],
  ["units.parse_bytes", "100kib", 102400],
  ["units.parse_bytes", "100m", 100000000],
  ["units.parse_bytes", "100mb", 100000000],
  ["units.parse_bytes", "100mi", 104857600],
  ["units.parse_bytes", "100mib", 104857600],
  ["units.parse_bytes", "100g", 100000000000],
  ["units.parse_bytes", "100gb", 100000000000],
  ["units.parse_bytes", "100gi", 107374182400],
  ["units.parse_bytes", "100gib", 107374182400],
  ["units.parse_bytes", "100t", 100000000000000],
  ["units.parse_bytes", "100tb", 100000000000000],
  ["units.parse_bytes", "100ti", 109951162777600],
  ["units.parse_bytes", "100tib", 109951162777600],
  ["units.parse_bytes", "100p", 100000000000000000],
  ["units.parse_bytes", "100pb", 100000000000000000],
  ["units.parse_bytes", "100pi", 112589990684262400],
  ["units.parse_bytes", "100pib", 112589990684262400],
  ["units.parse_bytes", "10e", 1e19],
  ["units.parse_bytes", "10eb", 1e19],
  ["units.parse_bytes", "10ei", 10 * 2 ** 60],
  ["units.parse_bytes", "10eib", 10 * 2 ** 60],
  ["units.parse_bytes", "1e3KB", 1000000],
  ["units.parse_bytes", "3.2E2MiB", 335544320],
  ["units.parse_bytes", "4.5e1GiB", 48318382080],
  ["units.parse_bytes", "5e6", 5000000],
  ["units.parse_bytes", "1e-2KB", 10],
  ["units.parse_bytes", "6.4E1GB", 64000000000],
  ["units.parse_bytes", "7.5e1TiB", 82463372083200],
  ["units.parse_bytes", "5e2MiB", 524288000],
  ["units.parse_bytes", "2e2GiB", 214748364800],
  ["units.parse", '"100TI"', 109951162777600],
  ["units.parse", "0", 0],
  ["units.parse", "0.0", 0],
  ["units.parse", ".0", 0],
  ["units.parse", "12345", 12345],
  ["units.parse", "10K", 10000],
  ["units.parse", "10KI", 10240],
  ["units.parse", "10k", 10000],
  ["units.parse", "10Ki", 10240],
  ["units.parse", "200M", 200000000],
  ["units.parse", "300Gi", 322122547200],
  ["units.parse", "1.1K", 1100],
  ["units.parse", "1.1Ki", 1126.4],
  ["units.parse", ".5K", 500],
  ["units.parse", "100k", 100000],
  ["units.parse", "100K", 100000],
  ["units.parse", "100ki", 102400],
  ["units.parse", "100Ki", 102400],
  ["units.parse", "100M", 100000000],
  ["units.parse", "100mi", 104857600],
  ["units.parse", "100Mi", 104857600],
  ["units.parse", "100g", 100000000000],
  ["units.parse", "100gi", 107374182400],
  ["units.parse", "100t", 100000000000000],
  ["units.parse", "100T", 100000000000000],
  ["units.parse", "100ti", 109951162777600],
  ["units.parse", "100Ti", 109951162777600],
  ["units.parse", "100p", 100000000000000000],
  ["units.parse", "100P", 100000000000000000],
  ["units.parse", "100pi", 112589990684262400],
  ["units.parse", "100Pi", 112589990684262400],
  ["units.parse", "10e", 1e19],
  ["units.parse", "10E", 1e19],
  ["units.parse", "10ei", 10 * 2 ** 60],
  ["units.parse", "10Ei", 10 * 2 ** 60],
  ["units.parse", "1e10", 10000000000],
  ["units.parse", "3.2E4", 32000],
  ["units.parse", "2.5e3K", 2500000],
  ["units.parse", "1e3M", 1000000000],
  ["units.parse", "4E2G", 400000000000],
  ["units.parse", "5e1Gi", 53687091200],
  ["units.parse", "1e-2", 0.01],
  ["units.parse", "7.8E-1", 0.78],
  ["units.parse", "6e3Mi", 6291456000],
  ["units.parse", "42", 42],
  ["units.parse", "-3.5E2m", -0.35],
  ["units.parse", "1G", 1000000000],
];

const comparisonCases: [string, string, string, string][] = [
  ["units.parse_bytes", "8kb", ">", "7kb"],
  ["units.parse_bytes", "8gb", ">", "8mb"],
  ["units.parse_bytes", "1234kb", "<", "1gb"],
  ["units.parse_bytes", "1024", "==", "1KiB"],
  ["units.parse_bytes", "2MiB", "==", "2097152"],
  ["units.parse_bytes", "3MiB", ">", "3MB"],
  ["units.parse_bytes", "2MiB", "==", "2Mi"],
  ["units.parse_bytes", "4Mi", ">", "4M"],
  ["units.parse_bytes", "4.1Mi", ">", "4Mi"],
  ["units.parse_bytes", "128Gi", "==", "137438953472"],
  ["units.parse", "8k", ">", "7k"],
  ["units.parse", "8g", ">", "8m"],
  ["units.parse", "1234k", "<", "1g"],
  ["units.parse", "1024", "==", "1Ki"],
  ["units.parse", "2Mi", "==", "2097152"],
  ["units.parse", "3Mi", ">", "3M"],
  ["units.parse", "2Mi", "==", "2Mi"],
  ["units.parse", "4Mi", ">", "4M"],
  ["units.parse", "4.1Mi", ">", "4Mi"],
  ["units.parse", "128Gi", "==", "137438953472"],
];

const errorCases: [string, string, string][] = [
  ["units.parse_bytes", "", "units.parse_bytes: no byte amount provided"],
  ["units.parse_bytes", "GB", "units.parse_bytes: no byte amount provided"],
  ["units.parse_bytes", "foo", "units.parse_bytes: no byte amount provided"],
  ["units.parse_bytes", "0.0.0", "units.parse_bytes: could not parse byte amount to a number"],
  ["units.parse_bytes", ".5.2", "units.parse_bytes: could not parse byte amount to a number"],
  ["units.parse_bytes", "100 kb", "units.parse_bytes: spaces not allowed in resource strings"],
  ["units.parse_bytes", " 327MiB ", "units.parse_bytes: spaces not allowed in resource strings"],
  ["units.parse", "", "units.parse: no amount provided"],
  ["units.parse", "G", "units.parse: no amount provided"],
  ["units.parse", "foo", "units.parse: no amount provided"],
  ["units.parse", "0.0.0", "units.parse: could not parse amount to a number"],
  ["units.parse", ".5.2", "units.parse: could not parse amount to a number"],
  ["units.parse", "100 k", "units.parse: spaces not allowed in resource strings"],
  ["units.parse", " 327Mi ", "units.parse: spaces not allowed in resource strings"],
];

describe("units", () => {
  it("parses exact values", () => {
    for (const [name, input, want] of equalCases) assert.equal(call(name, input), want, `${name}(${input})`);
  });

  it("orders parsed values", () => {
    for (const [name, a, op, b] of comparisonCases) {
      const x = call(name, a) as number;
      const y = call(name, b) as number;
      const ok = op === ">" ? x > y : op === "<" ? x < y : x === y;
      assert.ok(ok, `${name}(${a}) ${op} ${name}(${b})`);
    }
  });

  it("reports OPA's errors (with OPA's own name prefix)", () => {
    for (const [name, input, want] of errorCases) {
      assert.throws(
        () => call(name, input),
        (e: unknown) => e instanceof BuiltinError && e.message === want,
        input,
      );
    }
  });

  it("treats a trailing E as the exa unit", () => {
    assert.equal(call("units.parse", "5E"), 5e18);
    assert.equal(call("units.parse_bytes", "5E"), 5e18);
  });

  it("keeps milli exact to ten decimals", () => {
    assert.equal(Math.round((call("units.parse", "100m") as number) * 1000), 100);
    assert.equal(call("units.parse", "1m"), 0.001);
  });

  it("rejects unknown units and wrong operand types", () => {
    assert.throws(() => call("units.parse", "10x"), /units\.parse: unit x not recognized/);
    assert.throws(() => call("units.parse_bytes", "10xb"), /units\.parse_bytes: byte unit xb not recognized/);
    assert.throws(() => call("units.parse", 10), /operand 1 must be string but got number/);
    assert.throws(() => call("units.parse_bytes", "1e9999999"), /exponent too large/);
  });

  it("truncates fractional bytes with big.Float's 64-bit rounding", () => {
    assert.equal(call("units.parse_bytes", "0.3kb"), 300);
    assert.equal(call("units.parse_bytes", "-1.5kib"), -1536);
  });
});
