/**
 * Rules compiled to JavaScript (eval/codegen) must compute what the interpreter computes: every
 * case runs twice, once with compilation off and once with every rule compiled from its first
 * run, and the results (or errors) must be the same. The cases cover what the generator
 * compiles (loops, negation, every, comprehensions, patterns, else chains, defaults, conflicts,
 * base documents, builtin errors, deadlines) and what it leaves to the interpreter.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadCases } from "../../scripts/conformance/cases.js";
import { configureRuleCodegen, ruleCodegenCounts } from "../../src/rego/eval/codegen/index.js";
import { compile, type Json, parseValue, type QueryOptions, RegoError } from "../../src/rego/index.js";

interface Case {
  modules: Record<string, string>;
  data?: Json;
  query: string;
  options?: QueryOptions;
}

/** Compiles a case's policy; each evaluation gives its rows, or its error, as one comparable string. */
function prepare(c: Case): () => string {
  let policy: ReturnType<typeof compile>;
  try {
    policy = compile({ modules: c.modules, data: c.data ?? {} });
  } catch (e) {
    if (!(e instanceof RegoError)) throw e;
    return () => `compile error ${e.code}: ${e.message}`;
  }
  return () => {
    try {
      return `rows ${JSON.stringify(policy.query(c.query, c.options))}`;
    } catch (e) {
      if (!(e instanceof RegoError)) throw e;
      return `error ${e.code}: ${e.message} at ${JSON.stringify(e.location)}`;
    }
  };
}

/** The outcome with compilation off, and with every rule compiled from its first run. */
function bothWays(c: Case): { interpreted: string; compiled: string } {
  configureRuleCodegen({ enabled: false });
  const interpreted = prepare(c)();
  configureRuleCodegen({ enabled: true, after: 0 });
  const run = prepare(c);
  const compiled = run();
  // The second run reuses the generated functions.
  assert.equal(run(), compiled, "a second run of the compiled policy differs");
  return { interpreted, compiled };
}

function agree(c: Case): string {
  const { interpreted, compiled } = bothWays(c);
  assert.equal(compiled, interpreted, `query ${c.query}`);
  return compiled;
}

const policy = `package p

import rego.v1

# Loops over arrays, objects and sets; key and value patterns; a constant key pattern.
pairs contains [k, v] if {
  some k, xs in input.groups
  some v in xs
  v != "skip"
}

constant_key contains v if some "a", v in input.groups

set_members contains x if {
  some x in {s | some s in input.names}
  startswith(x, "b")
}

# Negation of a test, of a generator, and of a user function call.
no_big if not input.n > 100

no_empty_name if not "" in input.names

not_short contains name if {
  some name in input.names
  not short(name)
}

short(s) if count(s) < 3

# every, with and without a key, and with a nested generator in its body.
all_named if every name in input.names { count(name) > 0 }

all_groups_small if every k, xs in input.groups {
  count(xs) < 5
  k != "forbidden"
}

every_nested if every xs in input.groups {
  some x in xs
  x == "a1"
}

# Comprehensions of each kind, nested, and depending on outer variables.
lengths := [count(n) | some n in input.names]

by_name := {n: count(n) | some n in input.names}

group_sizes := {k: s | some k, xs in input.groups; s := {x | some x in xs}}

conflict_obj := {k: v | some v in [1, 2]; k := "same"} if input.conflicts

# Array destructuring, both sides, nested, with a bound variable and a constant.
first_two := [a, b] if [a, b, _] := input.triple

swapped := [b, a] if input.triple = [a, b, _]

nested_match := x if [[x, _], 3] := [input.pair, 3]

bound_again if {
  x := input.triple[0]
  [x, _, _] = input.triple
}

const_item if [1, _, _] = input.triple

# Function parameters: repeated variable, constant, else chains, a default.
same(x, x) := true

kind(1) := "one"

kind(x) := "many" if x > 1

grade(n) := "big" if {
  n > 100
} else := "small" if {
  n > 0
} else := "none"

default level := "unknown"

level := "high" if input.n > 10

# A complete rule whose value is undefined still ends its else chain.
undefined_value := input.missing if {
  true
} else := "fallback"

# Conflicts (only with input.conflicts): object comprehension, complete rule, function.
conflict := 1 if {
  input.conflicts
  input.n > 0
}

conflict := 2 if {
  input.conflicts
  input.n > 1
}

fconflict(x) := 1 if x > 0

fconflict(x) := 2 if x > 1

use_fconflict := fconflict(input.n) if input.conflicts

# Base documents: number operands finding string keys, walking below arrays, rule references.
by_index := data.table[input.index]

deep := data.nested[input.index].items[0]

names_of_teams contains t.name if {
  some id in input.team_ids
  t := data.teams[id]
}

rule_ref := count(pairs) + count(set_members)

# Builtin errors: undefined unless strict.
bad_number := to_number(input.word)

# Relation builtins: one solution per result, output patterns, negated, inside every.
walked contains [path, value] if {
  walk(input.groups, [path, value])
  is_string(value)
}

leaf_count := count([v | walk(input.groups, [_, v]); is_string(v)])

no_skip_anywhere if not walk(input.groups, [_, "skip"])

all_leaves_short if every xs in input.groups {
  every x in xs { count(x) < 3 }
  not walk(xs, [_, "b1"])
}

# Queries over the whole package read every rule.
`;

