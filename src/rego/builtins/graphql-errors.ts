/**
 * GraphQL failures worded as gqlparser (and OPA on top of it) reports them: graphql-js's syntax errors are
 * reworded and repositioned, and validation errors are joined the way OPA prints gqlparser's error list.
 */
import {
  type DefinitionNode,
  type DocumentNode,
  GraphQLError,
  getLocation,
  Lexer,
  parse,
  Source,
  TokenKind,
} from "graphql";

/** A parse or validation failure with gqlparser's message and (when known) a 1-based source position. */
export class GqlError extends Error {
  constructor(
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line === undefined ? detail : `${detail} in GraphQL string at location ${line}:${column}`);
    this.name = "GqlError";
  }
}

// ---------------------------------------------------------------------------------------------
// Syntax errors, reworded as gqlparser reports them

/** graphql-js parse with gqlparser's error wording; `undefined` for a document without any tokens. */
export function parseWithGqlErrors(text: string): DocumentNode | undefined {
  try {
    // gqlparser accepts an empty document (no definitions); graphql-js does not.
    if (new Lexer(new Source(text)).advance().kind === TokenKind.EOF) return undefined;
  } catch {
    // Lexing errors are reported by the full parse below.
  }
  try {
    return parse(text, { allowLegacyFragmentVariables: true });
  } catch (e) {
    if (e instanceof GraphQLError) throw toGqlSyntaxError(e, text);
    throw e;
  }
}

const punctuator = /"(\.\.\.|[!$&():=@[\]{|}])"/g;

function toGqlSyntaxError(e: GraphQLError, text: string): GqlError {
  const loc = e.locations?.[0];
  let msg = e.message.replace(/^Syntax Error: /, "").replace(/\.$/, "");
  if (msg.startsWith("Unexpected description")) {
    msg = `Unexpected ${(loc && tokenAt(text, loc.line, loc.column)) ?? "String"}`;
  } else if (msg.startsWith("Unexpected variable")) {
    msg = "Unexpected $";
  } else if (!/^(Expected|Unexpected) (Name|String|BlockString|Int|Float|<EOF>|")/.test(msg)) {
    // A lexing failure: gqlparser's parser peeks the bad token and reports it as <Invalid>.
    msg = "Unexpected <Invalid>";
  }
  msg = msg.replace(punctuator, "$1");
  // gqlparser insists on at least one item between braces ("{}" selection sets, field lists, enums).
  if (/^Expected .*, found \}$/.test(msg) && loc && previousSignificantChar(text, loc.line, loc.column) === "{") {
    msg = "expected at least one definition, found }";
  }
  return new GqlError(msg, loc?.line, loc && loc.column + stringTokenOffset(text, loc.line, loc.column));
}

/** gqlparser positions string tokens after their opening quote(s). */
function stringTokenOffset(text: string, line: number, column: number): number {
  const desc = tokenAt(text, line, column) ?? "";
  if (desc.startsWith("String ")) return 1;
  return desc.startsWith("BlockString ") ? 3 : 0;
}

/** gqlparser's description of the token starting at line:column, e.g. `String "Description"`. */
function tokenAt(text: string, line: number, column: number): string | undefined {
  try {
    const lexer = new Lexer(new Source(text));
    for (let t = lexer.advance(); t.kind !== TokenKind.EOF; t = lexer.advance()) {
      if (t.line === line && t.column === column) {
        return t.value === undefined ? t.kind : `${t.kind} ${JSON.stringify(t.value)}`;
      }
      if (t.line > line) break;
    }
  } catch {
    // Fall through to the caller's default.
  }
  return undefined;
}

function previousSignificantChar(text: string, line: number, column: number): string | undefined {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.slice(offset).search(/\r\n|\n|\r/);
    if (nl < 0) return undefined;
    offset += nl + (text.startsWith("\r\n", offset + nl) ? 2 : 1);
  }
  for (let i = offset + column - 2; i >= 0; i--) {
    const c = text[i] as string;
    if (!/[\s,\uFEFF]/.test(c)) return c;
  }
  return undefined;
}

/** gqlparser's error for a definition that does not belong in the document (e.g. a type in a query). */
export function unexpectedDefinition(def: DefinitionNode, text: string): GqlError {
  const start = def.loc ? getLocation(new Source(text), def.loc.start) : undefined;
  const desc = start ? tokenAt(text, start.line, start.column) : undefined;
  const column = start && start.column + stringTokenOffset(text, start.line, start.column);
  return new GqlError(`Unexpected ${desc ?? "<Invalid>"}`, start?.line, column);
}

// ---------------------------------------------------------------------------------------------
// Validation errors

/** OPA splits gqlparser's newline-joined error list at the first position and trims the final ".". */
export function formatValidationErrors(
  errors: { message: string; line?: number; column?: number }[],
  located: boolean,
): string {
  const first = errors[0] as { message: string; line?: number; column?: number };
  const rest = errors
    .slice(1)
    .map((e) => (located && e.line ? `input:${e.line}:${e.column}: ${e.message}` : `input: ${e.message}`));
  const text = [first.message, ...rest].join("\n").replace(/\.$/, "");
  if (!located || first.line === undefined) return `GraphQL parse error: input: ${text}`;
  return `${text} in GraphQL string at location ${first.line}:${first.column}`;
}
