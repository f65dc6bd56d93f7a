/** Secrets read once at start from an environment variable or a file; never logged. */
import { readFileSync } from "node:fs";
import { GatewayError } from "../errors.js";

/** The secret named by `env` or `file` (trailing newline removed); throws PORTCULLIS_CONFIG_INVALID when missing. */
export function readSecret(
  what: string,
  source: { env?: string; file?: string },
  environment: NodeJS.ProcessEnv = process.env,
): string {
  if (source.env !== undefined) {
    const value = environment[source.env];
    if (value === undefined || value === "") {
      throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `${what}: environment variable ${source.env} is not set`);
    }
    return value;
  }
  if (source.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new GatewayError(
        "PORTCULLIS_CONFIG_INVALID",
        `${what}: cannot read ${source.file}${code ? ` (${code})` : ""}`,
      );
    }
    const value = text.replace(/\r?\n$/, "");
    if (value === "") throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `${what}: ${source.file} is empty`);
    return value;
  }
  throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `${what}: no secret source given`);
}
