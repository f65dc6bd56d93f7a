/**
 * Parsing with Go's reference-time layouts (time.parse_ns, time.parse_rfc3339_ns) and Go duration
 * syntax (time.parse_duration_ns). Error texts are Go's, because OPA passes them through unchanged.
 * Layouts and values are byte strings (see `toBytes`) so slicing and quoting match Go.
 */
import { BuiltinError } from "../errors.js";
import { goQuote, isDigitAt, longDays, longMonths, nextStdChunk, type StdKind, toBytes } from "./time-layout.js";
import { daysIn, fixedZone, instantOf, isLeap, UTC, type Zone } from "./time-zone.js";

/** Go's errBad: an element did not match; reported as "cannot parse X as Y" unless a range error is pending. */
class Bad extends Error {}

/** Go's getnum: one or two digits (exactly two when `fixed`). */
function getnum(s: string, fixed: boolean): [number, string] {
  if (!isDigitAt(s, 0)) throw new Bad();
  if (!isDigitAt(s, 1)) {
    if (fixed) throw new Bad();
    return [s.charCodeAt(0) - 0x30, s.slice(1)];
  }
  return [(s.charCodeAt(0) - 0x30) * 10 + s.charCodeAt(1) - 0x30, s.slice(2)];
}

function getnum3(s: string, fixed: boolean): [number, string] {
  let n = 0;
  let i = 0;
  for (; i < 3 && isDigitAt(s, i); i++) n = n * 10 + s.charCodeAt(i) - 0x30;
  if (i === 0 || (fixed && i !== 3)) throw new Bad();
  return [n, s.slice(i)];
}

/** Go's atoi: optional sign then digits only. */
function atoi(s: string): number {
  let t = s;
  let neg = false;
  if (t[0] === "-" || t[0] === "+") {
    neg = t[0] === "-";
    t = t.slice(1);
  }
  if (t === "" || !/^[0-9]+$/.test(t)) throw new Bad();
  const n = Number(t);
  return neg ? -n : n;
}

function lookupName(names: string[], val: string, len?: number): [number, string] {
  for (let i = 0; i < names.length; i++) {
    const v = len === undefined ? (names[i] as string) : (names[i] as string).slice(0, len);
    if (val.length >= v.length && val.slice(0, v.length).toLowerCase() === v.toLowerCase()) {
      return [i, val.slice(v.length)];
    }
  }
  throw new Bad();
}

function cutspace(s: string): string {
  let i = 0;
  while (s[i] === " ") i++;
  return s.slice(i);
}

/** Go's skip: removes literal `prefix` from `value`, runs of spaces matching runs of spaces. */
function skip(value: string, prefix: string): string {
  let v = value;
  let p = prefix;
  while (p.length > 0) {
    if (p[0] === " ") {
      if (v.length > 0 && v[0] !== " ") throw new Bad();
      p = cutspace(p);
      v = cutspace(v);
      continue;
    }
    if (v.length === 0 || v[0] !== p[0]) throw new Bad();
    p = p.slice(1);
    v = v.slice(1);
  }
  return v;
}

/** Go's parseNanoseconds: the fraction in `value[0:nbytes]` (separator included) and a range error name. */
function parseNanoseconds(value: string, nbytes: number): [number, string] {
  if (value[0] !== "." && value[0] !== ",") throw new Bad();
  const n = Math.min(nbytes, 10);
  // atoi accepts a sign, so ".-5" gets this far under a ".0" layout; Go reports it as a range error.
  const ns = atoi(value.slice(1, n));
  if (ns < 0) return [0, "fractional second"];
  return [ns * 10 ** (10 - n), ""];
}

/** Go's parseTimeZone: the length of a zone abbreviation at the start of `value`, or 0. */
function zoneNameLength(value: string): number {
  if (value.length < 3) return 0;
  if (value.startsWith("ChST") || value.startsWith("MeST")) return 4;
  if (value.startsWith("GMT")) return value.length === 3 ? 3 : 3 + signedOffsetLength(value.slice(3));
  if (value[0] === "+" || value[0] === "-") return signedOffsetLength(value);
  let n = 0;
  while (n < 6 && n < value.length && value[n] !== undefined && /[A-Z]/.test(value[n] as string)) n++;
  if (n === 3) return 3;
  if (n === 4 && (value[3] === "T" || value.startsWith("WITA"))) return 4;
  if (n === 5 && value[4] === "T") return 5;
  return 0;
}

