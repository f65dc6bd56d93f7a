/** Go's fmt/strconv number formatting for sprintf: floats (%e %f %g %b %x and the # flag) and *big.Int. */

/** fmt's per-verb flags, with width and precision. */
export interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  sharpV: boolean;
  wid: number;
  widPresent: boolean;
  prec: number;
  precPresent: boolean;
}

/** math/big's (*Int).Format, which fmt hands every verb to. */
export function formatBigInt(v: bigint, verb: string, f: Flags): string {
  const bases: Record<string, number> = { b: 2, o: 8, O: 8, d: 10, s: 10, v: 10, x: 16, X: 16 };
  const base = bases[verb];
  if (base === undefined) return `%!${verb}(big.Int=${v.toString()})`;
  const sign = v < 0n ? "-" : f.plus ? "+" : f.space ? " " : "";
  let prefix = "";
  if (f.sharp) prefix = ({ b: "0b", o: "0", x: "0x", X: "0X" } as Record<string, string>)[verb] ?? "";
  if (verb === "O") prefix = "0o";
  let digits = (v < 0n ? -v : v).toString(base);
  if (verb === "X") digits = digits.toUpperCase();
  let zeros = 0;
  if (f.precPresent) {
    if (digits.length < f.prec) zeros = f.prec - digits.length;
    else if (digits === "0" && f.prec === 0) return "";
  }
  const length = sign.length + prefix.length + zeros + digits.length;
  let left = 0;
  let right = 0;
  if (f.widPresent && length < f.wid) {
    const d = f.wid - length;
    if (f.minus) right = d;
    else if (f.zero && !f.precPresent) zeros = d;
    else left = d;
  }
  return `${" ".repeat(left)}${sign}${prefix}${"0".repeat(zeros)}${digits}${" ".repeat(right)}`;
}

/** The `#` flag on floats: keep the decimal point and, for %g, trailing zeros. */
export function sharpFloat(num: string, verb: string, prec: number): string {
  let digits = 0;
  if (verb === "v" || verb === "g" || verb === "G" || verb === "x") digits = prec === -1 ? 6 : prec;
  let tail = "";
  let body = num;
  let hasPoint = false;
  let sawNonzero = false;
  for (let i = 1; i < body.length; i++) {
    const c = body[i] as string;
    if (c === ".") {
      hasPoint = true;
    } else if (c === "p" || c === "P" || ((c === "e" || c === "E") && verb !== "x" && verb !== "X")) {
      tail = body.slice(i);
      body = body.slice(0, i);
      break;
    } else {
      if (c !== "0") sawNonzero = true;
      if (sawNonzero) digits--;
    }
  }
  if (!hasPoint) {
    if (body.length === 2 && body[1] === "0") digits--;
    body += ".";
  }
  if (digits > 0) body += "0".repeat(digits);
  return body + tail;
}

/** Decimal digits (no leading zeros) and decimal-point position of |v|, exactly or shortest. */
function decimalDigits(v: number, shortest: boolean): { d: string; dp: number } {
  const x = Math.abs(v);
  if (x === 0) return { d: "", dp: 0 };
  if (shortest) {
    const [mant, exp] = x.toExponential().split("e") as [string, string];
    const d = mant.replace(".", "").replace(/0+$/, "");
    return { d, dp: Number(exp) + 1 };
  }
  // Exact expansion of the binary value: x = m * 2^e.
  let e = 0;
  let m = x;
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  let big = BigInt(m);
  let s: string;
  let dp: number;
  if (e === 0) {
    s = big.toString();
    dp = s.length;
  } else {
    big *= 5n ** BigInt(-e);
    s = big.toString();
    dp = s.length + e;
  }
  const trimmed = s.replace(/0+$/, "");
  return { d: trimmed, dp };
}

