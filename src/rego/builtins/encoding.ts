/**
 * Encoding builtins: base64, base64url, hex, urlquery, json.marshal/unmarshal and yaml. The Go-compatible
 * JSON writer and the Go-worded JSON errors live in encoding-json.ts.
 *
 * OPA strings are Go byte strings; ours are JS (UTF-16) strings. Encoders work on the UTF-8 bytes of
 * the operand. Decoders that produce bytes which are not valid UTF-8 replace each bad sequence by
 * U+FFFD, which is also what OPA does as soon as such a string is serialised to JSON.
 */
import YAML from "yaml";
import { BuiltinError, BuiltinTypeError } from "../errors.js";
import { fromJson, RegoObject, RegoSet, type Value } from "../value.js";
import { goJson, isValidJson, marshalWithOptions, parseJson } from "./encoding-json.js";
import { argObject, argString, type BuiltinDecl, T } from "./types.js";

const utf8 = new TextDecoder("utf-8", { fatal: false });

function bytesOf(s: string): Uint8Array {
  return Buffer.from(s, "utf8");
}

function stringOf(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

// ---------------------------------------------------------------------------------------------
// base64 with Go's encoding/base64 decoding rules and error offsets

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function decodeMap(alphabet: string): Int16Array {
  const m = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) m[alphabet.charCodeAt(i)] = i;
  return m;
}
const STD_MAP = decodeMap(STD);
const URL_MAP = decodeMap(URL);

class CorruptInput extends Error {
  constructor(readonly offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
  }
}

/** Decodes padded base64 as Go's (non-strict) decoder does: CR/LF ignored, padding required. */
function base64Decode(src: Uint8Array, map: Int16Array): Uint8Array {
  const out: number[] = [];
  const isNl = (c: number | undefined): boolean => c === 0x0a || c === 0x0d;
  let si = 0;
  for (;;) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    let j = 0;
    while (j < 4) {
      if (si === src.length) {
        if (j === 0) return Uint8Array.from(out);
        throw new CorruptInput(si - j);
      }
      const c = src[si] as number;
      si++;
      const d = map[c] as number;
      if (d >= 0) {
        dbuf[j++] = d;
        continue;
      }
      if (isNl(c)) continue;
      if (c !== 0x3d || j < 2) throw new CorruptInput(si - 1);
      if (j === 2) {
        // A single "=" after two symbols must be followed by a second one.
        while (si < src.length && isNl(src[si])) si++;
        if (si === src.length) throw new CorruptInput(src.length);
        if (src[si] !== 0x3d) throw new CorruptInput(si - 1);
        si++;
      }
      while (si < src.length && isNl(src[si])) si++;
      if (si < src.length) throw new CorruptInput(si);
      dlen = j;
      break;
    }
    const n =
      ((dbuf[0] as number) << 18) | ((dbuf[1] as number) << 12) | ((dbuf[2] as number) << 6) | (dbuf[3] as number);
    out.push((n >> 16) & 0xff);
    if (dlen > 2) out.push((n >> 8) & 0xff);
    if (dlen > 3) out.push(n & 0xff);
    if (dlen < 4) return Uint8Array.from(out);
  }
}