const data: Json = {
  table: { "1": "one", "2": "two" },
  nested: { "1": { items: ["first"] } },
  teams: { t1: { name: "Team 1" }, t2: { name: "Team 2" } },
};

const inputs: Json[] = [
  {
    groups: { a: ["a1", "skip", "a2"], b: ["b1"] },
    names: ["ann", "bob", "bo", "x"],
    n: 5,
    triple: [1, 2, 3],
    pair: ["p", "q"],
    index: 1,
    team_ids: ["t1", "t3", "t2"],
    word: "nope",
  },
  {
    groups: { forbidden: [], a: ["a1"] },
    names: ["", "bill"],
    n: 500,
    conflicts: true,
    triple: [7, 7, 7],
    pair: [1],
    index: "1",
    team_ids: [],
    word: "12",
  },
  { names: [], groups: {}, n: 1, triple: [1], index: 2 },
  {},
];

const rules = [
  "pairs",
  "constant_key",
  "set_members",
  "no_big",
  "no_empty_name",
  "not_short",
  "all_named",
  "all_groups_small",
  "every_nested",
  "lengths",
  "by_name",
  "group_sizes",
  "conflict_obj",
  "first_two",
  "swapped",
  "nested_match",
  "bound_again",
  "const_item",
  "level",
  "undefined_value",
  "conflict",
  "use_fconflict",
  "by_index",
  "deep",
  "names_of_teams",
  "rule_ref",
  "bad_number",
  "walked",
  "leaf_count",
  "no_skip_anywhere",
  "all_leaves_short",
];

