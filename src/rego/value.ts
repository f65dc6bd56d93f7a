/**
 * Rego's value model. Scalars are JS primitives; arrays are plain JS arrays; sets and objects are
 * classes keyed by a canonical string so that composite values hash by content. Values are
 * immutable once built: builders mutate only before a value is shared.
 *
 * Numbers are IEEE-754 doubles, except integers beyond 2^53 written in a policy (and exact integer
 * arithmetic on them), which are bigints; a bigint is never in the safe-integer range, so each
 * number has one representation. See README "Numbers".
 */
import { sortInPlace } from "./sort.js";

export type Value = null | boolean | number | bigint | string | Value[] | RegoSet | RegoObject;

/** A readonly view used where a builtin must not mutate its argument. */
export type ArrayValue = Value[];

/** Canonical key of a value: equal values (by Rego equality) have equal keys. */
export function keyOf(v: Value): string {
  switch (typeof v) {
    case "string":
      // Strings are their own key unless they could collide with an encoded non-string key.
      return v.length > 0 && v.charCodeAt(0) <= 1 ? `\u0000${v}` : v;
    case "number":
    case "bigint":
      return `\u0001n${numberKey(v)}`;
    case "boolean":
      return v ? "\u0001t" : "\u0001f";
    default:
      if (v === null) return "\u0001z";
      return `\u0001${encodeComposite(v)}`;
  }
}

/** Equal numbers get equal keys whatever their representation (a double 1e20 and the bigint 10n ** 20n). */
function numberKey(n: number | bigint): string {
  if (typeof n === "bigint") return n.toString();
  if (n === 0) return "0";
  return Number.isInteger(n) && !Number.isSafeInteger(n) ? BigInt(n).toString() : String(n);
}

/** The value with every bigint replaced by the nearest double (the same object when there is none). */
export function withDoubles(v: Value): Value {
  if (typeof v === "bigint") return Number(v);
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) {
    const items = v.map(withDoubles);
    return items.some((x, i) => x !== v[i]) ? items : v;
  }
  if (v instanceof RegoSet) {
    const before = v.sorted();
    const items = before.map(withDoubles);
    return items.some((x, i) => x !== before[i]) ? new RegoSet(items) : v;
  }
  let changed = false;
  const entries: [Value, Value][] = [];
  for (const [k, x] of v) {
    const k2 = withDoubles(k);
    const x2 = withDoubles(x);
    if (k2 !== k || x2 !== x) changed = true;
    entries.push([k2, x2]);
  }
  return changed ? new RegoObject(entries) : v;
}

function encodeComposite(v: Value): string {
  if (v === null) return "z";
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
    case "bigint":
      return `n${numberKey(v)}`;
    case "boolean":
      return v ? "t" : "f";
  }
  if (Array.isArray(v)) return `[${v.map(encodeComposite).join(",")}]`;
  if (v instanceof RegoSet) return `<${v.sorted().map(encodeComposite).join(",")}>`;
  const parts: string[] = [];
  for (const [k, val] of v.sortedEntries()) parts.push(`${encodeComposite(k)}:${encodeComposite(val)}`);
  return `{${parts.join(",")}}`;
}

/** Shared by empty sets and objects, which allocate their own collection on the first insertion. */
const EMPTY_MAP: ReadonlyMap<string, never> = new Map<string, never>();

/** Orders `[key, value]` entries whose keys are all strings. */
const byStringKey = (a: [Value, Value], b: [Value, Value]): number => compareStrings(a[0] as string, b[0] as string);

/**
 * A Rego set: unordered, unique by value.
 *
 * Most sets hold only strings, and a string is its own canonical key, so members start in a plain
 * `Set<string>` (no key to compute); the first non-string member moves them all into a map by
 * canonical key. Either way iteration follows insertion order.
 */
