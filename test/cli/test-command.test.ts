import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { parseGoDuration, runTest } from "../../src/cli/commands/test.js";
import { errorLines, type Io, UsageError } from "../../src/cli/io.js";
import { goDuration } from "../../src/cli/test-report.js";
import { compile, type Json } from "../../src/rego/index.js";
import { runTests } from "../../src/rego/testing/runner.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURES = "test/cli/fixtures/opa-test";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `portcullis test` in this process, mapping thrown errors to exit codes as main.ts does. */
function portcullisTest(args: string[]): Run {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
  };
  const cwd = process.cwd();
  process.chdir(ROOT);
  let code: number;
  try {
    code = runTest(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      stderr += `portcullis test: ${e.message}\n`;
      code = 2;
    } else {
      for (const line of errorLines(e)) stderr += `${line}\n`;
      code = 1;
    }
  } finally {
    process.chdir(cwd);
  }
  return { code, stdout, stderr };
}

/** Go durations in pretty output vary from run to run. */
function normalize(text: string): string {
  return text.replace(/\((\d+(\.\d+)?(ns|µs|ms|s|m|h))+\)/g, "(DURATION)");
}

interface Case {
  name: string;
  args: string[];
  paths: string[];
  exit: number;
  stdout?: string;
  stderr?: string;
  stdout_match?: string;
  stderr_match?: string;
}

const cases = (
  parseYaml(readFileSync(join(ROOT, "test/cli/test-command-cases.yaml"), "utf8")) as {
    cases: Case[];
  }
).cases;

