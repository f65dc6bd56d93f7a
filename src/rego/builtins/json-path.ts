/**
 * json.filter, json.remove and json.patch: path-based editing of Rego values (objects, arrays and sets).
 *
 * Paths are "a/b/c" strings (JSON-pointer escapes ~0 and ~1, leading slashes ignored) or arrays of
 * segments, which may be any value (needed to address set members and non-string keys).
 */
import { BuiltinTypeError } from "../errors.js";
import { equals, keyOf, RegoObject, RegoSet, type Value } from "../value.js";
import { argArray, argObject, type BuiltinDecl, describeType, operandError, T } from "./types.js";

type Path = Value[];

/** Parses one path operand element (string or array of segments). */
function parsePath(p: Value): Path {
  if (typeof p === "string") {
    if (p === "") return [];
    return p
      .replace(/^\/+/, "")
      .split("/")
      .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
  }
  if (Array.isArray(p)) return [...p];
  throw new BuiltinTypeError(
    `operand 2 must be one of {set, array} containing string paths or array of path segments but got ${describeType(p)}`,
  );
}

function getPaths(operand: Value): Path[] {
  if (Array.isArray(operand)) return operand.map(parsePath);
  if (operand instanceof RegoSet) return operand.sorted().map(parsePath);
  return operandError(2, "one of {set, array}", operand);
}

/**
 * Merges paths into a tree of objects whose leaves are null: {"a": {"b": null}} for "a/b". A shorter
 * path wins over a longer one sharing its prefix.
 */
function pathsToTree(paths: Path[]): RegoObject {
  const root = new RegoObject();
  for (const path of paths) {
    if (path.length === 0) continue;
    let node = root;
    let covered = false;
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i] as Value;
      const child = node.get(k);
      if (child === undefined) {
        const fresh = new RegoObject();
        node.set(k, fresh);
        node = fresh;
      } else if (child instanceof RegoObject) {
        node = child;
      } else {
        covered = true;
        break;
      }
    }
    if (!covered) node.set(path[path.length - 1] as Value, null);
  }
  return root;
}

/** Keeps only what `filter` selects; array positions are matched by their decimal string. */
function filterValue(v: Value, filter: Value): Value {
  if (filter === null || !(filter instanceof RegoObject)) return v;
  if (Array.isArray(v)) {
    const out: Value[] = [];
    v.forEach((el, i) => {
      const sub = filter.get(String(i));
      if (sub !== undefined) out.push(filterValue(el, sub));
    });
    return out;
  }
  if (v instanceof RegoSet) {
    const out = new RegoSet();
    for (const el of v.sorted()) {
      const sub = filter.get(el);
      if (sub !== undefined) out.add(filterValue(el, sub));
    }
    return out;
  }
  if (v instanceof RegoObject) {
    const out = new RegoObject();
    for (const [k, val] of v.entries()) {
      const sub = filter.get(k);
      if (sub !== undefined) out.set(k, filterValue(val, sub));
    }
    return out;
  }
  return v;
}