/** Rounds digits to nd significant digits, half to even on the exact value. */
function roundDigits(dec: { d: string; dp: number }, nd: number): { d: string; dp: number } {
  const { d, dp } = dec;
  if (nd < 0) return { d: "", dp: 0 };
  if (nd >= d.length) return dec;
  const next = d[nd] as string;
  let up = next > "5" || (next === "5" && (nd + 1 < d.length || (nd > 0 && Number(d[nd - 1]) % 2 === 1)));
  if (next < "5") up = false;
  if (!up) return { d: d.slice(0, nd).replace(/0+$/, ""), dp };
  let i = nd - 1;
  while (i >= 0 && d[i] === "9") i--;
  if (i < 0) return { d: "1", dp: dp + 1 };
  return { d: d.slice(0, i) + String(Number(d[i]) + 1), dp };
}

function fmtE(neg: boolean, dec: { d: string; dp: number }, prec: number, e: string): string {
  let out = neg ? "-" : "";
  out += dec.d.length > 0 ? dec.d[0] : "0";
  if (prec > 0) out += `.${dec.d.slice(1, prec + 1).padEnd(prec, "0")}`;
  let exp = dec.d.length === 0 ? 0 : dec.dp - 1;
  const sign = exp < 0 ? "-" : "+";
  exp = Math.abs(exp);
  return `${out}${e}${sign}${String(exp).padStart(2, "0")}`;
}

function fmtF(neg: boolean, dec: { d: string; dp: number }, prec: number): string {
  let out = neg ? "-" : "";
  out += dec.dp > 0 ? dec.d.slice(0, dec.dp).padEnd(dec.dp, "0") : "0";
  if (prec > 0) {
    let frac = "";
    for (let i = 1; i <= prec; i++) {
      const j = dec.dp + i - 1;
      frac += j >= 0 && j < dec.d.length ? dec.d[j] : "0";
    }
    out += `.${frac}`;
  }
  return out;
}

/** Go's strconv.FormatFloat(v, verb, prec, 64). */
export function formatFloat(v: number, verb: string, prec: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  const neg = v < 0 || Object.is(v, -0);
  if (verb === "b" || verb === "x" || verb === "X") return formatBinary(v, neg, verb, prec);
  const shortest = prec < 0;
  let dec = decimalDigits(v, shortest);
  let p = prec;
  if (shortest) {
    p =
      verb === "e" || verb === "E"
        ? Math.max(dec.d.length - 1, 0)
        : verb === "f"
          ? Math.max(dec.d.length - dec.dp, 0)
          : dec.d.length;
  } else if (verb === "e" || verb === "E") {
    dec = roundDigits(dec, p + 1);
  } else if (verb === "f") {
    dec = roundDigits(dec, dec.dp + p);
  } else {
    if (p === 0) p = 1;
    dec = roundDigits(dec, p);
  }
  if (verb === "e" || verb === "E") return fmtE(neg, dec, p, verb);
  if (verb === "f") return fmtF(neg, dec, p);
  // %g / %G
  let eprec = p;
  if (eprec > dec.d.length && dec.d.length >= dec.dp) eprec = dec.d.length;
  if (shortest) eprec = 6;
  const exp = dec.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (p > dec.d.length) p = dec.d.length;
    return fmtE(neg, dec, p - 1, verb === "g" ? "e" : "E");
  }
  if (p > dec.dp) p = dec.d.length;
  return fmtF(neg, dec, Math.max(p - dec.dp, 0));
}

/** %b (mantissa p exponent) and %x/%X (hex float) of a finite double. */
function formatBinary(v: number, neg: boolean, verb: string, prec: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  exp -= 1023;
  const sign = neg ? "-" : "";
  if (verb === "b") {
    const e = exp - 52;
    return `${sign}${mant}p${e >= 0 ? "+" : ""}${e}`;
  }
  if (mant === 0n) exp = 0;
  mant <<= 8n;
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = (n: bigint): string => {
    const h = n.toString(16);
    return verb === "X" ? h.toUpperCase() : h;
  };
  let out = `${sign}0${verb}${(mant >> 60n) & 1n}`;
  mant = (mant << 4n) & ((1n << 64n) - 1n);
  if ((prec < 0 && mant !== 0n) || prec > 0) {
    out += ".";
    for (let i = 0; prec < 0 ? mant !== 0n : i < prec; i++) {
      out += hex((mant >> 60n) & 15n);
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  }
  out += verb === "X" ? "P" : "p";
  out += exp < 0 ? "-" : "+";
  return out + String(Math.abs(exp)).padStart(2, "0");
}
