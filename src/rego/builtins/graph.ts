/** graph.reachable, graph.reachable_paths and the `walk` relation. */
import { RegoObject, RegoSet, type Value } from "../value.js";
import { argObject, type BuiltinDecl, operandError, T } from "./types.js";

/** Vertices of an edge collection; anything but an array or set has none. */
function vertices(v: Value | undefined): Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.sorted();
  return [];
}

function initialVertices(args: Value[]): Value[] {
  const v = args[1] as Value;
  if (Array.isArray(v) || v instanceof RegoSet) return vertices(v);
  // OPA words this one with the braces inside a single expectation.
  return operandError(2, "{array, set}", v);
}

function reachable(graph: RegoObject, initial: Value[]): RegoSet {
  const reached = new RegoSet();
  const queue = [...initial];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as Value;
    const edges = graph.get(node);
    if (edges === undefined) continue;
    for (const n of vertices(edges)) if (!reached.has(n)) queue.push(n);
    reached.add(node);
  }
  return reached;
}

/**
 * Depth-first path collection as OPA does it: `reached` is shared across one start edge's whole
 * traversal (so a vertex seen on an earlier branch ends later paths), and a node is marked only
 * when the walk descends from it.
 */
function buildPaths(graph: RegoObject, root: Value, path: Value[], out: RegoSet, reached: RegoSet): void {
  const edges = graph.get(root);
  if (edges === undefined) {
    out.add([...path]);
    return;
  }
  const here = [...path, root];
  const next = vertices(edges);
  if (next.length === 0) {
    out.add(here);
    return;
  }
  for (const n of next) {
    if (reached.has(n)) {
      out.add([...here]);
    } else {
      reached.add(root);
      buildPaths(graph, n, here, out, reached);
    }
  }
}

function reachablePaths(graph: RegoObject, initial: Value[]): RegoSet {
  const out = new RegoSet();
  for (const node of initial) {
    const edges = graph.get(node);
    if (edges === undefined) continue;
    const next = vertices(edges);
    if (next.length === 0) out.add([node]);
    for (const n of next) buildPaths(graph, n, [node], out, new RegoSet([node]));
  }
  return out;
}

/** All [path, value] pairs of `x` in pre-order, keys and set members in sorted order. */
export function walkPairs(x: Value): Value[] {
  const out: Value[] = [];
  const visit = (v: Value, path: Value[]): void => {
    out.push([path, v]);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) visit(v[i] as Value, [...path, i]);
    } else if (v instanceof RegoSet) for (const el of v.sorted()) visit(el, [...path, el]);
    else if (v instanceof RegoObject) for (const [k, val] of v.sortedEntries()) visit(val, [...path, k]);
  };
  visit(x, []);
  return out;
}

const edgesType = T.anyOf(T.array(T.any), T.set(T.any));

/** graph.reachable, graph.reachable_paths and walk. */
export const graphBuiltins: BuiltinDecl[] = [
  {
    name: "graph.reachable",
    args: [
      { name: "graph", type: T.object(T.any, edgesType) },
      { name: "initial", type: edgesType },
    ],
    result: T.set(T.any),
    doc: "Computes the set of vertices reachable from the initial vertices in a directed graph.",
    impl(args) {
      const graph = argObject(args, 1);
      return reachable(graph, initialVertices(args));
    },
  },
  {
    name: "graph.reachable_paths",
    args: [
      { name: "graph", type: T.object(T.any, edgesType) },
      { name: "initial", type: edgesType },
    ],
    result: T.set(T.array(T.any)),
    doc: "Computes the set of maximal paths reachable from the initial vertices in a directed graph.",
    impl(args) {
      const graph = argObject(args, 1);
      return reachablePaths(graph, initialVertices(args));
    },
  },
  {
    name: "walk",
    args: [{ name: "x", type: T.any }],
    result: T.array(T.any),
    doc: "Generates `[path, value]` tuples for every value nested in x (x itself included, with path []).",
    kind: "relation",
    impl: (args) => walkPairs(args[0] as Value),
  },
];
