/**
 * What every benchmark module exports. `bench/run.ts <name>` loads bench/<name>.ts, calls `run`,
 * prints the readable report the benchmark returns, and ends with one JSON line of its figures.
 */
export interface BenchOptions {
  /** `--quick`: a shorter run for CI and quick checks; figures are noisier. */
  readonly quick: boolean;
  /** Arguments after the benchmark's name, `--quick` removed. */
  readonly args: readonly string[];
  /** Progress for people, on stderr so the JSON line stays last on stdout. */
  readonly progress: (line: string) => void;
}

export type Figures = Record<string, number | string | boolean | null>;

export interface BenchResult {
  /** Rows of a readable table: first row is the header. */
  readonly table: ReadonlyArray<ReadonlyArray<string | number>>;
  readonly figures: Figures;
}

export type Benchmark = (opts: BenchOptions) => Promise<BenchResult>;

export function formatTable(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(1) : n.toPrecision(3);
}
