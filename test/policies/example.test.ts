import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Ajv2020Module from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { parse as parseYaml } from "yaml";
import { compile, type Json } from "../../src/rego/index.js";

// ajv ships CommonJS with a `default` property; under NodeNext the class lives there.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const POLICY_DIR = resolve(REPO, "policies/example");

type JsonObject = { [key: string]: Json };

/** One case of example-cases.yaml, in the shorthand its header describes. */
interface PolicyCase {
  name: string;
  as?: string;
  phase?: "request" | "response" | "list";
  tool?: string;
  prompt?: string;
  resource?: string;
  method?: string;
  server?: string;
  arguments?: JsonObject;
  session_labels?: string[];
  result?: JsonObject;
  error?: JsonObject;
  expect: { allow: boolean; reasons: string[]; labels?: string[] };
}

interface CaseFile {
  identities: Record<string, JsonObject>;
  tools: Record<string, { title?: string; annotations: JsonObject }>;
  cases: PolicyCase[];
}

const caseFile = parseYaml(readFileSync(resolve(REPO, "test/policies/example-cases.yaml"), "utf8")) as CaseFile;

const modules = Object.fromEntries(
  readdirSync(POLICY_DIR)
    .filter((file) => file.endsWith(".rego"))
    .map((file) => [file, readFileSync(resolve(POLICY_DIR, file), "utf8")]),
);
const data = JSON.parse(readFileSync(resolve(POLICY_DIR, "data.json"), "utf8")) as Json;
const policy = compile({ modules, data });

// Strict, except that `required` inside if/then may name properties declared at the top level.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);
const readSchema = (name: string) => JSON.parse(readFileSync(resolve(REPO, "docs/schemas", name), "utf8")) as object;
const validateInput = ajv.compile(readSchema("policy-input.schema.json"));
const validateDecision = ajv.compile(readSchema("policy-decision.schema.json"));

/** Splits "<server>/<rest>" at the first slash (resource URIs contain more). */
function splitKey(key: string): [string, string] {
  const slash = key.indexOf("/");
  assert.ok(slash > 0, `"${key}" is not <server>/<name>`);
  return [key.slice(0, slash), key.slice(slash + 1)];
}

/** Expands a case's shorthand into the input the gateway would send. */
function buildInput(testCase: PolicyCase): JsonObject {
  const phase = testCase.phase ?? "request";
  const identity = caseFile.identities[testCase.as ?? "anonymous"];
  assert.ok(identity, `unknown identity ${testCase.as}`);
  const input: JsonObject = {
    phase,
    method: testCase.method ?? "",
    server: testCase.server ?? null,
    identity,
    session: { id: "3f1c9a52-6d0e-4c8b-9a61-2b7e5d4f8c10", labels: testCase.session_labels ?? [] },
    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    time: "2025-06-03T12:30:00.000Z",
  };
  if (testCase.tool !== undefined) {
    const [server, name] = splitKey(testCase.tool);
    const described = caseFile.tools[testCase.tool];
    assert.ok(described, `tool ${testCase.tool} is not in the catalogue`);
    input.method = testCase.method ?? "tools/call";
    input.server = server;
    input.tool = { name, qualified_name: `${server}__${name}`, ...described };
  }
  if (testCase.prompt !== undefined) {
    const [server, name] = splitKey(testCase.prompt);
    input.method = testCase.method ?? "prompts/get";
    input.server = server;
    input.prompt = { name, qualified_name: `${server}__${name}` };
  }
  if (testCase.resource !== undefined) {
    const [server, uri] = splitKey(testCase.resource);
    input.method = testCase.method ?? "resources/read";
    input.server = server;
    input.resource = { uri };
  }
  if (phase !== "list") input.arguments = testCase.arguments ?? {};
  if (testCase.result !== undefined) input.result = testCase.result;
  if (testCase.error !== undefined) input.error = testCase.error;
  return input;
}

function decide(input: Json): Json {
  const rows = policy.query("data.portcullis.decision = d", { input });
  assert.equal(rows.length, 1, "the decision is defined exactly once");
  return (rows[0] as { d: Json }).d;
}

function schemaErrors(validate: typeof validateInput): string {
  return ajv.errorsText(validate.errors, { separator: "\n" });
}

