/**
 * The time.* builtins, following OPA's topdown/time.go on top of Go's `time` semantics.
 *
 * Precision: OPA works with int64 nanoseconds, but Rego numbers here are doubles. Internally every
 * instant is a BigInt, so parsing and calendar arithmetic are exact; results are returned as
 * Number and so are rounded to the nearest double beyond 2^53 ns (about 104 days after 1970):
 * present-day timestamps come back accurate to a few hundred nanoseconds. As a consequence
 * int64's maximum (which OPA returns for "2262-04-11T23:47:16.854775807Z") rounds up to 2^63, and
 * we accept 2^63 as an operand meaning that maximum so such results can be passed back in.
 *
 * Time zones: "" and "UTC" are UTC; "Local" is also UTC (a gateway's decisions must not depend on
 * the host's zone); other names are IANA zones resolved through Intl (see time-zone.ts).
 */
import { BuiltinError, BuiltinTypeError } from "../errors.js";
import { typeName, type Value } from "../value.js";
import { formatTime, namedLayouts, weekdayName } from "./time-layout.js";
import { parseDuration, parseTime } from "./time-parse.js";
import { daysIn, type Fields, fieldsOf, instantOf, loadZone, MAX_NS, MIN_NS, UTC, type Zone } from "./time-zone.js";
import { argInt, argString, type BuiltinDecl, T } from "./types.js";

const TWO63 = 2 ** 63;

/** An instant with the zone it is viewed in and, for time.format, a layout. */
interface ZonedTime {
  ns: bigint;
  zone: Zone;
  layout: string;
}

const tzTypeError = (v: Value): never => {
  throw new BuiltinTypeError(
    `operand 1 must be either number (ns) or [number (ns), string (tz)] but got ${typeName(v)}`,
  );
};

// OPA reports every problem inside these operands as "operand 1", whichever operand it is.
function elemString(v: Value): string {
  if (typeof v !== "string") throw new BuiltinTypeError(`operand 1 must be string but got ${typeName(v)}`);
  return v;
}

/** Decodes OPA's `ns` or `[ns, tz]` or `[ns, tz, layout]` operand (tzTime in time.go). */
function zonedTime(v: Value): ZonedTime {
  let n: Value;
  let zone = UTC;
  let layout = "";
  if (Array.isArray(v)) {
    if (v.length === 0) tzTypeError(v);
    n = v[0] as Value;
    if (typeof n !== "number" && typeof n !== "bigint")
      throw new BuiltinTypeError(`operand 1 must be number but got ${typeName(n)}`);
    if (v.length > 1) zone = loadZone(elemString(v[1] as Value));
    if (v.length > 2) layout = elemString(v[2] as Value);
  } else if (typeof v === "number" || typeof v === "bigint") {
    n = v;
  } else {
    return tzTypeError(v);
  }
  return { ns: nsOf(n), zone, layout };
}

function nsOf(n: number | bigint): bigint {
  // An exact integer (a literal beyond 2^53) keeps its nanoseconds.
  if (typeof n === "bigint") {
    if (n < -BigInt(TWO63) || n >= BigInt(TWO63)) throw new BuiltinError("timestamp too big");
    return n;
  }
  if (!Number.isInteger(n) || n < -TWO63 || n > TWO63) throw new BuiltinError("timestamp too big");
  // 2^63 is how int64's maximum reaches us after rounding to a double (see the file comment).
  return n === TWO63 ? MAX_NS : BigInt(n);
}

function fieldsOfOperand(v: Value): Fields {
  const t = zonedTime(v);
  return fieldsOf(t.ns, t.zone);
}

/** Returns `ns` as a Rego number, or OPA's error when it does not fit an int64. */
function safeNs(ns: bigint): number {
  if (ns < MIN_NS || ns > MAX_NS) throw new BuiltinError("time outside of valid range");
  return Number(ns);
}

const nsOrZoned = T.anyOf(T.number, T.array(T.anyOf(T.number, T.string)));
const zonedDoc = "a number of nanoseconds since the epoch (UTC), or a [ns, timezone] array";

/** Go's Time.AddDate: adds calendar units in the instant's zone, normalising overflowing fields. */
function addDate(t: ZonedTime, years: number, months: number, days: number): bigint {
  const f = fieldsOf(t.ns, t.zone);
  const y = f.year + years;
  const m = f.month + months;
  const d = f.day + days;
  // Absurd operands would lose precision in day arithmetic; they are far out of range anyway.
  if (!Number.isSafeInteger(y * 400) || !Number.isSafeInteger(m * 31) || !Number.isSafeInteger(d * 86400)) {
    throw new BuiltinError("time outside of valid range");
  }
  return instantOf(t.zone, y, m, d, f.hour, f.minute, f.second, f.nanosecond);
}

