/**
 * X.509 builtins (crypto.x509.*). OPA returns Go's `x509.Certificate` marshalled to JSON, so this file
 * carries a small DER reader that rebuilds the same field names and encodings (byte slices as base64,
 * OIDs as integer arrays, enums as Go's integer constants, times as RFC 3339).
 */
import { createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { BuiltinError } from "../errors.js";
import { objectFrom, RegoObject, type Value } from "../value.js";
import {
  bigToValue,
  bytesToBig,
  goBase64Decode,
  parseDerPrivateKey,
  pemDecode,
  privateKeysFromPem,
  privateKeyToGoValue,
} from "./crypto.js";
import { argObject, argString, type BuiltinDecl, operandError, T } from "./types.js";

// ---------------------------------------------------------------------------------------------
// DER reading
// ---------------------------------------------------------------------------------------------

/** One DER TLV: `raw` is the whole element, `body` its contents. */
interface Der {
  tag: number;
  constructed: boolean;
  raw: Buffer;
  body: Buffer;
}

class DerError extends Error {}

function readDer(buf: Buffer, off = 0): Der {
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

function kids(d: Der): Der[] {
  const out: Der[] = [];
  let off = 0;
  while (off < d.body.length) {
    const k = readDer(d.body, off);
    out.push(k);
    off += k.raw.length;
  }
  return out;
}

function expect(d: Der | undefined, tag: number): Der {
  if (!d || d.tag !== tag) throw new DerError("unexpected tag");
  return d;
}

function oidParts(d: Der): number[] {
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

function oidText(d: Der): string {
  return oidParts(d).join(".");
}

function derString(d: Der): string {
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

function derTime(d: Der): string {
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

// ---------------------------------------------------------------------------------------------
// Go x509 structures as Rego values
// ---------------------------------------------------------------------------------------------

const SIG_ALGS: Record<string, number> = {
  "1.2.840.113549.1.1.2": 1,
  "1.2.840.113549.1.1.4": 2,
  "1.2.840.113549.1.1.5": 3,
  "1.2.840.113549.1.1.11": 4,
  "1.2.840.113549.1.1.12": 5,
  "1.2.840.113549.1.1.13": 6,
  "1.2.840.10040.4.3": 7,
  "2.16.840.1.101.3.4.3.2": 8,
  "1.2.840.10045.4.1": 9,
  "1.2.840.10045.4.3.2": 10,
  "1.2.840.10045.4.3.3": 11,
  "1.2.840.10045.4.3.4": 12,
  "1.3.101.112": 16,
};
const PSS_BY_HASH: Record<string, number> = {
  "2.16.840.1.101.3.4.2.1": 13,
  "2.16.840.1.101.3.4.2.2": 14,
  "2.16.840.1.101.3.4.2.3": 15,
};
const PK_ALGS: Record<string, number> = {
  "1.2.840.113549.1.1.1": 1,
  "1.2.840.10040.4.1": 2,
  "1.2.840.10045.2.1": 3,
  "1.3.101.112": 4,
};
const EXT_KEY_USAGES: Record<string, number> = {
  "2.5.29.37.0": 0,
  "1.3.6.1.5.5.7.3.1": 1,
  "1.3.6.1.5.5.7.3.2": 2,
  "1.3.6.1.5.5.7.3.3": 3,
  "1.3.6.1.5.5.7.3.4": 4,
  "1.3.6.1.5.5.7.3.5": 5,
  "1.3.6.1.5.5.7.3.6": 6,
  "1.3.6.1.5.5.7.3.7": 7,
  "1.3.6.1.5.5.7.3.8": 8,
  "1.3.6.1.5.5.7.3.9": 9,
  "1.3.6.1.4.1.311.10.3.3": 10,
  "2.16.840.1.113730.4.1": 11,
  "1.3.6.1.4.1.311.2.1.22": 12,
  "1.3.6.1.4.1.311.61.1.1": 13,
};
const NAME_FIELDS: Record<number, string> = {
  3: "CommonName",
  5: "SerialNumber",
  6: "Country",
  7: "Locality",
  8: "Province",
  9: "StreetAddress",
  10: "Organization",
  11: "OrganizationalUnit",
  17: "PostalCode",
};

function signatureAlgorithm(algId: Der): number {
  const [oid, params] = kids(algId);
  const text = oidText(oid as Der);
  if (text === "1.2.840.113549.1.1.10" && params) {
    const hash = kids(params).find((k) => k.tag === 0xa0);
    const hashAlg = hash ? kids(kids(hash)[0] as Der)[0] : undefined;
    return hashAlg ? (PSS_BY_HASH[oidText(hashAlg)] ?? 0) : 0;
  }
  return SIG_ALGS[text] ?? 0;
}

/** Go's pkix.Name from an RDNSequence. */
function nameValue(d: Der): RegoObject {
  const fields: Record<string, Value> = {
    Country: null,
    Organization: null,
    OrganizationalUnit: null,
    Locality: null,
    Province: null,
    StreetAddress: null,
    PostalCode: null,
    SerialNumber: "",
    CommonName: "",
  };
  const names: Value[] = [];
  for (const rdn of kids(expect(d, 0x30))) {
    for (const atv of kids(rdn)) {
      const [typ, val] = kids(atv);
      const parts = oidParts(typ as Der);
      const value = derString(val as Der);
      names.push(objectFrom({ Type: parts, Value: value }));
      const field =
        parts.length === 4 && parts[0] === 2 && parts[1] === 5 && parts[2] === 4
          ? NAME_FIELDS[parts[3] as number]
          : undefined;
      if (!field) continue;
      if (field === "CommonName" || field === "SerialNumber") fields[field] = value;
      else fields[field] = [...((fields[field] as Value[] | null) ?? []), value];
    }
  }
  return objectFrom({ ...fields, Names: names, ExtraNames: null });
}

/** Go's JSON form of a public key (`*rsa.PublicKey`, `*ecdsa.PublicKey`, `ed25519.PublicKey`). */
function publicKeyValue(key: KeyObject | undefined): Value {
  if (!key) return null;
  const jwk = key.export({ format: "jwk" });
  const big = (s: string | undefined): Value => bigToValue(bytesToBig(Buffer.from(s ?? "", "base64url")));
  if (jwk.kty === "RSA") return objectFrom({ N: big(jwk.n), E: big(jwk.e) });
  if (jwk.kty === "EC") return objectFrom({ Curve: new RegoObject(), X: big(jwk.x), Y: big(jwk.y) });
  return Buffer.from(jwk.x ?? "", "base64url").toString("base64");
}

/** Go's url.URL struct, which is how x509 marshals URIs. */
function urlValue(u: string): RegoObject {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?$/.exec(u);
  const opaque = m && m[2] === undefined && !(m[4] ?? "").startsWith("/");
  return objectFrom({
    Scheme: m?.[1] ?? "",
    Opaque: opaque ? (m?.[4] ?? "") : "",
    User: null,
    Host: m?.[3] ?? "",
    Path: opaque ? "" : decodeURIComponentSafe(m?.[4] ?? u),
    RawPath: "",
    OmitHost: false,
    ForceQuery: false,
    RawQuery: m?.[6] ?? "",
    Fragment: m?.[8] ?? "",
    RawFragment: "",
  });
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join(".");
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i).toString(16));
  return words.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/** Names found in a GeneralNames sequence (SAN, CRL distribution points, AIA). */
interface GeneralNames {
  dns: string[];
  email: string[];
  uri: string[];
  ip: string[];
}

function generalNames(d: Der): GeneralNames {
  const out: GeneralNames = { dns: [], email: [], uri: [], ip: [] };
  for (const n of kids(d)) {
    if (n.tag === 0x81) out.email.push(n.body.toString("latin1"));
    else if (n.tag === 0x82) out.dns.push(n.body.toString("latin1"));
    else if (n.tag === 0x86) out.uri.push(n.body.toString("latin1"));
    else if (n.tag === 0x87) out.ip.push(ipText(n.body));
  }
  return out;
}

const orNull = <X extends Value>(xs: X[]): X[] | null => (xs.length ? xs : null);

/** Fields derived from extensions, shared by certificates and CSRs. */
function extensionFields(exts: Der[]): Record<string, Value> {
  const f: Record<string, Value> = {};
  const list: Value[] = [];
  let san: GeneralNames = { dns: [], email: [], uri: [], ip: [] };
  for (const ext of exts) {
    const parts = kids(ext);
    const id = oidText(parts[0] as Der);
    const critical = parts[1]?.tag === 0x01 ? (parts[1].body[0] ?? 0) !== 0 : false;
    const value = expect(parts[parts.length - 1], 0x04).body;
    list.push(objectFrom({ Id: oidParts(parts[0] as Der), Critical: critical, Value: value.toString("base64") }));
    const inner = (): Der => readDer(value);
    switch (id) {
      case "2.5.29.15": {
        const bits = inner().body;
        let usage = 0;
        for (let i = 0; i < 9; i++) {
          const byte = bits[1 + (i >> 3)];
          if (byte !== undefined && byte & (0x80 >> (i & 7))) usage |= 1 << i;
        }
        f.KeyUsage = usage;
        break;
      }
      case "2.5.29.19": {
        const [ca, pathLen] = [...kids(inner())];
        const isCA = ca?.tag === 0x01 && (ca.body[0] ?? 0) !== 0;
        const lenDer = ca?.tag === 0x02 ? ca : pathLen;
        const max = lenDer ? Number(bytesToBig(lenDer.body)) : -1;
        Object.assign(f, { BasicConstraintsValid: true, IsCA: isCA, MaxPathLen: max, MaxPathLenZero: max === 0 });
        break;
      }
      case "2.5.29.17":
        san = generalNames(inner());
        break;
      case "2.5.29.37": {
        const known: number[] = [];
        const unknown: number[][] = [];
        for (const o of kids(inner())) {
          const k = EXT_KEY_USAGES[oidText(o)];
          if (k === undefined) unknown.push(oidParts(o));
          else known.push(k);
        }
        f.ExtKeyUsage = orNull(known);
        f.UnknownExtKeyUsage = orNull(unknown);
        break;
      }
      case "2.5.29.14":
        f.SubjectKeyId = inner().body.toString("base64");
        break;
      case "2.5.29.35": {
        const keyId = kids(inner()).find((k) => k.tag === 0x80);
        if (keyId) f.AuthorityKeyId = keyId.body.toString("base64");
        break;
      }
      case "1.3.6.1.5.5.7.1.1": {
        const ocsp: string[] = [];
        const issuers: string[] = [];
        for (const ad of kids(inner())) {
          const [method, loc] = kids(ad);
          if (loc?.tag !== 0x86) continue;
          const m = oidText(method as Der);
          if (m === "1.3.6.1.5.5.7.48.1") ocsp.push(loc.body.toString("latin1"));
          else if (m === "1.3.6.1.5.5.7.48.2") issuers.push(loc.body.toString("latin1"));
        }
        f.OCSPServer = orNull(ocsp);
        f.IssuingCertificateURL = orNull(issuers);
        break;
      }
      case "2.5.29.31": {
        const points: string[] = [];
        for (const dp of kids(inner())) {
          const name = kids(dp).find((k) => k.tag === 0xa0);
          const full = name ? kids(name).find((k) => k.tag === 0xa0) : undefined;
          if (full) points.push(...generalNames(full).uri);
        }
        f.CRLDistributionPoints = orNull(points);
        break;
      }
      case "2.5.29.32": {
        const ids = kids(inner()).map((p) => kids(p)[0] as Der);
        f.PolicyIdentifiers = orNull(ids.map(oidParts));
        f.Policies = orNull(ids.map(oidText));
        break;
      }
    }
  }
  f.Extensions = orNull(list);
  f.DNSNames = orNull(san.dns);
  f.EmailAddresses = orNull(san.email);
  f.IPAddresses = orNull(san.ip);
  f.URIs = orNull(san.uri.map(urlValue));
  f.URIStrings = orNull(san.uri);
  return f;
}

/** A parsed certificate: Go's JSON form plus what chain verification needs. */
interface ParsedCert {
  value: Record<string, Value>;
  der: Buffer;
  node: X509Certificate;
  rawSubject: Buffer;
  rawIssuer: Buffer;
  notBefore: number;
  notAfter: number;
  sigAlg: number;
  isCA: boolean;
  basicValid: boolean;
  extKeyUsage: number[] | null;
  hasUnknownEku: boolean;
  dnsNames: string[];
}

function spkiKey(spki: Der): KeyObject | undefined {
  try {
    return createPublicKey({ key: spki.raw, format: "der", type: "spki" });
  } catch {
    return undefined;
  }
}

/** Parses one DER certificate as Go's x509.ParseCertificate would present it. */
function parseCertificate(der: Buffer): ParsedCert {
  let top: Der;
  try {
    top = expect(readDer(der), 0x30);
    if (top.raw.length !== der.length) throw new DerError("trailing data");
  } catch {
    throw new BuiltinError("x509: malformed certificate");
  }
  try {
    const [tbs, sigAlgDer, sigBits] = kids(top);
    const t = kids(expect(tbs, 0x30));
    let i = 0;
    let version = 1;
    if (t[0]?.tag === 0xa0) {
      version = Number(bytesToBig(expect(kids(t[0])[0], 0x02).body)) + 1;
      i++;
    }
    const serial = expect(t[i++], 0x02).body;
    i++;
    const issuer = expect(t[i++], 0x30);
    const [nb, na] = kids(expect(t[i++], 0x30));
    const subject = expect(t[i++], 0x30);
    const spki = expect(t[i++], 0x30);
    const extsWrap = t.slice(i).find((k) => k.tag === 0xa3);
    const exts = extsWrap ? kids(expect(kids(extsWrap)[0], 0x30)) : [];
    const pkAlg = PK_ALGS[oidText(kids(kids(spki)[0] as Der)[0] as Der)] ?? 0;
    const pub = spkiKey(spki);
    const sigAlg = signatureAlgorithm(expect(sigAlgDer, 0x30));
    const serialBig =
      serial.length && (serial[0] as number) & 0x80
        ? bytesToBig(serial) - (1n << BigInt(serial.length * 8))
        : bytesToBig(serial);
    const notBefore = derTime(nb as Der);
    const notAfter = derTime(na as Der);
    const value: Record<string, Value> = {
      Raw: der.toString("base64"),
      RawTBSCertificate: (tbs as Der).raw.toString("base64"),
      RawSubjectPublicKeyInfo: spki.raw.toString("base64"),
      RawSubject: subject.raw.toString("base64"),
      RawIssuer: issuer.raw.toString("base64"),
      Signature: expect(sigBits, 0x03).body.subarray(1).toString("base64"),
      SignatureAlgorithm: sigAlg,
      PublicKeyAlgorithm: pkAlg,
      PublicKey: publicKeyValue(pub),
      Version: version,
      SerialNumber: bigToValue(serialBig),
      Issuer: nameValue(issuer),
      Subject: nameValue(subject),
      NotBefore: notBefore,
      NotAfter: notAfter,
      KeyUsage: 0,
      ExtraExtensions: null,
      UnhandledCriticalExtensions: null,
      ExtKeyUsage: null,
      UnknownExtKeyUsage: null,
      BasicConstraintsValid: false,
      IsCA: false,
      MaxPathLen: 0,
      MaxPathLenZero: false,
      SubjectKeyId: null,
      AuthorityKeyId: null,
      OCSPServer: null,
      IssuingCertificateURL: null,
      PermittedDNSDomainsCritical: false,
      PermittedDNSDomains: null,
      ExcludedDNSDomains: null,
      PermittedIPRanges: null,
      ExcludedIPRanges: null,
      PermittedEmailAddresses: null,
      ExcludedEmailAddresses: null,
      PermittedURIDomains: null,
      ExcludedURIDomains: null,
      CRLDistributionPoints: null,
      PolicyIdentifiers: null,
      Policies: null,
      InhibitAnyPolicy: 0,
      InhibitAnyPolicyZero: false,
      InhibitPolicyMapping: 0,
      InhibitPolicyMappingZero: false,
      RequireExplicitPolicy: 0,
      RequireExplicitPolicyZero: false,
      PolicyMappings: null,
      ...extensionFields(exts),
    };
    const eku = value.ExtKeyUsage as number[] | null;
    return {
      value,
      der,
      node: new X509Certificate(der),
      rawSubject: subject.raw,
      rawIssuer: issuer.raw,
      notBefore: Date.parse(notBefore),
      notAfter: Date.parse(notAfter),
      sigAlg,
      isCA: value.IsCA === true,
      basicValid: value.BasicConstraintsValid === true,
      extKeyUsage: eku,
      hasUnknownEku: value.UnknownExtKeyUsage !== null,
      dnsNames: (value.DNSNames as string[] | null) ?? [],
    };
  } catch (e) {
    if (e instanceof BuiltinError) throw e;
    throw new BuiltinError("x509: malformed tbs certificate");
  }
}

/** Go's x509.ParseCertificates over concatenated DER. */
function parseCertificates(der: Buffer): ParsedCert[] {
  const out: ParsedCert[] = [];
  let off = 0;
  while (off < der.length) {
    let len: number;
    try {
      len = readDer(der, off).raw.length;
    } catch {
      throw new BuiltinError("x509: malformed certificate");
    }
    out.push(parseCertificate(der.subarray(off, off + len)));
    off += len;
  }
  return out;
}

function certsFromPem(text: string): ParsedCert[] {
  const ders: Buffer[] = [];
  let rest = text;
  while (rest.length > 0) {
    const { block, rest: next } = pemDecode(rest);
    if (block && block.type !== "CERTIFICATE")
      throw new BuiltinError(`PEM block type is '${block.type}', expected CERTIFICATE`);
    if (!block) break;
    rest = next;
    ders.push(block.bytes);
  }
  return parseCertificates(Buffer.concat(ders));
}

/** OPA's getX509CertsFromString: PEM, base64 PEM, or base64 DER. */
function certsFromString(input: string): ParsedCert[] {
  if (input.startsWith("-----BEGIN")) return certsFromPem(input);
  const der = goBase64Decode(input);
  if (der.subarray(0, 10).toString("latin1") === "-----BEGIN") return certsFromPem(der.toString("latin1"));
  return parseCertificates(der);
}

const withoutUriStrings = (c: ParsedCert): RegoObject => {
  const { URIStrings: _omit, ...rest } = c.value;
  return objectFrom(rest);
};
const withUriStrings = (c: ParsedCert): RegoObject => objectFrom(c.value);

// ---------------------------------------------------------------------------------------------
// Chain verification (Go's Certificate.Verify, reduced to what OPA's options expose)
// ---------------------------------------------------------------------------------------------

interface VerifyOptions {
  dnsName: string;
  nowMs: number;
  keyUsages: number[];
}

function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, "");
  const h = host.toLowerCase().replace(/\.$/, "");
  if (p === h) return true;
  if (!p.startsWith("*.")) return false;
  const dot = h.indexOf(".");
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

function ekuAllows(c: ParsedCert, usages: number[]): boolean {
  if (usages.includes(0)) return true;
  if (c.extKeyUsage === null && !c.hasUnknownEku) return true;
  const eku = c.extKeyUsage ?? [];
  return eku.includes(0) || usages.some((u) => eku.includes(u));
}

function validAt(c: ParsedCert, nowMs: number): boolean {
  return nowMs >= c.notBefore && nowMs <= c.notAfter;
}

function signedBy(child: ParsedCert, parent: ParsedCert): boolean {
  // Go refuses MD2/MD5/SHA-1 based signatures on certificates.
  if ([1, 2, 3, 7, 9].includes(child.sigAlg)) return false;
  if (!child.rawIssuer.equals(parent.rawSubject)) return false;
  try {
    return child.node.verify(parent.node.publicKey);
  } catch {
    return false;
  }
}

/** Builds the first chain from the last certificate (leaf) to the first (root), or throws. */
function verifyChain(certs: ParsedCert[], opts: VerifyOptions): ParsedCert[] {
  if (certs.length < 2) throw new BuiltinError("operand 1 must supply at least two certificates to be able to verify");
  const root = certs[0] as ParsedCert;
  const intermediates = certs.slice(1, -1);
  const leaf = certs[certs.length - 1] as ParsedCert;
  if (opts.dnsName && !leaf.dnsNames.some((n) => hostMatches(n, opts.dnsName))) throw new Error("hostname mismatch");
  const search = (chain: ParsedCert[], depth: number): ParsedCert[] | undefined => {
    const cur = chain[chain.length - 1] as ParsedCert;
    if (depth > 16) return undefined;
    if (signedBy(cur, root) && validAt(root, opts.nowMs)) return [...chain, root];
    for (const inter of intermediates) {
      if (chain.includes(inter) || !inter.basicValid || !inter.isCA) continue;
      if (!validAt(inter, opts.nowMs) || !signedBy(cur, inter)) continue;
      const found = search([...chain, inter], depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  if (!validAt(leaf, opts.nowMs)) throw new Error("expired");
  const chain = leaf.der.equals(root.der) ? [leaf] : search([leaf], 0);
  if (!chain) throw new Error("unknown authority");
  const usages = opts.keyUsages.length ? opts.keyUsages : [1];
  if (!chain.every((c) => ekuAllows(c, usages))) throw new Error("incompatible key usage");
  return chain;
}

const KEY_USAGE_NAMES: Record<string, number> = {
  KeyUsageAny: 0,
  KeyUsageServerAuth: 1,
  KeyUsageClientAuth: 2,
  KeyUsageCodeSigning: 3,
  KeyUsageEmailProtection: 4,
  KeyUsageIPSECEndSystem: 5,
  KeyUsageIPSECTunnel: 6,
  KeyUsageIPSECUser: 7,
  KeyUsageTimeStamping: 8,
  KeyUsageOCSPSigning: 9,
  KeyUsageMicrosoftServerGatedCrypto: 10,
  KeyUsageNetscapeServerGatedCrypto: 11,
  KeyUsageMicrosoftCommercialCodeSigning: 12,
  KeyUsageMicrosoftKernelCodeSigning: 13,
};

function verifyOptions(o: RegoObject, nowNs: number): VerifyOptions {
  const opts: VerifyOptions = { dnsName: "", nowMs: nowNs / 1e6, keyUsages: [] };
  for (const [k, v] of o.sortedEntries()) {
    if (typeof k !== "string") continue;
    switch (k) {
      case "DNSName":
        if (typeof v !== "string") throw new BuiltinError("'DNSName' should be a string");
        opts.dnsName = v.replace(/^"+|"+$/g, "");
        break;
      case "CurrentTime":
        if (typeof v !== "number") throw new BuiltinError("'CurrentTime' should be a number");
        if (!Number.isInteger(v)) throw new BuiltinError("'CurrentTime' should be a valid int64 number");
        opts.nowMs = v / 1e6;
        break;
      case "MaxConstraintComparisons":
        if (typeof v !== "number") throw new BuiltinError("'MaxConstraintComparisons' should be a number");
        if (!Number.isInteger(v)) throw new BuiltinError("'MaxConstraintComparisons' should be a valid number");
        break;
      case "KeyUsages": {
        const items = Array.isArray(v)
          ? v
          : v instanceof RegoObject || v === null || typeof v !== "object"
            ? null
            : v.sorted();
        if (!items) throw new BuiltinError("'KeyUsages' should be an Array or Set");
        const invalid: string[] = [];
        for (const item of items) {
          if (typeof item !== "string") continue;
          const name = item.replace(/^"+|"+$/g, "");
          const u = KEY_USAGE_NAMES[name];
          if (u === undefined) invalid.push(name);
          else opts.keyUsages.push(u);
        }
        if (invalid.length) throw new BuiltinError(`invalid entries for 'KeyUsages' found: [${invalid.join(" ")}]`);
        break;
      }
      default:
        throw new BuiltinError("invalid key option");
    }
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// CSR, key pair, RSA private key
// ---------------------------------------------------------------------------------------------

function parseCsr(der: Buffer): RegoObject {
  try {
    const top = expect(readDer(der), 0x30);
    const [info, sigAlgDer, sigBits] = kids(top);
    const [ver, subject, spki, attrs] = kids(expect(info, 0x30));
    let exts: Der[] = [];
    for (const attr of attrs?.tag === 0xa0 ? kids(attrs) : []) {
      const [typ, values] = kids(attr);
      if (oidText(typ as Der) !== "1.2.840.113549.1.9.14") continue;
      exts = kids(expect(kids(values as Der)[0], 0x30));
    }
    const pub = spkiKey(expect(spki, 0x30));
    const f = extensionFields(exts);
    return objectFrom({
      Raw: der.toString("base64"),
      RawTBSCertificateRequest: (info as Der).raw.toString("base64"),
      RawSubjectPublicKeyInfo: (spki as Der).raw.toString("base64"),
      RawSubject: expect(subject, 0x30).raw.toString("base64"),
      Version: Number(bytesToBig(expect(ver, 0x02).body)),
      Signature: expect(sigBits, 0x03).body.subarray(1).toString("base64"),
      SignatureAlgorithm: signatureAlgorithm(expect(sigAlgDer, 0x30)),
      PublicKeyAlgorithm: PK_ALGS[oidText(kids(kids(spki as Der)[0] as Der)[0] as Der)] ?? 0,
      PublicKey: publicKeyValue(pub),
      Subject: nameValue(subject as Der),
      Attributes: null,
      Extensions: f.Extensions ?? null,
      ExtraExtensions: null,
      DNSNames: f.DNSNames ?? null,
      EmailAddresses: f.EmailAddresses ?? null,
      IPAddresses: f.IPAddresses ?? null,
      URIs: f.URIs ?? null,
    });
  } catch (e) {
    if (e instanceof BuiltinError) throw e;
    throw new BuiltinError("asn1: structure error: tags don't match");
  }
}

const PEM_BEGIN = "-----BEGIN ";

function tlsKeyPair(certInput: string, keyInput: string): RegoObject {
  let certText = certInput.startsWith(PEM_BEGIN) ? certInput : goBase64Decode(certInput).toString("latin1");
  let keyText = keyInput.startsWith(PEM_BEGIN) ? keyInput : goBase64Decode(keyInput).toString("latin1");
  const pemWrap = (type: string, body: string): string =>
    `-----BEGIN ${type}-----\n${Buffer.from(body, "latin1").toString("base64")}\n-----END ${type}-----\n`;
  if (!certText.startsWith(PEM_BEGIN)) certText = pemWrap("CERTIFICATE", certText);
  if (!keyText.startsWith("-----BEGIN")) keyText = pemWrap("PRIVATE KEY", keyText);

  const ders: Buffer[] = [];
  let sawKey = false;
  for (let rest = certText; ; ) {
    const { block, rest: next } = pemDecode(rest);
    if (!block) break;
    rest = next;
    if (block.type === "CERTIFICATE") ders.push(block.bytes);
    else if (block.type === "PRIVATE KEY" || block.type.endsWith(" PRIVATE KEY")) sawKey = true;
  }
  if (ders.length === 0) {
    throw new BuiltinError(
      sawKey
        ? "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched"
        : "tls: failed to find any PEM data in certificate input",
    );
  }
  let keyDer: { type: string; bytes: Buffer } | undefined;
  let sawCert = false;
  for (let rest = keyText; ; ) {
    const { block, rest: next } = pemDecode(rest);
    if (!block) break;
    rest = next;
    if (block.type === "PRIVATE KEY" || block.type.endsWith(" PRIVATE KEY")) {
      keyDer = block;
      break;
    }
    sawCert = true;
  }
  if (!keyDer) {
    throw new BuiltinError(
      sawCert
        ? "tls: found a certificate rather than a key in the PEM for the private key"
        : "tls: failed to find any PEM data in key input",
    );
  }
  const leaf = parseCertificate(ders[0] as Buffer);
  let key: KeyObject | undefined;
  for (const kind of ["pkcs1", "pkcs8", "sec1"] as const) {
    try {
      key = parseDerPrivateKey(keyDer.bytes, kind);
      break;
    } catch {
      // Go tries each format in turn.
    }
  }
  if (!key) throw new BuiltinError("tls: failed to parse private key");
  const pub = leaf.node.publicKey;
  if (pub.asymmetricKeyType !== key.asymmetricKeyType)
    throw new BuiltinError("tls: private key type does not match public key type");
  const derived = createPublicKey(key).export({ format: "der", type: "spki" });
  if (!derived.equals(pub.export({ format: "der", type: "spki" })))
    throw new BuiltinError("tls: private key does not match public key");
  return objectFrom({
    Certificate: ders.map((d) => d.toString("base64")),
    PrivateKey: privateKeyToGoValue(key),
    SupportedSignatureAlgorithms: null,
    OCSPStaple: null,
    SignedCertificateTimestamps: null,
    Leaf: withoutUriStrings(leaf),
  });
}

function jwkFromPrivateKey(input: string): Value {
  if (input === "") throw new BuiltinError("input PEM data was empty");
  const text = input.startsWith("-----BEGIN") ? input : goBase64Decode(input).toString("latin1");
  const keys = privateKeysFromPem(text);
  const key = keys[0];
  if (!key) return null;
  if (key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "ec") {
    throw new BuiltinError(`invalid key type ed25519.PrivateKey`);
  }
  const jwk = key.export({ format: "jwk" });
  const out = new RegoObject();
  for (const [k, v] of Object.entries(jwk)) if (typeof v === "string") out.set(k, v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Builtins
// ---------------------------------------------------------------------------------------------

const CERTS_ARG = { name: "certs", type: T.string };

/** X.509 certificate, CSR and key-pair builtins. */
export const x509Builtins: BuiltinDecl[] = [
  {
    name: "crypto.x509.parse_certificates",
    args: [CERTS_ARG],
    result: T.array(T.object(T.string, T.any)),
    doc:
      "Returns zero or more certificates from the given encoded string containing DER certificate data. " +
      "If the input is empty, the function will return null. The input string should be a list of one or more " +
      "concatenated PEM blocks. The whole input of concatenated PEM blocks can optionally be Base64 encoded.",
    impl(args) {
      return certsFromString(argString(args, 1)).map(withUriStrings);
    },
  },
  {
    name: "crypto.x509.parse_and_verify_certificates",
    args: [CERTS_ARG],
    result: T.array(T.any),
    doc:
      "Returns one or more certificates from the given string containing PEM or base64 encoded DER certificates " +
      "after verifying the supplied certificates form a complete certificate chain back to a trusted root. " +
      "The first certificate is treated as the root and the last is treated as the leaf, with all others being " +
      "treated as intermediates. Returns [valid, certs].",
    impl(args, ctx) {
      const input = argString(args, 1);
      try {
        const chain = verifyChain(certsFromString(input), { dnsName: "", nowMs: ctx.nowNs / 1e6, keyUsages: [] });
        return [true, chain.map(withUriStrings)];
      } catch {
        // OPA maps every parse or verification failure (including too few certificates) to "invalid".
        return [false, []];
      }
    },
  },
  {
    name: "crypto.x509.parse_and_verify_certificates_with_options",
    args: [CERTS_ARG, { name: "options", type: T.object(T.string, T.any) }],
    result: T.array(T.any),
    doc:
      "Returns one or more certificates from the given string containing PEM or base64 encoded DER certificates " +
      "after verifying the supplied certificates form a complete certificate chain back to a trusted root. " +
      "A config option passed as the second argument can be used to configure the validation " +
      "(DNSName, CurrentTime, MaxConstraintComparisons, KeyUsages). Returns [valid, certs].",
    impl(args, ctx) {
      const input = argString(args, 1);
      const options = argObject(args, 2);
      let certs: ParsedCert[];
      try {
        certs = certsFromString(input);
      } catch {
        return [false, []];
      }
      const opts = verifyOptions(options, ctx.nowNs);
      try {
        return [true, verifyChain(certs, opts).map(withoutUriStrings)];
      } catch {
        return [false, []];
      }
    },
  },
  {
    name: "crypto.x509.parse_certificate_request",
    args: [{ name: "csr", type: T.string }],
    result: T.object(T.string, T.any),
    doc: "Returns a PKCS #10 certificate signing request from the given PEM-encoded PKCS#10 certificate signing request.",
    impl(args) {
      const input = argString(args, 1);
      let bytes = input.startsWith("-----BEGIN CERTIFICATE REQUEST-----")
        ? Buffer.from(input, "latin1")
        : goBase64Decode(input);
      const { block } = pemDecode(bytes.toString("latin1"));
      if (block && block.type !== "CERTIFICATE REQUEST")
        throw new BuiltinError("invalid PEM-encoded certificate signing request");
      if (block) bytes = block.bytes;
      return parseCsr(bytes);
    },
  },
  {
    name: "crypto.x509.parse_keypair",
    args: [
      { name: "cert", type: T.string },
      { name: "pem", type: T.string },
    ],
    result: T.object(T.string, T.any),
    doc:
      "Returns a valid key pair from the given PEM or base64 encoded certificate and private key " +
      "(the shape of Go's tls.Certificate).",
    impl(args) {
      const cert = argString(args, 1);
      const key = args[1] as Value;
      // OPA checks the key operand's type under position 1.
      if (typeof key !== "string") return operandError(1, "string", key);
      return tlsKeyPair(cert, key);
    },
  },
  {
    name: "crypto.x509.parse_rsa_private_key",
    args: [{ name: "pem", type: T.string }],
    result: T.object(T.string, T.any),
    doc: "Returns a JWK for signing a JWT from the given PEM-encoded RSA private key.",
    impl(args) {
      return jwkFromPrivateKey(argString(args, 1));
    },
  },
];
