/** Test-only builtins (test.sleep): present only with CompileOptions.testBuiltins. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compile, RegoError } from "../../../src/rego/index.js";

const SLEEPY = 'package t\n\np if {\n\ttime.now_ns(t0)\n\ttest.sleep("20ms")\n\ttime.now_ns(t1)\n\tt0 == t1\n}\n';

describe("test.sleep", () => {
  it("is an unknown function to policies compiled for serving", () => {
    assert.throws(
      () => compile({ modules: { "t.rego": SLEEPY } }),
      (e: unknown) =>
        e instanceof RegoError && e.code === "rego_type_error" && /undefined function test\.sleep/.test(e.message),
    );
  });

  it("sleeps for a Go duration under testBuiltins, and time.now_ns stays fixed within the query", () => {
    const policy = compile({ modules: { "t.rego": SLEEPY }, testBuiltins: true });
    const started = performance.now();
    assert.deepEqual(policy.query("data.t.p = x"), [{ x: true }]);
    assert.ok(performance.now() - started >= 19, "slept about 20 ms");
  });

  it("refuses bad, negative and overlong durations as builtin errors", () => {
    const policy = compile({ modules: { "t.rego": "package t\n" }, testBuiltins: true });
    for (const duration of ["soon", "-1s", "11s"]) {
      assert.deepEqual(policy.query(`test.sleep("${duration}")`), [], duration);
      assert.throws(
        () => policy.query(`test.sleep("${duration}")`, { strictBuiltinErrors: true }),
        (e: unknown) => e instanceof RegoError && e.code === "eval_builtin_error",
        duration,
      );
    }
  });
});