function decodeOrFail(src: string, map: Int16Array): string {
  try {
    return stringOf(base64Decode(bytesOf(src), map));
  } catch (e) {
    if (e instanceof CorruptInput) throw new BuiltinError(e.message);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// hex

function isGoPrintable(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || (c >= 0xa1 && c !== 0xad);
}

function invalidHexByte(c: number): BuiltinError {
  const hex = c.toString(16).toUpperCase().padStart(4, "0");
  const shown = isGoPrintable(c) ? ` '${String.fromCharCode(c)}'` : "";
  return new BuiltinError(`encoding/hex: invalid byte: U+${hex}${shown}`);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function hexDecode(s: string): string {
  const src = bytesOf(s);
  const out = new Uint8Array(src.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const p = src[2 * i] as number;
    const q = src[2 * i + 1] as number;
    const a = hexValue(p);
    if (a < 0) throw invalidHexByte(p);
    const b = hexValue(q);
    if (b < 0) throw invalidHexByte(q);
    out[i] = (a << 4) | b;
  }
  if (src.length % 2 === 1) {
    const last = src[src.length - 1] as number;
    if (hexValue(last) < 0) throw invalidHexByte(last);
    throw new BuiltinError("encoding/hex: odd length hex string");
  }
  return stringOf(out);
}

// ---------------------------------------------------------------------------------------------
// URL query escaping as Go's net/url QueryEscape / QueryUnescape / ParseQuery

function queryEscape(s: string): string {
  let out = "";
  for (const b of bytesOf(s)) {
    const unreserved =
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f ||
      b === 0x7e;
    if (unreserved) out += String.fromCharCode(b);
    else if (b === 0x20) out += "+";
    else out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function queryUnescape(s: string): string {
  const src = bytesOf(s);
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (c === 0x25) {
      if (i + 2 >= src.length || hexValue(src[i + 1] as number) < 0 || hexValue(src[i + 2] as number) < 0) {
        const bad = stringOf(src.subarray(i, Math.min(i + 3, src.length)));
        throw new BuiltinError(`invalid URL escape ${JSON.stringify(bad)}`);
      }
      out.push((hexValue(src[i + 1] as number) << 4) | hexValue(src[i + 2] as number));
      i += 2;
    } else {
      out.push(c === 0x2b ? 0x20 : c);
    }
  }
  return stringOf(Uint8Array.from(out));
}

function parseQuery(query: string): RegoObject {
  const params = new Map<string, string[]>();
  let firstError: BuiltinError | undefined;
  for (const part of query.split("&")) {
    if (part === "") continue;
    if (part.includes(";")) {
      firstError ??= new BuiltinError("invalid semicolon separator in query");
      continue;
    }
    const eq = part.indexOf("=");
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? "" : part.slice(eq + 1);
    try {
      const key = queryUnescape(rawKey);
      const value = queryUnescape(rawValue);
      const list = params.get(key) ?? [];
      list.push(value);
      params.set(key, list);
    } catch (e) {
      if (!(e instanceof BuiltinError)) throw e;
      firstError ??= e;
    }
  }
  // Go's ParseQuery keeps parsing after a bad pair but still reports the first error.
  if (firstError) throw firstError;
  return new RegoObject([...params].map(([k, vs]) => [k, vs] as const));
}

function encodeObject(obj: RegoObject): string {
  const badValue = (): never => {
    throw new BuiltinTypeError("operand 1 values must be string, array[string], or set[string]");
  };
  const pairs: [string, string[]][] = [];
  for (const [k, v] of obj.entries()) {
    const key = typeof k === "string" ? k : goJson(k);
    let values: string[];
    if (typeof v === "string") values = [v];
    else if (Array.isArray(v) || v instanceof RegoSet) {
      values = (Array.isArray(v) ? v : v.sorted()).map((x) => (typeof x === "string" ? x : badValue()));
    } else values = badValue();
    pairs.push([key, values]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const parts: string[] = [];
  for (const [k, vs] of pairs) for (const v of vs) parts.push(`${queryEscape(k)}=${queryEscape(v)}`);
  return parts.join("&");
}

// ---------------------------------------------------------------------------------------------
// YAML (OPA goes through sigs.k8s.io/yaml, i.e. YAML 1.1 resolution of go-yaml v2)

const YAML_OPTS = { version: "1.1" as const };

function yamlParse(s: string): unknown {
  const docs = YAML.parseAllDocuments(s, YAML_OPTS);
  const first = Array.isArray(docs) ? docs[0] : docs;
  if (first === undefined) return null;
  const err = first.errors[0];
  if (err) throw new BuiltinError(`error converting YAML to JSON: yaml: ${err.message.split("\n")[0] ?? ""}`);
  return first.toJS({ mapAsMap: false });
}

/** YAML maps may have non-string keys; JSON conversion stringifies them as sigs.k8s.io/yaml does. */
function yamlToValue(j: unknown): Value {
  if (j instanceof Date) return j.toISOString();
  if (Array.isArray(j)) return j.map(yamlToValue);
  if (j !== null && typeof j === "object") {
    const obj = new RegoObject();
    for (const [k, v] of Object.entries(j as Record<string, unknown>)) obj.set(k, yamlToValue(v));
    return obj;
  }
  if (typeof j === "number" && !Number.isFinite(j)) {
    throw new BuiltinError(`error converting YAML to JSON: json: unsupported value: ${j}`);
  }
  if (j === undefined) return null;
  return fromJson(j);
}

function yamlMarshal(x: Value): string {
  const json: unknown = JSON.parse(goJson(x));
  return YAML.stringify(json, { ...YAML_OPTS, indentSeq: false });
}

// ---------------------------------------------------------------------------------------------

const str1 = [{ name: "x", type: T.string }];

function stringFn(name: string, doc: string, fn: (s: string) => string): BuiltinDecl {
  return { name, args: str1, result: T.string, doc, impl: (args) => fn(argString(args, 1)) };
}

function validFn(name: string, doc: string, fn: (s: string) => boolean): BuiltinDecl {
  // OPA's *.is_valid builtins answer false, not a type error, for non-strings.
  return {
    name,
    args: [{ name: "x", type: T.any }],
    result: T.boolean,
    doc,
    impl: (args) => {
      const v = args[0] as Value;
      return typeof v === "string" && fn(v);
    },
  };
}

/** base64, base64url, hex, urlquery, json and yaml encoding builtins. */
export const encodingBuiltins: BuiltinDecl[] = [
  stringFn("base64.encode", "Serializes the input string into base64 encoding.", (s) =>
    Buffer.from(s, "utf8").toString("base64"),
  ),
  stringFn("base64.decode", "Deserializes the base64 encoded input string.", (s) => decodeOrFail(s, STD_MAP)),
  validFn("base64.is_valid", "Verifies the input string is base64 encoded.", (s) => {
    try {
      base64Decode(bytesOf(s), STD_MAP);
      return true;
    } catch {
      return false;
    }
  }),
  stringFn("base64url.encode", "Serializes the input string into base64url encoding.", (s) =>
    Buffer.from(s, "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_"),
  ),
  stringFn("base64url.encode_no_pad", "Serializes the input string into base64url encoding without padding.", (s) =>
    Buffer.from(s, "utf8").toString("base64url"),
  ),
  stringFn("base64url.decode", "Deserializes the base64url encoded input string (padding optional).", (s) => {
    let padded = s;
    // Unpadded input is completed as RFC 7515 appendix C describes.
    if (!s.endsWith("=")) {
      const rem = bytesOf(s).length % 4;
      if (rem === 2) padded += "==";
      else if (rem === 3) padded += "=";
      else if (rem === 1) throw new BuiltinError(`illegal base64url string: ${s}`);
    }
    return decodeOrFail(padded, URL_MAP);
  }),
  stringFn("hex.encode", "Serializes the input string using hex-encoding.", (s) =>
    Buffer.from(s, "utf8").toString("hex"),
  ),
  stringFn("hex.decode", "Deserializes the hex-encoded input string.", hexDecode),
  stringFn("urlquery.encode", "Encodes the input string into a URL-encoded query string.", queryEscape),
  stringFn("urlquery.decode", "Decodes a URL-encoded input string.", queryUnescape),
  {
    name: "urlquery.encode_object",
    args: [{ name: "object", type: T.object(T.string, T.anyOf(T.string, T.array(T.string), T.set(T.string))) }],
    result: T.string,
    doc: "Encodes the given object into a URL encoded query string.",
    impl: (args) => encodeObject(argObject(args, 1)),
  },
  {
    name: "urlquery.decode_object",
    args: str1,
    result: T.object(T.string, T.array(T.string)),
    doc: "Decodes the given URL query string into an object.",
    impl: (args) => parseQuery(argString(args, 1)),
  },
  {
    name: "json.marshal",
    exactIntegers: true,
    args: [{ name: "x", type: T.any }],
    result: T.string,
    doc: "Serializes the input term to JSON.",
    impl: (args) => goJson(args[0] as Value),
  },
  {
    name: "json.marshal_with_options",
    exactIntegers: true,
    args: [
      { name: "x", type: T.any },
      { name: "opts", type: T.object(T.string, T.anyOf(T.boolean, T.string)) },
    ],
    result: T.string,
    doc: "Serializes the input term to JSON, with `pretty`, `indent` and `prefix` options for pretty-printing.",
    impl: (args) => marshalWithOptions(args[0] as Value, argObject(args, 2)),
  },
  {
    name: "json.unmarshal",
    args: str1,
    result: T.any,
    doc: "Deserializes the input string as JSON.",
    impl: (args) => parseJson(argString(args, 1)),
  },
  validFn("json.is_valid", "Verifies the input string is a valid JSON document.", isValidJson),
  {
    name: "yaml.marshal",
    args: [{ name: "x", type: T.any }],
    result: T.string,
    doc: "Serializes the input term to YAML.",
    impl: (args) => yamlMarshal(args[0] as Value),
  },
  {
    name: "yaml.unmarshal",
    args: str1,
    result: T.any,
    doc: "Deserializes the input string as YAML.",
    impl: (args) => yamlToValue(yamlParse(argString(args, 1))),
  },
  validFn("yaml.is_valid", "Verifies the input string is a valid YAML document.", (s) => {
    try {
      yamlParse(s);
      return true;
    } catch {
      return false;
    }
  }),
];
