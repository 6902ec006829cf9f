/**
 * What a run leaves behind. A full run: bench/results.json (figures + machine facts), bench/results.md (the
 * table the README carries) and one SVG per chart under docs/bench/. A quick run: only
 * dist/bench/results.quick.json, so the smoke mode never overwrites the committed figures.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BenchFigure, ChartPoint } from './kit.js';
import type { MachineFacts } from './machine.js';
import type { ScenarioResult } from './scenario-launcher.js';
import { renderChart, type ChartSpec } from './svg-chart.js';
import { markdownNotes, markdownTable, summarize } from './table.js';

export interface RunResults {
  date: string;
  quick: boolean;
  command: string;
  wallSeconds: number;
  /** CPU of all scenario processes and what they started (see ScenarioResult.cpuSeconds). */
  cpuSeconds: number;
  machine: MachineFacts;
  scenarios: { name: string; ok: boolean; wallSeconds: number; cpuSeconds?: number; error?: string }[];
  figures: (BenchFigure & { median: number; min: number; max: number })[];
  charts: Record<string, { scenario: string; spec: ChartSpec; points: ChartPoint[] }>;
}

export function collect(
  results: readonly ScenarioResult[],
  meta: Pick<RunResults, 'date' | 'quick' | 'command' | 'wallSeconds' | 'cpuSeconds' | 'machine'>,
): RunResults {
  const charts: RunResults['charts'] = {};
  for (const r of results) {
    for (const point of r.points) {
      charts[point.chart] ??= { scenario: r.name, spec: defaultSpec(point.chart), points: [] };
      charts[point.chart].points.push(point);
    }
    for (const [id, spec] of Object.entries(r.charts)) {
      charts[id] ??= { scenario: r.name, spec, points: [] };
      charts[id].spec = spec;
    }
  }
  return {
    ...meta,
    scenarios: results.map(({ name, ok, wallSeconds, cpuSeconds, error }) => ({
      name,
      ok,
      wallSeconds: Math.round(wallSeconds * 10) / 10,
      cpuSeconds: Math.round(cpuSeconds * 10) / 10,
      ...(error ? { error } : {}),
    })),
    figures: results.flatMap((r) =>
      r.figures.map((f) => {
        const { median, min, max } = summarize(f.samples);
        return { ...f, median, min, max };
      }),
    ),
    charts,
  };
}

function defaultSpec(id: string): ChartSpec {
  return { title: id, xLabel: 'x', yLabel: 'y' };
}

/**
 * A full run of some scenarios only (`npm run bench -- herd`) replaces their figures and charts in the
 * previous results and keeps the others', so results.json always covers the whole suite.
 */
export function mergeWithPrevious(run: RunResults, previous: RunResults | undefined): RunResults {
  if (!previous) return run;
  const ran = new Set(run.scenarios.map((s) => s.name));
  const kept = <T extends { scenario?: string; name?: string }>(list: T[]) =>
    list.filter((item) => !ran.has(item.scenario ?? item.name ?? ''));
  const byOrder = <T extends { scenario?: string; name?: string }>(list: T[]) =>
    list.sort((a, b) => (a.scenario ?? a.name ?? '').localeCompare(b.scenario ?? b.name ?? ''));
  return {
    ...run,
    scenarios: byOrder([...kept(previous.scenarios), ...run.scenarios]),
    figures: byOrder([...kept(previous.figures), ...run.figures]),
    charts: {
      ...Object.fromEntries(Object.entries(previous.charts).filter(([, c]) => !ran.has(c.scenario))),
      ...run.charts,
    },
  };
}

export function resultsMarkdown(run: RunResults): string {
  const m = run.machine;
  const notes = markdownNotes(run.figures);
  return [
    markdownTable(run.figures),
    '',
    `${run.date.slice(0, 10)}, \`${run.command}\` in ${Math.round(run.wallSeconds)} s (${Math.round(run.cpuSeconds)} s CPU) on ${m.cpuModel} ` +
      `(${m.cores} cores), Node ${m.node}, load ${m.loadBefore[0]} before / ${m.loadAfter?.[0]} after, ` +
      `commit ${m.gitCommit.slice(0, 7)}${m.gitDirty ? ' + uncommitted changes' : ''}.`,
    ...(notes ? ['', notes] : []),
    '',
  ].join('\n');
}

export async function writeResults(run: RunResults, root: string): Promise<string[]> {
  const written: string[] = [];
  const write = async (path: string, text: string) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    written.push(path);
  };
  if (run.quick) {
    await write(join(root, 'dist/bench/results.quick.json'), JSON.stringify(run, null, 2) + '\n');
    return written;
  }
  await write(join(root, 'bench/results.json'), JSON.stringify(run, null, 2) + '\n');
  await write(join(root, 'bench/results.md'), resultsMarkdown(run));
  for (const [id, chart] of Object.entries(run.charts)) {
    await write(join(root, 'docs/bench', `${id}.svg`), renderChart(chart.spec, chart.points));
  }
  return written;
}
