/**
 * Coverage as OPA's `cover` package computes it: a line is covered when an expression on it was
 * evaluated or a rule whose head is on it produced a value; it is not covered when it holds a
 * rule head or an expression (`some` declarations excepted) that was not. The report has OPA's
 * JSON shape (`opa test --coverage`).
 */
import type { Expr, Module, Rule, Term } from "../ast.js";
import type { TraceEvent } from "../compiler/instrument.js";

export interface LineRange {
  start: { row: number };
  end: { row: number };
}

/** One file's coverage; empty fields are left out, as OPA's JSON does (omitempty). */
export interface FileCoverage {
  covered?: LineRange[];
  not_covered?: LineRange[];
  covered_lines?: number;
  not_covered_lines?: number;
  coverage?: number;
}

export interface CoverageReport {
  files: Record<string, FileCoverage>;
  covered_lines: number;
  not_covered_lines: number;
  coverage: number;
}

/** Collects the rows trace events hit, per file. */
export class CoverageCollector {
  private readonly hits = new Map<string, Set<number>>();

  /** Records one trace event (both ops mark their row). */
  readonly record = (event: TraceEvent): void => {
    const file = event.location.file;
    if (file === "") return;
    let rows = this.hits.get(file);
    if (!rows) {
      rows = new Set();
      this.hits.set(file, rows);
    }
    rows.add(event.location.row);
  };

  /** The report over the given parsed modules (by file name). */
  report(modules: ReadonlyMap<string, Module>): CoverageReport {
    const files = new Map<string, { covered: LineRange[]; notCovered: LineRange[] }>();
    const entry = (file: string): { covered: LineRange[]; notCovered: LineRange[] } => {
      let e = files.get(file);
      if (!e) {
        e = { covered: [], notCovered: [] };
        files.set(file, e);
      }
      return e;
    };
    for (const [file, rows] of this.hits) entry(file).covered = toRanges([...rows]);
    for (const [file, mod] of modules) {
      const hit = this.hits.get(file) ?? new Set<number>();
      const notCovered: number[] = [];
      for (const rule of mod.rules) {
        for (let r: Rule | undefined = rule; r; r = r.else) {
          if (!hit.has(r.loc.row)) notCovered.push(r.head.loc.row);
        }
      }
      walkModuleExprs(mod, (e) => {
        if (e.kind !== "some" && e.kind !== "somein" && !hit.has(e.loc.row)) notCovered.push(e.loc.row);
      });
      entry(file).notCovered = toRanges(notCovered);
    }
    let covered = 0;
    let notCovered = 0;
    const out: Record<string, FileCoverage> = {};
    for (const file of [...files.keys()].sort()) {
      const e = files.get(file) as { covered: LineRange[]; notCovered: LineRange[] };
      const c = lines(e.covered);
      const n = lines(e.notCovered);
      covered += c;
      notCovered += n;
      const fc: FileCoverage = {};
      if (e.covered.length > 0) fc.covered = e.covered;
      if (e.notCovered.length > 0) fc.not_covered = e.notCovered;
      if (c > 0) fc.covered_lines = c;
      if (n > 0) fc.not_covered_lines = n;
      const pct = c + n === 0 ? 0 : (100 * c) / (c + n);
      if (pct !== 0) fc.coverage = pct;
      out[file] = fc;
    }
    const total = covered + notCovered;
    return {
      files: out,
      covered_lines: covered,
      not_covered_lines: notCovered,
      coverage: total === 0 ? 0 : (100 * covered) / total,
    };
  }
}

/** Sorted, merged ranges of rows (duplicates collapse, neighbours join). */
function toRanges(rows: number[]): LineRange[] {
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const out: LineRange[] = [];
  for (const row of sorted) {
    const last = out[out.length - 1];
    if (last && row === last.end.row + 1) last.end = { row };
    else out.push({ start: { row }, end: { row } });
  }
  return out;
}

function lines(ranges: LineRange[]): number {
  let n = 0;
  for (const r of ranges) n += r.end.row - r.start.row + 1;
  return n;
}

/** Calls `f` for every expression of a module: rule bodies, else bodies, comprehensions, `every`. */
function walkModuleExprs(mod: Module, f: (e: Expr) => void): void {
  const body = (exprs: Expr[]): void => {
    for (const e of exprs) {
      f(e);
      for (const w of e.with) term(w.value);
      switch (e.kind) {
        case "term":
          term(e.term);
          break;
        case "somein":
          if (e.key) term(e.key);
          term(e.value);
          term(e.domain);
          break;
        case "every":
          if (e.key) term(e.key);
          term(e.value);
          term(e.domain);
          body(e.body);
          break;
        default:
          break;
      }
    }
  };
  const term = (t: Term): void => {
    switch (t.type) {
      case "ref":
        term(t.head);
        for (const p of t.path) term(p);
        break;
      case "array":
      case "set":
        for (const x of t.items) term(x);
        break;
      case "object":
        for (const [k, v] of t.items) {
          term(k);
          term(v);
        }
        break;
      case "arraycomp":
      case "setcomp":
        term(t.head);
        body(t.body);
        break;
      case "objectcomp":
        term(t.key);
        term(t.value);
        body(t.body);
        break;
      case "call":
        for (const a of t.args) term(a);
        break;
      case "template":
        for (const p of t.parts) if (typeof p !== "string") term(p);
        break;
      default:
        break;
    }
  };
  for (const rule of mod.rules) {
    for (let r: Rule | undefined = rule; r; r = r.else) {
      const h = r.head;
      for (const t of h.ref) term(t);
      if (h.args) for (const t of h.args) term(t);
      if (h.key) term(h.key);
      if (h.value) term(h.value);
      body(r.body);
    }
  }
}
