import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { timeBuiltins } from "../../../src/rego/builtins/time.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError, BuiltinTypeError } from "../../../src/rego/errors.js";
import type { Value } from "../../../src/rego/value.js";

const ctx = {
  nowNs: 1_700_000_000_000_000_000,
  cache: new Map<string, unknown>(),
  compiled: new BoundedCache(64),
  print() {},
};

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = timeBuiltins.find((d) => d.name === name);
  assert.ok(decl, `no builtin ${name}`);
  return decl.impl(args, ctx);
}

function throwsBuiltin(name: string, args: Value[], message: string): void {
  assert.throws(
    () => call(name, ...args),
    (e: unknown) => e instanceof BuiltinError && e.message === message,
    `${name} should fail with ${message}`,
  );
}

function throwsType(name: string, args: Value[], message: string): void {
  assert.throws(
    () => call(name, ...args),
    (e: unknown) => e instanceof BuiltinTypeError && e.message === message,
  );
}

const RFC3339 = "2006-01-02T15:04:05Z07:00";
// 2^63 ns is how int64's extremes look once rounded to a double.
const MAX = Number(9223372036854775807n);
const MIN = Number(-9223372036854775808n);

describe("time.now_ns", () => {
  it("returns the evaluation's fixed time and is marked nondeterministic", () => {
    assert.equal(call("time.now_ns"), ctx.nowNs);
    assert.equal(call("time.now_ns"), call("time.now_ns"));
    assert.equal(timeBuiltins.find((d) => d.name === "time.now_ns")?.nondeterministic, true);
  });
});

describe("time.parse_ns", () => {
  it("parses Go reference layouts (conformance parse_nanos)", () => {
    assert.equal(call("time.parse_ns", RFC3339, "2017-06-02T19:00:00-07:00"), 1496455200000000000);
    assert.equal(call("time.parse_ns", RFC3339, "1677-09-21T00:12:43.145224192-00:00"), MIN);
    assert.equal(call("time.parse_ns", RFC3339, "2262-04-11T23:47:16.854775807-00:00"), MAX);
    assert.equal(
      call("time.parse_ns", "01/02 03:04:05PM '06 -0700", "06/02 07:00:00PM '17 -0700"),
      1496455200000000000,
    );
    assert.equal(call("time.parse_ns", "02 Jan 06 15:04 -0700", "02 Jun 17 19:00 -0700"), 1496455200000000000);
    assert.equal(call("time.parse_ns", "RFC822Z", "02 Jun 17 19:00 -0700"), 1496455200000000000);
  });

  it("errors outside the int64 range", () => {
    throwsBuiltin("time.parse_ns", [RFC3339, "1677-09-21T00:12:43.145224191-00:00"], "time outside of valid range");
    throwsBuiltin("time.parse_ns", [RFC3339, "2262-04-11T23:47:16.854775808-00:00"], "time outside of valid range");
    // Omitted elements default to year 0, which is out of range too.
    throwsBuiltin("time.parse_ns", ["3:04PM", "3:04PM"], "time outside of valid range");
  });

  it("handles dates, day of year, fractions and zone names", () => {
    assert.equal(call("time.parse_ns", "2006-01-02", "2020-02-02"), 1580601600000000000);
    assert.equal(call("time.parse_ns", "2006 __2", "2020 060"), 1582934400000000000);
    assert.equal(call("time.parse_ns", "2006-01-02 15:04:05", "2020-01-01 10:00:00.5"), 1577872800500000000);
    assert.equal(call("time.parse_ns", "RFC1123", "Sat, 03 Dec 2022 00:10:53 UTC"), 1670026253000000000);
    // Unknown abbreviations keep the wall clock as UTC, as Go does when the local zone is UTC.
    assert.equal(call("time.parse_ns", "RFC1123", "Sat, 03 Dec 2022 00:10:53 IST"), 1670026253000000000);
    assert.equal(call("time.parse_ns", "Jan _2 2006 3PM", "feb  9 2021 3pm".replace("pm", "PM")), 1612882800000000000);
  });

  it("reports Go's parse errors", () => {
    throwsBuiltin(
      "time.parse_ns",
      [RFC3339, "1970-01-01T00:00:00"],
      'parsing time "1970-01-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"',
    );
    throwsBuiltin(
      "time.parse_ns",
      [RFC3339, "1970-13-01T00:00:00Z"],
      'parsing time "1970-13-01T00:00:00Z": month out of range',
    );
    throwsBuiltin("time.parse_ns", ["Jan _2 2006", "Feb 30 2020"], 'parsing time "Feb 30 2020": day out of range');
    throwsBuiltin(
      "time.parse_ns",
      ["2006-01-02 15", "2020-01-01 25"],
      'parsing time "2020-01-01 25": hour out of range',
    );
    throwsBuiltin(
      "time.parse_ns",
      [RFC3339, "1970-01-01T00:00:00Zjunk"],
      'parsing time "1970-01-01T00:00:00Zjunk": extra text: "junk"',
    );
    throwsBuiltin(
      "time.parse_ns",
      ["2006-01-02T15:04:05.000Z", "2020-01-01T10:00:00.12Z"],
      'parsing time "2020-01-01T10:00:00.12Z" as "2006-01-02T15:04:05.000Z": cannot parse ".12Z" as ".000"',
    );
    throwsBuiltin(
      "time.parse_ns",
      ["2006é", "2020x"],
      'parsing time "2020x" as "2006\\xc3\\xa9": cannot parse "x" as "\\xc3\\xa9"',
    );
  });

  it("checks operand types", () => {
    throwsType("time.parse_ns", [1, "x"], "operand 1 must be string but got number");
    throwsType("time.parse_ns", ["x", null], "operand 2 must be string but got null");
  });
});

