/**
 * JWT signing builtins (io.jwt.encode_sign, io.jwt.encode_sign_raw), following OPA's jwx-based code paths,
 * plus the Go-compatible JSON checking and JWK parsing that the verification builtins share.
 */
import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  type KeyObject,
} from "node:crypto";
import { BuiltinError } from "../errors.js";
import { fromJson, type Value } from "../value.js";
import { goJsonMarshal, rawUrlEncode } from "./crypto.js";
import { argString, type BuiltinDecl, T } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Go encoding/json syntax checking, for Go's error messages
// ---------------------------------------------------------------------------------------------

class JsonEof extends Error {}

function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  return `'${JSON.stringify(c).slice(1, -1)}'`;
}

function syntax(c: string, ctx: string): BuiltinError {
  return new BuiltinError(`invalid character ${quoteChar(c)} ${ctx}`);
}

/** A recursive-descent scanner reporting the first error as Go's json scanner words it. */
class GoJsonScanner {
  i = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    while (this.i < this.s.length && " \t\r\n".includes(this.s[this.i] as string)) this.i++;
  }

  peek(): string {
    if (this.i >= this.s.length) throw new JsonEof();
    return this.s[this.i] as string;
  }

  value(): void {
    const c = this.peek();
    if (c === "{") {
      this.object();
      return;
    }
    if (c === "[") {
      this.array();
      return;
    }
    if (c === '"') {
      this.string();
      return;
    }
    if (c === "-" || (c >= "0" && c <= "9")) {
      this.number();
      return;
    }
    for (const lit of ["true", "false", "null"]) {
      if (c !== lit[0]) continue;
      this.i++;
      for (let k = 1; k < lit.length; k++) {
        const d = this.peek();
        if (d !== lit[k]) throw syntax(d, `in literal ${lit} (expecting ${quoteChar(lit[k] as string)})`);
        this.i++;
      }
      return;
    }
    throw syntax(c, "looking for beginning of value");
  }

  object(): void {
    this.i++;
    this.ws();
    if (this.peek() === "}") {
      this.i++;
      return;
    }
    for (;;) {
      const k = this.peek();
      if (k !== '"') throw syntax(k, "looking for beginning of object key string");
      this.string();
      this.ws();
      const colon = this.peek();
      if (colon !== ":") throw syntax(colon, "after object key");
      this.i++;
      this.ws();
      this.value();
      this.ws();
      const next = this.peek();
      this.i++;
      if (next === "}") return;
      if (next !== ",") throw syntax(next, "after object key:value pair");
      this.ws();
    }
  }

  array(): void {
    this.i++;
    this.ws();
    if (this.peek() === "]") {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      this.value();
      this.ws();
      const next = this.peek();
      this.i++;
      if (next === "]") return;
      if (next !== ",") throw syntax(next, "after array element");
    }
  }

  string(): void {
    this.i++;
    for (;;) {
      const c = this.peek();
      this.i++;
      if (c === '"') return;
      if (c === "\\") {
        const e = this.peek();
        this.i++;
        if (e === "u") {
          for (let k = 0; k < 4; k++) {
            const h = this.peek();
            if (!/[0-9a-fA-F]/.test(h)) throw syntax(h, "in \\u hexadecimal character escape");
            this.i++;
          }
        } else if (!'"\\/bfnrt'.includes(e)) {
          throw syntax(e, "in string escape code");
        }
      } else if (c < " ") {
        throw syntax(c, "in string literal");
      }
    }
  }

  digits(): void {
    while (this.i < this.s.length && /[0-9]/.test(this.s[this.i] as string)) this.i++;
  }

  number(): void {
    if (this.peek() === "-") {
      this.i++;
      const d = this.peek();
      if (!/[0-9]/.test(d)) throw syntax(d, "in numeric literal");
    }
    if (this.peek() === "0") this.i++;
    else this.digits();
    if (this.i < this.s.length && this.s[this.i] === ".") {
      this.i++;
      const d = this.peek();
      if (!/[0-9]/.test(d)) throw syntax(d, "after decimal point in numeric literal");
      this.digits();
    }
    if (this.i < this.s.length && /[eE]/.test(this.s[this.i] as string)) {
      this.i++;
      if (/[+-]/.test(this.peek())) this.i++;
      const d = this.peek();
      if (!/[0-9]/.test(d)) throw syntax(d, "in exponent of numeric literal");
      this.digits();
    }
  }
}

