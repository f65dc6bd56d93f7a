/** Engine errors, with OPA's error codes. */

/** A position in a source file (1-based row and column). */
export interface Location {
  file: string;
  row: number;
  col: number;
}

/** OPA's error codes, as they appear in `RegoError.code`. */
export type RegoErrorCode =
  | "rego_parse_error"
  | "rego_compile_error"
  | "rego_type_error"
  | "rego_unsafe_var_error"
  | "rego_recursion_error"
  | "eval_conflict_error"
  | "eval_type_error"
  | "eval_builtin_error"
  | "eval_cancel_error"
  | "eval_internal_error";

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