export class RegoSet {
  /** Members while all are strings; created on the first insertion (many sets stay empty). */
  private strings: Set<string> | undefined;
  /** Members by canonical key, once some member is not a string (then `strings` is unused). */
  private general: Map<string, Value> | undefined;
  private sortedCache: Value[] | undefined;
  /** The members as an array, in insertion order (see members). */
  private listCache: Value[] | undefined;

  constructor(values?: Iterable<Value>) {
    if (values) for (const v of values) this.add(v);
  }

  /** Adds a value (builder use only). Returns true when it was new. */
  add(v: Value): boolean {
    const general = this.general;
    if (general === undefined && typeof v === "string") {
      let strings = this.strings;
      if (strings === undefined) {
        strings = new Set();
        this.strings = strings;
      }
      // One lookup: adding a present member changes nothing.
      const before = strings.size;
      strings.add(v);
      if (strings.size === before) return false;
      this.sortedCache = undefined;
      this.listCache = undefined;
      return true;
    }
    const members = general ?? this.toGeneral();
    const k = keyOf(v);
    if (members.has(k)) return false;
    members.set(k, v);
    this.sortedCache = undefined;
    this.listCache = undefined;
    return true;
  }

  has(v: Value): boolean {
    const general = this.general;
    if (general !== undefined) return general.has(keyOf(v));
    // Only strings so far: a value of another type is no member.
    return typeof v === "string" && this.strings !== undefined && this.strings.has(v);
  }

  get size(): number {
    return (this.general ?? this.strings)?.size ?? 0;
  }

  values(): IterableIterator<Value> {
    return (this.general ?? this.strings ?? EMPTY_MAP).values();
  }

  [Symbol.iterator](): IterableIterator<Value> {
    return (this.general ?? this.strings ?? EMPTY_MAP).values();
  }

  /** A new set with the same members in the same order, to add to (cheaper than adding each). */
  copy(): RegoSet {
    const out = new RegoSet();
    if (this.general !== undefined) out.general = new Map(this.general);
    else if (this.strings !== undefined) out.strings = new Set(this.strings);
    return out;
  }

  /**
   * The members in insertion order, as an array (cached until the next insertion): what compiled
   * loops iterate, without an iterator and a result object per member.
   */
  members(): Value[] {
    this.listCache ??= [...(this.general ?? this.strings ?? EMPTY_MAP).values()];
    return this.listCache;
  }

  /** Elements in OPA's sort order (cached). */
  sorted(): Value[] {
    if (this.sortedCache === undefined) {
      if (this.general !== undefined) this.sortedCache = sortInPlace([...this.general.values()], compare);
      else this.sortedCache = this.strings === undefined ? [] : sortInPlace([...this.strings], compareStrings);
    }
    return this.sortedCache;
  }

  /** Moves the string members into the general map, in insertion order. */
  private toGeneral(): Map<string, Value> {
    const general = new Map<string, Value>();
    if (this.strings !== undefined) for (const s of this.strings) general.set(keyOf(s), s);
    this.strings = undefined;
    this.general = general;
    return general;
  }
}

/**
 * A Rego object: keys may be any value.
 *
 * Like sets, objects whose keys are all strings keep them in a `Map<string, Value>` (no canonical
 * key, no `[key, value]` pair per entry); the first non-string key moves every entry into a map of
 * pairs by canonical key. Either way iteration follows insertion order.
 */
export class RegoObject {
  /** Values by key while every key is a string; created on the first insertion. */
  private strings: Map<string, Value> | undefined;
  /** Entries by canonical key, once some key is not a string (then `strings` is unused). */
  private general: Map<string, [Value, Value]> | undefined;
  private sortedCache: [Value, Value][] | undefined;
  /** Keys and values as arrays, in insertion order (see memberKeys). */
  private keyList: Value[] | undefined;
  private valueList: Value[] | undefined;
  /**
   * A plain JSON object not yet converted (see `fromJsonLazy`): `get` converts the members it is
   * asked for, anything that needs them all converts the rest first. Only ever set in string mode.
   */
  private source: Record<string, unknown> | undefined;

