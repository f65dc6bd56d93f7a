/**
 * File digests for bundle signatures, computed exactly as OPA's bundle/hash.go does so that bundles
 * signed by `opa build`/`opa sign` verify here and ours verify in OPA: policy and other files are
 * hashed byte for byte; structured files (`data.json`, `data.yaml`, `.manifest`) are parsed and
 * hashed in a canonical JSON form (object keys sorted, no whitespace, number literals as written),
 * so re-indenting or re-ordering a data file does not break its signature.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { parse as parseYaml } from "yaml";

/** OPA's hashing algorithm names and the node:crypto digest behind each. */
export const HASH_ALGORITHMS = {
  MD5: "md5",
  "SHA-1": "sha1",
  "SHA-224": "sha224",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
  "SHA-512-224": "sha512-224",
  "SHA-512-256": "sha512-256",
} as const;

export type HashAlgorithm = keyof typeof HASH_ALGORITHMS;

/** OPA's default (and the one `portcullis build` uses). */
export const DEFAULT_HASH_ALGORITHM: HashAlgorithm = "SHA-256";

/** True for an algorithm name OPA knows. */
export function isHashAlgorithm(name: string): name is HashAlgorithm {
  return Object.hasOwn(HASH_ALGORITHMS, name);
}

/**
 * Whether OPA hashes `name` in canonical JSON form (OPA's IsStructuredDoc: by base name; note that
 * `data.yml` is hashed as raw bytes there, and so it is here).
 */
export function isStructuredFile(name: string): boolean {
  const base = posix.basename(name);
  return base === "data.json" || base === "data.yaml" || base === "signatures.json" || base === ".manifest";
}

/** The hex digest OPA records for file `name` with `content`; throws Error when a structured file does not parse. */
export function hashBundleFile(name: string, content: Buffer, algorithm: HashAlgorithm): string {
  const hash = createHash(HASH_ALGORITHMS[algorithm]);
  hash.update(isStructuredFile(name) ? canonicalJson(content) : content);
  return hash.digest("hex");
}

/**
 * The canonical form OPA hashes a structured file in. OPA decodes JSON with numbers kept as
 * written (json.Number) and falls back to YAML (converted to JSON) when the bytes are not JSON.
 */
export function canonicalJson(content: Buffer): string {
  const text = content.toString("utf8");
  const parts: string[] = [];
  let parsed = true;
  try {
    new CanonicalJsonWriter(text, parts).document();
  } catch (e) {
    if (!(e instanceof NotJson)) throw e;
    parsed = false;
  }
  if (parsed) return parts.join("");
  const yamlParts: string[] = [];
  writeYamlValue(parseYaml(text, { maxAliasCount: 100 }) as unknown, yamlParts);
  return yamlParts.join("");
}

class NotJson extends Error {}

/**
 * Go's sort.Strings order: byte order of the UTF-8 encoding, which is code point order. JavaScript's
 * `<` compares UTF-16 code units, which differs only when surrogates meet U+E000..U+FFFF.
 */
