/** The shape of a builtin declaration and the helpers every builtin family uses for operands. */
import { BuiltinTypeError } from "../errors.js";
import { RegoObject, RegoSet, type TypeName, typeName, type Value } from "../value.js";

/** A static type, used for arity/type checks at compile time and for docs. */
export type RegoType =
  | { kind: "any" }
  | { kind: "null" | "boolean" | "number" | "string" }
  | { kind: "array"; of?: RegoType }
  | { kind: "set"; of?: RegoType }
  | { kind: "object"; key?: RegoType; value?: RegoType }
  | { kind: "anyOf"; of: RegoType[] };

/** Type constructors for declarations. */
export const T = {
  any: { kind: "any" } as RegoType,
  null: { kind: "null" } as RegoType,
  boolean: { kind: "boolean" } as RegoType,
  number: { kind: "number" } as RegoType,
  string: { kind: "string" } as RegoType,
  array: (of?: RegoType): RegoType => (of ? { kind: "array", of } : { kind: "array" }),
  set: (of?: RegoType): RegoType => (of ? { kind: "set", of } : { kind: "set" }),
  object: (key?: RegoType, value?: RegoType): RegoType => ({ kind: "object", key, value }),
  anyOf: (...of: RegoType[]): RegoType => ({ kind: "anyOf", of }),
};

/** A size-bounded map (oldest entry evicted first) for work that depends only on its key. */
export class BoundedCache {
  private readonly entries = new Map<string, unknown>();
  constructor(private readonly limit: number) {}

  get(key: string): unknown {
    return this.entries.get(key);
  }

  set(key: string, value: unknown): void {
    if (this.entries.size >= this.limit && !this.entries.has(key)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, value);
  }
}

/** Per-evaluation facilities a builtin may use. */
export interface BuiltinContext {
  /**
   * Compiled artefacts (regexes, globs, schemas) shared across evaluations: pure functions of
   * their key, so reuse can't change a decision. Bounded, since patterns may come from input.
   */
  readonly compiled: BoundedCache;
  /** Nanoseconds since the epoch, fixed for the whole evaluation (time.now_ns). */
  readonly nowNs: number;
  /** Per-evaluation cache, e.g. for compiled regexes or parsed keys; keyed by the builtin. */
  readonly cache: Map<string, unknown>;
  /** Writes a `print` line. */
  print(line: string): void;
}

/** One builtin function. `impl` returns `undefined` when the call is undefined (no error). */
export interface BuiltinDecl {
  readonly name: string;
  readonly args: readonly { readonly name: string; readonly type: RegoType }[];
  readonly result: RegoType;
  readonly doc: string;
  /**
   * `function`: one result. `relation`: impl returns an array of results and the call iterates
   * over them (like `walk`).
   */
  readonly kind?: "function" | "relation";
  /** Varies between calls with the same operands (time.now_ns, rand.intn, uuid.rfc4122). */
  readonly nondeterministic?: boolean;
  impl(args: Value[], ctx: BuiltinContext): Value | undefined;
}

/** Type names as OPA words them in operand errors. */
export function describeType(v: Value): TypeName {
  return typeName(v);
}

function fail(pos: number, want: string, got: Value): never {
  throw new BuiltinTypeError(`operand ${pos} must be ${want} but got ${describeType(got)}`);
}

/** Operand `pos` (1-based) as a string, or an OPA-worded type error. */
export function argString(args: Value[], pos: number): string {
  const v = args[pos - 1] as Value;
  return typeof v === "string" ? v : fail(pos, "string", v);
}

/** Operand `pos` as a number. */
export function argNumber(args: Value[], pos: number): number {
  const v = args[pos - 1] as Value;
  return typeof v === "number" ? v : fail(pos, "number", v);
}

/** Operand `pos` as an integer (OPA's wording for non-integers). */
export function argInt(args: Value[], pos: number): number {
  const n = argNumber(args, pos);
  if (!Number.isInteger(n))
    throw new BuiltinTypeError(`operand ${pos} must be integer number but got floating-point number`);
  return n;
}

/** Operand `pos` as a boolean. */
export function argBoolean(args: Value[], pos: number): boolean {
  const v = args[pos - 1] as Value;
  return typeof v === "boolean" ? v : fail(pos, "boolean", v);
}

/** Operand `pos` as an array. */
export function argArray(args: Value[], pos: number): Value[] {
  const v = args[pos - 1] as Value;
  return Array.isArray(v) ? v : fail(pos, "array", v);
}

/** Operand `pos` as a set. */
export function argSet(args: Value[], pos: number): RegoSet {
  const v = args[pos - 1] as Value;
  return v instanceof RegoSet ? v : fail(pos, "set", v);
}

/** Operand `pos` as an object. */
export function argObject(args: Value[], pos: number): RegoObject {
  const v = args[pos - 1] as Value;
  return v instanceof RegoObject ? v : fail(pos, "object", v);
}

/** Operand `pos` as the elements of an array or set (OPA's "one of {array, set}"). */
export function argCollection(args: Value[], pos: number): Value[] {
  const v = args[pos - 1] as Value;
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.sorted();
  return fail(pos, "one of {array, set}", v);
}

/** Throws OPA's operand type error for `got` with a custom expectation ("one of {string, set}"). */
export function operandError(pos: number, want: string, got: Value): never {
  return fail(pos, want, got);
}