  constructor(entries?: Iterable<readonly [Value, Value]>) {
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  /** An object over a JSON object whose members are converted when first read. */
  static lazy(source: Record<string, unknown>): RegoObject {
    const o = new RegoObject();
    o.source = source;
    return o;
  }

  /** Sets a key (builder use only). */
  set(k: Value, v: Value): void {
    if (this.source !== undefined) this.materialize();
    this.changed();
    const general = this.general;
    if (general === undefined && typeof k === "string") {
      let strings = this.strings;
      if (strings === undefined) {
        strings = new Map();
        this.strings = strings;
      }
      strings.set(k, v);
      return;
    }
    (general ?? this.toGeneral()).set(keyOf(k), [k, v]);
  }

  get(k: Value): Value | undefined {
    if (typeof k !== "string") {
      // String mode (or empty) holds no key of another type.
      const general = this.general;
      return general === undefined ? undefined : general.get(keyOf(k))?.[1];
    }
    const strings = this.strings;
    if (strings !== undefined) {
      const v = strings.get(k);
      if (v !== undefined) return v;
    } else if (this.general !== undefined) return this.general.get(keyOf(k))?.[1];
    const source = this.source;
    if (source === undefined) return undefined;
    const raw = source[k];
    // Strings, numbers and booleans convert to themselves (no prototype member is one of those,
    // hence the own-member check only where it matters).
    const type = typeof raw;
    if (type === "string" || type === "boolean")
      return Object.hasOwn(source, k) ? (raw as string | boolean) : undefined;
    if (raw === undefined || !Object.hasOwn(source, k)) return undefined;
    if (raw === null || type !== "object") return fromJson(raw);
    const v = fromJsonLazy(raw);
    // Not `new Map([[k, v]])`: that iterates an array of pairs.
    if (strings === undefined) this.strings = new Map<string, Value>().set(k, v);
    else strings.set(k, v);
    return v;
  }

  has(k: Value): boolean {
    return this.get(k) !== undefined;
  }

  delete(k: Value): void {
    if (this.source !== undefined) this.materialize();
    if (this.general !== undefined) this.general.delete(keyOf(k));
    else if (typeof k === "string") this.strings?.delete(k);
    this.changed();
  }

  /** Drops what is derived from the entries (sorted entries, member arrays). */
  private changed(): void {
    this.sortedCache = undefined;
    this.keyList = undefined;
    this.valueList = undefined;
  }

  get size(): number {
    if (this.source !== undefined) this.materialize();
    return (this.general ?? this.strings)?.size ?? 0;
  }

  /** The keys in insertion order, as a new array. */
  keys(): Value[] {
    return this.memberKeys().slice();
  }

  entries(): IterableIterator<[Value, Value]> {
    if (this.source !== undefined) this.materialize();
    if (this.general !== undefined) return this.general.values();
    return (this.strings ?? EMPTY_MAP).entries();
  }

  [Symbol.iterator](): IterableIterator<[Value, Value]> {
    return this.entries();
  }

  /** A new object with the same entries in the same order, to change (cheaper than setting each). */
  copy(): RegoObject {
    if (this.source !== undefined) this.materialize();
    const out = new RegoObject();
    if (this.general !== undefined) out.general = new Map(this.general);
    else if (this.strings !== undefined) out.strings = new Map(this.strings);
    return out;
  }

  /** The keys in insertion order, as an array (cached until the next change); see memberValues. */
  memberKeys(): Value[] {
    if (this.keyList === undefined) this.fillLists();
    return this.keyList as Value[];
  }

  /** The values in insertion order, matching memberKeys index by index (cached). */
  memberValues(): Value[] {
    if (this.valueList === undefined) this.fillLists();
    return this.valueList as Value[];
  }

  private fillLists(): void {
    if (this.source !== undefined) this.materialize();
    const keys: Value[] = [];
    const values: Value[] = [];
    if (this.general !== undefined) {
      for (const [k, v] of this.general.values()) {
        keys.push(k);
        values.push(v);
      }
    } else if (this.strings !== undefined) {
      for (const [k, v] of this.strings) {
        keys.push(k);
        values.push(v);
      }
    }
    this.keyList = keys;
    this.valueList = values;
  }

  /**
   * The keys in OPA's order when all are strings (else undefined): what JSON output needs, without
   * the entry pairs of sortedEntries.
   */
  sortedStringKeys(): string[] | undefined {
    if (this.source !== undefined) this.materialize();
    if (this.general !== undefined) return undefined;
    if (this.strings === undefined) return [];
    const keys = [...this.strings.keys()];
    return sortInPlace(keys, compareStrings);
  }

  /** Entries sorted by key in OPA's order (cached). */
  sortedEntries(): [Value, Value][] {
    if (this.source !== undefined) this.materialize();
    if (this.sortedCache === undefined) {
      if (this.general !== undefined) {
        this.sortedCache = sortInPlace([...this.general.values()], (a, b) => compare(a[0], b[0]));
      } else {
        this.sortedCache = this.strings === undefined ? [] : sortInPlace([...this.strings.entries()], byStringKey);
      }
    }
    return this.sortedCache;
  }

  /** Converts the remaining source members, keeping the source's key order. */
  private materialize(): void {
    const source = this.source as Record<string, unknown>;
    this.source = undefined;
    const converted = this.strings;
    const strings = new Map<string, Value>();
    this.strings = strings;
    for (const k of Object.keys(source)) {
      const raw = source[k];
      if (raw === undefined) continue;
      strings.set(k, converted?.get(k) ?? fromJsonLazy(raw));
    }
  }

  /** Moves the string-keyed entries into the general map, in insertion order (never with a source). */
  private toGeneral(): Map<string, [Value, Value]> {
    const general = new Map<string, [Value, Value]>();
    if (this.strings !== undefined) for (const [k, v] of this.strings) general.set(keyOf(k), [k, v]);
    this.strings = undefined;
    this.general = general;
    return general;
  }
}

/** OPA's type names, as `type_name` returns them. */
export type TypeName = "null" | "boolean" | "number" | "string" | "array" | "object" | "set";

/** The Rego type name of a value. */
export function typeName(v: Value): TypeName {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return "boolean";
    case "number":
    case "bigint":
      return "number";
    case "string":
      return "string";
  }
  if (Array.isArray(v)) return "array";
  return v instanceof RegoSet ? "set" : "object";
}

