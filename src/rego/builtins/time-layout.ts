/**
 * Go's reference-time layouts ("2006-01-02T15:04:05Z07:00"): finding layout elements, and
 * formatting (time.format). Behaviour follows Go's `time` package, because OPA uses it directly.
 *
 * Go works on UTF-8 bytes, so layouts and values are handled as byte strings (one char per byte,
 * see `toBytes`) to slice, compare and quote them exactly as Go does.
 */
import type { Fields } from "./time-zone.js";

/** OPA's names for Go's predefined layouts. */
export const namedLayouts: Readonly<Record<string, string>> = {
  ANSIC: "Mon Jan _2 15:04:05 2006",
  UnixDate: "Mon Jan _2 15:04:05 MST 2006",
  RubyDate: "Mon Jan 02 15:04:05 -0700 2006",
  RFC822: "02 Jan 06 15:04 MST",
  RFC822Z: "02 Jan 06 15:04 -0700",
  RFC850: "Monday, 02-Jan-06 15:04:05 MST",
  RFC1123: "Mon, 02 Jan 2006 15:04:05 MST",
  RFC1123Z: "Mon, 02 Jan 2006 15:04:05 -0700",
  RFC3339: "2006-01-02T15:04:05Z07:00",
  RFC3339Nano: "2006-01-02T15:04:05.999999999Z07:00",
};

/** UTF-8 bytes of `s`, one char per byte. */
export function toBytes(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

/** Inverse of `toBytes`. */
export function fromBytes(b: string): string {
  return Buffer.from(b, "latin1").toString("utf8");
}

/** Go's time-package quoting of a byte string: non-ASCII and control bytes as \xNN. */
export function goQuote(b: string): string {
  let out = '"';
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i);
    if (c >= 0x80 || c < 0x20) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c === 0x22 || c === 0x5c) out += `\\${b[i]}`;
    else out += b[i];
  }
  return `${out}"`;
}

/** Go's layout elements (the std* constants of time/format.go). */
export type StdKind =
  | "LongMonth"
  | "Month"
  | "NumMonth"
  | "ZeroMonth"
  | "LongWeekDay"
  | "WeekDay"
  | "Day"
  | "UnderDay"
  | "ZeroDay"
  | "UnderYearDay"
  | "ZeroYearDay"
  | "Hour"
  | "Hour12"
  | "ZeroHour12"
  | "Minute"
  | "ZeroMinute"
  | "Second"
  | "ZeroSecond"
  | "LongYear"
  | "Year"
  | "PM"
  | "pm"
  | "TZ"
  | "ISO8601TZ"
  | "ISO8601SecondsTZ"
  | "ISO8601ShortTZ"
  | "ISO8601ColonTZ"
  | "ISO8601ColonSecondsTZ"
  | "NumTZ"
  | "NumSecondsTz"
  | "NumShortTZ"
  | "NumColonTZ"
  | "NumColonSecondsTZ"
  | "FracSecond0"
  | "FracSecond9";

/** One layout element. */
export interface Std {
  kind: StdKind;
  /** Fractional-second digits and separator. */
  digits: number;
  sep: string;
}

/** Literal text before a layout element, the element (none at the end), and the remaining layout. */
export interface Chunk {
  prefix: string;
  std: Std | undefined;
  suffix: string;
}

const zeroX: StdKind[] = ["ZeroMonth", "ZeroDay", "ZeroHour12", "ZeroMinute", "ZeroSecond", "Year"];
// Zone elements after their "-" (always numeric) or "Z" (Z for UTC) lead, in the order Go tries them.
const zoneForms: [string, StdKind, StdKind][] = [
  ["070000", "NumSecondsTz", "ISO8601SecondsTZ"],
  ["07:00:00", "NumColonSecondsTZ", "ISO8601ColonSecondsTZ"],
  ["0700", "NumTZ", "ISO8601TZ"],
  ["07:00", "NumColonTZ", "ISO8601ColonTZ"],
  ["07", "NumShortTZ", "ISO8601ShortTZ"],
];

function std(kind: StdKind, digits = 0, sep = "."): Std {
  return { kind, digits, sep };
}

/** Whether s[i] exists and is an ASCII digit. */
export function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

function lowerAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x61 && c <= 0x7a;
}

