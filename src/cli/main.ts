#!/usr/bin/env node
/**
 * The `portcullis` command line: dispatches to the commands and turns every failure into clean
 * error lines and an exit code (1 for errors, 2 for a bad command line).
 */
import { readFileSync } from "node:fs";
import { BUILD_USAGE, runBuild } from "./commands/build.js";
import { CHECK_USAGE, runCheck } from "./commands/check.js";
import { DEV_IDP_USAGE, runDevIdp } from "./commands/dev-idp.js";
import { EVAL_USAGE, runEval } from "./commands/eval.js";
import { INSPECT_USAGE, runInspect } from "./commands/inspect.js";
import { REVOKE_USAGE, runRevoke } from "./commands/revoke.js";
import { runServe, SERVE_USAGE } from "./commands/serve.js";
import { runStdio, STDIO_USAGE } from "./commands/stdio.js";
import { runTest, TEST_USAGE } from "./commands/test.js";
import { errorLines, type Io, processIo, UsageError } from "./io.js";

const USAGE = `usage: portcullis <command> [options]

Policy-as-code gateway for the Model Context Protocol.

commands:
  serve   run the MCP gateway on Streamable HTTP
  stdio   run the MCP gateway on stdin/stdout (for clients that launch it)
  eval    evaluate a Rego query (like \`opa eval\`)
  check   parse and compile Rego files (like \`opa check\`)
  inspect show what a policy bundle holds
  revoke  revoke (or restore) a subject or OAuth client at a running gateway
  build   check a bundle directory and write it as a (signed) OPA bundle .tar.gz
  test    run Rego tests (like \`opa test\`)
  dev-idp run a development OAuth/OpenID Connect provider with demo users

options:
  -h, --help     show this help
  -v, --version  print the version

Run \`portcullis <command> --help\` for a command's options.`;

interface Command {
  run(argv: string[], io: Io): number | Promise<number>;
  usage: string;
}

const COMMANDS: Record<string, Command> = {
  serve: { run: runServe, usage: SERVE_USAGE },
  stdio: { run: runStdio, usage: STDIO_USAGE },
  eval: { run: runEval, usage: EVAL_USAGE },
  check: { run: runCheck, usage: CHECK_USAGE },
  inspect: { run: runInspect, usage: INSPECT_USAGE },
  revoke: { run: (argv, io) => runRevoke(argv, io), usage: REVOKE_USAGE },
  build: { run: runBuild, usage: BUILD_USAGE },
  test: { run: runTest, usage: TEST_USAGE },
  "dev-idp": { run: runDevIdp, usage: DEV_IDP_USAGE },
};

/** The package version, read from package.json (two levels up from both src/cli and dist/cli). */
function version(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string"
    ? pkg.version
    : "unknown";
}

/** Runs the CLI with the given arguments (without node and script); resolves with the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "-h" || name === "--help" || name === "help") {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (name === "-v" || name === "--version" || name === "version") {
    io.out(`portcullis ${version()}\n`);
    return 0;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    io.err(`${name === undefined ? "portcullis: no command given" : `portcullis: unknown command "${name}"`}\n\n`);
    io.err(`${USAGE}\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`portcullis ${name}: ${e.message}\n\n${command.usage}\n`);
      return 2;
    }
    for (const line of errorLines(e)) io.err(`${line}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
