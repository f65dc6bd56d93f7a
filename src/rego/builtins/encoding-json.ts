/**
 * JSON as Go's encoding/json writes and rejects it, for json.marshal, json.marshal_with_options,
 * json.unmarshal and json.is_valid: Go's string escaping, byte-sorted keys, MarshalIndent layout, and
 * syntax errors worded as Go's json.Decoder words them.
 */
import { BuiltinError, BuiltinTypeError } from "../errors.js";
import { formatNumber } from "../format.js";
import { fromJson, type RegoObject, RegoSet, type Value } from "../value.js";
import { describeType } from "./types.js";

/** Quotes a string as Go's encoding/json does: HTML characters and U+2028/U+2029 escaped, lone surrogates as U+FFFD. */
export function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x22:
        out += '\\"';
        continue;
      case 0x5c:
        out += "\\\\";
        continue;
      case 0x0a:
        out += "\\n";
        continue;
      case 0x0d:
        out += "\\r";
        continue;
      case 0x09:
        out += "\\t";
        continue;
      case 0x08:
        out += "\\b";
        continue;
      case 0x0c:
        out += "\\f";
        continue;
    }
    // Go escapes HTML-significant characters and the JS line separators by default.
    if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, "0")}`;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      out += s[i] + (s[i + 1] as string);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate is not valid UTF-8; Go substitutes the replacement character.
      out += "\\ufffd";
    } else {
      out += s[i];
    }
  }
  return `${out}"`;
}

/** json.MarshalIndent's prefix and indent strings. */
export interface Indent {
  prefix: string;
  indent: string;
}

/** Serialises a value as Go's json.Marshal (or json.MarshalIndent when `ind` is given) of its JSON form. */
export function goJson(v: Value, ind?: Indent, depth = 0): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
    case "bigint":
      return formatNumber(v);
    case "string":
      return goQuote(v);
  }
  const nl = (d: number): string => (ind ? `\n${ind.prefix}${ind.indent.repeat(d)}` : "");
  if (Array.isArray(v) || v instanceof RegoSet) {
    const items = Array.isArray(v) ? v : v.sorted();
    if (items.length === 0) return "[]";
    const parts = items.map((x) => nl(depth + 1) + goJson(x, ind, depth + 1));
    return `[${parts.join(",")}${nl(depth)}]`;
  }
  const entries = new Map<string, Value>();
  for (const [k, val] of v.entries()) entries.set(typeof k === "string" ? k : goJson(k), val);
  if (entries.size === 0) return "{}";
  // Go sorts map keys by their UTF-8 bytes.
  const keys = [...entries.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const sep = ind ? ": " : ":";
  const parts = keys.map(
    (k) => `${nl(depth + 1)}${goQuote(k)}${sep}${goJson(entries.get(k) as Value, ind, depth + 1)}`,
  );
  return `{${parts.join(",")}${nl(depth)}}`;
}

function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  return `'${c}'`;
}

/** Finds the first syntax error in `s` and words it as Go's json.Decoder does. */
function goJsonError(s: string): string {
  let i = 0;
  const ws = (): void => {
    while (i < s.length && " \t\n\r".includes(s[i] as string)) i++;
  };
  const fail = (context: string): never => {
    if (i >= s.length) throw new Error("unexpected EOF");
    throw new Error(`invalid character ${quoteChar(s[i] as string)} ${context}`);
  };
  const digits = (): number => {
    const start = i;
    while (i < s.length && (s[i] as string) >= "0" && (s[i] as string) <= "9") i++;
    return i - start;
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === "{") {
      i++;
      ws();
      if (s[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (s[i] !== '"') fail("looking for beginning of object key string");
        str();
        ws();
        if (s[i] !== ":") fail("after object key");
        i++;
        value();
        ws();
        if (s[i] === ",") i++;
        else if (s[i] === "}") {
          i++;
          return;
        } else fail("after object key:value pair");
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (s[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (s[i] === ",") i++;
        else if (s[i] === "]") {
          i++;
          return;
        } else fail("after array element");
      }
    }
    if (c === '"') {
      str();
      return;
    }
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
      num();
      return;
    }
    for (const lit of ["true", "false", "null"]) {
      if (c === lit[0]) {
        for (let k = 0; k < lit.length; k++, i++) {
          if (s[i] !== lit[k]) fail(`in literal ${lit} (expecting ${quoteChar(lit[k] as string)})`);
        }
        return;
      }
    }
    fail("looking for beginning of value");
  };
  const str = (): void => {
    i++;
    for (;;) {
      if (i >= s.length) fail("");
      const c = s[i] as string;
      if (c === '"') {
        i++;
        return;
      }
      if (c.charCodeAt(0) < 0x20) fail("in string literal");
      if (c === "\\") {
        i++;
        const e = s[i];
        if (e === "u") {
          i++;
          for (let k = 0; k < 4; k++, i++)
            if (!/[0-9a-fA-F]/.test(s[i] ?? "")) fail("in \\u hexadecimal character escape");
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail("in string escape code");
      }
      i++;
    }
  };
  const num = (): void => {
    if (s[i] === "-") i++;
    if (s[i] === "0") i++;
    else if (digits() === 0) fail("in numeric literal");
    if (s[i] === ".") {
      i++;
      if (digits() === 0) fail("after decimal point in numeric literal");
    }
    if (s[i] === "e" || s[i] === "E") {
      i++;
      if (s[i] === "+" || s[i] === "-") i++;
      if (digits() === 0) fail("in exponent of numeric literal");
    }
  };
  try {
    ws();
    if (i >= s.length) return "EOF";
    value();
    ws();
    if (i < s.length) fail("after top-level value");
    return "invalid JSON";
  } catch (e) {
    return (e as Error).message;
  }
}

/** Parses JSON text into a Rego value, with Go-worded errors. */
export function parseJson(s: string): Value {
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    throw new BuiltinError(goJsonError(s));
  }
  return fromJson(parsed);
}

/** Whether `s` is one well-formed JSON document. */
export function isValidJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** json.marshal_with_options: `pretty`, `indent` and `prefix` as OPA reads them from `opts`. */
export function marshalWithOptions(x: Value, opts: RegoObject): string {
  let indent = "\t";
  let prefix = "";
  let implicitPretty = false;
  let explicitPretty: boolean | undefined;
  opts.sortedEntries().forEach(([k, v], idx) => {
    if (typeof k !== "string") {
      throw new BuiltinTypeError(
        `operand 2 failed to stringify key ${goJson(k)} at index ${idx}: operand ${idx} must be string but got ${describeType(k)}`,
      );
    }
    switch (k) {
      case "prefix":
      case "indent":
        if (typeof v !== "string") {
          throw new BuiltinTypeError(
            `operand 2 key ${k} failed cast to string: operand ${idx} must be string but got ${describeType(v)}`,
          );
        }
        if (k === "prefix") prefix = v;
        else indent = v;
        implicitPretty = true;
        break;
      case "pretty":
        if (typeof v !== "boolean") throw new BuiltinTypeError(`operand 2 key ${k} failed cast to bool`);
        explicitPretty = v;
        break;
      default:
        throw new BuiltinTypeError(`operand 2 object contained unknown key ${k}`);
    }
  });
  const pretty = explicitPretty ?? implicitPretty;
  // MarshalIndent does not prefix the first line; OPA adds it.
  return pretty ? prefix + goJson(x, { prefix, indent }) : goJson(x);
}