describe("portcullis test (case table)", () => {
  for (const c of cases) {
    it(c.name, () => {
      const run = portcullisTest([...c.args, ...c.paths.map((p) => `${FIXTURES}/${p}`)]);
      const stdout = normalize(run.stdout);
      const stderr = normalize(run.stderr);
      assert.equal(run.code, c.exit, `exit code; stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
      if (c.stdout !== undefined) assert.equal(stdout, c.stdout);
      if (c.stderr !== undefined) assert.equal(stderr, c.stderr);
      if (c.stdout_match !== undefined) assert.match(stdout, new RegExp(c.stdout_match));
      if (c.stderr_match !== undefined) assert.match(stderr, new RegExp(c.stderr_match));
      assert.doesNotMatch(run.stderr, /\n\s+at .+:\d+:\d+\)?\n/, "no stack traces");
    });
  }
});

describe("portcullis test --format json", () => {
  it("prints OPA's result array: location, package, name, fail/error/skip, duration in ns, output in base64", () => {
    const run = portcullisTest(["--format", "json", `${FIXTURES}/mixed`]);
    assert.equal(run.code, 2);
    const results = JSON.parse(run.stdout) as Record<string, unknown>[];
    const file = `${FIXTURES}/mixed/mixed_test.rego`;
    const shapes = results.map(({ duration, ...rest }) => {
      assert.equal(typeof duration, "number");
      assert.ok(Number.isInteger(duration) && (duration as number) >= 0);
      return rest;
    });
    assert.deepEqual(shapes, [
      { location: { file, row: 3, col: 1 }, package: "data.mixed", name: "test_pass" },
      {
        location: { file, row: 7, col: 1 },
        package: "data.mixed",
        name: "test_fail",
        fail: true,
        output: Buffer.from("x is 1\n").toString("base64"),
      },
      { location: { file, row: 13, col: 1 }, package: "data.mixed", name: "test_undefined", fail: true },
      {
        location: { file, row: 17, col: 1 },
        package: "data.mixed",
        name: "test_error",
        error: {
          code: "eval_conflict_error",
          message: "functions must not produce multiple outputs for same inputs",
          location: { file, row: 23, col: 1 },
        },
      },
      { location: { file, row: 25, col: 1 }, package: "data.mixed", name: "todo_test_later", skip: true },
      { location: { file, row: 29, col: 1 }, package: "data.mixed", name: "test_false_value", fail: true },
    ]);
    // The field order of tester.Result, two-space indentation.
    assert.match(run.stdout, /^\[\n {2}\{\n {4}"location": \{/);
    assert.deepEqual(Object.keys(results[3] as object), ["location", "package", "name", "error", "duration"]);
  });

  it("nests the sub-results of a partial-object test", () => {
    const run = portcullisTest(["--format", "json", `${FIXTURES}/subresults`]);
    const [result] = JSON.parse(run.stdout) as { sub_results: unknown; fail: boolean }[];
    assert.equal(result?.fail, true);
    assert.deepEqual(result?.sub_results, {
      one: { name: "one" },
      two: { name: "two" },
      zero: { name: "zero", fail: true },
    });
  });
});

describe("portcullis test --coverage", () => {
  it("reports OPA's coverage JSON, computed by hand for the fixture", () => {
    const run = portcullisTest(["--coverage", `${FIXTURES}/coverage`]);
    assert.equal(run.code, 0);
    assert.equal(run.stderr, "");
    const range = (start: number, end = start) => ({ start: { row: start }, end: { row: end } });
    // policy.rego: test_admin evaluates line 6 and exits `allow` (5); test_default evaluates
    // line 6 again, fails, and takes the default (3). `deny` (9-10) and `unused` (13-14) never run.
    // 3 covered + 4 not covered lines; the test file's four lines are all covered: 7 of 11.
    assert.deepEqual(JSON.parse(run.stdout), {
      files: {
        [`${FIXTURES}/coverage/policy.rego`]: {
          covered: [range(3), range(5, 6)],
          not_covered: [range(9, 10), range(13, 14)],
          covered_lines: 3,
          not_covered_lines: 4,
          coverage: (100 * 3) / 7,
        },
        [`${FIXTURES}/coverage/policy_test.rego`]: {
          covered: [range(5, 6), range(9, 10)],
          covered_lines: 4,
          coverage: 100,
        },
      },
      covered_lines: 7,
      not_covered_lines: 4,
      coverage: (100 * 7) / 11,
    });
  });

  it("prints the report when the threshold is met", () => {
    const run = portcullisTest(["--threshold", "63.5", `${FIXTURES}/coverage`]);
    assert.equal(run.code, 0);
    assert.equal((JSON.parse(run.stdout) as { coverage: number }).coverage, (100 * 7) / 11);
  });
});

describe("portcullis test --bundle", () => {
  it("loads paths as the gateway loads bundles: schemas are not data, roots and schemas apply", () => {
    const asBundle = portcullisTest(["--bundle", "policies/example", "policies/tests/example"]);
    assert.equal(asBundle.stderr, "");
    assert.equal(asBundle.code, 0);
    assert.match(asBundle.stdout, /^PASS: (\d+)\/\1\n$/);
    // OPA's directory loading reads every .json file as data: the two schema files collide.
    const asFiles = portcullisTest(["policies/example", "policies/tests/example"]);
    assert.equal(asFiles.code, 1);
    assert.match(asFiles.stderr, /schemas\/\w+\.json: data conflict at data\.schemas/);
  });

  it("refuses a bundle the gateway would refuse, naming the file", () => {
    const run = portcullisTest(["--bundle", "test/cli/fixtures/opa-test/pass/data.json"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^PORTCULLIS_BUNDLE_INVALID: test\/cli\/fixtures\/opa-test\/pass\/data\.json: /);
  });
});

describe("the test runner library", () => {
  it("runs tests from sources, with a filter, and reports the failing expression when tracing", () => {
    const run = runTests({
      modules: {
        "a_test.rego": "package a\n\ntest_ok if true\n\ntest_bad if {\n\tx := 1\n\tx > 1\n}\n",
      },
      trace: true,
      filter: (name) => name.endsWith("test_bad"),
    });
    assert.equal(run.results.length, 1);
    const [bad] = run.results;
    assert.equal(bad?.name, "test_bad");
    assert.equal(bad?.fail, true);
    assert.deepEqual(bad?.failedAt, { file: "a_test.rego", row: 7, col: 2 });
    assert.equal(run.coverage, undefined);
  });

  it("leaves a policy compiled without instrumentation untraced", () => {
    const policy = compile({ modules: { "p.rego": "package p\n\nallow if input.x == 1\n" } });
    const events: unknown[] = [];
    assert.deepEqual(policy.query("data.p.allow = x", { input: { x: 1 }, trace: (e) => events.push(e) }), [
      { x: true },
    ]);
    assert.deepEqual(events, []);
  });

  it("traces an instrumented policy without changing its results", () => {
    const source =
      "package p\n\ndefault allow := false\n\nallow if {\n\tinput.x == 1\n\tcount([y | some y in input.ys; y > 1]) > 0\n}\n";
    const plain = compile({ modules: { "p.rego": source } });
    const traced = compile({ modules: { "p.rego": source }, instrument: true });
    const events: string[] = [];
    const inputs: Json[] = [{ x: 1, ys: [2] }, { x: 1, ys: [0] }, { x: 2 }, {}];
    for (const input of inputs) {
      assert.deepEqual(
        traced.query("data.p.allow = x", { input, trace: (e) => events.push(`${e.op}:${e.location.row}`) }),
        plain.query("data.p.allow = x", { input }),
      );
    }
    // The body's two expressions, then the comprehension's two (all on line 7), then the rule's exit.
    assert.deepEqual(events.slice(0, 5), ["eval:6", "eval:7", "eval:7", "eval:7", "exit:5"]);
    assert.ok(events.includes("exit:3"), "the default reports its exit");
  });
});

describe("helpers", () => {
  it("formats durations as Go does", () => {
    assert.equal(goDuration(0), "0s");
    assert.equal(goDuration(812), "812ns");
    assert.equal(goDuration(52_300), "52.3µs");
    assert.equal(goDuration(1_034_500), "1.0345ms");
    assert.equal(goDuration(2_500_000_000), "2.5s");
    assert.equal(goDuration(65_000_000_000), "1m5s");
  });

  it("parses Go durations", () => {
    assert.equal(parseGoDuration("5s"), 5000);
    assert.equal(parseGoDuration("1m30s"), 90_000);
    assert.equal(parseGoDuration("250ms"), 250);
    assert.equal(parseGoDuration("0"), 0);
    assert.throws(() => parseGoDuration("5"), UsageError);
  });
});

describe("portcullis test (the command line)", () => {
  it("is registered in main and exits with the command's status", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "test", `${FIXTURES}/badcompile`], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `${FIXTURES}/badcompile/bad_test.rego:4:2: rego_unsafe_var_error: var x is unsafe\n`);
    const ok = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "test", `${FIXTURES}/pass`], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(ok.status, 0);
    assert.equal(ok.stdout, "PASS: 4/4\n");
  });
});