describe("compiled rules", () => {
  let saved: { enabled: boolean; after: number };
  before(() => {
    saved = configureRuleCodegen({});
  });
  after(() => {
    configureRuleCodegen(saved);
  });

  it("agree with the interpreter rule by rule", () => {
    compile({ modules: { "p.rego": policy }, data });
    const before = ruleCodegenCounts().compiled;
    for (const input of inputs) {
      for (const rule of rules)
        agree({ modules: { "p.rego": policy }, data, query: `x := data.p.${rule}`, options: { input } });
    }
    assert.ok(ruleCodegenCounts().compiled > before + rules.length, "rules were compiled");
  });

  it("agree on functions called from queries", () => {
    for (const q of [
      "x := data.p.same(1, 1)",
      "x := data.p.same(1, 2)",
      "x := data.p.kind(1)",
      "x := data.p.kind(5)",
      "x := data.p.kind(0)",
      "x := data.p.grade(500)",
      "x := data.p.grade(5)",
      "x := data.p.grade(-5)",
      "x := data.p.fconflict(5)",
    ]) {
      agree({ modules: { "p.rego": policy }, data, query: q });
    }
  });

  it("agree on whole packages, strict builtin errors and with", () => {
    for (const input of inputs) {
      agree({ modules: { "p.rego": policy }, data, query: "x := data.p", options: { input } });
      agree({
        modules: { "p.rego": policy },
        data,
        query: "x := data.p.bad_number",
        options: { input, strictBuiltinErrors: true },
      });
      agree({
        modules: { "p.rego": policy },
        data,
        query: 'x := data.p.pairs with input.groups as {"z": ["z1"]}',
        options: { input },
      });
      agree({
        modules: { "p.rego": policy },
        data,
        query: 'x := data.p.names_of_teams with data.teams.t1 as {"name": "Replaced"}',
        options: { input },
      });
    }
  });

  it("agree on exact integers beyond 2^53", () => {
    const src = "package q\n\nbig := x if { x := input.n * 2; x > 9007199254740993 }\n";
    const input = parseValue('{"n": 9007199254740993}') as never;
    agree({ modules: { "q.rego": src }, query: "x := data.q.big", options: { input } });
  });

  it("meet the deadline inside compiled loops", () => {
    const src = `package spin

r if {
  some i in numbers.range(1, 100000)
  some j in numbers.range(1, 100000)
  i + j < 0
}
`;
    configureRuleCodegen({ enabled: true, after: 0 });
    const spin = compile({ modules: { "s.rego": src } });
    assert.throws(
      () => spin.query("x := data.spin.r", { timeoutMs: 30 }),
      (e: unknown) => e instanceof RegoError && e.code === "eval_cancel_error",
    );
  });

  it("agree on the reference MCP authorization policy", () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
    const dir = resolve(root, "policies/mcp-authz");
    const src = readFileSync(resolve(dir, "policy.rego"), "utf8");
    const authzData = JSON.parse(readFileSync(resolve(dir, "data.json"), "utf8")) as Json;
    const samples: Json[] = [
      {
        method: "tools/call",
        subject: { user: "u0001" },
        server: "github",
        params: {
          name: "list_release",
          arguments: { repo: "acme/shared-lib", path: "/x/../y", query: "DROP TABLE x" },
        },
        tool: { annotations: { readOnlyHint: true } },
        context: { time_ns: 1749030941000000000, calls_last_hour: 3 },
      },
      { method: "tools/list" },
      {
        method: "tools/call",
        subject: { user: "u0521" },
        server: "s3",
        params: { name: "get_bucket", arguments: { path: "/workspace/team-43/src/file63.ts", url: "http://x" } },
        context: { time_ns: 1749134115000000000, calls_last_hour: 900 },
      },
    ];
    for (const input of samples) {
      agree({
        modules: { "policy.rego": src },
        data: authzData,
        query: "x := data.portcullis.authz.decision",
        options: { input },
      });
    }
  });

  const casesDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../../shared/opa-conformance/cases");
  it("agree on the OPA conformance cases", { skip: !existsSync(casesDir) && "no conformance cases here" }, () => {
    const { cases } = loadCases(casesDir);
    const before = ruleCodegenCounts().compiled;
    for (const c of cases) {
      const modules: Record<string, string> = {};
      c.modules.forEach((src, i) => {
        modules[`test-${i}.rego`] = src;
      });
      const options: QueryOptions = { strictBuiltinErrors: c.strictError, timeoutMs: 5000 };
      try {
        if (c.inputTerm !== undefined) options.input = parseValue(c.inputTerm) as never;
        else if (c.input !== undefined) options.input = c.input as Json;
      } catch {
        continue;
      }
      const { interpreted, compiled } = bothWays({ modules, data: (c.data ?? {}) as Json, query: c.query, options });
      assert.equal(compiled, interpreted, `${c.category}: ${c.note}`);
    }
    assert.ok(ruleCodegenCounts().compiled > before + 1000, "conformance rules were compiled");
  });
});
