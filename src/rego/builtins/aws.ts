/** providers.aws.sign_req: AWS Signature Version 4 request signing, as OPA's providers.go / signing_v4.go do it. */
import { createHash, createHmac } from "node:crypto";
import { BuiltinError, BuiltinTypeError } from "../errors.js";
import { formatValue } from "../format.js";
import { RegoObject, RegoSet, type Value } from "../value.js";
import { goJsonMarshal } from "./crypto.js";
import { argObject, type BuiltinDecl, operandError, T } from "./types.js";

const REQUIRED_CONFIG = ["aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"];

// The request is validated with http.send's rules, so the same keys are accepted.
const ALLOWED_REQUEST_KEYS = new Set([
  "method",
  "url",
  "body",
  "enable_redirect",
  "force_json_decode",
  "force_yaml_decode",
  "headers",
  "raw_body",
  "tls_use_system_certs",
  "tls_ca_cert",
  "tls_ca_cert_file",
  "tls_ca_cert_env_variable",
  "tls_client_cert",
  "tls_client_cert_file",
  "tls_client_cert_env_variable",
  "tls_client_key",
  "tls_client_key_file",
  "tls_client_key_env_variable",
  "tls_insecure_skip_verify",
  "tls_server_name",
  "timeout",
  "cache",
  "force_cache",
  "force_cache_duration_seconds",
  "raise_error",
  "caching_mode",
  "max_retry_attempts",
  "cache_ignored_headers",
]);

// Headers a proxy may rewrite, so they are left out of the canonical request.
const IGNORED_HEADERS = new Set(["authorization", "user-agent", "x-amzn-trace-id"]);

const setText = (items: Value[]): string => formatValue(new RegoSet(items));
const operandErr = (pos: number, msg: string): BuiltinTypeError => new BuiltinTypeError(`operand ${pos} ${msg}`);
const str = (v: Value | undefined): string => (typeof v === "string" ? v : "");

function validateConfig(cfg: RegoObject): void {
  const missing = REQUIRED_CONFIG.filter((k) => !cfg.has(k));
  if (missing.length) throw operandErr(2, `missing required AWS config parameters(s): ${setText(missing)}`);
  const invalid = REQUIRED_CONFIG.filter((k) => typeof cfg.get(k) !== "string");
  if (invalid.length) throw operandErr(2, `invalid values for required AWS config parameters(s): ${setText(invalid)}`);
}

function validateRequest(req: RegoObject): void {
  const invalid = req.keys().filter((k) => typeof k !== "string" || !ALLOWED_REQUEST_KEYS.has(k));
  if (invalid.length) throw operandErr(1, `invalid request parameters(s): ${setText(invalid)}`);
  const missing = ["method", "url"].filter((k) => !req.has(k));
  if (missing.length) throw operandErr(1, `missing required request parameters(s): ${setText(missing)}`);
}

const UNRESERVED = /[A-Za-z0-9\-_.~]/;
const PATH_SAFE = /[$&+,/:;=@]/;

