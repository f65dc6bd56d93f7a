/**
 * `portcullis build`: checks a bundle directory (as the gateway would, Rego compiled) and writes an
 * OPA-compatible, reproducible `.tar.gz`, signed when a key is given.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { buildBundle } from "../../bundle/build.js";
import { importSigningKey, isSigningAlgorithm, readKeyEnv, readKeyFile } from "../../bundle/keys.js";
import type { SigningOptions } from "../../bundle/signing.js";
import { type Io, UsageError } from "../io.js";
import { parseCommandArgs } from "./args.js";

export const BUILD_USAGE = `usage: portcullis build <bundle dir> [-o bundle.tar.gz] [--revision R]
                        [--signing-key FILE | --signing-key-env VAR] [--signing-alg ALG]
                        [--key-id K] [--scope S]

Checks a policy bundle as the gateway would (limits, manifest roots, data schemas; the Rego is
compiled) and writes it as an OPA bundle (.tar.gz): .manifest, *.rego, data and schema files, and
.signatures.json when a signing key is given. The same input always gives the same bytes.

options:
  -o, --output FILE        where to write the bundle (default: bundle.tar.gz)
  --revision R             set the manifest's revision
  --signing-key FILE       sign with this PEM private key (or, for HS*, this file's bytes as the secret)
  --signing-key-env VAR    sign with the secret (HS*) or PEM key held in this environment variable
  --signing-alg ALG        RS256 (default), RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512,
                           HS256, HS384, HS512 or EdDSA
  --key-id K               the key id (kid) the signature names (default: default, as opa build)
  --scope S                the scope claim of the signature
  -h, --help               show this help`;

/** Runs `build`; resolves with the exit code. Throws UsageError, GatewayError or RegoError for the caller to print. */
export async function runBuild(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    output: { type: "string", short: "o" },
    revision: { type: "string" },
    "signing-key": { type: "string" },
    "signing-key-env": { type: "string" },
    "signing-alg": { type: "string" },
    "key-id": { type: "string" },
    scope: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(`${BUILD_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("build needs exactly one bundle directory");
  const source = positionals[0] as string;
  const output = typeof values.output === "string" ? values.output : "bundle.tar.gz";
  const signing = signingOptions(values);
  const built = await buildBundle(source, {
    ...(typeof values.revision === "string" ? { revision: values.revision } : {}),
    ...(signing ? { signing } : {}),
  });
  // Write beside the target and rename, so a reader never sees half a bundle.
  const temporary = `${output}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, built.archive);
    renameSync(temporary, output);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw new UsageError(`cannot write ${output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const signed = signing
    ? `, signed with ${signing.algorithm} key "${signing.keyId}"${signing.scope === undefined ? "" : ` (scope "${signing.scope}")`}`
    : ", unsigned";
  io.out(`${output}: revision ${built.revision}, ${built.files.length} files${signed}\n`);
  return 0;
}

function signingOptions(values: Record<string, unknown>): SigningOptions | undefined {
  const file = values["signing-key"];
  const env = values["signing-key-env"];
  if (typeof file === "string" && typeof env === "string")
    throw new UsageError("give --signing-key or --signing-key-env, not both");
  if (typeof file !== "string" && typeof env !== "string") {
    for (const flag of ["signing-alg", "key-id", "scope"]) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --signing-key or --signing-key-env`);
    }
    return undefined;
  }
  const algorithm = typeof values["signing-alg"] === "string" ? values["signing-alg"] : "RS256";
  if (!isSigningAlgorithm(algorithm)) throw new UsageError(`--signing-alg: unknown algorithm ${algorithm}`);
  const material =
    typeof file === "string" ? readKeyFile(file, "--signing-key") : readKeyEnv(env as string, "--signing-key-env");
  const key = importSigningKey(
    algorithm,
    material,
    typeof file === "string" ? `--signing-key ${file}` : `--signing-key-env ${env}`,
  );
  return {
    ...key,
    keyId: typeof values["key-id"] === "string" ? values["key-id"] : "default",
    ...(typeof values.scope === "string" ? { scope: values.scope } : {}),
  };
}