function signedOffsetLength(value: string): number {
  if (value[0] !== "+" && value[0] !== "-") return 0;
  const m = /^[0-9]+/.exec(value.slice(1));
  if (!m || Number(m[0]) > 23) return 0;
  return 1 + m[0].length;
}

/**
 * Parses `valueText` with a Go layout (time.Parse), returning nanoseconds since the epoch.
 * Zone abbreviations other than UTC keep the wall clock as UTC, as Go does when the local zone is UTC.
 */
export function parseTime(layoutText: string, valueText: string): bigint {
  const alayout = toBytes(layoutText);
  const avalue = toBytes(valueText);
  const fail = (message: string): never => {
    throw new BuiltinError(`parsing time ${goQuote(avalue)}${message}`);
  };
  const failElem = (layoutElem: string, valueElem: string): never =>
    fail(` as ${goQuote(alayout)}: cannot parse ${goQuote(valueElem)} as ${goQuote(layoutElem)}`);

  let layout = alayout;
  let value = avalue;
  let amSet = false;
  let pmSet = false;
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let zone: Zone | undefined;
  let zoneOffset: number | undefined;
  let zoneName = "";

  for (;;) {
    const { prefix, std: s, suffix } = nextStdChunk(layout);
    const stdstr = layout.slice(prefix.length, layout.length - suffix.length);
    try {
      value = skip(value, prefix);
    } catch {
      failElem(prefix, value);
    }
    if (!s) {
      if (value.length !== 0) fail(`: extra text: ${goQuote(value)}`);
      break;
    }
    layout = suffix;
    const hold = value;
    let rangeErr = "";
    try {
      switch (s.kind) {
        case "Year": {
          if (value.length < 2) throw new Bad();
          const p = value.slice(0, 2);
          value = value.slice(2);
          year = atoi(p);
          year += year >= 69 ? 1900 : 2000;
          break;
        }
        case "LongYear":
          if (value.length < 4 || !isDigitAt(value, 0)) throw new Bad();
          year = atoi(value.slice(0, 4));
          value = value.slice(4);
          break;
        case "Month":
        case "LongMonth":
          [month, value] = lookupName(longMonths, value, s.kind === "Month" ? 3 : undefined);
          month++;
          break;
        case "NumMonth":
        case "ZeroMonth":
          [month, value] = getnum(value, s.kind === "ZeroMonth");
          if (month <= 0 || month > 12) rangeErr = "month";
          break;
        case "WeekDay":
        case "LongWeekDay":
          [, value] = lookupName(longDays, value, s.kind === "WeekDay" ? 3 : undefined);
          break;
        case "Day":
        case "UnderDay":
        case "ZeroDay":
          if (s.kind === "UnderDay" && value[0] === " ") value = value.slice(1);
          [day, value] = getnum(value, s.kind === "ZeroDay");
          break;
        case "UnderYearDay":
        case "ZeroYearDay":
          for (let i = 0; i < 2; i++) if (s.kind === "UnderYearDay" && value[0] === " ") value = value.slice(1);
          [yday, value] = getnum3(value, s.kind === "ZeroYearDay");
          break;
        case "Hour":
          [hour, value] = getnum(value, false);
          if (hour >= 24) rangeErr = "hour";
          break;
        case "Hour12":
        case "ZeroHour12":
          [hour, value] = getnum(value, s.kind === "ZeroHour12");
          if (hour > 12) rangeErr = "hour";
          break;
        case "Minute":
        case "ZeroMinute":
          [min, value] = getnum(value, s.kind === "ZeroMinute");
          if (min >= 60) rangeErr = "minute";
          break;
        case "Second":
        case "ZeroSecond": {
          [sec, value] = getnum(value, s.kind === "ZeroSecond");
          if (sec >= 60) {
            rangeErr = "second";
            break;
          }
          // A fractional second in the value is accepted even when the layout has none.
          if (value.length >= 2 && (value[0] === "." || value[0] === ",") && isDigitAt(value, 1)) {
            const next = nextStdChunk(layout).std?.kind;
            if (next === "FracSecond0" || next === "FracSecond9") break;
            let n = 2;
            while (n < value.length && isDigitAt(value, n)) n++;
            [nsec, rangeErr] = parseNanoseconds(value, n);
            value = value.slice(n);
          }
          break;
        }
        case "PM":
        case "pm": {
          if (value.length < 2) throw new Bad();
          const p = value.slice(0, 2);
          value = value.slice(2);
          const upper = s.kind === "PM";
          if (p === (upper ? "PM" : "pm")) pmSet = true;
          else if (p === (upper ? "AM" : "am")) amSet = true;
          else throw new Bad();
          break;
        }
        case "TZ": {
          if (value.startsWith("UTC")) {
            zone = UTC;
            value = value.slice(3);
            break;
          }
          const n = zoneNameLength(value);
          if (n === 0) throw new Bad();
          zoneName = value.slice(0, n);
          value = value.slice(n);
          break;
        }
        case "FracSecond0": {
          const ndigit = 1 + s.digits;
          if (value.length < ndigit) throw new Bad();
          [nsec, rangeErr] = parseNanoseconds(value, ndigit);
          value = value.slice(ndigit);
          break;
        }
        case "FracSecond9": {
          if (value.length < 2 || (value[0] !== "." && value[0] !== ",") || !isDigitAt(value, 1)) break;
          let i = 0;
          while (i + 1 < value.length && isDigitAt(value, i + 1)) i++;
          [nsec, rangeErr] = parseNanoseconds(value, 1 + i);
          value = value.slice(1 + i);
          break;
        }
        default: {
          if (s.kind.startsWith("ISO8601") && value[0] === "Z") {
            value = value.slice(1);
            zone = UTC;
            break;
          }
          let bad: boolean;
          [zoneOffset, value, rangeErr, bad] = parseOffset(s.kind, value);
          if (bad) throw new Bad();
        }
      }
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      if (rangeErr === "") failElem(stdstr, hold);
    }
    if (rangeErr !== "") fail(`: ${rangeErr} out of range`);
  }

  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;

  if (yday >= 0) {
    let d = 0;
    let m = 0;
    if (isLeap(year)) {
      if (yday === 31 + 29) {
        m = 2;
        d = 29;
      } else if (yday > 31 + 29) {
        yday--;
      }
    }
    if (yday < 1 || yday > 365) fail(": day-of-year out of range");
    if (m === 0) {
      m = Math.floor((yday - 1) / 31) + 1;
      if (daysBefore(m + 1) < yday) m++;
      d = yday - daysBefore(m);
    }
    if (month >= 0 && month !== m) fail(": day-of-year does not match month");
    month = m;
    if (day >= 0 && day !== d) fail(": day-of-year does not match day");
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(month, year)) fail(": day out of range");

  if (zone) return instantOf(zone, year, month, day, hour, min, sec, nsec);
  if (zoneOffset !== undefined)
    return instantOf(fixedZone(zoneName, zoneOffset), year, month, day, hour, min, sec, nsec);
  return instantOf(UTC, year, month, day, hour, min, sec, nsec);
}

