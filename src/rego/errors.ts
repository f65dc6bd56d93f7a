/** Engine errors, with OPA's error codes. */

/** A position in a source file (1-based row and column). */
export interface Location {
  file: string;
  row: number;
  col: number;
}

/** What each engine error code means, and how a server reports it. */
export interface RegoErrorInfo {
  /** One line: when the engine raises it. */
  readonly meaning: string;
  /** HTTP status when a request fails with it. */
  readonly httpStatus: number;
  /** JSON-RPC error code when an MCP request fails with it. */
  readonly jsonRpcCode: number;
}

/**
 * OPA's error codes, as they appear in `RegoError.code`. Policy errors (a module that does not
 * parse or compile) are the caller's to fix: 400 / invalid params. Evaluation errors are the
 * policy's: 500 / internal error, so that a gateway denies (fails closed) and says why.
 */
export const REGO_ERRORS = {
  rego_parse_error: { meaning: "a module or query is not valid Rego", httpStatus: 400, jsonRpcCode: -32602 },
  rego_compile_error: {
    meaning: "a module is valid Rego but cannot be compiled",
    httpStatus: 400,
    jsonRpcCode: -32602,
  },
  rego_type_error: {
    meaning: "a call has the wrong arity or operand types, an unknown or forbidden function, or conflicting rules",
    httpStatus: 400,
    jsonRpcCode: -32602,
  },
  rego_unsafe_var_error: { meaning: "a variable can never be bound", httpStatus: 400, jsonRpcCode: -32602 },
  rego_recursion_error: { meaning: "a rule depends on itself", httpStatus: 400, jsonRpcCode: -32602 },
  eval_conflict_error: {
    meaning: "a complete rule or function produced two different values",
    httpStatus: 500,
    jsonRpcCode: -32603,
  },
  eval_type_error: {
    meaning: "a builtin got an operand of the wrong type (strict mode), or the input is not JSON",
    httpStatus: 500,
    jsonRpcCode: -32603,
  },
  eval_builtin_error: { meaning: "a builtin failed (strict mode)", httpStatus: 500, jsonRpcCode: -32603 },
  eval_cancel_error: { meaning: "evaluation ran past its deadline", httpStatus: 504, jsonRpcCode: -32603 },
  eval_internal_error: {
    meaning: "the engine hit a state it should not (a bug), or evaluation nested too deeply",
    httpStatus: 500,
    jsonRpcCode: -32603,
  },
} as const satisfies Record<string, RegoErrorInfo>;

/** OPA's error codes, as they appear in `RegoError.code`. */
export type RegoErrorCode = keyof typeof REGO_ERRORS;

/** An error from parsing, compiling or evaluating Rego. */
export class RegoError extends Error {
  readonly code: RegoErrorCode;
  readonly location: Location | undefined;
  /** Further errors found in the same pass (compile errors are reported together). */
  readonly errors: RegoError[];

  constructor(code: RegoErrorCode, message: string, location?: Location, errors?: RegoError[]) {
    super(message);
    this.name = "RegoError";
    this.code = code;
    this.location = location;
    this.errors = errors ?? [];
  }

  /** OPA's one-line form: `file:row: code: message`. */
  override toString(): string {
    const loc = this.location ? `${this.location.file}:${this.location.row}: ` : "";
    return `${loc}${this.code}: ${this.message}`;
  }
}

/**
 * Thrown by builtin implementations for an operand of the wrong type. The evaluator turns it into
 * `eval_type_error` with the builtin's name and the call's location.
 */
export class BuiltinTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuiltinTypeError";
  }
}

/**
 * Thrown by builtin implementations for any other failure. The evaluator turns it into
 * `eval_builtin_error` with the builtin's name and the call's location.
 */
export class BuiltinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuiltinError";
  }
}