describe("time.parse_rfc3339_ns", () => {
  it("parses RFC3339 (conformance parse_rfc3339_nanos)", () => {
    assert.equal(call("time.parse_rfc3339_ns", "1677-09-21T00:12:43.145224192-00:00"), MIN);
    assert.equal(call("time.parse_rfc3339_ns", "1970-01-01T00:00:00-00:00"), 0);
    assert.equal(call("time.parse_rfc3339_ns", "2017-06-02T19:00:00-07:00"), 1496455200000000000);
    assert.equal(call("time.parse_rfc3339_ns", "2262-04-11T23:47:16.854775807-00:00"), MAX);
    assert.equal(call("time.parse_rfc3339_ns", "2022-12-03T00:10:53+05:30"), 1670006453000000000);
  });

  it("errors outside the int64 range", () => {
    throwsBuiltin("time.parse_rfc3339_ns", ["1677-09-21T00:12:43.145224191-00:00"], "time outside of valid range");
    throwsBuiltin("time.parse_rfc3339_ns", ["2262-04-11T23:47:16.854775808-00:00"], "time outside of valid range");
  });
});

describe("time.parse_duration_ns", () => {
  it("parses Go durations", () => {
    assert.equal(call("time.parse_duration_ns", "100ms"), 100000000);
    assert.equal(call("time.parse_duration_ns", "1h2m3.5s"), 3723500000000);
    assert.equal(call("time.parse_duration_ns", "300ms"), 300000000);
    assert.equal(call("time.parse_duration_ns", "1us"), 1000);
    assert.equal(call("time.parse_duration_ns", "1µs"), 1000);
    assert.equal(call("time.parse_duration_ns", "1μs"), 1000);
    assert.equal(call("time.parse_duration_ns", "-1.5h"), -5400000000000);
    assert.equal(call("time.parse_duration_ns", "+.5m"), 30000000000);
    assert.equal(call("time.parse_duration_ns", "0"), 0);
    assert.equal(call("time.parse_duration_ns", "-9223372036854775808ns"), MIN);
  });

  it("reports Go's errors", () => {
    throwsBuiltin("time.parse_duration_ns", [""], 'time: invalid duration ""');
    throwsBuiltin("time.parse_duration_ns", ["1"], 'time: missing unit in duration "1"');
    throwsBuiltin("time.parse_duration_ns", ["1x"], 'time: unknown unit "x" in duration "1x"');
    throwsBuiltin("time.parse_duration_ns", [".s"], 'time: invalid duration ".s"');
    throwsBuiltin(
      "time.parse_duration_ns",
      ["9223372036854775808ns"],
      'time: invalid duration "9223372036854775808ns"',
    );
  });
});

describe("time.date, time.clock, time.weekday", () => {
  it("breaks instants down in UTC or a zone (conformance date/clock)", () => {
    assert.deepEqual(call("time.date", 1517814000 * 1e9), [2018, 2, 5]);
    assert.deepEqual(call("time.date", [1517814000 * 1e9, "America/Los_Angeles"]), [2018, 2, 4]);
    assert.deepEqual(call("time.date", [1517832000 * 1e9, ""]), [2018, 2, 5]);
    assert.deepEqual(call("time.date", [1517832000 * 1e9, "Local"]), [2018, 2, 5]);
    assert.deepEqual(call("time.date", 1582977600 * 1e9), [2020, 2, 29]);
    assert.deepEqual(call("time.clock", 1517832000 * 1e9), [12, 0, 0]);
    assert.deepEqual(call("time.clock", [1517832000 * 1e9, "America/New_York"]), [7, 0, 0]);
    assert.deepEqual(call("time.clock", 1582977600 * 1e9), [12, 0, 0]);
    assert.deepEqual(call("time.date", MIN), [1677, 9, 21]);
    assert.deepEqual(call("time.date", MAX), [2262, 4, 11]);
  });

  it("names weekdays (conformance weekday)", () => {
    const days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    for (const [i, day] of days.entries()) assert.equal(call("time.weekday", (1517832000 + i * 86400) * 1e9), day);
    assert.equal(call("time.weekday", -1), "Wednesday");
  });

  it("rejects timestamps beyond int64 and non-integers", () => {
    throwsBuiltin("time.date", [1582977600 * 1e12], "timestamp too big");
    throwsBuiltin("time.clock", [1582977600 * 1e12], "timestamp too big");
    throwsBuiltin("time.weekday", [1582977600 * 1e12], "timestamp too big");
    throwsBuiltin("time.date", [1.5], "timestamp too big");
  });

  it("reports operand errors as OPA does", () => {
    const want = "operand 1 must be either number (ns) or [number (ns), string (tz)] but got";
    throwsType("time.date", ["x"], `${want} string`);
    throwsType("time.date", [[]], `${want} array`);
    throwsType("time.clock", [["x"]], "operand 1 must be number but got string");
    throwsType("time.weekday", [[0, 1]], "operand 1 must be string but got number");
    throwsBuiltin("time.date", [[0, "Nowhere/Special"]], "unknown time zone Nowhere/Special");
    throwsBuiltin("time.date", [[0, "america/new_york"]], "unknown time zone america/new_york");
    throwsBuiltin("time.date", [[0, "../etc/passwd"]], "time: invalid location name");
  });
});

