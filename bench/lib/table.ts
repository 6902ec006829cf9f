/**
 * The one markdown table the runner prints (and writes to bench/results.md): one row per figure with the
 * median, the min–max over its samples, how many samples, the goal and whether the median meets it.
 */
import { median, type BenchFigure } from './kit.js';

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(samples: readonly number[]): Summary {
  const finite = samples.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  return {
    median: median(finite),
    min: Math.min(...finite),
    max: Math.max(...finite),
    n: finite.length,
  };
}

/** Three significant digits at most, thousands grouped: 0.000123, 1.23, 12.3, 428, 12,345. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100 || Number.isInteger(value)) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

function withUnit(value: number, unit: string): string {
  const text = formatNumber(value);
  return unit === 'ratio' || unit === '' ? text : `${text} ${unit}`;
}

function metMark(met: boolean | undefined): string {
  if (met === true) return '✅';
  if (met === false) return '❌';
  return '—';
}

/** Pipes inside a cell would split it into two columns. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function markdownTable(figures: readonly BenchFigure[]): string {
  const lines = [
    '| scenario | figure | median | min–max | n | goal | met |',
    '|---|---|---:|---:|---:|---|:-:|',
  ];
  for (const f of figures) {
    const s = summarize(f.samples);
    const range = s.n > 1 ? `${formatNumber(s.min)}–${withUnit(s.max, f.unit)}` : '';
    lines.push(
      `| ${cell(f.scenario ?? '')} | ${cell(f.figure)} | ${withUnit(s.median, f.unit)} | ${range} | ${s.n} | ` +
        `${cell(f.goal ?? '')} | ${metMark(f.met)} |`,
    );
  }
  return lines.join('\n');
}

/** Notes below the table, one per figure that has one, so the table itself stays narrow. */
export function markdownNotes(figures: readonly BenchFigure[]): string {
  return figures
    .filter((f) => f.note)
    .map((f) => `- **${f.scenario} · ${f.figure}**: ${f.note}`)
    .join('\n');
}
