/**
 * `portcullis check`: parses and compiles policy files; silent on success, one line per error otherwise.
 */
import { compile } from "../../rego/index.js";
import { type Io, UsageError } from "../io.js";
import { loadPaths } from "../load.js";
import { parseCommandArgs } from "./args.js";

export const CHECK_USAGE = `usage: portcullis check <file|dir>...

Parses and compiles Rego files (data files are skipped). Prints nothing and exits 0 when they are
valid; otherwise prints one "file:row:col: code: message" line per error and exits 1.

options:
  -h, --help  show this help`;

/** Runs `check`; returns the exit code. Throws UsageError, LoadError or RegoError for the caller to print. */
export function runCheck(argv: string[], io: Io): number {
  const { values, positionals } = parseCommandArgs(argv, { help: { type: "boolean", short: "h" } });
  if (values.help === true) {
    io.out(`${CHECK_USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("check needs at least one file or directory");
  const { modules } = loadPaths(positionals, { dataFiles: false });
  compile({ modules });
  return 0;
}
