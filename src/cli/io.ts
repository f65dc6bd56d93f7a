/**
 * Output helpers shared by the CLI commands: where text goes, and how errors are printed (one
 * `file:row:col: code: message` line each, never a stack trace).
 */
import { GatewayError } from "../errors.js";
import { RegoError } from "../rego/index.js";
import { LoadError } from "./load.js";

/** Where a command writes; the process streams in production. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Io on the process's stdout and stderr. */
export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A bad command line: the caller prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** `file:row:col: code: message` for one Rego error (location parts left out when unknown). */
export function formatRegoError(e: RegoError): string {
  const loc = e.location;
  if (!loc) return `${e.code}: ${e.message}`;
  const where = loc.file ? `${loc.file}:${loc.row}:${loc.col}` : `${loc.row}:${loc.col}`;
  return `${where}: ${e.code}: ${e.message}`;
}

/** The lines to print for anything a command threw. */
export function errorLines(e: unknown): string[] {
  if (e instanceof RegoError) return (e.errors.length > 0 ? e.errors : [e]).map(formatRegoError);
  if (e instanceof LoadError) return [e.toString()];
  if (e instanceof GatewayError) return [`${e.code}: ${e.message}`];
  const message = e instanceof Error ? e.message : String(e);
  // A stack is for us, not for the user: only on request.
  const stack = process.env.PORTCULLIS_DEBUG && e instanceof Error && e.stack ? [e.stack] : [];
  return [`internal error: ${message}`, ...stack];
}
