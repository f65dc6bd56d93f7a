/** Command-line parsing shared by the commands: node:util parseArgs with errors turned into UsageError. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "../io.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses a command's arguments (options anywhere, positionals allowed); throws UsageError when malformed. */
export function parseCommandArgs<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}