/** OPA's time.diff: calendar difference of two instants viewed in the first one's zone. */
function diff(a: ZonedTime, b: ZonedTime): number[] {
  let f1 = fieldsOf(a.ns, a.zone);
  let f2 = fieldsOf(b.ns, a.zone);
  if (a.ns > b.ns) [f1, f2] = [f2, f1];
  let year = f2.year - f1.year;
  let month = f2.month - f1.month;
  let day = f2.day - f1.day;
  let hour = f2.hour - f1.hour;
  let min = f2.minute - f1.minute;
  let sec = f2.second - f1.second;
  if (sec < 0) {
    sec += 60;
    min--;
  }
  if (min < 0) {
    min += 60;
    hour--;
  }
  if (hour < 0) {
    hour += 24;
    day--;
  }
  if (day < 0) {
    day += daysIn(f1.month, f1.year);
    month--;
  }
  if (month < 0) {
    month += 12;
    year--;
  }
  return [year, month, day, hour, min, sec];
}

/** The time.* builtins. */
export const timeBuiltins: BuiltinDecl[] = [
  {
    name: "time.now_ns",
    args: [],
    result: T.number,
    doc: "Returns the current time since epoch in nanoseconds; fixed for the whole evaluation.",
    nondeterministic: true,
    impl: (_args, ctx) => ctx.nowNs,
  },
  {
    name: "time.parse_ns",
    args: [
      { name: "layout", type: T.string },
      { name: "value", type: T.string },
    ],
    result: T.number,
    doc:
      "Returns the time in nanoseconds parsed from `value` with a Go reference layout such as " +
      '"2006-01-02T15:04:05Z07:00" or a named one ("RFC3339", "ANSIC", ...); errors if outside the int64 range.',
    impl: (args) => {
      const layout = argString(args, 1);
      const value = argString(args, 2);
      return safeNs(parseTime(namedLayouts[layout] ?? layout, value));
    },
  },
  {
    name: "time.parse_rfc3339_ns",
    args: [{ name: "value", type: T.string }],
    result: T.number,
    doc: "Returns the time in nanoseconds parsed from an RFC3339 string; errors if outside the int64 range.",
    impl: (args) => safeNs(parseTime(namedLayouts.RFC3339 as string, argString(args, 1))),
  },
  {
    name: "time.parse_duration_ns",
    args: [{ name: "duration", type: T.string }],
    result: T.number,
    doc: 'Returns the duration in nanoseconds represented by a Go duration string like "1h2m3.5s" or "300ms".',
    impl: (args) => Number(parseDuration(argString(args, 1))),
  },
  {
    name: "time.date",
    exactIntegers: true,
    args: [{ name: "x", type: nsOrZoned }],
    result: T.array(T.number),
    doc: `Returns [year, month, day] for ${zonedDoc}.`,
    impl: (args) => {
      const f = fieldsOfOperand(args[0] as Value);
      return [f.year, f.month, f.day];
    },
  },
  {
    name: "time.clock",
    exactIntegers: true,
    args: [{ name: "x", type: nsOrZoned }],
    result: T.array(T.number),
    doc: `Returns [hour, minute, second] of the day for ${zonedDoc}.`,
    impl: (args) => {
      const f = fieldsOfOperand(args[0] as Value);
      return [f.hour, f.minute, f.second];
    },
  },
  {
    name: "time.weekday",
    exactIntegers: true,
    args: [{ name: "x", type: nsOrZoned }],
    result: T.string,
    doc: `Returns the day of the week ("Monday", ...) for ${zonedDoc}.`,
    impl: (args) => weekdayName(fieldsOfOperand(args[0] as Value).weekday),
  },
  {
    name: "time.add_date",
    exactIntegers: true,
    args: [
      { name: "ns", type: T.number },
      { name: "years", type: T.number },
      { name: "months", type: T.number },
      { name: "days", type: T.number },
    ],
    result: T.number,
    doc: "Returns the nanoseconds since epoch after adding years, months and days; errors if outside the int64 range.",
    impl: (args) => {
      const t = zonedTime(args[0] as Value);
      return safeNs(addDate(t, argInt(args, 2), argInt(args, 3), argInt(args, 4)));
    },
  },
  {
    name: "time.diff",
    exactIntegers: true,
    args: [
      { name: "ns1", type: nsOrZoned },
      { name: "ns2", type: nsOrZoned },
    ],
    result: T.array(T.number),
    doc: "Returns [years, months, days, hours, minutes, seconds] between two instants, in the first one's timezone.",
    impl: (args) => diff(zonedTime(args[0] as Value), zonedTime(args[1] as Value)),
  },
  {
    name: "time.format",
    exactIntegers: true,
    args: [{ name: "x", type: T.anyOf(T.number, T.array(T.anyOf(T.number, T.string))) }],
    result: T.string,
    doc:
      "Formats nanoseconds since epoch, or [ns, timezone], or [ns, timezone, layout] (a Go layout or a named one " +
      "such as RFC1123Z); the default layout is RFC3339Nano.",
    impl: (args) => {
      const t = zonedTime(args[0] as Value);
      const layout = t.layout === "" ? "RFC3339Nano" : t.layout;
      return formatTime(fieldsOf(t.ns, t.zone), namedLayouts[layout] ?? layout);
    },
  },
];