function compareKeys(a: string, b: string): number {
  if (!/[\ud800-\udfff]/.test(a) && !/[\ud800-\udfff]/.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** A string as Go's json.Encoder writes it with HTML escaping off (invalid UTF-16 becomes U+FFFD as in Go). */
function encodeString(s: string): string {
  const wellFormed = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
  return JSON.stringify(wellFormed).replace(/[\u2028\u2029]/g, (c) => (c === "\u2028" ? "\\u2028" : "\\u2029"));
}

type Canon =
  | { kind: "literal"; text: string }
  | { kind: "array"; items: Canon[] }
  | { kind: "object"; entries: Map<string, Canon> };

/** A strict JSON (RFC 8259) reader that keeps number literals as written and emits the canonical form. */
class CanonicalJsonWriter {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly out: string[],
  ) {}

  document(): void {
    this.skipSpace();
    const value = this.value();
    this.skipSpace();
    if (this.pos !== this.text.length) throw new NotJson();
    emit(value, this.out);
  }

  private value(): Canon {
    const c = this.text[this.pos];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return { kind: "literal", text: encodeString(this.string()) };
    for (const word of ["true", "false", "null"]) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return { kind: "literal", text: word };
      }
    }
    const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    match.lastIndex = this.pos;
    const m = match.exec(this.text);
    if (!m || m[0] === "" || m[0] === "-") throw new NotJson();
    this.pos += m[0].length;
    return { kind: "literal", text: m[0] };
  }

  private object(): Canon {
    this.enter();
    this.pos++;
    const entries = new Map<string, Canon>();
    this.skipSpace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      this.depth--;
      return { kind: "object", entries };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') throw new NotJson();
      const key = this.string();
      this.skipSpace();
      if (this.text[this.pos++] !== ":") throw new NotJson();
      this.skipSpace();
      // Go's decoder keeps the last of duplicate keys, as a Map does.
      entries.set(key, this.value());
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === "}") break;
      if (c !== ",") throw new NotJson();
    }
    this.depth--;
    return { kind: "object", entries };
  }

  private array(): Canon {
    this.enter();
    this.pos++;
    const items: Canon[] = [];
    this.skipSpace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      this.depth--;
      return { kind: "array", items };
    }
    for (;;) {
      this.skipSpace();
      items.push(this.value());
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === "]") break;
      if (c !== ",") throw new NotJson();
    }
    this.depth--;
    return { kind: "array", items };
  }

  private string(): string {
    // Scanned by hand (a regular expression over a multi-megabyte string could exhaust its stack).
    const start = this.pos;
    let i = start + 1;
    let escaped = false;
    for (;;) {
      if (i >= this.text.length) throw new NotJson();
      const c = this.text.charCodeAt(i);
      if (c < 0x20) throw new NotJson();
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        const e = this.text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(i + 2, i + 6))) throw new NotJson();
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else throw new NotJson();
      } else i++;
    }
    this.pos = i + 1;
    const raw = this.text.slice(start, i + 1);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  private enter(): void {
    // Go's decoder refuses nesting deeper than 10000; a bound also keeps our recursion safe.
    if (++this.depth > 10_000) throw new Error("data nested too deeply");
  }

  private skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }
}

function emit(value: Canon, out: string[]): void {
  if (value.kind === "literal") {
    out.push(value.text);
  } else if (value.kind === "array") {
    out.push("[");
    value.items.forEach((item, i) => {
      if (i > 0) out.push(",");
      emit(item, out);
    });
    out.push("]");
  } else {
    out.push("{");
    [...value.entries.keys()].sort(compareKeys).forEach((key, i) => {
      if (i > 0) out.push(",");
      out.push(encodeString(key), ":");
      emit(value.entries.get(key) as Canon, out);
    });
    out.push("}");
  }
}

/**
 * YAML values in canonical form. OPA converts YAML to JSON text first (numbers formatted as Go
 * formats float64/int64, which for the usual values is what JavaScript's String(number) gives).
 */
function writeYamlValue(value: unknown, out: string[], depth = 0): void {
  if (depth > 10_000) throw new Error("data nested too deeply");
  if (value === null || value === undefined) out.push("null");
  else if (typeof value === "boolean") out.push(String(value));
  else if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`number out of range: ${value}`);
    out.push(String(value));
  } else if (typeof value === "bigint") out.push(value.toString());
  else if (typeof value === "string") out.push(encodeString(value));
  else if (Array.isArray(value)) {
    out.push("[");
    value.forEach((item, i) => {
      if (i > 0) out.push(",");
      writeYamlValue(item, out, depth + 1);
    });
    out.push("]");
  } else if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    out.push("{");
    Object.keys(record)
      .sort(compareKeys)
      .forEach((key, i) => {
        if (i > 0) out.push(",");
        out.push(encodeString(key), ":");
        writeYamlValue(record[key], out, depth + 1);
      });
    out.push("}");
  } else throw new Error(`value is not representable as JSON: ${String(value)}`);
}

/**
 * Go's filepath.Match on `/`-separated names, as OPA applies `exclude_files`: `*` matches any run of
 * characters except `/`, `?` one such character, `[...]` a class (`^` negates, `a-z` ranges), `\`
 * escapes. Returns a matcher; throws Error for a malformed pattern.
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  let source = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "\\") {
      const next = pattern[++i];
      if (next === undefined) throw new Error(`malformed pattern ${JSON.stringify(pattern)}: trailing \\`);
      source += escapeRegExp(next);
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) throw new Error(`malformed pattern ${JSON.stringify(pattern)}: unclosed [`);
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith("^");
      if (negated) body = body.slice(1);
      if (body === "") throw new Error(`malformed pattern ${JSON.stringify(pattern)}: empty class`);
      const escaped = body.replace(/[\]\\^]/g, (x) => `\\${x}`);
      source += negated ? `[^/${escaped}]` : `[${escaped}]`;
      i = end;
    } else source += escapeRegExp(c);
  }
  const regex = new RegExp(`${source}$`, "u");
  return (name) => regex.test(name);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
