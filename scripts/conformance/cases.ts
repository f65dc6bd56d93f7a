/**
 * Loading OPA's YAML conformance cases (format: ../shared/opa-conformance/README.md).
 * Each file is validated here so that the runner only ever sees well-formed cases.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { parse } from "yaml";
import type { Json } from "../../src/rego/value.js";

/** One conformance case, validated. Plain data so that it can cross to a worker thread. */
export interface ConformanceCase {
  note: string;
  category: string;
  /** Path of the YAML file, relative to the cases directory. */
  file: string;
  query: string;
  modules: string[];
  data: Json | undefined;
  input: Json | undefined;
  /** Rego term source for `input`; takes precedence over `input`. */
  inputTerm: string | undefined;
  wantResult: Record<string, Json>[] | undefined;
  wantErrorCode: string | undefined;
  wantError: string | undefined;
  sortBindings: boolean;
  strictError: boolean;
}

/** A file that could not be read or did not match the case format; it counts as a failure. */
export interface LoadProblem {
  note: string;
  category: string;
  file: string;
  message: string;
}

/** Every `*.yaml` / `*.yml` file under `dir`, sorted, as paths relative to `dir`. */
export function listCaseFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

/** Loads every case under `dir`; malformed files become LoadProblems instead of aborting the run. */
export function loadCases(dir: string): { cases: ConformanceCase[]; problems: LoadProblem[] } {
  const cases: ConformanceCase[] = [];
  const problems: LoadProblem[] = [];
  for (const file of listCaseFiles(dir)) {
    const category = file.includes(sep) ? (file.split(sep)[0] ?? "") : "(root)";
    try {
      const doc: unknown = parse(readFileSync(join(dir, file), "utf8"));
      const rawCases = isRecord(doc) ? doc.cases : undefined;
      if (!Array.isArray(rawCases)) throw new Error("expected a document {cases: [...]}");
      rawCases.forEach((raw, i) => {
        try {
          cases.push(toCase(raw, category, file));
        } catch (e) {
          const note = isRecord(raw) && typeof raw.note === "string" ? raw.note : `${file}#${i}`;
          problems.push({ note, category, file, message: errorMessage(e) });
        }
      });
    } catch (e) {
      problems.push({ note: file, category, file, message: errorMessage(e) });
    }
  }
  return { cases, problems };
}

function toCase(raw: unknown, category: string, file: string): ConformanceCase {
  if (!isRecord(raw)) throw new Error("case is not a mapping");
  const note = requireString(raw, "note");
  const modules = raw.modules ?? [];
  if (!Array.isArray(modules) || !modules.every((m) => typeof m === "string")) {
    throw new Error(`${note}: modules must be a list of strings`);
  }
  const wantResult = raw.want_result;
  if (wantResult !== undefined && wantResult !== null) {
    if (!Array.isArray(wantResult) || !wantResult.every(isRecord)) {
      throw new Error(`${note}: want_result must be a list of mappings`);
    }
  }
  const c: ConformanceCase = {
    note,
    category,
    file,
    query: requireString(raw, "query"),
    modules,
    data: optionalJson(raw, "data", note),
    input: optionalJson(raw, "input", note),
    inputTerm: optionalString(raw, "input_term", note),
    wantResult: Array.isArray(wantResult) ? (wantResult as Record<string, Json>[]) : undefined,
    wantErrorCode: optionalString(raw, "want_error_code", note),
    wantError: optionalString(raw, "want_error", note),
    sortBindings: raw.sort_bindings === true,
    strictError: raw.strict_error === true,
  };
  if (c.wantResult === undefined && c.wantErrorCode === undefined && c.wantError === undefined) {
    throw new Error(`${note}: case has neither want_result nor an error expectation`);
  }
  if (c.wantResult) for (const row of c.wantResult) assertJson(row, `${note}: want_result`);
  return c;
}

function requireString(raw: Record<string, unknown>, key: string): string {
  const v = raw[key];
  if (typeof v !== "string") throw new Error(`${key} must be a string`);
  return v;
}

function optionalString(raw: Record<string, unknown>, key: string, note: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new Error(`${note}: ${key} must be a string`);
  return v;
}

function optionalJson(raw: Record<string, unknown>, key: string, note: string): Json | undefined {
  if (!(key in raw)) return undefined;
  const v = raw[key];
  assertJson(v, `${note}: ${key}`);
  return v;
}

function assertJson(v: unknown, where: string): asserts v is Json {
  if (v === null || typeof v === "string" || typeof v === "boolean") return;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`${where}: number out of range`);
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) assertJson(x, where);
    return;
  }
  if (isRecord(v)) {
    for (const x of Object.values(v)) assertJson(x, where);
    return;
  }
  throw new Error(`${where}: not a JSON value (${typeof v})`);
}

/** A plain object (YAML mapping). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The message of anything thrown, without a stack. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
