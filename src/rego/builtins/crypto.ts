/**
 * Hashing, HMAC and private-key parsing builtins, plus the Go-compatible helpers (base64, PEM, JSON
 * marshalling, big integers) that the x509, JWT and AWS families share so their outputs and error
 * messages match OPA's Go implementation.
 */
import { createHash, createHmac, createPrivateKey, type KeyObject, timingSafeEqual } from "node:crypto";
import { BuiltinError } from "../errors.js";
import { objectFrom, RegoObject, type Value } from "../value.js";
import { goJson } from "./encoding-json.js";
import { argString, type BuiltinDecl, T } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Go encoding/base64
// ---------------------------------------------------------------------------------------------

const STD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function decodeMap(alphabet: string): Int16Array {
  const m = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) m[alphabet.charCodeAt(i)] = i;
  return m;
}
const STD_MAP = decodeMap(STD_ALPHABET);
const URL_MAP = decodeMap(URL_ALPHABET);

/** An error carrying Go's `base64.CorruptInputError` text. */
function corrupt(at: number): Error {
  return new BuiltinError(`illegal base64 data at input byte ${at}`);
}

/**
 * Decodes like Go's `base64.{Std,URL}Encoding.DecodeString` (padded) or the Raw variants (unpadded),
 * including Go's error offsets and its skipping of CR/LF. Input is treated as Latin-1 bytes.
 */
export function goBase64Decode(src: string, opts: { url?: boolean; padded?: boolean } = {}): Buffer {
  const map = opts.url ? URL_MAP : STD_MAP;
  const padded = opts.padded ?? true;
  const out: number[] = [];
  let si = 0;
  const n = src.length;
  for (;;) {
    const buf = [0, 0, 0, 0];
    let dlen = 4;
    let j = 0;
    let finished = false;
    while (j < 4) {
      if (si === n) {
        if (j === 0) return Buffer.from(out);
        if (j === 1 || padded) throw corrupt(si - j);
        dlen = j;
        finished = true;
        break;
      }
      const c = src.charCodeAt(si);
      si++;
      const v = c < 256 ? (map[c] as number) : -1;
      if (v >= 0) {
        buf[j] = v;
        j++;
        continue;
      }
      if (c === 10 || c === 13) continue;
      if (!padded || c !== 61) throw corrupt(si - 1);
      // Padding: only valid as the 3rd/4th character of a quantum and must end the input.
      if (j === 0 || j === 1) throw corrupt(si - 1);
      if (j === 2) {
        while (si < n && (src.charCodeAt(si) === 10 || src.charCodeAt(si) === 13)) si++;
        if (si === n) throw corrupt(n);
        if (src.charCodeAt(si) !== 61) throw corrupt(si - 1);
        si++;
      }
      while (si < n && (src.charCodeAt(si) === 10 || src.charCodeAt(si) === 13)) si++;
      if (si < n) throw corrupt(si);
      dlen = j;
      finished = true;
      break;
    }
    const val =
      ((buf[0] as number) << 18) | ((buf[1] as number) << 12) | ((buf[2] as number) << 6) | (buf[3] as number);
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    for (let k = 0; k < dlen - 1; k++) out.push(bytes[k] as number);
    if (finished) return Buffer.from(out);
  }
}

/** OPA's `base64url.decode`: adds missing padding (RFC 7515 appendix C) before decoding. */
export function opaBase64UrlDecode(s: string): Buffer {
  let padded = s;
  if (!s.endsWith("=")) {
    switch (s.length % 4) {
      case 0:
        break;
      case 2:
        padded += "==";
        break;
      case 3:
        padded += "=";
        break;
      default:
        throw new BuiltinError(`illegal base64url string: ${s}`);
    }
  }
  return goBase64Decode(padded, { url: true, padded: true });
}

/** Base64url without padding, as JWS uses. */
export function rawUrlEncode(b: Buffer | string): string {
  return Buffer.from(b).toString("base64url");
}

// ---------------------------------------------------------------------------------------------
// Go encoding/pem
// ---------------------------------------------------------------------------------------------

/** A decoded PEM block; `bytes` is the DER payload. */
export interface PemBlock {
  type: string;
  headers: Map<string, string>;
  bytes: Buffer;
}

function getLine(data: string): [string, string] {
  const i = data.indexOf("\n");
  const line = i < 0 ? data : data.slice(0, i);
  const rest = i < 0 ? "" : data.slice(i + 1);
  return [line.replace(/[ \t\r]+$/, ""), rest];
}