const typeRank: Record<TypeName, number> = {
  null: 0,
  boolean: 1,
  number: 2,
  string: 3,
  array: 6,
  object: 7,
  set: 8,
};

/** Total order over values, as OPA sorts them: null < boolean < number < string < array < object < set. */
export function compare(a: Value, b: Value): number {
  if (a === b) return 0;
  // Object keys and set members are mostly strings.
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  const ta = typeName(a);
  const tb = typeName(b);
  if (ta !== tb) return typeRank[ta] - typeRank[tb];
  switch (ta) {
    case "null":
      return 0;
    case "boolean":
      return a === b ? 0 : a ? 1 : -1;
    case "number":
      // Relational operators compare a number and a bigint by value.
      return (a as number | bigint) < (b as number | bigint)
        ? -1
        : (a as number | bigint) > (b as number | bigint)
          ? 1
          : 0;
    case "string":
      return compareStrings(a as string, b as string);
    case "array":
      return compareSequences(a as Value[], b as Value[]);
    case "set":
      return compareSequences((a as RegoSet).sorted(), (b as RegoSet).sorted());
    case "object": {
      const ea = (a as RegoObject).sortedEntries();
      const eb = (b as RegoObject).sortedEntries();
      const n = Math.min(ea.length, eb.length);
      for (let i = 0; i < n; i++) {
        const ek = ea[i] as [Value, Value];
        const fk = eb[i] as [Value, Value];
        const c = compare(ek[0], fk[0]);
        if (c !== 0) return c;
        const d = compare(ek[1], fk[1]);
        if (d !== 0) return d;
      }
      return ea.length - eb.length;
    }
  }
}

