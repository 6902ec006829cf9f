/**
 * The contract between `bench/run-all.ts` and each scenario (`bench/<name>.bench.ts`).
 *
 * A scenario exports `run(ctx: BenchContext): Promise<void>`, starts what it needs (emulators, apps,
 * replica processes, its own database schema), records figures through `ctx.record()` and chart points
 * through `ctx.point()`, and stops everything it started. The runner prints one table for all scenarios,
 * writes `bench/results.json` and draws the charts named by the points.
 */

/** One figure of one scenario, measured `samples.length` times in this run. */
export interface BenchFigure {
  /** Scenario file name without `.bench`, e.g. `sweep`. Filled in by the runner. */
  scenario?: string;
  /** What was measured, in words a reader understands: "sweep 10,000 due, concurrency 50: wall / bound". */
  figure: string;
  /** Unit of the samples: "ms", "µs", "ratio", "MB", "s", "req/s", "rows/s", "statements"... */
  unit: string;
  /** Every repetition's value (one or more). The table shows median and min–max. */
  samples: number[];
  /** The goal as written in the issue, e.g. "≤ 0.6" or "keep ≤ 3"; absent when there is none. */
  goal?: string;
  /** Whether the median meets the goal: true, false, or undefined when there is no goal to judge. */
  met?: boolean;
  /** One short line: the control it was compared with, why it swings, what it includes. */
  note?: string;
}

/** A point of a chart (drawn as SVG by the runner into docs/bench/<chart>.svg). */
export interface ChartPoint {
  /** Chart id, e.g. `sweep-scaling`; also its file name. */
  chart: string;
  /** Line the point belongs to, e.g. "1 replica", "2 replicas", "bound N × latency / concurrency". */
  series: string;
  x: number;
  y: number;
}

export interface BenchContext {
  /** `--quick`: the smoke mode run by CI (all scenarios together well under 60 s). Use small sizes. */
  readonly quick: boolean;
  /** A PostgreSQL server URL (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test). */
  readonly databaseUrl: string;
  /** Records a figure for the table and results.json. */
  record(figure: BenchFigure): void;
  /** Records a chart point; `title`/axis labels per chart are set with `chart()`. */
  point(point: ChartPoint): void;
  /** Describes a chart (title and axis labels) before or after its points are recorded. */
  chart(id: string, spec: { title: string; xLabel: string; yLabel: string }): void;
  /** Progress line on stderr (kept out of the table). */
  log(message: string): void;
}

export interface BenchModule {
  run(ctx: BenchContext): Promise<void>;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile, p in 0..100. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** CPU time (user + system) of this process in milliseconds since `since` (from process.cpuUsage()). */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}
