/**
 * The evaluator's fast paths (memoised base-document lookups, compiled single-valued terms,
 * uniform IR shapes, builtin shortcuts) must give the results of the general evaluation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compile, type Json } from "../../src/rego/index.js";

const data = {
  teams: {
    a: { tools: ["x", "y"], limit: 5 },
    b: { tools: ["y", "z"], limit: 9 },
  },
  byId: { "1": "one", "2": "two" },
  config: { max: 3 },
};

const policy = compile({
  modules: {
    "p.rego": `package p

tools contains t if {
  some name in input.teams
  some t in data.teams[name].tools
}

max_limit := max({data.teams[name].limit | some name in input.teams})

min_mixed := min({"a", 1, [0], null, false})

max_mixed := max({"a", 1, [0], null, false})

configured := data.config.max

by_number := data.byId[input.id]

missing := data.nothing.here

replaced := r if {
  r := tools with data.teams as {"a": {"tools": ["only"]}}
}

with_config := c if {
  c := configured with data.config.max as 7
}

dedup := count({x | some x in ["a", "b", "a", "b", "c"]})

dotted if glob.match("a.*", [".", "/"], input.path)
`,
  },
  data,
});

function value(query: string, input: Record<string, unknown>, extra?: Record<string, unknown>): unknown {
  const rows = policy.query(`x := data.p.${query}`, { input: input as never, data: extra as never });
  return rows[0]?.x;
}

describe("base documents below no rules", () => {
  it("looks up data through operands bound by iteration", () => {
    assert.deepEqual(value("tools", { teams: ["a", "b"] }), ["x", "y", "z"]);
    assert.deepEqual(value("tools", { teams: ["b"] }), ["y", "z"]);
    assert.equal(value("max_limit", { teams: ["a", "b"] }), 9);
  });

  it("sees the data a query merges in, and `with data` replacements", () => {
    assert.equal(value("configured", {}), 3);
    assert.equal(value("configured", {}, { config: { max: 4 } }), 4);
    // Back to the compiled data: the memoised lookup must not keep the merged value.
    assert.equal(value("configured", {}), 3);
    assert.equal(value("with_config", {}), 7);
    assert.deepEqual(value("replaced", { teams: ["a", "b"] }), ["only"]);
  });

  it("finds a string key with a number operand, as for base documents", () => {
    assert.equal(value("by_number", { id: 1 }), "one");
    assert.equal(value("by_number", { id: "2" }), "two");
    assert.equal(value("by_number", { id: 3 }), undefined);
    assert.equal(value("missing", {}), undefined);
  });
});

describe("builtin shortcuts", () => {
  it("takes min and max of a set in OPA's order of types", () => {
    assert.equal(value("min_mixed", {}), null);
    assert.deepEqual(value("max_mixed", {}), [0]);
  });

  it("counts a set of repeated strings once per member", () => {
    assert.equal(value("dedup", {}), 3);
  });

  it("matches `prefix.*` globs against every delimiter", () => {
    assert.equal(value("dotted", { path: "a.b" }), true);
    assert.equal(value("dotted", { path: "a.b/c" }), undefined);
    assert.equal(value("dotted", { path: "a.b.c" }), undefined);
    assert.equal(value("dotted", { path: "b.c" }), undefined);
  });
});

describe("a query that only reads a document (`data.a.b = x`)", () => {
  const docs = compile({
    modules: {
      "d.rego": `package d

decision := {"allow": true, "n": input.n} if input.n > 0

names contains name if some name in input.names

conflict := 1 if input.conflict
conflict := 2 if input.conflict

f(x) := x
`,
    },
    data: { base: { nested: { k: "v" } } },
  });

  /** The direct path's answer and the general one (a query with a second, always-true expression). */
  function both(query: string, input: Record<string, Json>): [unknown, unknown] {
    const direct = docs.query(query, { input });
    const general = docs.query(`${query}; true`, { input });
    return [direct, general];
  }

  it("gives the general evaluation's solutions", () => {
    const cases: [string, Record<string, Json>][] = [
      ["data.d.decision = x", { n: 2 }],
      ["x = data.d.decision", { n: 2 }],
      ["x := data.d.decision", { n: 2 }],
      ["data.d.decision = x", { n: -1 }],
      ["data.d.names = x", { names: ["b", "a", "b"] }],
      ["data.base.nested = x", {}],
      ["data.base.nested.k = x", {}],
      ["data.base.missing = x", {}],
      ["data.d.f = x", {}],
      ["data.d = x", { n: 1, names: [] }],
    ];
    for (const [query, input] of cases) {
      const [direct, general] = both(query, input);
      assert.deepEqual(direct, general, query);
    }
    assert.deepEqual(docs.query("data.d.decision = x", { input: { n: 2 } }), [{ x: { allow: true, n: 2 } }]);
    assert.deepEqual(docs.query("data.d.names = x", { input: { names: ["b", "a"] } }), [{ x: ["a", "b"] }]);
    assert.deepEqual(docs.query("data.d.decision = x", { input: { n: 0 } }), []);
  });

  it("raises the same errors", () => {
    assert.throws(
      () => docs.query("data.d.conflict = x", { input: { conflict: true } }),
      /eval_conflict_error|conflict/,
    );
    assert.throws(
      () => docs.query("data.d.conflict = x; true", { input: { conflict: true } }),
      /eval_conflict_error|conflict/,
    );
  });
});