// Days before the first of `month` in a non-leap year (month 13 = whole year).
function daysBefore(month: number): number {
  const cum = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
  return cum[month - 1] ?? 365;
}

/**
 * Parses a numeric zone offset element: the offset (seconds), the rest, a range error name, and
 * whether the element was malformed (Go reports a range error in preference to that).
 */
function parseOffset(kind: StdKind, value: string): [number, string, string, boolean] {
  let sign: string;
  let hh: string;
  let mm = "00";
  let ss = "00";
  let rest: string;
  if (kind === "ISO8601ColonTZ" || kind === "NumColonTZ") {
    if (value.length < 6 || value[3] !== ":") throw new Bad();
    [sign, hh, mm, rest] = [value.slice(0, 1), value.slice(1, 3), value.slice(4, 6), value.slice(6)];
  } else if (kind === "NumShortTZ" || kind === "ISO8601ShortTZ") {
    if (value.length < 3) throw new Bad();
    [sign, hh, rest] = [value.slice(0, 1), value.slice(1, 3), value.slice(3)];
  } else if (kind === "ISO8601ColonSecondsTZ" || kind === "NumColonSecondsTZ") {
    if (value.length < 9 || value[3] !== ":" || value[6] !== ":") throw new Bad();
    [sign, hh, mm, ss, rest] = [
      value.slice(0, 1),
      value.slice(1, 3),
      value.slice(4, 6),
      value.slice(7, 9),
      value.slice(9),
    ];
  } else if (kind === "ISO8601SecondsTZ" || kind === "NumSecondsTz") {
    if (value.length < 7) throw new Bad();
    [sign, hh, mm, ss, rest] = [
      value.slice(0, 1),
      value.slice(1, 3),
      value.slice(3, 5),
      value.slice(5, 7),
      value.slice(7),
    ];
  } else {
    if (value.length < 5) throw new Bad();
    [sign, hh, mm, rest] = [value.slice(0, 1), value.slice(1, 3), value.slice(3, 5), value.slice(5)];
  }
  let bad = false;
  const num = (t: string): number => {
    if (bad) return 0;
    try {
      return getnum(t, true)[0];
    } catch {
      bad = true;
      return 0;
    }
  };
  const hr = num(hh);
  const mi = num(mm);
  const se = num(ss);
  // Go checks ranges with ">" since offsets of 24 hours or 60 minutes do occur in the wild.
  let rangeErr = "";
  if (hr > 24) rangeErr = "time zone offset hour";
  if (mi > 60) rangeErr = "time zone offset minute";
  if (se > 60) rangeErr = "time zone offset second";
  let offset = (hr * 60 + mi) * 60 + se;
  if (sign === "-") offset = -offset;
  else if (sign !== "+") bad = true;
  return [offset, rest, rangeErr, bad];
}

