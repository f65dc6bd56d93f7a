/**
 * Runs one conformance case against the engine and judges the outcome.
 */
import { compile, parseValue, type QueryOptions, RegoError } from "../../src/rego/index.js";
import type { Json } from "../../src/rego/value.js";
import { type ConformanceCase, errorMessage } from "./cases.js";
import { rowsEqual, sortBindings } from "./compare.js";

/** The verdict on one case; `got`/`want` are one-line descriptions for `--verbose`. */
export interface CaseOutcome {
  note: string;
  category: string;
  pass: boolean;
  got?: string;
  want?: string;
}

/** Runs a case; never throws (engine bugs and crashes count as failures). */
export function runCase(c: ConformanceCase, timeoutMs: number): CaseOutcome {
  const base = { note: c.note, category: c.category };
  const want = describeWant(c);
  let rows: Record<string, Json>[];
  try {
    const modules: Record<string, string> = {};
    c.modules.forEach((src, i) => {
      modules[`test-${i}.rego`] = src;
    });
    // OPA runs these cases with its test-only builtins (test.sleep) registered.
    const policy = compile({ modules, data: c.data ?? {}, testBuiltins: true });
    const options: QueryOptions = { strictBuiltinErrors: c.strictError, timeoutMs };
    if (c.inputTerm !== undefined) options.input = parseValue(c.inputTerm);
    else if (c.input !== undefined) options.input = c.input;
    rows = policy.query(c.query, options);
  } catch (e) {
    if (!(e instanceof RegoError)) {
      return { ...base, pass: false, got: `non-Rego exception: ${errorMessage(e)}`, want };
    }
    return { ...base, pass: errorMatches(c, e), got: `error: ${e.toString()}`, want };
  }
  if (c.wantResult === undefined) return { ...base, pass: false, got: `result: ${JSON.stringify(rows)}`, want };
  const pass = c.sortBindings
    ? rowsEqual(sortBindings(rows), sortBindings(c.wantResult))
    : rowsEqual(rows, c.wantResult);
  return { ...base, pass, got: `result: ${JSON.stringify(rows)}`, want };
}

/** An error matches when the case expects one and its code and message agree. */
function errorMatches(c: ConformanceCase, e: RegoError): boolean {
  if (c.wantErrorCode === undefined && c.wantError === undefined) return false;
  if (c.wantErrorCode !== undefined && e.code !== c.wantErrorCode) return false;
  if (c.wantError !== undefined) {
    const wanted = c.wantError;
    // Compile errors come together; OPA's message lists all of them, so any one may carry the text.
    return [e, ...e.errors].some((x) => x.toString().includes(wanted) || x.message.includes(wanted));
  }
  return true;
}

function describeWant(c: ConformanceCase): string {
  if (c.wantResult !== undefined) return `result: ${JSON.stringify(c.wantResult)}`;
  const parts: string[] = [];
  if (c.wantErrorCode !== undefined) parts.push(`code ${c.wantErrorCode}`);
  if (c.wantError !== undefined) parts.push(`message containing ${JSON.stringify(c.wantError)}`);
  return `error: ${parts.join(", ")}`;
}