/** Finds the first layout element: the literal text before it, the element, and the rest (Go's nextStdChunk). */
export function nextStdChunk(layout: string): Chunk {
  const at = (i: number, kind: StdKind, len: number, s = std(kind)): Chunk => ({
    prefix: layout.slice(0, i),
    std: s,
    suffix: layout.slice(i + len),
  });
  for (let i = 0; i < layout.length; i++) {
    const c = layout[i];
    const rest = layout.slice(i);
    switch (c) {
      case "J":
        if (rest.startsWith("Jan")) {
          if (rest.startsWith("January")) return at(i, "LongMonth", 7);
          if (!lowerAt(layout, i + 3)) return at(i, "Month", 3);
        }
        break;
      case "M":
        if (rest.startsWith("Mon")) {
          if (rest.startsWith("Monday")) return at(i, "LongWeekDay", 6);
          if (!lowerAt(layout, i + 3)) return at(i, "WeekDay", 3);
        }
        if (rest.startsWith("MST")) return at(i, "TZ", 3);
        break;
      case "0": {
        const d = layout.charCodeAt(i + 1);
        if (d >= 0x31 && d <= 0x36) return at(i, zeroX[d - 0x31] as StdKind, 2);
        if (rest.startsWith("002")) return at(i, "ZeroYearDay", 3);
        break;
      }
      case "1":
        if (layout[i + 1] === "5") return at(i, "Hour", 2);
        return at(i, "NumMonth", 1);
      case "2":
        if (rest.startsWith("2006")) return at(i, "LongYear", 4);
        return at(i, "Day", 1);
      case "_":
        if (layout[i + 1] === "2") {
          // "_2006" is a literal underscore followed by the long year.
          if (rest.startsWith("_2006"))
            return { prefix: layout.slice(0, i + 1), std: std("LongYear"), suffix: layout.slice(i + 5) };
          return at(i, "UnderDay", 2);
        }
        if (rest.startsWith("__2")) return at(i, "UnderYearDay", 3);
        break;
      case "3":
        return at(i, "Hour12", 1);
      case "4":
        return at(i, "Minute", 1);
      case "5":
        return at(i, "Second", 1);
      case "P":
        if (layout[i + 1] === "M") return at(i, "PM", 2);
        break;
      case "p":
        if (layout[i + 1] === "m") return at(i, "pm", 2);
        break;
      case "-":
      case "Z":
        for (const [form, num, iso] of zoneForms) {
          if (rest.startsWith(form, 1)) return at(i, c === "-" ? num : iso, form.length + 1);
        }
        break;
      case ".":
      case ",": {
        const ch = layout[i + 1];
        if (ch === "0" || ch === "9") {
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          // Only an all-digit run is a fractional second ("05.000" but not ".0001" inside digits).
          if (!isDigitAt(layout, j)) {
            const kind = ch === "0" ? "FracSecond0" : "FracSecond9";
            return at(i, kind, j - i, std(kind, j - (i + 1), c));
          }
        }
        break;
      }
    }
  }
  return { prefix: layout, std: undefined, suffix: "" };
}

/** English weekday names, Sunday first. */
export const longDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
/** English month names. */
export const longMonths = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** English weekday name, 0 = Sunday. */
export function weekdayName(d: number): string {
  return longDays[d] ?? "";
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, "0");
  return n < 0 ? `-${s}` : s;
}

/** Formats broken-down time with a Go layout (Time.Format). The layout is a normal JS string. */
export function formatTime(f: Fields, layoutText: string): string {
  let layout = toBytes(layoutText);
  let out = "";
  while (layout !== "") {
    const { prefix, std: s, suffix } = nextStdChunk(layout);
    out += prefix;
    if (!s) break;
    layout = suffix;
    out += formatElem(f, s);
  }
  return fromBytes(out);
}

function formatElem(f: Fields, s: Std): string {
  const hr12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  switch (s.kind) {
    case "Year":
      return pad(Math.abs(f.year) % 100, 2);
    case "LongYear":
      return pad(f.year, 4);
    case "Month":
      return (longMonths[f.month - 1] ?? "").slice(0, 3);
    case "LongMonth":
      return longMonths[f.month - 1] ?? "";
    case "NumMonth":
      return String(f.month);
    case "ZeroMonth":
      return pad(f.month, 2);
    case "WeekDay":
      return weekdayName(f.weekday).slice(0, 3);
    case "LongWeekDay":
      return weekdayName(f.weekday);
    case "Day":
      return String(f.day);
    case "UnderDay":
      return f.day < 10 ? ` ${f.day}` : String(f.day);
    case "ZeroDay":
      return pad(f.day, 2);
    case "UnderYearDay":
      return String(f.yday).padStart(3, " ");
    case "ZeroYearDay":
      return pad(f.yday, 3);
    case "Hour":
      return pad(f.hour, 2);
    case "Hour12":
      return String(hr12);
    case "ZeroHour12":
      return pad(hr12, 2);
    case "Minute":
      return String(f.minute);
    case "ZeroMinute":
      return pad(f.minute, 2);
    case "Second":
      return String(f.second);
    case "ZeroSecond":
      return pad(f.second, 2);
    case "PM":
      return f.hour >= 12 ? "PM" : "AM";
    case "pm":
      return f.hour >= 12 ? "pm" : "am";
    case "TZ":
      return f.abbr !== "" ? toBytes(f.abbr) : formatOffset(f.offset, "NumTZ");
    case "FracSecond0":
    case "FracSecond9":
      return formatFraction(f.nanosecond, s);
    default:
      if (f.offset === 0 && s.kind.startsWith("ISO8601")) return "Z";
      return formatOffset(f.offset, s.kind);
  }
}

function formatOffset(offset: number, kind: StdKind): string {
  const abs = Math.abs(offset);
  const zone = Math.floor(abs / 60);
  let out = (offset < 0 ? "-" : "+") + pad(Math.floor(zone / 60), 2);
  const colon = kind.includes("Colon");
  if (!kind.includes("Short")) out += (colon ? ":" : "") + pad(zone % 60, 2);
  if (kind.includes("Seconds")) out += (colon ? ":" : "") + pad(abs % 60, 2);
  return out;
}

function formatFraction(nanosecond: number, s: Std): string {
  const trim = s.kind === "FracSecond9";
  if (trim && (s.digits === 0 || nanosecond === 0)) return "";
  let digits = pad(nanosecond, 9);
  if (s.digits < 9) digits = digits.slice(0, s.digits);
  else digits += "0".repeat(s.digits - 9);
  if (trim) digits = digits.replace(/0+$/, "");
  return digits === "" ? "" : s.sep + digits;
}
