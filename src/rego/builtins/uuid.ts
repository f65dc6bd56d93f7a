/** uuid.rfc4122 (random v4, stable per key within one evaluation) and uuid.parse (google/uuid rules). */
import { randomBytes } from "node:crypto";
import { keyOf, objectFrom, type Value } from "../value.js";
import { argString, type BuiltinDecl, T } from "./types.js";

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** A random version 4, RFC 4122 variant UUID. */
export function newUuidV4(): string {
  const b = randomBytes(16);
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function hexPairs(s: string, offsets: number[]): Uint8Array | undefined {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const x = offsets[i] as number;
    const pair = s.slice(x, x + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) return undefined;
    out[i] = Number.parseInt(pair, 16);
  }
  return out;
}

const DASHED = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const PLAIN = Array.from({ length: 16 }, (_, i) => i * 2);

/** Parses the four textual forms google/uuid accepts; undefined when invalid. */
function parseUuid(input: string): Uint8Array | undefined {
  // Lengths are in bytes, as in Go; non-ASCII input can never be valid hex anyway.
  let s = input;
  switch (Buffer.byteLength(s)) {
    case 36:
      break;
    case 45:
      if (s.slice(0, 9).toLowerCase() !== "urn:uuid:") return undefined;
      s = s.slice(9);
      break;
    case 38:
      // google/uuid does not look at the brace characters themselves.
      s = s.slice(1);
      break;
    case 32:
      return hexPairs(s, PLAIN);
    default:
      return undefined;
  }
  if (s[8] !== "-" || s[13] !== "-" || s[18] !== "-" || s[23] !== "-") return undefined;
  return hexPairs(s, DASHED);
}

function variantOf(b8: number): string {
  if ((b8 & 0xc0) === 0x80) return "RFC4122";
  if ((b8 & 0xe0) === 0xc0) return "Microsoft";
  if ((b8 & 0xe0) === 0xe0) return "Future";
  return "Reserved";
}

function macVariables(first: number): string {
  if ((first & 0b11) === 0b11) return "local:multicast";
  if ((first & 0b01) === 0b01) return "global:multicast";
  if ((first & 0b10) === 0b10) return "local:unicast";
  return "global:unicast";
}

// 100ns intervals between the Gregorian epoch (1582-10-15) and the Unix epoch.
const GREGORIAN_OFFSET = 122192928000000000n;

/** OPA's description of a parsed UUID: version and variant, plus time/node data for versions 1 and 2. */
function describeUuid(u: Uint8Array): Value {
  const dv = new DataView(u.buffer, u.byteOffset, 16);
  const version = (u[6] as number) >> 4;
  const out: Record<string, Value> = { version, variant: variantOf(u[8] as number) };
  if (version === 1 || version === 2) {
    const t = BigInt(dv.getUint32(0)) | (BigInt(dv.getUint16(4)) << 32n) | (BigInt(dv.getUint16(6) & 0xfff) << 48n);
    const since = t - GREGORIAN_OFFSET;
    const sec = since / 10000000n;
    const nsec = (since % 10000000n) * 100n;
    out.time = Number(sec * 1000000000n + nsec);
    out.nodeid = [...u.subarray(10, 16)].map((b) => b.toString(16).padStart(2, "0")).join("-");
    out.macvariables = macVariables(u[10] as number);
    out.clocksequence = dv.getUint16(8) & 0x3fff;
    if (version === 2) {
      out.id = dv.getUint32(0);
      const domain = u[9] as number;
      out.domain = ["Person", "Group", "Org"][domain] ?? `Domain${domain}`;
    }
  }
  return objectFrom(out);
}

/** uuid.rfc4122 and uuid.parse. */
export const uuidBuiltins: BuiltinDecl[] = [
  {
    name: "uuid.rfc4122",
    args: [{ name: "k", type: T.string }],
    result: T.string,
    doc: "Returns a new UUIDv4; the same key yields the same UUID within one evaluation.",
    nondeterministic: true,
    impl(args, ctx) {
      const cacheKey = `uuid.rfc4122\u0000${keyOf(args[0] as Value)}`;
      const hit = ctx.cache.get(cacheKey);
      if (typeof hit === "string") return hit;
      const id = newUuidV4();
      ctx.cache.set(cacheKey, id);
      return id;
    },
  },
  {
    name: "uuid.parse",
    args: [{ name: "uuid", type: T.string }],
    result: T.object(T.string, T.any),
    doc: "Parses a UUID string into an object with its version, variant and (v1/v2) time, node and clock data.",
    impl(args) {
      const u = parseUuid(argString(args, 1));
      return u === undefined ? undefined : describeUuid(u);
    },
  },
];
