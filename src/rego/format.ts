/** Values as OPA prints them in text (print, error messages, sprintf's %v of collections). */
import { RegoSet, type Value } from "./value.js";

/** Formats a number as OPA prints it (integers without exponent, others in shortest form). */
export function formatNumber(n: number | bigint): string {
  if (typeof n === "bigint") return n.toString();
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  return String(n);
}

/** Rego source-like text of a value, as OPA prints terms: sets as {..}, `set()` for the empty set. */
export function formatValue(v: Value): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
    case "bigint":
      return formatNumber(v);
    case "string":
      return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
  if (v instanceof RegoSet) return v.size === 0 ? "set()" : `{${v.sorted().map(formatValue).join(", ")}}`;
  return `{${v
    .sortedEntries()
    .map(([k, val]) => `${formatValue(k)}: ${formatValue(val)}`)
    .join(", ")}}`;
}
