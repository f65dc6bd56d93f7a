/**
 * Go's x509.Certificate and x509.CertificateRequest as Rego values. OPA returns them marshalled to JSON, so
 * this rebuilds the same field names and encodings (byte slices as base64, OIDs as integer arrays, enums as
 * Go's integer constants, times as RFC 3339) from the DER read by x509-der.ts.
 */
import { createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { BuiltinError } from "../errors.js";
import { objectFrom, RegoObject, type Value } from "../value.js";
import { bigToValue, bytesToBig } from "./crypto.js";
import { type Der, DerError, derString, derTime, expect, kids, oidParts, oidText, readDer } from "./x509-der.js";

// Go's x509.SignatureAlgorithm, PublicKeyAlgorithm and ExtKeyUsage constants by OID; pkix.Name fields by 2.5.4.x arc.
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
export interface ParsedCert {
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
export function parseCertificate(der: Buffer): ParsedCert {
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
export function parseCertificates(der: Buffer): ParsedCert[] {
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

/** A certificate's Go JSON form without `URIStrings`, as parse_keypair and the with-options verifier return it. */
export const withoutUriStrings = (c: ParsedCert): RegoObject => {
  const { URIStrings: _omit, ...rest } = c.value;
  return objectFrom(rest);
};
/** A certificate's Go JSON form, `URIStrings` included. */
export const withUriStrings = (c: ParsedCert): RegoObject => objectFrom(c.value);

/** Parses a DER PKCS #10 request as Go's x509.ParseCertificateRequest would present it. */
export function parseCsr(der: Buffer): RegoObject {
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
