/**
 * X.509 builtins (crypto.x509.*). OPA returns Go's `x509.Certificate` marshalled to JSON; x509-der.ts reads
 * the DER and x509-fields.ts rebuilds Go's field names and encodings (byte slices as base64, OIDs as integer
 * arrays, enums as Go's integer constants, times as RFC 3339). This file decodes the inputs, verifies
 * chains and declares the builtins.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { BuiltinError } from "../errors.js";
import { objectFrom, RegoObject, type Value } from "../value.js";
import { goBase64Decode, parseDerPrivateKey, pemDecode, privateKeysFromPem, privateKeyToGoValue } from "./crypto.js";
import { argObject, argString, type BuiltinDecl, operandError, T } from "./types.js";
import {
  type ParsedCert,
  parseCertificate,
  parseCertificates,
  parseCsr,
  withoutUriStrings,
  withUriStrings,
} from "./x509-fields.js";

// ---------------------------------------------------------------------------------------------
// Certificate input (PEM, base64 PEM or base64 DER)
// ---------------------------------------------------------------------------------------------

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
// Key pair, RSA private key
// ---------------------------------------------------------------------------------------------

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
