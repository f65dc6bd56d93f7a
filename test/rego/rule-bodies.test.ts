/**
 * Rule body evaluation (eval/body.ts: direct expressions in a loop, generators with
 * continuations): bindings undone between solutions, early stops, `with` inside a body, pattern
 * parameters, else chains, the deadline inside loops, long bodies, and probes of instrumented
 * policies. A guard for rewrites of the body evaluator (e.g. compiling bodies to closures).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compile, RegoError } from "../../src/rego/index.js";

const source = `package p

# A direct binding after a generator: rebound for every member.
pairs contains [name, n] if {
  some name in input.names
  n := count(name)
  n > 1
}

# Key and value patterns, a constant key pattern, and a generator after a generator.
nested contains [k, v] if {
  some k, xs in input.groups
  some v in xs
  v != "skip"
}

constant_key contains v if {
  some "a", v in input.groups
}

# A complete rule with a constant value stops at its first solution.
any_long if {
  some name in input.names
  count(name) > 2
}

# Pattern parameters go through the whole compiled body.
first([x, _]) := y if {
  y := x
  x != "none"
}

firsts contains f if {
  some p in input.pairs
  f := first(p)
}

# \`with\` inside a body, after a generator.
replaced contains v if {
  some name in input.names
  v := count(name) with input.names as []
}

# A generator that is not a \`some in\` (a reference with an unbound operand).
by_ref contains x if {
  input.groups[g][_] = x
  g != "b"
}

# Else chains: the first body with a solution wins.
grade := "big" if {
  some n in input.numbers
  n > 100
} else := "small" if {
  some n in input.numbers
  n > 0
} else := "none"

r := numbers.range(1, 3000)

# Rule bodies (compiled), not a comprehension: both loops end the body.
spin if {
  some i in r
  some j in r
  i + j < 0
}
`;

const input = {
  names: ["ab", "x", "abc"],
  groups: { a: ["1", "skip", "2"], b: ["3"] },
  pairs: [
    ["p", 1],
    ["none", 2],
    ["q", 3],
  ],
  numbers: [5, 7],
};

const policy = compile({ modules: { "p.rego": source } });

function value(rule: string, given: Record<string, unknown> = input): unknown {
  return policy.query(`x := data.p.${rule}`, { input: given as never })[0]?.x;
}

describe("rule bodies", () => {
  it("rebinds direct bindings for each member of a loop", () => {
    assert.deepEqual(value("pairs"), [
      ["ab", 2],
      ["abc", 3],
    ]);
  });

  it("binds key and value patterns and nests generators", () => {
    assert.deepEqual(value("nested"), [
      ["a", "1"],
      ["a", "2"],
      ["b", "3"],
    ]);
    assert.deepEqual(value("constant_key"), [["1", "skip", "2"]]);
  });

  it("stops a constant complete rule at its first solution", () => {
    assert.equal(value("any_long"), true);
    assert.equal(value("any_long", { names: ["a"] }), undefined);
  });

  it("binds pattern parameters", () => {
    assert.deepEqual(value("firsts"), ["p", "q"]);
  });

  it("applies `with` after a generator", () => {
    assert.deepEqual(value("replaced"), [1, 2, 3]);
  });

  it("enumerates references with unbound operands", () => {
    assert.deepEqual(value("by_ref"), ["1", "2", "skip"]);
  });

  it("takes the first else branch with a solution", () => {
    assert.equal(value("grade"), "small");
    assert.equal(value("grade", { numbers: [500] }), "big");
    assert.equal(value("grade", { numbers: [-1] }), "none");
  });

  it("meets the deadline inside a loop that ends a body", () => {
    assert.throws(
      () => policy.query("data.p.spin = x", { timeoutMs: 20 }),
      (e: unknown) => e instanceof RegoError && e.code === "eval_cancel_error",
    );
  });

  it("runs long bodies after a generator without deep recursion", () => {
    const tests = Array.from({ length: 8000 }, (_, i) => `  x < ${i + 10}`).join("\n");
    const long = compile({
      modules: { "l.rego": `package l\n\nr contains x if {\n  some x in [1, 2]\n${tests}\n}\n` },
    });
    assert.deepEqual(long.query("x := data.l.r")[0]?.x, [1, 2]);
  });

  it("reports probes of an instrumented policy", () => {
    const instrumented = compile({ modules: { "p.rego": source }, instrument: true });
    let events = 0;
    const rows = instrumented.query("x := data.p.pairs", {
      input: input as never,
      trace: () => {
        events++;
      },
    });
    assert.deepEqual(rows[0]?.x, [
      ["ab", 2],
      ["abc", 3],
    ]);
    assert.ok(events > 0);
  });
});
