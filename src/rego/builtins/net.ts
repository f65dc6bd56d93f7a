/**
 * The net.cidr_* builtins, following OPA's topdown/cidr.go and Go's `net` package parsing rules.
 *
 * Addresses are BigInts. As in Go, an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4
 * address, and a network whose masked address is IPv4-mapped behaves as an IPv4 network.
 * net.cidr_overlap is not provided (removed from OPA v1), nor net.lookup_ip_addr (network I/O).
 */
import { BuiltinError, BuiltinTypeError } from "../errors.js";
import { RegoObject, RegoSet, typeName, type Value } from "../value.js";
import { type BuiltinDecl, T } from "./types.js";

/** An address: 32-bit IPv4 or 128-bit IPv6 (never IPv4-mapped; those are normalised to IPv4). */
interface Addr {
  v4: boolean;
  value: bigint;
}

/** A network: masked address plus prefix length in its own family's width. */
interface Net extends Addr {
  prefix: number;
  /** For cidr_merge: the unmasked address Go keeps for bare IPv4 addresses given a classful mask. */
  shown?: bigint;
}

const V4_MAPPED = 0xffffn << 32n;
const MASK32 = (1n << 32n) - 1n;

const width = (a: Addr): number => (a.v4 ? 32 : 128);

function maskOf(prefix: number, bits: number): bigint {
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** Go's strict IPv4 dotted quad: four decimal fields, 0-255, no leading zeros. */
function parseV4(s: string): bigint | undefined {
  const fields = s.split(".");
  if (fields.length !== 4) return undefined;
  let v = 0n;
  for (const f of fields) {
    if (!/^[0-9]{1,3}$/.test(f) || (f.length > 1 && f[0] === "0")) return undefined;
    const n = Number(f);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

/** Go's IPv6 text form: hex groups, at most one "::", optional trailing dotted quad; no zone. */
function parseV6(s: string): bigint | undefined {
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string, last: boolean): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as string;
      if (last && i === items.length - 1 && item.includes(".")) {
        const v4 = parseV4(item);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string, true) : [];
  if (!head || !tail) return undefined;
  const n = head.length + tail.length;
  // "::" must stand for at least one group of zeros.
  if (halves.length === 2 ? n > 7 : n !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - n).fill(0), ...tail];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

/** Parses an IP address (Go's net.ParseIP); `fromV4Text` tells a dotted quad from an IPv6 form. */
function parseIP(s: string): (Addr & { fromV4Text: boolean; raw: bigint }) | undefined {
  const v4 = parseV4(s);
  if (v4 !== undefined) return { v4: true, value: v4, fromV4Text: true, raw: v4 };
  if (!s.includes(":")) return undefined;
  const v6 = parseV6(s);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { v4: true, value: v6 & MASK32, fromV4Text: false, raw: v6 };
  return { v4: false, value: v6, fromV4Text: false, raw: v6 };
}

/** Parses CIDR notation (Go's net.ParseCIDR), or undefined when invalid. */
function parseCIDR(s: string): Net | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  const len = s.slice(slash + 1);
  if (!ip || !/^[0-9]+$/.test(len)) return undefined;
  const prefix = Number(len);
  if (ip.fromV4Text) {
    if (prefix > 32) return undefined;
    return { v4: true, prefix, value: ip.value & maskOf(prefix, 32) };
  }
  if (prefix > 128) return undefined;
  const masked = ip.raw & maskOf(prefix, 128);
  if (masked >> 32n === 0xffffn) return { v4: true, prefix: prefix - 96, value: masked & MASK32 };
  return { v4: false, prefix, value: masked };
}

function mustCIDR(s: string): Net {
  const n = parseCIDR(s);
  if (!n) throw new BuiltinError(`invalid CIDR address: ${s}`);
  return n;
}

function contains(n: Net, a: Addr): boolean {
  if (n.v4 !== a.v4) return false;
  const m = maskOf(n.prefix, width(n));
  return (a.value & m) === n.value;
}

function lastOf(n: Net): bigint {
  return n.value | ((1n << BigInt(width(n) - n.prefix)) - 1n);
}

/** Go's IP.String: dotted quad for IPv4, RFC 5952 compressed lowercase hex for IPv6. */
function formatAddr(a: Addr): string {
  if (a.v4) return [24n, 16n, 8n, 0n].map((s) => String((a.value >> s) & 0xffn)).join(".");
  const groups: number[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(Number((a.value >> s) & 0xffffn));
  // The longest run of two or more zero groups (the first on a tie) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

function formatNet(n: Net): string {
  return `${formatAddr({ v4: n.v4, value: n.shown ?? n.value })}/${n.prefix}`;
}

// OPA's cidr helpers read both operands with position 1, so both report "operand 1".
function stringOperand(v: Value): string {
  if (typeof v !== "string") throw new BuiltinTypeError(`operand 1 must be string but got ${typeName(v)}`);
  return v;
}

/** OPA's net.cidr_contains on operand values. */
function cidrContains(a: Value, b: Value): boolean {
  const net = mustCIDR(stringOperand(a));
  const text = stringOperand(b);
  const ip = parseIP(text);
  if (ip) return contains(net, ip);
  const inner = parseCIDR(text);
  if (!inner) throw new BuiltinError(`not a valid textual representation of an IP address or CIDR: ${text}`);
  return contains(net, inner) && contains(net, { v4: inner.v4, value: lastOf(inner) });
}

function matchTerm(pos: number, v: Value): Value {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length > 0) return v[0] as Value;
  throw new BuiltinError(`operand ${pos}: element must be string or non-empty array`);
}

/** Visits the (cidr, key) pairs of a cidr_contains_matches operand, in OPA's order. */
function eachMatchOperand(pos: number, v: Value, visit: (cidr: Value, key: Value) => void): void {
  if (typeof v === "string") visit(v, v);
  else if (Array.isArray(v)) for (const [i, e] of v.entries()) visit(matchTerm(pos, e), i);
  else if (v instanceof RegoSet) for (const e of v.sorted()) visit(matchTerm(pos, e), e);
  else if (v instanceof RegoObject) for (const [k, e] of v.sortedEntries()) visit(matchTerm(pos, e), k);
}

// Go's net.IP.DefaultMask: the pre-CIDR class A/B/C mask, which OPA gives bare IPv4 addresses.
function classfulPrefix(a: bigint): number {
  const first = Number(a >> 24n);
  return first < 0x80 ? 8 : first < 0xc0 ? 16 : 24;
}

function mergeInput(v: Value): Net {
  if (typeof v !== "string") throw new BuiltinError("element must be string");
  const ip = parseIP(v);
  if (!ip) return mustCIDR(v);
  if (!ip.v4) throw new BuiltinError("IPv6 invalid: needs prefix length");
  const prefix = classfulPrefix(ip.value);
  return { v4: true, prefix, value: ip.value & maskOf(prefix, 32), shown: ip.value };
}

interface Range {
  first: bigint;
  last: bigint;
  /** The input network when the range was not merged with another. */
  net?: Net;
}

// Ranges live in one 128-bit space, IPv4 at ::ffff:0:0/96, as in OPA's merge code.
const toSpace = (a: Addr): bigint => (a.v4 ? V4_MAPPED | a.value : a.value);

function fromSpace(value: bigint, prefix: number): Net {
  if (value >> 32n === 0xffffn && prefix >= 96) return { v4: true, value: value & MASK32, prefix: prefix - 96 };
  return { v4: false, value, prefix };
}

/** Smallest list of aligned CIDR blocks covering exactly [first, last]. */
function rangeToNets(first: bigint, last: bigint): Net[] {
  const out: Net[] = [];
  let cur = first;
  while (cur <= last) {
    let size = 0;
    while (
      size < 128 &&
      (cur & ((1n << BigInt(size + 1)) - 1n)) === 0n &&
      cur + (1n << BigInt(size + 1)) - 1n <= last
    ) {
      size++;
    }
    out.push(fromSpace(cur, 128 - size));
    cur += 1n << BigInt(size);
  }
  return out;
}

/** OPA's net.cidr_merge over parsed networks (OPA sorts by last address, then merges backwards). */
function mergeNets(nets: Net[]): Net[] {
  const ranges: Range[] = nets.map((net) => {
    const first = toSpace(net);
    return { first, last: first | ((1n << BigInt(width(net) - net.prefix)) - 1n), net };
  });
  ranges.sort((a, b) =>
    a.last !== b.last ? (a.last < b.last ? -1 : 1) : a.first < b.first ? -1 : a.first > b.first ? 1 : 0,
  );
  for (let i = ranges.length - 1; i > 0; i--) {
    const cur = ranges[i] as Range;
    const prev = ranges[i - 1] as Range;
    // Go's GetPreviousIP does not step below the all-zero IPv4 or IPv6 address.
    const before = cur.first === 0n || cur.first === V4_MAPPED ? cur.first : cur.first - 1n;
    if (before <= prev.last) {
      let first = cur.first;
      if (prev.first < first) first = prev.first;
      ranges[i - 1] = { first, last: cur.last };
      ranges.splice(i, 1);
    }
  }
  return ranges.flatMap((r) => (r.net ? [r.net] : rangeToNets(r.first, r.last)));
}

// OPA generates every address; we refuse ranges that would exhaust memory instead of timing out.
const MAX_EXPAND = 1 << 20;

const matchesOperand = T.anyOf(
  T.string,
  T.array(T.anyOf(T.string, T.array(T.any))),
  T.set(T.anyOf(T.string, T.array(T.any))),
  T.object(T.string, T.anyOf(T.string, T.array(T.any))),
);

/** The net.cidr_* builtins. */
export const netBuiltins: BuiltinDecl[] = [
  {
    name: "net.cidr_contains",
    args: [
      { name: "cidr", type: T.string },
      { name: "cidr_or_ip", type: T.string },
    ],
    result: T.boolean,
    doc: "Checks whether an IP or CIDR (IPv4 or IPv6) is contained within another CIDR.",
    impl: (args) => cidrContains(args[0] as Value, args[1] as Value),
  },
  {
    name: "net.cidr_intersects",
    args: [
      { name: "cidr1", type: T.string },
      { name: "cidr2", type: T.string },
    ],
    result: T.boolean,
    doc: "Checks whether two CIDRs (IPv4 or IPv6) overlap.",
    impl: (args) => {
      const a = mustCIDR(stringOperand(args[0] as Value));
      const b = mustCIDR(stringOperand(args[1] as Value));
      return contains(a, b) || contains(b, a);
    },
  },
  {
    name: "net.cidr_contains_matches",
    args: [
      { name: "cidrs", type: matchesOperand },
      { name: "cidrs_or_ips", type: matchesOperand },
    ],
    result: T.set(T.array(T.any)),
    doc:
      "Returns the set of [key1, key2] pairs where an IP or CIDR of `cidrs_or_ips` is contained in a CIDR of " +
      "`cidrs`; each operand is a string, or an array, set or object of strings or [cidr, ...] tuples " +
      "(keys are array indices, set elements or object keys).",
    impl: (args) => {
      const out = new RegoSet();
      eachMatchOperand(1, args[0] as Value, (cidr1, key1) => {
        eachMatchOperand(2, args[1] as Value, (cidr2, key2) => {
          if (cidrContains(cidr1, cidr2)) out.add([key1, key2]);
        });
      });
      return out;
    },
  },
  {
    name: "net.cidr_expand",
    args: [{ name: "cidr", type: T.string }],
    result: T.set(T.string),
    doc: 'Returns the set of every host address in a CIDR (e.g. "192.168.0.0/30" gives 4 addresses).',
    impl: (args) => {
      const text = stringOperand(args[0] as Value);
      const net = mustCIDR(text);
      const count = 1n << BigInt(width(net) - net.prefix);
      if (count > BigInt(MAX_EXPAND)) {
        throw new BuiltinError(`CIDR ${text} has more than ${MAX_EXPAND} addresses to expand`);
      }
      const out = new RegoSet();
      for (let i = 0n; i < count; i++) out.add(formatAddr({ v4: net.v4, value: net.value + i }));
      return out;
    },
  },
  {
    name: "net.cidr_merge",
    args: [{ name: "addrs", type: T.anyOf(T.array(T.string), T.set(T.string)) }],
    result: T.set(T.string),
    doc:
      "Merges IP addresses and CIDRs into the smallest set of CIDRs covering them; bare IPv4 addresses get " +
      "their classful mask and IPv6 inputs need a prefix length.",
    impl: (args) => {
      const v = args[0] as Value;
      let items: Value[];
      if (Array.isArray(v)) items = v;
      else if (v instanceof RegoSet) items = v.sorted();
      else throw new BuiltinError("operand must be an array");
      return new RegoSet(mergeNets(items.map(mergeInput)).map(formatNet));
    },
  },
  {
    name: "net.cidr_is_valid",
    args: [{ name: "cidr", type: T.string }],
    result: T.boolean,
    doc: "Returns true when the operand is a valid IPv4 or IPv6 CIDR string, false otherwise.",
    impl: (args) => {
      const v = args[0] as Value;
      return typeof v === "string" && parseCIDR(v) !== undefined;
    },
  },
];
