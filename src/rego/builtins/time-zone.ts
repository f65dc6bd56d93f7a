/**
 * Calendar arithmetic and time zones for the time.* builtins, modelled on Go's `time` package.
 *
 * Go embeds the IANA tz database; we ask the JS runtime's ICU (Intl.DateTimeFormat) for UTC offsets
 * instead. Offsets agree with Go for all zones ICU knows. Zone abbreviations (the "MST" layout
 * element) are best effort: ICU only has names such as "PST" or "CET" for some zones and locales,
 * otherwise we print tzdata's numeric style ("+0530", "-03"), which may differ from Go.
 *
 * "Local" is treated as UTC: a gateway's policy decisions must not depend on the host's zone.
 */
import { BuiltinError } from "../errors.js";

/** A time zone: its name and a way to find the offset and abbreviation in effect at an instant. */
export interface Zone {
  readonly name: string;
  /** Offset east of UTC in seconds, and the zone abbreviation, at `unixSec`. */
  lookup(unixSec: number): { offset: number; abbr: string };
}

/** Go's time.UTC. */
export const UTC: Zone = { name: "UTC", lookup: () => ({ offset: 0, abbr: "UTC" }) };

/** A zone with a fixed offset, like the ones Go fabricates while parsing "-0700". */
export function fixedZone(abbr: string, offset: number): Zone {
  return { name: abbr, lookup: () => ({ offset, abbr }) };
}

const zones = new Map<string, Zone>();
const MAX_DATE_SEC = 8.64e12;

/** Resolves a zone name as OPA does (time.LoadLocation), or throws Go's error text. */
export function loadZone(name: string): Zone {
  if (name === "" || name === "UTC" || name === "Local") return UTC;
  const cached = zones.get(name);
  if (cached) return cached;
  if (name.includes("..") || name.startsWith("/") || name.startsWith("\\")) {
    throw new BuiltinError("time: invalid location name");
  }
  let fmt: Intl.DateTimeFormat;
  try {
    // Offset-style names ("+05:30") are accepted by some ICU versions but are not tz database names.
    if (/^[+-]/.test(name)) throw new RangeError(name);
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    throw new BuiltinError(`unknown time zone ${name}`);
  }
  // ICU matches names case-insensitively; Go's tz database lookup does not.
  const resolved = fmt.resolvedOptions().timeZone;
  if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) {
    throw new BuiltinError(`unknown time zone ${name}`);
  }
  const zone = intlZone(name, fmt);
  zones.set(name, zone);
  return zone;
}

function intlZone(name: string, fmt: Intl.DateTimeFormat): Zone {
  // Keyed by offset: a zone's abbreviation follows its offset (standard vs daylight time).
  const abbrs = new Map<number, string>();
  return {
    name,
    lookup(at: number) {
      // JS dates end at ±8.64e15 ms; beyond that (far outside int64 ns anyway) use the boundary's offset.
      const unixSec = Math.max(-MAX_DATE_SEC, Math.min(MAX_DATE_SEC, at));
      const parts: Record<string, number> = {};
      for (const p of fmt.formatToParts(new Date(unixSec * 1000))) {
        if (p.type !== "literal") parts[p.type] = Number(p.value);
      }
      const local =
        daysFromCivil(parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1) * 86400 +
        (parts.hour ?? 0) * 3600 +
        (parts.minute ?? 0) * 60 +
        (parts.second ?? 0);
      const offset = local - unixSec;
      let abbr = abbrs.get(offset);
      if (abbr === undefined) {
        abbr = abbreviation(name, unixSec, offset);
        abbrs.set(offset, abbr);
      }
      return { offset, abbr };
    },
  };
}

// Locales whose ICU data carries tzdata-like alphabetic abbreviations for some zones.
const abbrLocales = ["en-US", "en-GB", "en-IN", "en-AU", "en-NZ"];

function abbreviation(name: string, unixSec: number, offset: number): string {
  const when = new Date(unixSec * 1000);
  for (const locale of abbrLocales) {
    const part = new Intl.DateTimeFormat(locale, { timeZone: name, timeZoneName: "short" })
      .formatToParts(when)
      .find((p) => p.type === "timeZoneName");
    const text = part?.value ?? "";
    if (/^[A-Z]{3,5}$/.test(text)) return text;
  }
  if (offset === 0) return "GMT";
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 3600)).padStart(2, "0");
  const mm = Math.floor((abs % 3600) / 60);
  return mm === 0 ? `${sign}${hh}` : `${sign}${hh}${String(mm).padStart(2, "0")}`;
}

/** Days since 1970-01-01 of a proleptic Gregorian date; month and day may be out of range (normalised). */
export function daysFromCivil(year: number, month: number, day: number): number {
  // Normalise the month first, as Go's time.Date does, so AddDate(0, 13, 0) rolls the year.
  const m0 = month - 1;
  const y = year + Math.floor(m0 / 12);
  const m = (((m0 % 12) + 12) % 12) + 1;
  const ya = m <= 2 ? y - 1 : y;
  const era = Math.floor(ya / 400);
  const yoe = ya - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5);
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468 + (day - 1);
}

/** The calendar date of a day count since 1970-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Whether `year` is a Gregorian leap year. */
export function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Number of days in `month` (1-12) of `year`. */
export function daysIn(month: number, year: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 31;
}

const NS_PER_SEC = 1_000_000_000n;

/** An instant in a zone, broken down into calendar fields as Go's Time methods report them. */
export interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanosecond: number;
  /** 0 = Sunday. */
  weekday: number;
  /** Day of the year, 1-366. */
  yday: number;
  offset: number;
  abbr: string;
}

/** Breaks `ns` nanoseconds since the epoch down in `zone`. */
export function fieldsOf(ns: bigint, zone: Zone): Fields {
  let sec = ns / NS_PER_SEC;
  let nsec = ns - sec * NS_PER_SEC;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += NS_PER_SEC;
  }
  const unixSec = Number(sec);
  const { offset, abbr } = zone.lookup(unixSec);
  const local = unixSec + offset;
  const days = Math.floor(local / 86400);
  const secOfDay = local - days * 86400;
  const { year, month, day } = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(secOfDay / 3600),
    minute: Math.floor((secOfDay % 3600) / 60),
    second: secOfDay % 60,
    nanosecond: Number(nsec),
    weekday: (((days + 4) % 7) + 7) % 7,
    yday: days - daysFromCivil(year, 1, 1) + 1,
    offset,
    abbr,
  };
}

/**
 * Nanoseconds since the epoch of a wall-clock time in `zone`, normalising out-of-range fields
 * like Go's time.Date (month 13 is January of the next year, day 0 the last day of the previous month).
 */
export function instantOf(
  zone: Zone,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  nsec: number,
): bigint {
  const local = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  // Go looks the offset up at the local time taken as UTC, then corrects it once if the guess
  // falls on the other side of a transition.
  let offset = zone.lookup(local).offset;
  const corrected = zone.lookup(local - offset).offset;
  if (corrected !== offset) offset = corrected;
  return BigInt(local - offset) * NS_PER_SEC + BigInt(nsec);
}

/** Smallest and largest instants OPA accepts (they fit an int64 of nanoseconds). */
export const MIN_NS = -(2n ** 63n);
export const MAX_NS = 2n ** 63n - 1n;
