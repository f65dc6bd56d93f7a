/**
 * What every benchmark script shares: finding the repository (from scripts/ or .bench-build/),
 * the median it reports, and the three-column table it prints before its JSON line.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** The repository root: the nearest folder above `from` with a package.json (works from .bench-build too). */
export function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** The q-quantile (0..1) of sorted values. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** The median (the upper middle value for an even count). */
export function median(values: number[]): number {
  return quantile(Float64Array.from(values).sort(), 0.5);
}

/** Prints rows of (bench, metric, value) as an aligned table with a header. */
export function printTable(rows: [string, string, string][]): void {
  const header: [string, string, string] = ["bench", "metric", "value"];
  const all = [header, ...rows];
  const widths = [0, 1, 2].map((c) => Math.max(...all.map((r) => r[c]?.length ?? 0)));
  for (const [i, row] of all.entries()) {
    process.stdout.write(
      `${row.map((cell, c) => (c === 2 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join("  ")}\n`,
    );
    if (i === 0) process.stdout.write(`${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
  }
}