/** Go's url.URL.EscapedPath for a raw path taken from the request URL. */
function escapedPath(raw: string): string {
  let valid = true;
  for (let i = 0; i < raw.length && valid; i++) {
    const c = raw[i] as string;
    if (c === "%") valid = /^[0-9A-Fa-f]{2}$/.test(raw.slice(i + 1, i + 3));
    else valid = UNRESERVED.test(c) || PATH_SAFE.test(c) || "!'()*[]".includes(c);
  }
  if (valid) return raw;
  const bytes = Buffer.from(
    raw.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    "latin1",
  );
  let out = "";
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out +=
      b < 0x80 && (UNRESERVED.test(c) || PATH_SAFE.test(c)) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The parts of a URL SigV4 needs: host (with port), escaped path and raw query. */
function parseUrl(u: string): { host: string; path: string; query: string } {
  const m = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?/.exec(u);
  if (!m) throw new BuiltinError(`parse "${u}": invalid URL`);
  const authority = m[1] ?? "";
  return { host: authority.slice(authority.lastIndexOf("@") + 1), path: escapedPath(m[2] ?? ""), query: m[3] ?? "" };
}

function hmac(key: Buffer | string, msg: string): Buffer {
  return createHmac("sha256", key).update(msg, "utf8").digest();
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/** Signs a request and returns the object with the signed headers, mirroring OPA's builtinAWSSigV4SignReq. */
function signReq(args: Value[]): Value {
  const req = argObject(args, 1);
  const cfgVal = args[1] as Value;
  // OPA reports the config and timestamp type errors against operand 1.
  if (!(cfgVal instanceof RegoObject)) return operandError(1, "object", cfgVal);
  validateConfig(cfgVal);
  const tsVal = args[2] as Value;
  if (typeof tsVal !== "number") return operandError(1, "number", tsVal);
  // OPA needs an int64 literal; negative and fractional values are rejected here.
  if (!Number.isInteger(tsVal) || tsVal < 0 || Math.abs(tsVal) > 9.2e18) {
    throw operandErr(3, "could not convert time_ns value into a unix timestamp");
  }
  validateRequest(req);
  const headersVal = req.get("headers");
  const headers = headersVal === undefined ? new RegoObject() : headersVal;
  if (!(headers instanceof RegoObject)) return operandError(0, "object", headers);
  const urlVal = req.get("url");
  const methodVal = req.get("method");
  const badParams = [typeof urlVal !== "string" ? "url" : "", typeof methodVal !== "string" ? "method" : ""].filter(
    Boolean,
  );
  if (badParams.length) throw operandErr(1, `invalid values for required request parameters(s): ${setText(badParams)}`);
  const url = parseUrl(urlVal as string);
  const method = methodVal as string;

  const rawBody = req.get("raw_body");
  const body = req.get("body");
  const bodyBytes = rawBody !== undefined ? str(rawBody) : body !== undefined ? goJsonMarshal(body) : "";

  const dps = cfgVal.get("disable_payload_signing");
  if (dps !== undefined && typeof dps !== "boolean")
    throw operandErr(2, "invalid value for 'disable_payload_signing' in AWS config");
  const service = str(cfgVal.get("aws_service"));
  const region = str(cfgVal.get("aws_region"));
  const sessionToken = str(cfgVal.get("aws_session_token"));

  const d = new Date(Math.floor(tsVal / 1e6));
  const dateNow = `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}`;
  const isoNow = `${dateNow}T${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  const contentSha = dps === true ? "UNSIGNED-PAYLOAD" : createHash("sha256").update(bodyBytes, "utf8").digest("hex");

  const awsHeaders = new Map<string, string>([
    ["host", url.host],
    ["x-amz-date", isoNow],
  ]);
  if (service === "s3" || service === "glacier") awsHeaders.set("x-amz-content-sha256", contentSha);
  if (sessionToken !== "") awsHeaders.set("x-amz-security-token", sessionToken);

  const toSign = new Map(awsHeaders);
  const original: [string, string][] = [];
  for (const [k, v] of headers.entries()) {
    const name = str(k);
    original.push([name, str(v)]);
    if (!IGNORED_HEADERS.has(name.toLowerCase())) toSign.set(name.toLowerCase(), str(v));
  }
  const names = [...toSign.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = names.join(";");
  const canonical = [
    method,
    url.path,
    url.query,
    ...names.map((n) => `${n}:${toSign.get(n)}`),
    "",
    signedHeaders,
    contentSha,
  ].join("\n");
  const scope = `${dateNow}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${isoNow}\n${scope}\n${createHash("sha256").update(canonical, "utf8").digest("hex")}`;
  let key = hmac(`AWS4${str(cfgVal.get("aws_secret_access_key"))}`, dateNow);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, "aws4_request");
  const signature = hmac(key, stringToSign).toString("hex");
  const accessKey = str(cfgVal.get("aws_access_key"));
  const auth = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;

  const outHeaders = new RegoObject();
  for (const [k, v] of original) outHeaders.set(k, v);
  outHeaders.set("Authorization", auth);
  for (const [k, v] of awsHeaders) outHeaders.set(k, v);
  const out = new RegoObject(req.entries());
  out.set("headers", outHeaders);
  return out;
}

/** AWS provider builtins. */
export const awsBuiltins: BuiltinDecl[] = [
  {
    name: "providers.aws.sign_req",
    args: [
      { name: "request", type: T.object(T.string, T.any) },
      { name: "aws_config", type: T.object(T.string, T.any) },
      { name: "time_ns", type: T.number },
    ],
    result: T.object(T.string, T.any),
    doc:
      "Signs an HTTP request object for Amazon Web Services (AWS Signature Version 4). Currently implements " +
      "AWS Signature Version 4 request signing by the Authorization header method.",
    impl: (args) => signReq(args),
  },
];
