/**
 * A small DER (ASN.1) reader for the x509 builtins: enough to walk certificates and CSRs and to read OIDs,
 * strings and times. Only low tag numbers and definite lengths of up to four bytes are accepted.
 */

/** One DER TLV: `raw` is the whole element, `body` its contents. */
export interface Der {
  tag: number;
  constructed: boolean;
  raw: Buffer;
  body: Buffer;
}

/** Raised on DER input that is truncated, malformed or not of the expected shape. */
export class DerError extends Error {}

/** Reads the DER element that starts at `off` in `buf`. */
export function readDer(buf: Buffer, off = 0): Der {
  if (off + 2 > buf.length) throw new DerError("truncated");
  const first = buf[off] as number;
  if ((first & 0x1f) === 0x1f) throw new DerError("high tag");
  let len = buf[off + 1] as number;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || off + 2 + n > buf.length) throw new DerError("bad length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[off + 2 + i] as number);
    hdr += n;
  }
  if (off + hdr + len > buf.length) throw new DerError("truncated");
  return {
    tag: first,
    constructed: (first & 0x20) !== 0,
    raw: buf.subarray(off, off + hdr + len),
    body: buf.subarray(off + hdr, off + hdr + len),
  };
}

/** The child elements of a constructed element, in order. */
export function kids(d: Der): Der[] {
  const out: Der[] = [];
  let off = 0;
  while (off < d.body.length) {
    const k = readDer(d.body, off);
    out.push(k);
    off += k.raw.length;
  }
  return out;
}

/** Returns `d` when it is present and has the given tag; otherwise throws DerError. */
export function expect(d: Der | undefined, tag: number): Der {
  if (!d || d.tag !== tag) throw new DerError("unexpected tag");
  return d;
}

/** The arcs of an OBJECT IDENTIFIER element. */
export function oidParts(d: Der): number[] {
  const b = expect(d, 0x06).body;
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    const byte = b[i] as number;
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts;
}

/** An OBJECT IDENTIFIER element in dotted-decimal form. */
export function oidText(d: Der): string {
  return oidParts(d).join(".");
}

/** The text of a string element: BMPString as UTF-16BE, UTF8String as UTF-8, the rest as Latin-1. */
export function derString(d: Der): string {
  switch (d.tag) {
    case 0x1e: {
      const swapped = Buffer.from(d.body);
      swapped.swap16();
      return swapped.toString("utf16le");
    }
    case 0x0c:
      return d.body.toString("utf8");
    default:
      return d.body.toString("latin1");
  }
}

/** A UTCTime or GeneralizedTime element as RFC 3339 (two-digit years below 50 are 20xx). */
export function derTime(d: Der): string {
  const s = d.body.toString("latin1");
  let full: string;
  if (d.tag === 0x17) {
    const yy = Number(s.slice(0, 2));
    full = `${yy < 50 ? 2000 + yy : 1900 + yy}${s.slice(2)}`;
  } else {
    full = s;
  }
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(full);
  if (!m) throw new DerError("bad time");
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}