describe("time.add_date", () => {
  it("adds calendar units (conformance add_date)", () => {
    assert.equal(call("time.add_date", 1585852421593912000, 3, 9, 12), 1705257221593912000);
    assert.equal(call("time.add_date", 1585852421593912000, -1, -1, -1), 1551465221593912000);
    // Go normalises 2021-01-31 + 1 month to March 3.
    assert.deepEqual(call("time.date", call("time.add_date", 1612051200000000000, 0, 1, 0) as number), [2021, 3, 3]);
  });

  it("errors outside the int64 range", () => {
    throwsBuiltin("time.add_date", [0, 2262, 1, 1], "time outside of valid range");
    throwsBuiltin("time.add_date", [MIN, 0, 0, -1], "time outside of valid range");
    throwsBuiltin("time.add_date", [0, 1e300, 0, 0], "time outside of valid range");
    throwsType("time.add_date", [0, 1.5, 0, 0], "operand 2 must be integer number but got floating-point number");
    throwsType("time.add_date", [0, 1, "x", 0], "operand 3 must be number but got string");
  });
});

describe("time.diff", () => {
  const day = (s: string) => call("time.parse_ns", "2006-01-02", s) as number;

  it("computes calendar differences (conformance diff)", () => {
    const now = 1_700_000_000_000_000_000;
    assert.deepEqual(call("time.diff", now + 61e9, now), [0, 0, 0, 0, 1, 1]);
    assert.deepEqual(call("time.diff", [now + 60e9, "UTC"], [now, "Asia/Shanghai"]), [0, 0, 0, 0, 1, 0]);
    assert.deepEqual(call("time.diff", day("2020-02-02"), day("2020-03-01")), [0, 0, 28, 0, 0, 0]);
    assert.deepEqual(call("time.diff", day("2021-02-02"), day("2021-03-01")), [0, 0, 27, 0, 0, 0]);
    assert.deepEqual(call("time.diff", day("2004-02-29"), day("2005-03-01")), [1, 0, 1, 0, 0, 0]);
  });
});

describe("time.format", () => {
  // The conformance case uses 1670006453141828752, which a double cannot hold; this is its nearest double.
  const t = Number(1670006453141828752n);

  it("formats with the default, a zone, a layout or a named layout (conformance format)", () => {
    assert.equal(call("time.format", t), "2022-12-02T18:40:53.141828864Z");
    assert.equal(call("time.format", [t, "Asia/Kolkata"]), "2022-12-03T00:10:53.141828864+05:30");
    assert.equal(
      call("time.format", [t, "Asia/Kolkata", "Mon Jan 02 15:04:05 -0700 2006"]),
      "Sat Dec 03 00:10:53 +0530 2022",
    );
    assert.equal(call("time.format", [t, "Asia/Kolkata", "RFC1123Z"]), "Sat, 03 Dec 2022 00:10:53 +0530");
    assert.equal(call("time.format", [t, "Asia/Kolkata", ""]), "2022-12-03T00:10:53.141828864+05:30");
  });

  it("supports every layout element", () => {
    const layout = "Jan _2 __2 002 3:4:5 pm .000 ,999 Z0700 Z07 -07:00:00 January Monday 06 15 PM 1/2";
    assert.equal(
      call("time.format", [t, "UTC", layout]),
      "Dec  2 336 336 6:40:53 pm .141 ,141 Z Z +00:00:00 December Friday 22 18 PM 12/2",
    );
    assert.equal(call("time.format", [t, "America/Los_Angeles", "UnixDate"]), "Fri Dec  2 10:40:53 PST 2022");
    assert.equal(call("time.format", [0, "UTC", "RFC3339Nano"]), "1970-01-01T00:00:00Z");
    assert.equal(call("time.format", [0, "UTC", "2006-01-02 15:04:05.000000"]), "1970-01-01 00:00:00.000000");
  });

  it("rejects timestamps beyond int64", () => {
    throwsBuiltin("time.format", [1582977600 * 10e12], "timestamp too big");
  });
});
