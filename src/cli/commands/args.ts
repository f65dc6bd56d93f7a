/** Command-line parsing shared by the commands: node:util parseArgs with errors turned into UsageError. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "../io.js";

/** Parsed options (checked for their type by each command) and positionals. */
export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/** Parses a command's arguments (options anywhere, positionals allowed); throws UsageError when malformed. */
export function parseCommandArgs(args: string[], options: NonNullable<ParseArgsConfig["options"]>): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values, positionals };
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}