/**
 * Go's `pem.Decode` over a Latin-1 string: returns the first valid block and the remaining input, or
 * `null` and the whole input when no block is found.
 */
export function pemDecode(data: string): { block: PemBlock | null; rest: string } {
  let rest = data;
  for (;;) {
    if (rest.startsWith("-----BEGIN ")) {
      rest = rest.slice(11);
    } else {
      const i = rest.indexOf("\n-----BEGIN ");
      if (i < 0) return { block: null, rest: data };
      rest = rest.slice(i + 12);
    }
    let typeLine: string;
    [typeLine, rest] = getLine(rest);
    if (!typeLine.endsWith("-----")) continue;
    typeLine = typeLine.slice(0, -5);
    const headers = new Map<string, string>();
    let truncated = false;
    for (;;) {
      if (rest.length === 0) {
        truncated = true;
        break;
      }
      const [line, next] = getLine(rest);
      const colon = line.indexOf(":");
      if (colon < 0) break;
      headers.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      rest = next;
    }
    if (truncated) return { block: null, rest: data };
    let endIndex: number;
    let endTrailerIndex: number;
    if (headers.size === 0 && rest.startsWith("-----END ")) {
      endIndex = 0;
      endTrailerIndex = 9;
    } else {
      endIndex = rest.indexOf("\n-----END ");
      endTrailerIndex = endIndex + 10;
    }
    if (endIndex < 0) continue;
    const trailerLen = typeLine.length + 5;
    let endTrailer = rest.slice(endTrailerIndex);
    if (endTrailer.length < trailerLen) continue;
    const restOfEndLine = endTrailer.slice(trailerLen);
    endTrailer = endTrailer.slice(0, trailerLen);
    if (!endTrailer.startsWith(typeLine) || !endTrailer.endsWith("-----")) continue;
    if (getLine(restOfEndLine)[0].length !== 0) continue;
    let bytes: Buffer;
    try {
      bytes = goBase64Decode(rest.slice(0, endIndex).replace(/[ \t]/g, ""));
    } catch {
      continue;
    }
    const after = getLine(rest.slice(endIndex + 9))[1];
    return { block: { type: typeLine, headers, bytes }, rest: after };
  }
}

/** Go's `pem.Encode` for a header-less block. */
export function pemEncode(type: string, der: Buffer): string {
  const b64 = der.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${type}-----\n${lines.join("\n")}${lines.length ? "\n" : ""}-----END ${type}-----\n`;
}

// ---------------------------------------------------------------------------------------------
// Go encoding/json marshalling and big integers
// ---------------------------------------------------------------------------------------------

/** `json.Marshal(ast.JSON(v))` as OPA does (the writer json.marshal uses): sorted keys, sets as arrays, HTML escaping. */
export function goJsonMarshal(v: Value): string {
  return goJson(v);
}

/** Converts a big integer (as Go marshals `*big.Int`) into a Rego value: a number when finite, else decimal text. */
export function bigToValue(b: bigint): Value {
  const n = Number(b);
  return Number.isFinite(n) ? n : b.toString();
}

/** Big-endian unsigned bytes to a bigint. */
export function bytesToBig(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${b.toString("hex")}`);
}

/** Base64url (JWK member) to a big integer value. */
function jwkBig(s: string | undefined): Value {
  return bigToValue(bytesToBig(Buffer.from(s ?? "", "base64url")));
}

/** Go's JSON form of a parsed private key (`*rsa.PrivateKey`, `*ecdsa.PrivateKey`, `ed25519.PrivateKey`). */
export function privateKeyToGoValue(key: KeyObject): Value {
  const jwk = key.export({ format: "jwk" });
  if (jwk.kty === "RSA") {
    return objectFrom({
      N: jwkBig(jwk.n),
      E: jwkBig(jwk.e),
      D: jwkBig(jwk.d),
      Primes: [jwkBig(jwk.p), jwkBig(jwk.q)],
      Precomputed: objectFrom({ Dp: jwkBig(jwk.dp), Dq: jwkBig(jwk.dq), Qinv: jwkBig(jwk.qi), CRTValues: [] }),
    });
  }
  if (jwk.kty === "EC") {
    return objectFrom({ Curve: new RegoObject(), X: jwkBig(jwk.x), Y: jwkBig(jwk.y), D: jwkBig(jwk.d) });
  }
  // Ed25519 private keys are a byte slice of seed || public key, which Go marshals as base64.
  const seed = Buffer.from(jwk.d ?? "", "base64url");
  const pub = Buffer.from(jwk.x ?? "", "base64url");
  return Buffer.concat([seed, pub]).toString("base64");
}

