/**
 * JSON Schemas for a bundle's data: `schemas/<a>/<b>.json` describes `data.a.b`, and
 * `schemas/data.json` the whole data document. Data that does not validate refuses the bundle, so
 * a typo in a team mapping cannot open access. Schemas are JSON Schema 2020-12, checked with ajv.
 */
import Ajv2020Module from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { GatewayError } from "../errors.js";
import type { Json } from "../rego/index.js";

const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

/** True for a file that holds a data schema (`schemas/....json`). */
export function isSchemaFile(path: string): boolean {
  return path.startsWith("schemas/") && path.endsWith(".json");
}

/** The data path a schema file describes: `schemas/a/b.json` -> ["a", "b"]; `schemas/data.json` -> []. */
function dataPathOf(schemaFile: string): string[] {
  const inner = schemaFile.slice("schemas/".length, -".json".length);
  return inner === "data" ? [] : inner.split("/");
}

/** Validates `data` against every schema file; throws PORTCULLIS_BUNDLE_INVALID naming file and path. */
export function validateData(source: string, data: { [key: string]: Json }, schemaFiles: Map<string, Buffer>): void {
  if (schemaFiles.size === 0) return;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  for (const [file, content] of [...schemaFiles].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const fail = (message: string) => new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${source}: ${file}: ${message}`);
    let schema: unknown;
    try {
      schema = JSON.parse(content.toString("utf8"));
    } catch {
      throw fail("not valid JSON");
    }
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      throw fail("a schema must be a JSON object");
    }
    let validate: ReturnType<typeof ajv.compile>;
    try {
      validate = ajv.compile(schema);
    } catch (e) {
      throw fail(`invalid schema: ${(e as Error).message}`);
    }
    const path = dataPathOf(file);
    let node: Json | undefined = data;
    for (const key of path) {
      node = typeof node === "object" && node !== null && !Array.isArray(node) ? node[key] : undefined;
    }
    const where = `data${path.map((k) => `.${k}`).join("")}`;
    if (node === undefined) throw fail(`the bundle has no ${where} to validate`);
    if (!validate(node)) {
      const problems = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${where}${e.instancePath.replaceAll("/", ".")} ${e.message ?? "is invalid"}`);
      throw fail(`data does not match its schema: ${problems.join("; ")}`);
    }
  }
}