/**
 * Checks `s` as Go's `json.Unmarshal` (mode "unmarshal") or OPA's decoder-based `util.UnmarshalJSON`
 * (mode "decoder") would, throwing Go's error text.
 */
export function goJsonCheck(s: string, mode: "unmarshal" | "decoder"): void {
  const sc = new GoJsonScanner(s);
  sc.ws();
  if (sc.i >= s.length) throw new BuiltinError(mode === "unmarshal" ? "unexpected end of JSON input" : "EOF");
  try {
    sc.value();
  } catch (e) {
    if (e instanceof JsonEof)
      throw new BuiltinError(mode === "unmarshal" ? "unexpected end of JSON input" : "unexpected EOF");
    throw e;
  }
  sc.ws();
  if (sc.i < s.length) {
    const c = s[sc.i] as string;
    if (mode === "unmarshal") throw syntax(c, "after top-level value");
    if (!/[[{"\-0-9tfn]/.test(c)) throw syntax(c, "looking for beginning of value");
    throw new BuiltinError("error(s) occurred while decoding JSON");
  }
}

/** Go's json.Valid. */
export function goJsonValid(s: string): boolean {
  try {
    goJsonCheck(s, "unmarshal");
    return true;
  } catch {
    return false;
  }
}

/** Parses JSON that `goJsonCheck` accepted (duplicate keys: last wins, as in Go). */
export function parseCheckedJson(s: string): Value {
  try {
    return fromJson(JSON.parse(s));
  } catch {
    throw new BuiltinError("invalid JSON: number out of range");
  }
}

// ---------------------------------------------------------------------------------------------
// JWK parsing (OPA's internal jwx package)
// ---------------------------------------------------------------------------------------------

const JWS_ALGS = new Set([
  "ES256",
  "ES384",
  "ES512",
  "HS256",
  "HS384",
  "HS512",
  "PS256",
  "PS384",
  "PS512",
  "RS256",
  "RS384",
  "RS512",
  "none",
]);

/** A raw JWK member set, as OPA's jwx RawKeyJSON holds it. */
export type RawJwk = Record<string, unknown>;

/** Go's jwk.ParseString: a JWK Set, or a single JWK when the set has no keys. */
export function parseJwks(src: string): RawJwk[] {
  try {
    goJsonCheck(src, "unmarshal");
  } catch (e) {
    throw new BuiltinError(`failed to unmarshal JWK Set: ${(e as Error).message}`);
  }
  const parsed: unknown = JSON.parse(src);
  const isObj = (x: unknown): x is RawJwk => typeof x === "object" && x !== null && !Array.isArray(x);
  if (!isObj(parsed)) {
    throw new BuiltinError(
      `failed to unmarshal JWK Set: json: cannot unmarshal ${Array.isArray(parsed) ? "array" : typeof parsed} into Go value of type jwk.RawKeySetJSON`,
    );
  }
  const keys = parsed.keys;
  if (Array.isArray(keys) && keys.length > 0) {
    const out: RawJwk[] = [];
    for (const k of keys) {
      if (!isObj(k))
        throw new BuiltinError(
          "failed to unmarshal JWK Set: json: cannot unmarshal into Go struct field RawKeySetJSON.keys",
        );
      if (typeof k.alg === "string" && !JWS_ALGS.has(k.alg)) continue;
      checkKeyType(k);
      out.push(k);
    }
    return out;
  }
  if (typeof parsed.alg === "string" && !JWS_ALGS.has(parsed.alg))
    throw new BuiltinError("failed to unmarshal JWK: unknown signature algorithm");
  checkKeyType(parsed);
  return [parsed];
}

function checkKeyType(k: RawJwk): void {
  if (k.kty !== "RSA" && k.kty !== "EC" && k.kty !== "oct")
    throw new BuiltinError("failed to generate key: unrecognized key type");
}

/** A string member of a JWK, if present. */
export const b64field = (k: RawJwk, name: string): string | undefined =>
  typeof k[name] === "string" ? (k[name] as string) : undefined;

/** Materialises a JWK: a public key for RSA/EC (private when `d` is present), octets for "oct". */
export function materializeJwk(k: RawJwk, wantPrivate = false): KeyObject | Buffer | undefined {
  if (k.kty === "oct") return Buffer.from(b64field(k, "k") ?? "", "base64url");
  if (k.kty === "RSA") {
    if (!b64field(k, "n") || !b64field(k, "e"))
      throw new BuiltinError(
        "failed to generate key: failed to generate key from JWK: missing mandatory key parameters N or E",
      );
  } else {
    const crv = b64field(k, "crv");
    if (!b64field(k, "x") || !b64field(k, "y") || !crv)
      throw new BuiltinError(
        "failed to generate key: failed to generate key from JWK: missing mandatory key parameters X, Y or Crv",
      );
    if (!["P-256", "P-384", "P-521"].includes(crv))
      throw new BuiltinError(`failed to generate key: failed to generate key from JWK: invalid curve name ${crv}`);
  }
  const jwk: Record<string, string> = {};
  for (const [name, v] of Object.entries(k))
    if (typeof v === "string") jwk[name] = v.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  delete jwk.alg;
  delete jwk.use;
  delete jwk.kid;
  try {
    if (wantPrivate && jwk.d) return createPrivateKey({ key: jwk, format: "jwk" });
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
    return createPublicKey({ key: pub, format: "jwk" });
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

const SIGNING_ALGS = new Set([
  "ES256",
  "ES384",
  "ES512",
  "HS256",
  "HS384",
  "HS512",
  "PS256",
  "PS384",
  "PS512",
  "RS256",
  "RS384",
  "RS512",
  "none",
]);
const STRING_HEADERS = ["cty", "jwk", "jku", "kid", "typ"];

function jsonKind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

/** Unmarshals JWS headers like Go does into jws.StandardHeaders, returning alg and typ. */
function parseStandardHeaders(text: string): { alg: string; typ: string } {
  goJsonCheck(text, "unmarshal");
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    if (parsed === null) return { alg: "", typ: "" };
    throw new BuiltinError(`json: cannot unmarshal ${jsonKind(parsed)} into Go value of type jws.StandardHeaders`);
  }
  const h = parsed as Record<string, unknown>;
  let alg = "";
  if ("alg" in h) {
    // jwa.SignatureAlgorithm's UnmarshalJSON accepts the raw text of non-string values, then checks it.
    const raw = typeof h.alg === "string" ? h.alg : JSON.stringify(h.alg);
    if (!SIGNING_ALGS.has(raw)) throw new BuiltinError("unknown signature algorithm");
    alg = raw;
  }
  for (const name of STRING_HEADERS) {
    const v = h[name];
    if (v !== undefined && v !== null && typeof v !== "string") {
      throw new BuiltinError(
        `json: cannot unmarshal ${jsonKind(v)} into Go struct field StandardHeaders.${name} of type string`,
      );
    }
  }
  if (
    h.crit !== undefined &&
    h.crit !== null &&
    (!Array.isArray(h.crit) || h.crit.some((c) => typeof c !== "string"))
  ) {
    throw new BuiltinError("json: cannot unmarshal into Go struct field StandardHeaders.crit of type []string");
  }
  return { alg, typ: typeof h.typ === "string" ? h.typ : "" };
}

function goKeyType(key: KeyObject | Buffer | undefined): string {
  if (key === undefined) return "<nil>";
  if (Buffer.isBuffer(key)) return "[]uint8";
  const kind = key.asymmetricKeyType === "rsa" ? "rsa" : "ecdsa";
  return `*${kind}.${key.type === "private" ? "PrivateKey" : "PublicKey"}`;
}

function signWith(alg: string, key: KeyObject | Buffer | undefined, input: Buffer): Buffer {
  const bits = alg.slice(2);
  const hash = `sha${bits}`;
  const family = alg.slice(0, 2);
  if (family === "HS") {
    if (!Buffer.isBuffer(key))
      throw new BuiltinError(`failed to sign Payload: invalid key type ${goKeyType(key)}. []byte is required`);
    return createHmac(hash, key).update(input).digest();
  }
  const wantType = family === "ES" ? "ec" : "rsa";
  if (key === undefined) throw new BuiltinError("failed to sign Payload: missing private key while signing payload");
  if (Buffer.isBuffer(key) || key.type !== "private" || key.asymmetricKeyType !== wantType) {
    const want = wantType === "ec" ? "*ecdsa.PrivateKey" : "*rsa.PrivateKey";
    throw new BuiltinError(`failed to sign Payload: invalid key type ${goKeyType(key)}. ${want} is required`);
  }
  if (family === "ES") return cryptoSign(hash, input, { key, dsaEncoding: "ieee-p1363" });
  if (family === "PS") {
    // Go's PSSSaltLengthAuto signs with the largest salt that fits.
    return cryptoSign(hash, input, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
    });
  }
  return cryptoSign(hash, input, { key, padding: constants.RSA_PKCS1_PADDING });
}

/** OPA's commonBuiltinJWTEncodeSign: sign `payload` with the first key of `jwkSrc` under the given headers. */
function encodeSign(headers: string, payload: string, jwkSrc: string): string {
  const first = parseJwks(jwkSrc)[0];
  if (!first) throw new BuiltinError("failed to parse a JWK key (set): no usable keys");
  const key = materializeJwk(first, true);
  if (key === undefined)
    throw new BuiltinError("failed to generate key: failed to generate key from JWK: invalid key parameters");
  const { alg, typ } = parseStandardHeaders(headers);
  if ((typ === "" || typ === "JWT") && !goJsonValid(payload))
    throw new BuiltinError("type is JWT but payload is not JSON");
  if (!SIGNING_ALGS.has(alg) || alg === "none")
    throw new BuiltinError(`failed to create signer: unsupported signature algorithm ${alg}`);
  const signingInput = `${rawUrlEncode(Buffer.from(headers, "utf8"))}.${rawUrlEncode(Buffer.from(payload, "utf8"))}`;
  const sig = signWith(alg, key, Buffer.from(signingInput));
  return `${signingInput}.${rawUrlEncode(sig)}`;
}

/** JWT signing builtins. */
export const jwtSignBuiltins: BuiltinDecl[] = [
  {
    name: "io.jwt.encode_sign",
    args: [
      { name: "headers", type: T.object(T.string, T.any) },
      { name: "payload", type: T.object(T.string, T.any) },
      { name: "key", type: T.object(T.string, T.any) },
    ],
    result: T.string,
    doc:
      "Encodes and optionally signs a JSON Web Token. Inputs are taken as objects, not encoded strings; " +
      "the key is a JWK (or JWK Set) object.",
    nondeterministic: true,
    impl(args) {
      const [headers, payload, key] = args as [Value, Value, Value];
      return encodeSign(goJsonMarshal(headers), goJsonMarshal(payload), goJsonMarshal(key));
    },
  },
  {
    name: "io.jwt.encode_sign_raw",
    args: [
      { name: "headers", type: T.string },
      { name: "payload", type: T.string },
      { name: "key", type: T.string },
    ],
    result: T.string,
    doc:
      "Encodes and optionally signs a JSON Web Token. Inputs are taken as encoded JSON strings; " +
      "the key is a JWK (or JWK Set) in JSON text.",
    nondeterministic: true,
    impl(args) {
      const key = argString(args, 3);
      const headers = argString(args, 1);
      const payload = argString(args, 2);
      return encodeSign(headers, payload, key);
    },
  },
];