/** Parses a DER private key of the given PEM type, with Go-like error messages. */
export function parseDerPrivateKey(der: Buffer, kind: "pkcs1" | "pkcs8" | "sec1"): KeyObject {
  try {
    return createPrivateKey({ key: der, format: "der", type: kind });
  } catch {
    if (kind === "pkcs1")
      throw new BuiltinError(
        "x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)",
      );
    if (kind === "sec1") throw new BuiltinError("x509: failed to parse EC private key");
    throw new BuiltinError("x509: failed to parse private key");
  }
}

const PEM_KEY_KINDS: Record<string, "pkcs1" | "pkcs8" | "sec1"> = {
  "RSA PRIVATE KEY": "pkcs1",
  "PRIVATE KEY": "pkcs8",
  "EC PRIVATE KEY": "sec1",
};

/** OPA's `getPrivateKeysFromPEMData`: all private keys in (optionally base64-wrapped) PEM text. */
export function privateKeysFromPem(pemData: string): KeyObject[] {
  let text = pemData;
  try {
    text = goBase64Decode(pemData).toString("latin1");
  } catch {
    // Not base64: treat as PEM text.
  }
  const keys: KeyObject[] = [];
  let rest = text;
  while (rest.length > 0) {
    const inputLen = rest.length;
    const { block, rest: next } = pemDecode(rest);
    rest = next;
    if (block === null && rest.length === 0) break;
    if (inputLen === rest.length) break;
    if (block === null) continue;
    const kind = PEM_KEY_KINDS[block.type];
    if (kind) keys.push(parseDerPrivateKey(block.bytes, kind));
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Builtins
// ---------------------------------------------------------------------------------------------

function hashDecl(name: string, algo: string, label: string): BuiltinDecl {
  return {
    name,
    args: [{ name: "x", type: T.string }],
    result: T.string,
    doc: `Returns a string representing the input string hashed with the ${label} function.`,
    impl(args) {
      return createHash(algo).update(argString(args, 1), "utf8").digest("hex");
    },
  };
}

function hmacDecl(name: string, algo: string, label: string): BuiltinDecl {
  return {
    name,
    args: [
      { name: "x", type: T.string },
      { name: "key", type: T.string },
    ],
    result: T.string,
    doc: `Returns a string representing the ${label} HMAC of the input message using the input key.`,
    impl(args) {
      const message = argString(args, 1);
      const key = argString(args, 2);
      return createHmac(algo, Buffer.from(key, "utf8")).update(message, "utf8").digest("hex");
    },
  };
}

/** Hash, HMAC and private-key builtins (crypto.*). */
export const cryptoBuiltins: BuiltinDecl[] = [
  hashDecl("crypto.md5", "md5", "MD5"),
  hashDecl("crypto.sha1", "sha1", "SHA1"),
  hashDecl("crypto.sha256", "sha256", "SHA256"),
  hmacDecl("crypto.hmac.md5", "md5", "MD5"),
  hmacDecl("crypto.hmac.sha1", "sha1", "SHA1"),
  hmacDecl("crypto.hmac.sha256", "sha256", "SHA256"),
  hmacDecl("crypto.hmac.sha512", "sha512", "SHA512"),
  {
    name: "crypto.hmac.equal",
    args: [
      { name: "mac1", type: T.string },
      { name: "mac2", type: T.string },
    ],
    result: T.boolean,
    doc: "Returns a boolean representing the result of comparing two MACs for equality without leaking timing information.",
    impl(args) {
      const a = Buffer.from(argString(args, 1), "utf8");
      const b = Buffer.from(argString(args, 2), "utf8");
      // Like Go's hmac.Equal, differing lengths are unequal; timingSafeEqual needs equal lengths.
      return a.length === b.length && timingSafeEqual(a, b);
    },
  },
  {
    name: "crypto.parse_private_keys",
    args: [{ name: "keys", type: T.string }],
    result: T.array(T.object(T.string, T.any)),
    doc:
      "Returns zero or more private keys from the given encoded string containing DER certificate data. " +
      "If the input is empty, the function will return null. The input string should be a list of one or more " +
      "concatenated PEM blocks. The whole input of concatenated PEM blocks can optionally be Base64 encoded.",
    impl(args) {
      const input = argString(args, 1);
      if (input === "") return null;
      return privateKeysFromPem(input).map(privateKeyToGoValue);
    },
  },
];
