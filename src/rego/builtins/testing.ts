/**
 * Builtins that only test harnesses get (CompileOptions.testBuiltins), as OPA's own test runner
 * registers them: a serving policy must not be able to stall a decision on purpose.
 */
import { BuiltinError } from "../errors.js";
import { parseDuration } from "./time-parse.js";
import { argString, type BuiltinDecl, T } from "./types.js";

/** The longest sleep test.sleep accepts: enough for timing tests, bounded for everything else. */
const MAX_SLEEP_MS = 10_000;

/** Blocks the thread for `ms` milliseconds (the evaluator is synchronous, so the call must be too). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Test-only builtins. */
export const testingBuiltins: BuiltinDecl[] = [
  {
    name: "test.sleep",
    args: [{ name: "duration", type: T.string }],
    result: T.null,
    doc: "Sleeps for the given Go duration (e.g. `10ms`, at most 10s); test harnesses only.",
    nondeterministic: true,
    impl: (args) => {
      const ns = parseDuration(argString(args, 1));
      if (ns < 0n) throw new BuiltinError("duration must not be negative");
      const ms = Number(ns) / 1e6;
      if (ms > MAX_SLEEP_MS) throw new BuiltinError(`duration must not exceed ${MAX_SLEEP_MS / 1000}s`);
      sleepSync(ms);
      return null;
    },
  },
];
