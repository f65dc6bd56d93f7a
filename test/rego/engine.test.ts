import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compile, parseValue, RegoError } from "../../src/rego/index.js";

function compileError(modules: Record<string, string>): RegoError {
  try {
    compile({ modules });
  } catch (e) {
    assert.ok(e instanceof RegoError, `expected RegoError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a compile error");
}

describe("compile and query", () => {
  const policy = compile({
    modules: {
      "authz.rego": `package authz

default allow := false

allow if input.user.role == "admin"

allow if {
  some grant in data.grants[input.user.name]
  grant == input.tool
}

deny contains msg if {
  not allow
  msg := sprintf("%s may not call %s", [input.user.name, input.tool])
}

tools_by_team[team] := tools if {
  some team, tools in data.teams
}

double(x) := x * 2
`,
    },
    data: { grants: { alice: ["read_file"] }, teams: { eng: ["a", "b"] } },
  });

  it("decides with input and data", () => {
    assert.deepEqual(policy.query("data.authz.allow = x", { input: { user: { name: "alice" }, tool: "read_file" } }), [
      { x: true },
    ]);
    assert.deepEqual(policy.query("data.authz.allow = x", { input: { user: { name: "bob" }, tool: "read_file" } }), [
      { x: false },
    ]);
  });

  it("returns sets as sorted arrays and objects as JSON", () => {
    const rows = policy.query("data.authz.deny = d", { input: { user: { name: "bob" }, tool: "rm" } });
    assert.deepEqual(rows, [{ d: ["bob may not call rm"] }]);
    assert.deepEqual(policy.query("x := data.authz.tools_by_team"), [{ x: { eng: ["a", "b"] } }]);
  });

  it("returns [] for an undefined query", () => {
    assert.deepEqual(policy.query("data.authz.nope = x"), []);
  });

  it("lets a module use rules of its package defined in another file by their bare name", () => {
    const policy = compile({ modules: { "a.rego": "package p\nx := 1", "b.rego": "package p\ny := x + 1" } });
    assert.deepEqual(policy.query("data.p.y = v"), [{ v: 2 }]);
  });

  it("merges query data over compile data", () => {
    const rows = policy.query("data.authz.allow = x", {
      input: { user: { name: "carol" }, tool: "t" },
      data: { grants: { carol: ["t"] } },
    });
    assert.deepEqual(rows, [{ x: true }]);
  });

  it("calls user functions and supports with", () => {
    assert.deepEqual(policy.query("y := data.authz.double(21)"), [{ y: 42 }]);
    assert.deepEqual(policy.query('x := data.authz.allow with input as {"user": {"role": "admin"}}'), [{ x: true }]);
  });

  it("reports expression values as opa eval does", () => {
    const [first] = policy.eval("data.authz.double(2)");
    assert.deepEqual(first?.expressions, [{ value: 4, text: "data.authz.double(2)", location: { row: 1, col: 1 } }]);
  });

  it("is the same decision on a prepared query", () => {
    const prepared = policy.prepare("data.authz.allow");
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(prepared.eval({ input: { user: { role: "admin" } } })[0]?.expressions[0]?.value, true);
    }
  });
});

describe("errors", () => {
  it("gives parse errors with file, row and column", () => {
    const e = compileError({ "bad.rego": "package x\n\np if {\n  1 +\n}\n" });
    assert.equal(e.code, "rego_parse_error");
    assert.equal(e.location?.file, "bad.rego");
    assert.equal(e.location?.row, 5);
  });

  it("rejects unsafe variables", () => {
    const e = compileError({ "a.rego": "package x\n\np if { x > 1 }\n" });
    assert.equal(e.code, "rego_unsafe_var_error");
    assert.match(e.message, /var x is unsafe/);
    assert.equal(e.location?.row, 3);
  });

  it("requires a negation's variables to be bound, except wildcards", () => {
    const e = compileError({ "a.rego": "package x\n\nq contains 1\n\np if { not q[x] }\n" });
    assert.equal(e.code, "rego_unsafe_var_error");
    assert.match(e.message, /var x is unsafe/);
    const p = compile({ modules: { "a.rego": "package x\n\nq contains 1 if false\n\np if { not q[_] }\n" } });
    assert.deepEqual(p.query("data.x.p = v"), [{ v: true }]);
  });

  it("rejects an import that shadows another", () => {
    const e = compileError({ "a.rego": "package x\n\nimport data.a.users\nimport data.b.users\n\np := users\n" });
    assert.equal(e.code, "rego_compile_error");
    assert.equal(e.message, "import must not shadow import data.a.users");
    assert.equal(e.location?.row, 4);
  });

  it("rejects recursion", () => {
    const e = compileError({ "a.rego": "package x\n\np if q\nq if p\n" });
    assert.equal(e.code, "rego_recursion_error");
  });

  it("rejects network builtins at compile time", () => {
    const e = compileError({ "a.rego": 'package x\n\np := http.send({"method": "get", "url": "http://x"})\n' });
    assert.equal(e.code, "rego_type_error");
    assert.match(e.message, /http\.send: network I\/O is not allowed/);
  });

  it("rejects builtins Rego v1 deprecated, unless the policy defines the name", () => {
    const e = compileError({ "a.rego": "package x\n\np := all([true])\n" });
    assert.equal(e.code, "rego_type_error");
    assert.equal(e.message, "deprecated built-in function calls in expression: all");
    const p = compile({ modules: { "a.rego": "package x\n\nall(xs) := count(xs)\n\np := all([1, 2])\n" } });
    assert.deepEqual(p.query("data.x.p = v"), [{ v: 2 }]);
  });

  it("rejects builtin operands whose type is known to be wrong", () => {
    const e = compileError({ "a.rego": 'package x\n\np := count(1)\nq := upper(concat(",", ["a"]))\n' });
    assert.equal(e.code, "rego_type_error");
    assert.equal(
      e.message,
      "count: invalid argument(s): operand 1 must be one of {array, object, set, string} but got number",
    );
    assert.equal(e.location?.row, 3);
    const ok = compile({ modules: { "a.rego": 'package x\n\np := upper(concat(",", ["a", "b"]))\n' } });
    assert.deepEqual(ok.query("data.x.p = v"), [{ v: "A,B" }]);
  });

  it("rejects unknown functions and wrong arity", () => {
    assert.match(compileError({ "a.rego": "package x\n\np := nope(1)\n" }).message, /undefined function nope/);
    assert.match(compileError({ "a.rego": "package x\n\np := count(1, 2, 3)\n" }).message, /arity mismatch/);
  });

  it("raises eval_conflict_error for complete rules with two values", () => {
    const p = compile({ modules: { "a.rego": "package x\n\np := 1\np := 2\n" } });
    assert.throws(
      () => p.query("data.x.p = v"),
      (e: unknown) => e instanceof RegoError && e.code === "eval_conflict_error",
    );
  });

  it("makes builtin errors undefined unless strict", () => {
    const p = compile({ modules: { "a.rego": 'package x\n\np := to_number("nope")\n' } });
    assert.deepEqual(p.query("data.x.p = v"), []);
    assert.throws(
      () => p.query("data.x.p = v", { strictBuiltinErrors: true }),
      (e: unknown) => e instanceof RegoError && e.code === "eval_builtin_error" && e.location?.row === 3,
    );
  });

  it("stops a runaway evaluation at its deadline", () => {
    const p = compile({
      modules: {
        "a.rego":
          "package x\n\np := count([1 | some a in numbers.range(1, 300); some b in numbers.range(1, 300); some c in numbers.range(1, 300)])\n",
      },
    });
    const started = Date.now();
    assert.throws(
      () => p.query("data.x.p = v", { timeoutMs: 50 }),
      (e: unknown) => e instanceof RegoError && e.code === "eval_cancel_error",
    );
    assert.ok(Date.now() - started < 5000);
  });

  it("meets the deadline in `some x in xs` loops that end a body", () => {
    const p = compile({
      modules: { "a.rego": "package x\n\nr := numbers.range(1, 3000)\n\np := [1 | some i in r; some j in r]\n" },
    });
    const started = Date.now();
    assert.throws(
      () => p.query("data.x.p = v", { timeoutMs: 20 }),
      (e: unknown) => e instanceof RegoError && e.code === "eval_cancel_error",
    );
    assert.ok(Date.now() - started < 1000);
  });

  it("refuses deeply nested input with an error, not a crash", () => {
    const deep = `package x\n\np := ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`;
    assert.equal(compileError({ "a.rego": deep }).code, "rego_parse_error");
  });
});

describe("print", () => {
  it("prints undefined operands as <undefined> without failing the rule", () => {
    const lines: string[] = [];
    const p = compile({
      modules: { "a.rego": 'package x\n\np if {\n  print("user", input.user, input.missing)\n}\n' },
    });
    assert.deepEqual(p.query("data.x.p = v", { input: { user: "alice" }, print: (l) => lines.push(l) }), [{ v: true }]);
    assert.deepEqual(lines, ["user alice <undefined>"]);
  });
});

describe("parseValue", () => {
  it("parses sets and objects", () => {
    const v = parseValue('{"a": {1, 2}}');
    const p = compile({ modules: { "a.rego": "package x\n\np := input.a\n" } });
    assert.deepEqual(p.query("data.x.p = v", { input: v }), [{ v: [1, 2] }]);
  });

  it("rejects non-constant terms", () => {
    assert.throws(() => parseValue("x"), RegoError);
  });
});

describe("rule indexing", () => {
  it("selects rules by input value without changing the result", () => {
    const rules = Array.from({ length: 50 }, (_, i) => `allow if input.tool == "t${i}"`).join("\n");
    const p = compile({ modules: { "a.rego": `package x\n\ndefault allow := false\n${rules}\n` } });
    assert.deepEqual(p.query("data.x.allow = v", { input: { tool: "t42" } }), [{ v: true }]);
    assert.deepEqual(p.query("data.x.allow = v", { input: { tool: "t99" } }), [{ v: false }]);
    assert.deepEqual(p.query("data.x.allow = v", {}), [{ v: false }]);
  });
});

describe("exact integers beyond 2^53", () => {
  const p = compile({
    modules: {
      "n.rego": `package n

big := 123456789123456789123
next := big + 1
text := sprintf("%d %v", [next, big * 10])
same if 100000000000000000000 == 1e20
members := count({100000000000000000000, 1e20})
absolute := abs(-123456789123456789123)
ordered if 9007199254740993 > 9007199254740992
`,
    },
  });

  it("keep their digits through arithmetic and formatting", () => {
    assert.deepEqual(p.query("x := data.n.text"), [{ x: "123456789123456789124 1234567891234567891230" }]);
    assert.deepEqual(p.query("x := data.n.ordered"), [{ x: true }]);
  });

  it("equal the same number written as a double", () => {
    assert.deepEqual(p.query("x := data.n.same"), [{ x: true }]);
    assert.deepEqual(p.query("x := data.n.members"), [{ x: 1 }]);
  });

  it("reach other builtins, and JSON results, as the nearest double", () => {
    assert.deepEqual(p.query("x := data.n.absolute"), [{ x: Number(123456789123456789123n) }]);
    assert.deepEqual(p.query("x := data.n.big"), [{ x: Number(123456789123456789123n) }]);
  });
});