/** Byte-wise (UTF-8) comparison, as Go compares strings. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (astral code points) sort above all BMP code points in UTF-8.
      const sx = x >= 0xd800 && x <= 0xdfff ? x + 0x10000 : x;
      const sy = y >= 0xd800 && y <= 0xdfff ? y + 0x10000 : y;
      return sx < sy ? -1 : 1;
    }
  }
  return a.length - b.length;
}

function compareSequences(a: Value[], b: Value[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compare(a[i] as Value, b[i] as Value);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Rego equality. */
export function equals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a === "bigint" || typeof b === "bigint") {
    return (typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint")
      ? numberKey(a) === numberKey(b)
      : false;
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equals(a[i] as Value, b[i] as Value)) return false;
    return true;
  }
  if (a instanceof RegoSet) {
    if (!(b instanceof RegoSet) || a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  if (!(b instanceof RegoObject) || a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || !equals(v, w)) return false;
  }
  return true;
}

/** Is this a composite (array, set, object)? */
export function isComposite(v: Value): v is Value[] | RegoSet | RegoObject {
  return typeof v === "object" && v !== null;
}

/** A plain JSON value, as the public API returns and accepts. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Converts a JSON value (from JSON.parse or YAML) into a Rego value. Throws on non-JSON input. */
export function fromJson(j: unknown): Value {
  if (j === null) return null;
  switch (typeof j) {
    case "boolean":
    case "string":
      return j;
    case "number":
      if (!Number.isFinite(j)) throw new TypeError(`not a JSON number: ${j}`);
      return j;
    case "bigint":
      return Number(j);
    case "object": {
      if (Array.isArray(j)) return j.map(fromJson);
      if (j instanceof RegoSet || j instanceof RegoObject) return j;
      const obj = new RegoObject();
      for (const [k, v] of Object.entries(j as Record<string, unknown>)) {
        if (v === undefined) continue;
        obj.set(k, fromJson(v));
      }
      return obj;
    }
    default:
      throw new TypeError(`not a JSON value: ${typeof j}`);
  }
}

/**
 * Like `fromJson`, but objects convert their members only when read: a decision that looks at
 * three fields of a large input does not pay for the rest. The source must not change while the
 * value is in use. Throws TypeError when it reaches a non-JSON value.
 */
export function fromJsonLazy(j: unknown): Value {
  if (j !== null && typeof j === "object" && !Array.isArray(j) && !(j instanceof RegoSet || j instanceof RegoObject)) {
    return RegoObject.lazy(j as Record<string, unknown>);
  }
  if (Array.isArray(j)) return j.map(fromJsonLazy);
  return fromJson(j);
}

/** Converts a Rego value to JSON: sets become arrays in OPA's sort order, non-string keys are stringified. */
export function toJson(v: Value): Json {
  // JSON numbers are doubles: a bigint is rounded here (and only here).
  if (typeof v === "bigint") return Number(v);
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof RegoSet) return v.sorted().map(toJson);
  const out: { [key: string]: Json } = {};
  const keys = v.sortedStringKeys();
  if (keys !== undefined) {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      setMember(out, k, toJson(v.get(k) as Value));
    }
    return out;
  }
  for (const [k, val] of v.sortedEntries())
    setMember(out, typeof k === "string" ? k : JSON.stringify(toJson(k)), toJson(val));
  return out;
}

/** Sets an own member, also one named `__proto__` (which plain assignment would take as the prototype). */
function setMember(out: { [key: string]: Json }, k: string, v: Json): void {
  if (k === "__proto__")
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

/** Builds an object from string-keyed entries (convenience for builtins). */
export function objectFrom(entries: Record<string, Value>): RegoObject {
  const o = new RegoObject();
  for (const [k, v] of Object.entries(entries)) o.set(k, v);
  return o;
}