describe("policies/example", () => {
  it("has cases for every phase, group and rule family", () => {
    const phases = new Set(caseFile.cases.map((c) => c.phase ?? "request"));
    assert.deepEqual([...phases].sort(), ["list", "request", "response"]);
    // SSO group names count as the team they map to (data.sso_groups).
    const teams = (data as { sso_groups: Record<string, string> }).sso_groups;
    const groups = new Set(
      caseFile.cases.flatMap((c) =>
        ((caseFile.identities[c.as ?? "anonymous"]?.groups ?? []) as string[]).map((g) => teams[g] ?? g),
      ),
    );
    for (const group of Object.keys((data as { groups: object }).groups)) assert.ok(groups.has(group), group);
    const reasons = caseFile.cases.flatMap((c) => c.expect.reasons).join("\n");
    for (const family of ["unknown server", "read-only", "destructive", "looks like", "the limit is", "labelled"]) {
      assert.ok(reasons.includes(family), `no case expects a reason with "${family}"`);
    }
  });

  for (const testCase of caseFile.cases) {
    it(testCase.name, () => {
      const input = buildInput(testCase);
      assert.ok(validateInput(input), `input does not match the schema:\n${schemaErrors(validateInput)}`);
      const decision = decide(input);
      assert.ok(validateDecision(decision), `decision does not match the schema:\n${schemaErrors(validateDecision)}`);
      assert.deepEqual(decision, {
        allow: testCase.expect.allow,
        reasons: testCase.expect.reasons,
        labels: testCase.expect.labels ?? [],
      });
    });
  }
});

describe("docs/schemas/policy-input.schema.json", () => {
  const valid = buildInput({ name: "base", as: "alice", tool: "demo/read_note", expect: { allow: true, reasons: [] } });

  it("accepts the base input", () => {
    assert.ok(validateInput(valid), schemaErrors(validateInput));
  });

  // Each mutation breaks one rule of the schema in an otherwise valid input.
  const invalid: [string, (input: JsonObject) => void][] = [
    ["a list item with arguments", (input) => Object.assign(input, { phase: "list" })],
    ["a request with a result", (input) => Object.assign(input, { result: { content: [] } })],
    ["a response with neither result nor error", (input) => Object.assign(input, { phase: "response" })],
    [
      "a response with both result and error",
      (input) => Object.assign(input, { phase: "response", result: {}, error: { code: 1, message: "x" } }),
    ],
    ["tools/call without tool", (input) => Reflect.deleteProperty(input, "tool")],
    ["a prompt on tools/call", (input) => Object.assign(input, { prompt: { name: "p", qualified_name: "demo__p" } })],
    ["an upper-case trace id", (input) => Object.assign(input, { trace_id: "4BF92F3577B34DA6A3CE929D0E0E4736" })],
    ["a time that is not UTC", (input) => Object.assign(input, { time: "2025-06-03T14:30:00+02:00" })],
    ["an identity without groups", (input) => Reflect.deleteProperty(input.identity as JsonObject, "groups")],
    [
      "an anonymous identity with a subject",
      (input) => Object.assign(input.identity as JsonObject, { anonymous: true }),
    ],
    ["an unknown top-level field", (input) => Object.assign(input, { user: "alice" })],
  ];
  for (const [what, breakInput] of invalid) {
    it(`rejects ${what}`, () => {
      const input = structuredClone(valid);
      breakInput(input);
      assert.equal(validateInput(input), false);
    });
  }
});

describe("docs/policy.md examples", () => {
  const page = readFileSync(resolve(REPO, "docs/policy.md"), "utf8");
  const blocks = [...page.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] as string) as JsonObject);

  it("has examples of every phase", () => {
    const phases = new Set(blocks.filter((b) => "phase" in b).map((b) => b.phase));
    assert.deepEqual([...phases].sort(), ["list", "request", "response"]);
  });

  it("match the schemas, and the example policy decides each input as the page shows", () => {
    for (const [i, block] of blocks.entries()) {
      if ("phase" in block) {
        assert.ok(validateInput(block), `example ${i}: ${schemaErrors(validateInput)}`);
        // An input example is followed by the decision the example policy makes on it.
        const next = blocks[i + 1];
        if (next !== undefined && "allow" in next) assert.deepEqual(decide(block), next, `example ${i}`);
      } else if ("allow" in block) {
        assert.ok(validateDecision(block), `example ${i}: ${schemaErrors(validateDecision)}`);
      }
    }
  });
});