/** Drops what `tree` selects (null leaves); `undefined` means the value itself is removed. */
function removeValue(v: Value, tree: Value | undefined): Value | undefined {
  if (tree === undefined) return v;
  if (tree === null) return undefined;
  if (!(tree instanceof RegoObject)) return v;
  if (Array.isArray(v)) {
    const out: Value[] = [];
    v.forEach((el, i) => {
      const r = removeValue(el, tree.get(String(i)));
      if (r !== undefined) out.push(r);
    });
    return out;
  }
  if (v instanceof RegoSet) {
    const out = new RegoSet();
    for (const el of v.sorted()) {
      const r = removeValue(el, tree.get(el));
      if (r !== undefined) out.add(r);
    }
    return out;
  }
  if (v instanceof RegoObject) {
    const out = new RegoObject();
    for (const [k, val] of v.entries()) {
      const r = removeValue(val, tree.get(k));
      if (r !== undefined) out.set(k, r);
    }
    return out;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// json.patch. Every failure makes the call undefined, so errors are a private class.

class PatchError extends Error {}

/** Array index from a path segment, as OPA's edit tree reads it ("-" is one past the end). */
function toIndex(length: number, seg: Value): number {
  if (typeof seg === "number") {
    if (!Number.isInteger(seg)) throw new PatchError("invalid number type for indexing");
    return seg;
  }
  if (typeof seg === "string") {
    if (seg === "-") return length;
    if (!/^[+-]?\d+$/.test(seg)) throw new PatchError("invalid string for indexing");
    if (seg !== "0" && seg.startsWith("0")) throw new PatchError("leading zeros are not allowed in JSON paths");
    return Number.parseInt(seg, 10);
  }
  throw new PatchError("invalid type for indexing");
}

/** The child of a composite at one path segment, or a PatchError. */
function child(v: Value, seg: Value): Value {
  if (v instanceof RegoObject) {
    const c = v.get(seg);
    if (c === undefined) throw new PatchError("path does not exist in object");
    return c;
  }
  if (v instanceof RegoSet) {
    if (!v.has(seg)) throw new PatchError("path does not exist in set");
    return seg;
  }
  if (Array.isArray(v)) {
    const i = toIndex(v.length, seg);
    if (i < 0 || i >= v.length) throw new PatchError("path does not exist in array");
    return v[i] as Value;
  }
  throw new PatchError("expected composite type");
}

/** Rebuilds `v` with the child at `seg` replaced by `fresh`. */
function withChild(v: Value, seg: Value, fresh: Value): Value {
  if (v instanceof RegoObject) {
    const out = new RegoObject(v.entries());
    out.set(seg, fresh);
    return out;
  }
  if (v instanceof RegoSet) {
    const out = new RegoSet();
    for (const el of v) if (keyOf(el) !== keyOf(seg)) out.add(el);
    out.add(fresh);
    return out;
  }
  const arr = [...(v as Value[])];
  arr[toIndex(arr.length, seg)] = fresh;
  return arr;
}

/** Applies `edit` to the parent of the path's last segment, rebuilding the values above it. */
function editAt(doc: Value, path: Path, edit: (parent: Value, last: Value) => Value): Value {
  const parents: Value[] = [];
  let cur = doc;
  for (let i = 0; i < path.length - 1; i++) {
    parents.push(cur);
    cur = child(cur, path[i] as Value);
  }
  let result = edit(cur, path[path.length - 1] as Value);
  for (let i = parents.length - 1; i >= 0; i--) result = withChild(parents[i] as Value, path[i] as Value, result);
  return result;
}

function insertAt(doc: Value | undefined, path: Path, value: Value): Value {
  if (path.length === 0) return value;
  if (doc === undefined) throw new PatchError("deleted node encountered during insert operation");
  return editAt(doc, path, (parent, key) => {
    if (parent instanceof RegoObject) {
      const out = new RegoObject(parent.entries());
      out.set(key, value);
      return out;
    }
    if (parent instanceof RegoSet) {
      if (!equals(key, value)) throw new PatchError("set key does not equal value to be inserted");
      const out = new RegoSet(parent);
      out.add(value);
      return out;
    }
    if (Array.isArray(parent)) {
      const i = toIndex(parent.length, key);
      if (i < 0 || i > parent.length) throw new PatchError("index for array insertion out of bounds");
      return [...parent.slice(0, i), value, ...parent.slice(i)];
    }
    throw new PatchError("expected composite type");
  });
}

function deleteAt(doc: Value | undefined, path: Path): Value | undefined {
  if (doc === undefined) throw new PatchError("deleted node encountered during delete operation");
  if (path.length === 0) return undefined;
  return editAt(doc, path, (parent, key) => {
    if (parent instanceof RegoObject) {
      if (!parent.has(key)) throw new PatchError("cannot delete child key that does not exist");
      const out = new RegoObject(parent.entries());
      out.delete(key);
      return out;
    }
    if (parent instanceof RegoSet) {
      if (!parent.has(key)) throw new PatchError("cannot delete child key that does not exist");
      return new RegoSet([...parent].filter((el) => keyOf(el) !== keyOf(key)));
    }
    if (Array.isArray(parent)) {
      const i = toIndex(parent.length, key);
      if (i < 0 || i >= parent.length) throw new PatchError("index for array delete out of bounds");
      return [...parent.slice(0, i), ...parent.slice(i + 1)];
    }
    throw new PatchError("expected composite type");
  });
}

function renderAt(doc: Value | undefined, path: Path): Value {
  if (doc === undefined) throw new PatchError("nil value encountered where composite value was expected");
  let cur = doc;
  for (const seg of path) cur = child(cur, seg);
  return cur;
}

function attr(op: RegoObject, name: string): Value {
  const v = op.get(name);
  if (v === undefined) throw new PatchError(`missing '${name}' attribute`);
  return v;
}

function patchPath(v: Value): Path {
  if (typeof v !== "string" && !Array.isArray(v)) throw new PatchError("invalid path");
  return parsePath(v);
}

/** Applies RFC 6902 operations in order; throws PatchError on any failure. */
function applyPatches(source: Value, ops: Value[]): Value | undefined {
  let doc: Value | undefined = source;
  for (const raw of ops) {
    if (!(raw instanceof RegoObject)) throw new PatchError("patch operation is not an object");
    const op = attr(raw, "op");
    if (typeof op !== "string") throw new PatchError("attribute 'op' must be a string");
    if (!["add", "remove", "replace", "move", "copy", "test"].includes(op))
      throw new PatchError(`unrecognized op '${op}'`);
    const pathValue = attr(raw, "path");
    const from = op === "move" || op === "copy" ? attr(raw, "from") : null;
    const value = op === "add" || op === "replace" || op === "test" ? attr(raw, "value") : null;
    const path = patchPath(pathValue);
    switch (op) {
      case "add":
        doc = insertAt(doc, path, value);
        break;
      case "remove":
        doc = deleteAt(doc, path);
        break;
      case "replace":
        doc = insertAt(deleteAt(doc, path), path, value);
        break;
      case "move": {
        const fromPath = patchPath(from);
        const chunk = renderAt(doc, fromPath);
        doc = insertAt(deleteAt(doc, fromPath), path, chunk);
        break;
      }
      case "copy":
        doc = insertAt(doc, path, renderAt(doc, patchPath(from)));
        break;
      case "test":
        if (!equals(renderAt(doc, path), value)) throw new PatchError("test failed");
        break;
    }
  }
  return doc;
}

/** json.filter, json.remove and json.patch. */
export const jsonPathBuiltins: BuiltinDecl[] = [
  {
    name: "json.filter",
    args: [
      { name: "object", type: T.object(T.any, T.any) },
      {
        name: "paths",
        type: T.anyOf(T.array(T.anyOf(T.string, T.array(T.any))), T.set(T.anyOf(T.string, T.array(T.any)))),
      },
    ],
    result: T.any,
    doc: "Filters the object by keeping only the given paths (JSON pointer strings or arrays of segments).",
    impl(args) {
      const obj = argObject(args, 1);
      return filterValue(obj, pathsToTree(getPaths(args[1] as Value)));
    },
  },
  {
    name: "json.remove",
    args: [
      { name: "object", type: T.object(T.any, T.any) },
      {
        name: "paths",
        type: T.anyOf(T.array(T.anyOf(T.string, T.array(T.any))), T.set(T.anyOf(T.string, T.array(T.any)))),
      },
    ],
    result: T.any,
    doc: "Removes the given paths (JSON pointer strings or arrays of segments) from the object.",
    impl(args) {
      const obj = argObject(args, 1);
      return removeValue(obj, pathsToTree(getPaths(args[1] as Value)));
    },
  },
  {
    name: "json.patch",
    args: [
      { name: "object", type: T.any },
      { name: "patches", type: T.array(T.object(T.string, T.any)) },
    ],
    result: T.any,
    doc: "Patches a document with RFC 6902 operations; undefined when any operation fails.",
    impl(args) {
      const ops = argArray(args, 2);
      try {
        return applyPatches(args[0] as Value, ops);
      } catch (e) {
        if (e instanceof PatchError || e instanceof BuiltinTypeError) return undefined;
        throw e;
      }
    },
  },
];
