/**
 * Instrumentation for coverage and test tracing (`portcullis test`): rewrites a compiled policy so
 * that a probe runs before every expression of every rule body and when a rule produces a value.
 * A probe is an evaluator special (`$probe`) that reports its number to the query's trace
 * callback. Only policies compiled with `instrument: true` carry probes, so the decision hot path
 * of an ordinary policy has no tracing check at all.
 */
import type { Location } from "../errors.js";
import type { CompiledPolicy } from "./index.js";
import type { CExpr, CRule, CTerm, FnTarget } from "./ir.js";
import { ruleSetsUnder } from "./ruletree.js";

/** What a probe reports (OPA's trace ops `Eval` and `Exit`, reduced to what coverage and tests use). */
export interface TraceEvent {
  /** `eval`: an expression is about to be evaluated; `exit`: a rule (or a default) produced a value. */
  readonly op: "eval" | "exit";
  readonly location: Location;
  /** The rule set holding the expression or rule, `data.a.b` form. */
  readonly rule: string;
  /** The expression sits directly in the rule's body (not in a comprehension or `every`). */
  readonly topLevel: boolean;
}

const PROBE: FnTarget = { kind: "special", name: "$probe", arity: 1 };
const PROBE_VALUE: FnTarget = { kind: "special", name: "$probe_value", arity: 2 };
const TRUE_TERM: CTerm = { t: "const", v: true };

/** Adds probes to every rule of a freshly compiled policy (mutates it); returns the probe table. */
export function instrumentPolicy(policy: CompiledPolicy): TraceEvent[] {
  const probes: TraceEvent[] = [];
  const add = (event: TraceEvent): number => probes.push(event) - 1;
  for (const rs of ruleSetsUnder(policy.root)) {
    for (const rule of rs.rules) {
      for (let r: CRule | undefined = rule; r; r = r.else) instrumentRule(r, rs.name, add);
    }
    const def = rs.defaultRule;
    if (def) {
      // The evaluator takes a default's value without running its body: the value reports the exit.
      const id = add({ op: "exit", location: def.loc, rule: rs.name, topLevel: true });
      def.value = {
        t: "call",
        fn: PROBE_VALUE,
        args: [{ t: "const", v: id }, def.value ?? TRUE_TERM],
        loc: def.loc,
      };
    }
  }
  policy.probes = probes;
  return probes;
}

type AddProbe = (event: TraceEvent) => number;

function instrumentRule(r: CRule, rule: string, add: AddProbe): void {
  for (const t of r.refTail) instrumentTerm(t, rule, add);
  if (r.args) for (const t of r.args) instrumentTerm(t, rule, add);
  if (r.key) instrumentTerm(r.key, rule, add);
  if (r.value) instrumentTerm(r.value, rule, add);
  const body = instrumentBody(r.body, rule, true, add);
  body.push(probeExpr(add({ op: "exit", location: r.loc, rule, topLevel: true }), r.loc));
  r.body = body;
}

function instrumentBody(body: CExpr[], rule: string, topLevel: boolean, add: AddProbe): CExpr[] {
  const out: CExpr[] = [];
  for (const e of body) {
    instrumentExpr(e, rule, add);
    out.push(probeExpr(add({ op: "eval", location: e.loc, rule, topLevel }), e.loc), e);
  }
  return out;
}

function probeExpr(id: number, loc: Location): CExpr {
  return {
    kind: "call",
    fn: PROBE,
    args: [{ t: "const", v: id }],
    out: undefined,
    negated: false,
    with: [],
    loc,
    text: "",
  };
}

/** Instruments the comprehension and `every` bodies inside an expression. */
function instrumentExpr(e: CExpr, rule: string, add: AddProbe): void {
  for (const w of e.with) instrumentTerm(w.value, rule, add);
  switch (e.kind) {
    case "term":
      instrumentTerm(e.term, rule, add);
      break;
    case "unify":
      instrumentTerm(e.a, rule, add);
      instrumentTerm(e.b, rule, add);
      break;
    case "call":
      for (const a of e.args) instrumentTerm(a, rule, add);
      if (e.out) instrumentTerm(e.out, rule, add);
      break;
    case "somein":
      if (e.key) instrumentTerm(e.key, rule, add);
      instrumentTerm(e.value, rule, add);
      instrumentTerm(e.domain, rule, add);
      break;
    case "every":
      if (e.key) instrumentTerm(e.key, rule, add);
      instrumentTerm(e.value, rule, add);
      instrumentTerm(e.domain, rule, add);
      e.body = instrumentBody(e.body, rule, false, add);
      break;
  }
}

function instrumentTerm(t: CTerm, rule: string, add: AddProbe): void {
  switch (t.t) {
    case "data":
    case "input":
      for (const p of t.path) instrumentTerm(p, rule, add);
      break;
    case "ref":
      instrumentTerm(t.base, rule, add);
      for (const p of t.path) instrumentTerm(p, rule, add);
      break;
    case "array":
    case "set":
      for (const x of t.items) instrumentTerm(x, rule, add);
      break;
    case "object":
      for (const [k, v] of t.items) {
        instrumentTerm(k, rule, add);
        instrumentTerm(v, rule, add);
      }
      break;
    case "arraycomp":
    case "setcomp":
      instrumentTerm(t.head, rule, add);
      t.body = instrumentBody(t.body, rule, false, add);
      break;
    case "objectcomp":
      instrumentTerm(t.key, rule, add);
      instrumentTerm(t.value, rule, add);
      t.body = instrumentBody(t.body, rule, false, add);
      break;
    case "call":
      for (const a of t.args) instrumentTerm(a, rule, add);
      break;
    case "template":
      for (const p of t.parts) if (typeof p !== "string") instrumentTerm(p, rule, add);
      break;
    default:
      break;
  }
}
