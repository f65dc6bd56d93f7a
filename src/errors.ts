/**
 * The gateway's error table: every error the gateway reports to a client, a log or an operator has
 * one stable `PORTCULLIS_*` code with its meaning, HTTP status and JSON-RPC code. The engine's own
 * codes (OPA's, such as `rego_parse_error`) live in `rego/errors.ts`.
 */

/** What one gateway error code means and how it is reported over HTTP and JSON-RPC. */
export interface GatewayErrorInfo {
  meaning: string;
  httpStatus: number;
  jsonRpcCode: number;
}

/** JSON-RPC codes: the standard ones, and the implementation-defined range (-32000 to -32099). */
const JSONRPC = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  server: -32000,
  unavailable: -32001,
  timeout: -32002,
  denied: -32003,
} as const;

export const GATEWAY_ERRORS = {
  PORTCULLIS_CONFIG_INVALID: {
    meaning: "the configuration file or an environment override is invalid",
    httpStatus: 500,
    jsonRpcCode: JSONRPC.internal,
  },
  PORTCULLIS_LISTEN_FAILED: {
    meaning: "the gateway cannot listen on the configured address (in use, not permitted, unknown host)",
    httpStatus: 500,
    jsonRpcCode: JSONRPC.internal,
  },
  PORTCULLIS_BUNDLE_INVALID: {
    meaning: "the policy bundle cannot be read or is malformed",
    httpStatus: 500,
    jsonRpcCode: JSONRPC.internal,
  },
  PORTCULLIS_BUNDLE_SIGNATURE_INVALID: {
    meaning:
      "signature verification refused the policy bundle: no or several signatures, a bad signature, an unknown key, the wrong scope, or a file added, missing or altered",
    httpStatus: 500,
    jsonRpcCode: JSONRPC.internal,
  },
  PORTCULLIS_POLICY_INVALID: {
    meaning: "the policy does not compile, or the entrypoint is not a valid path",
    httpStatus: 500,
    jsonRpcCode: JSONRPC.internal,
  },
  PORTCULLIS_BUNDLE_UNAVAILABLE: {
    meaning:
      "the bundle server could not be reached, timed out, answered with an error status or sent too much (the last good policy keeps serving)",
    httpStatus: 503,
    jsonRpcCode: JSONRPC.internal,
  },
  PORTCULLIS_RUNTIME_DATA_CONFLICT: {
    meaning:
      "data the gateway maintains (e.g. revocations) would overlap a path the policy bundle owns, or does not compile with it",
    httpStatus: 500,
    jsonRpcCode: JSONRPC.internal,
  },
  PORTCULLIS_POLICY_ERROR: {
    meaning: "the policy failed while deciding (the call is denied: fail closed)",
    httpStatus: 403,
    jsonRpcCode: JSONRPC.denied,
  },
  PORTCULLIS_DENIED: {
    meaning: "the policy denied the call",
    httpStatus: 403,
    jsonRpcCode: JSONRPC.denied,
  },
  PORTCULLIS_UNAUTHENTICATED: {
    meaning:
      "no valid bearer token: missing, malformed, expired, not for this resource, badly signed, or sent in the query string",
    httpStatus: 401,
    jsonRpcCode: JSONRPC.server,
  },
  PORTCULLIS_INSUFFICIENT_SCOPE: {
    meaning: "the token lacks a scope this call needs (step-up: WWW-Authenticate names the scopes)",
    httpStatus: 403,
    jsonRpcCode: JSONRPC.denied,
  },
  PORTCULLIS_REVOKED: {
    meaning: "the caller's subject or client was revoked by an administrator",
    httpStatus: 403,
    jsonRpcCode: JSONRPC.denied,
  },
  PORTCULLIS_SESSION_FORBIDDEN: {
    meaning: "the session was started by another subject (sessions are bound to their creator)",
    httpStatus: 403,
    jsonRpcCode: JSONRPC.invalidRequest,
  },
  PORTCULLIS_AUTH_UNAVAILABLE: {
    meaning: "the authorization server's keys or introspection endpoint cannot be reached (fail closed)",
    httpStatus: 503,
    jsonRpcCode: JSONRPC.unavailable,
  },
  PORTCULLIS_PARSE_ERROR: {
    meaning: "the request body is not valid JSON",
    httpStatus: 400,
    jsonRpcCode: JSONRPC.parseError,
  },
  PORTCULLIS_INVALID_REQUEST: {
    meaning: "the request is not a valid JSON-RPC 2.0 / MCP message",
    httpStatus: 400,
    jsonRpcCode: JSONRPC.invalidRequest,
  },
  PORTCULLIS_INVALID_PARAMS: {
    meaning: "the request's parameters are missing or malformed",
    httpStatus: 400,
    jsonRpcCode: JSONRPC.invalidParams,
  },
  PORTCULLIS_METHOD_NOT_FOUND: {
    meaning: "no upstream offers this method",
    httpStatus: 404,
    jsonRpcCode: JSONRPC.methodNotFound,
  },
  PORTCULLIS_NOT_FOUND: {
    meaning: "no upstream offers this tool, prompt or resource",
    httpStatus: 404,
    jsonRpcCode: JSONRPC.invalidParams,
  },
  PORTCULLIS_BODY_TOO_LARGE: {
    meaning: "the request body exceeds the configured limit",
    httpStatus: 413,
    jsonRpcCode: JSONRPC.invalidRequest,
  },
  PORTCULLIS_UNSUPPORTED_MEDIA_TYPE: {
    meaning: "the request's Content-Type is not application/json",
    httpStatus: 415,
    jsonRpcCode: JSONRPC.invalidRequest,
  },
  PORTCULLIS_NOT_ACCEPTABLE: {
    meaning: "the request's Accept header does not allow the response types MCP requires",
    httpStatus: 406,
    jsonRpcCode: JSONRPC.invalidRequest,
  },
  PORTCULLIS_FORBIDDEN_ORIGIN: {
    meaning: "the Origin or Host header is not allowed (DNS rebinding protection)",
    httpStatus: 403,
    jsonRpcCode: JSONRPC.invalidRequest,
  },
  PORTCULLIS_SESSION_REQUIRED: {
    meaning: "the request needs an Mcp-Session-Id header (initialize first)",
    httpStatus: 400,
    jsonRpcCode: JSONRPC.invalidRequest,
  },
  PORTCULLIS_SESSION_NOT_FOUND: {
    meaning: "the session does not exist or has expired (initialize again)",
    httpStatus: 404,
    jsonRpcCode: JSONRPC.invalidRequest,
  },
  PORTCULLIS_SESSION_LIMIT: {
    meaning: "the gateway holds its maximum number of sessions",
    httpStatus: 503,
    jsonRpcCode: JSONRPC.unavailable,
  },
  PORTCULLIS_SESSION_BUSY: {
    meaning: "the session has its maximum number of requests in flight",
    httpStatus: 429,
    jsonRpcCode: JSONRPC.unavailable,
  },
  PORTCULLIS_STREAM_CONFLICT: {
    meaning: "the session already has an open GET event stream",
    httpStatus: 409,
    jsonRpcCode: JSONRPC.invalidRequest,
  },
  PORTCULLIS_UNSUPPORTED_PROTOCOL_VERSION: {
    meaning: "the MCP-Protocol-Version header names a revision the gateway does not support",
    httpStatus: 400,
    jsonRpcCode: JSONRPC.invalidRequest,
  },
  PORTCULLIS_UPSTREAM_UNAVAILABLE: {
    meaning: "the upstream server is down, restarting or unreachable",
    httpStatus: 502,
    jsonRpcCode: JSONRPC.unavailable,
  },
  PORTCULLIS_UPSTREAM_TIMEOUT: {
    meaning: "the upstream server did not answer in time",
    httpStatus: 504,
    jsonRpcCode: JSONRPC.timeout,
  },
  PORTCULLIS_UPSTREAM_ERROR: {
    meaning: "the upstream server answered with an error (passed through with its own code)",
    httpStatus: 502,
    jsonRpcCode: JSONRPC.server,
  },
  PORTCULLIS_CANCELLED: {
    meaning: "the client cancelled the request",
    httpStatus: 499,
    jsonRpcCode: JSONRPC.server,
  },
  PORTCULLIS_SHUTTING_DOWN: {
    meaning: "the gateway is shutting down and takes no new requests",
    httpStatus: 503,
    jsonRpcCode: JSONRPC.unavailable,
  },
  PORTCULLIS_INTERNAL: {
    meaning: "an unexpected gateway failure (logged with details; the client sees no internals)",
    httpStatus: 500,
    jsonRpcCode: JSONRPC.internal,
  },
} as const satisfies Record<string, GatewayErrorInfo>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/** An error with a code from the gateway table; `data` goes to the client in the JSON-RPC error. */
export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly data: unknown;
  /** For PORTCULLIS_UPSTREAM_ERROR: the upstream's own JSON-RPC code, passed through. */
  readonly rpcCode: number;

  constructor(
    code: GatewayErrorCode,
    message: string,
    options: { data?: unknown; rpcCode?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GatewayError";
    this.code = code;
    this.data = options.data;
    this.rpcCode = options.rpcCode ?? GATEWAY_ERRORS[code].jsonRpcCode;
  }

  /** The HTTP status this error maps to when it ends a whole HTTP request. */
  get httpStatus(): number {
    return GATEWAY_ERRORS[this.code].httpStatus;
  }
}

/** Wraps anything thrown into a GatewayError, keeping the code of one that already is. */
export function toGatewayError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  return new GatewayError("PORTCULLIS_INTERNAL", "internal gateway error", { cause: e });
}