const unitNs: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  "\xc2\xb5s": 1000n, // U+00B5 micro sign, as UTF-8 bytes
  "\xce\xbcs": 1000n, // U+03BC Greek mu, as UTF-8 bytes
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const TWO63 = 2n ** 63n;

/** Parses a Go duration ("1h2m3.5s", "-300ms", "1µs") to nanoseconds (time.ParseDuration). */
export function parseDuration(text: string): bigint {
  const orig = toBytes(text);
  const invalid = (): never => {
    throw new BuiltinError(`time: invalid duration ${goQuote(orig)}`);
  };
  let s = orig;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") invalid();
  let d = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigitAt(s, 0))) invalid();
    const intDigits = /^[0-9]*/.exec(s)?.[0] ?? "";
    let v = 0n;
    for (const ch of intDigits) {
      // Go's leadingInt gives up once the value cannot fit 2^63.
      if (v > TWO63 / 10n) invalid();
      v = v * 10n + BigInt(ch.charCodeAt(0) - 0x30);
      if (v > TWO63) invalid();
    }
    s = s.slice(intDigits.length);
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === ".") {
      s = s.slice(1);
      const frac = /^[0-9]*/.exec(s)?.[0] ?? "";
      post = frac.length > 0;
      let overflow = false;
      for (const ch of frac) {
        if (overflow) continue;
        if (f > (TWO63 - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(ch.charCodeAt(0) - 0x30);
        if (y > TWO63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      s = s.slice(frac.length);
    }
    if (intDigits.length === 0 && !post) invalid();
    let i = 0;
    while (i < s.length && s[i] !== "." && !isDigitAt(s, i)) i++;
    if (i === 0) throw new BuiltinError(`time: missing unit in duration ${goQuote(orig)}`);
    const u = s.slice(0, i);
    s = s.slice(i);
    const unit = unitNs[u];
    if (unit === undefined) throw new BuiltinError(`time: unknown unit ${goQuote(u)} in duration ${goQuote(orig)}`);
    if (v > TWO63 / unit) invalid();
    v *= unit;
    if (f > 0n) {
      // Go computes the fraction in float64, truncating to whole nanoseconds.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO63) invalid();
    }
    d += v;
    if (d > TWO63) invalid();
  }
  if (neg) return -d;
  if (d > TWO63 - 1n) invalid();
  return d;
}
