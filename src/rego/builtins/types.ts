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

/**
 * A size-bounded cache (oldest entry evicted first) for work that depends only on its key.
 * Entries live in one map per namespace, so a lookup hashes the operand string itself (whose
 * hash V8 keeps) instead of a freshly concatenated key.
 */
export class BoundedCache {
  private readonly spaces = new Map<string, Map<string, unknown>>();
  private readonly order: [Map<string, unknown>, string][] = [];
  private oldest = 0;
  /** The namespace looked up last and its map: a loop calling one builtin asks for it repeatedly. */
  private lastNamespace: string | undefined;
  private lastSpace: Map<string, unknown> | undefined;
  constructor(private readonly limit: number) {}

  get(namespace: string, key: string): unknown {
    if (namespace !== this.lastNamespace) {
      this.lastNamespace = namespace;
      this.lastSpace = this.spaces.get(namespace);
    }
    return this.lastSpace?.get(key);
  }

  set(namespace: string, key: string, value: unknown): void {
    let space = this.spaces.get(namespace);
    if (!space) {
      space = new Map();
      this.spaces.set(namespace, space);
      this.lastNamespace = undefined;
    }
    if (!space.has(key)) {
      if (this.order.length - this.oldest >= this.limit) {
        const [evictFrom, evictKey] = this.order[this.oldest++] as [Map<string, unknown>, string];
        evictFrom.delete(evictKey);
        if (this.oldest > this.limit) {
          this.order.splice(0, this.oldest);
          this.oldest = 0;
        }
      }
      this.order.push([space, key]);
    }
    space.set(key, value);
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
  /** Receives the probes of an instrumented policy (see compiler/instrument.ts); absent otherwise. */
  readonly trace?: ((probe: number) => void) | undefined;
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
  /**
   * Takes exact integers beyond 2^53 as bigint operands. Other builtins get such operands as the
   * nearest double, so they only ever see JS numbers.
   */
  readonly exactIntegers?: boolean;
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
