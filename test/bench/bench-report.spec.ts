/** The pure parts of the benchmark runner: statistics, the markdown table and the SVG chart. */
import type { ChartPoint } from '../../bench/lib/kit.js';
import { median, percentile } from '../../bench/lib/kit.js';
import { layout, niceTicks, PLOT_AREA, renderChart } from '../../bench/lib/svg-chart.js';
import { formatNumber, markdownTable, summarize } from '../../bench/lib/table.js';
import { mergeWithPrevious, type RunResults } from '../../bench/lib/results.js';

describe('statistics', () => {
  it('median of odd and even counts, unsorted input left alone', () => {
    const input = [5, 1, 3];
    expect(median(input)).toBe(3);
    expect(input).toEqual([5, 1, 3]);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('nearest-rank percentile', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });

  it('summary: median, min, max and n over the finite samples', () => {
    expect(summarize([3, 1, 2, NaN])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([]).n).toBe(0);
  });
});

describe('markdown table', () => {
  it('one row per figure with median, range, n, goal and a met mark', () => {
    const table = markdownTable([
      {
        scenario: 'herd',
        figure: 'token requests',
        unit: 'requests',
        samples: [1, 1, 1],
        goal: '1 every time',
        met: true,
      },
      {
        scenario: 'memory',
        figure: 'RSS growth',
        unit: 'MB',
        samples: [70.123],
        goal: '≤ 64 MB',
        met: false,
      },
      { scenario: 'hot-path', figure: 'a | b', unit: 'ratio', samples: [1.01, 0.99, 1.2] },
    ]);
    const rows = table.split('\n');
    expect(rows[0]).toBe('| scenario | figure | median | min–max | n | goal | met |');
    expect(rows).toHaveLength(5);
    expect(rows[2]).toBe('| herd | token requests | 1 requests | 1–1 requests | 3 | 1 every time | ✅ |');
    expect(rows[3]).toBe('| memory | RSS growth | 70.1 MB |  | 1 | ≤ 64 MB | ❌ |');
    expect(rows[4]).toBe('| hot-path | a \\| b | 1.01 | 0.99–1.2 | 3 |  | — |');
  });

  it('numbers: three significant digits, thousands grouped', () => {
    expect(formatNumber(0.000123456)).toBe('0.000123');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(12345.6)).toBe('12,346');
  });
});

describe('SVG chart', () => {
  const points: ChartPoint[] = [
    ...[1_000, 5_000, 10_000, 20_000].map((x) => ({ chart: 'c', series: '1 replica', x, y: x / 180 })),
    ...[1_000, 5_000, 10_000, 20_000].map((x) => ({ chart: 'c', series: '2 replicas', x, y: x / 330 })),
    ...[1_000, 20_000].map((x) => ({ chart: 'c', series: 'bound N × 25 ms / 5', x, y: x / 200 })),
  ];

  it('nice ticks cover the data', () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(1_000, 20_000)).toEqual([0, 5_000, 10_000, 15_000, 20_000]);
    expect(niceTicks(3, 3).length).toBeGreaterThan(1);
  });

  it('maps every point inside the plot area, larger values higher up', () => {
    const { series } = layout(points);
    for (const s of series) {
      for (const p of s.points) {
        expect(p.x).toBeGreaterThanOrEqual(PLOT_AREA.left);
        expect(p.x).toBeLessThanOrEqual(PLOT_AREA.right);
        expect(p.y).toBeGreaterThanOrEqual(PLOT_AREA.top);
        expect(p.y).toBeLessThanOrEqual(PLOT_AREA.bottom);
      }
      const ys = s.points.map((p) => p.y);
      expect(ys).toEqual([...ys].sort((a, b) => b - a)); // y grows with x: SVG y shrinks
    }
  });

  it('draws a white background, title, axis labels, one line per series and a legend naming each', () => {
    const svg = renderChart({ title: 'Sweep <wall>', xLabel: 'connections due', yLabel: 'seconds' }, points);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('fill="#ffffff"');
    expect(svg).toContain('Sweep &#60;wall&#62;');
    expect(svg).toContain('connections due');
    expect(svg).toContain('seconds');
    expect(svg.match(/<path d="M[^"]*" fill="none"/g)).toHaveLength(3);
    const legend = [...svg.matchAll(/class="legend">([^<]*)</g)].map((m) => m[1]);
    expect(legend).toEqual(['1 replica', '2 replicas', 'bound N × 25 ms / 5']);
    expect(svg).not.toMatch(/NaN|undefined/);
  });

  it('says "no data" rather than drawing an empty axis', () => {
    expect(renderChart({ title: 't', xLabel: 'x', yLabel: 'y' }, [])).toContain('no data');
  });
});

describe('a full run of some scenarios', () => {
  const run = (names: string[], value: number): RunResults => ({
    date: '2026-12-02T00:00:00Z',
    quick: false,
    command: 'npm run bench',
    wallSeconds: 1,
    cpuSeconds: 1,
    machine: {
      cpuModel: 'cpu',
      cores: 2,
      memoryGb: 4,
      node: 'v20',
      platform: 'linux',
      loadBefore: [1],
      gitCommit: 'abc',
      gitDirty: false,
    },
    scenarios: names.map((name) => ({ name, ok: true, wallSeconds: 1 })),
    figures: names.map((name) => ({
      scenario: name,
      figure: 'f',
      unit: 's',
      samples: [value],
      median: value,
      min: value,
      max: value,
    })),
    charts: Object.fromEntries(
      names.map((name) => [
        name,
        { scenario: name, spec: { title: name, xLabel: 'x', yLabel: 'y' }, points: [] },
      ]),
    ),
  });

  it('replaces their figures and charts in the previous results and keeps the others', () => {
    const merged = mergeWithPrevious(run(['herd'], 2), run(['herd', 'memory'], 1));
    expect(merged.figures.map((f) => [f.scenario, f.median])).toEqual([
      ['herd', 2],
      ['memory', 1],
    ]);
    expect(Object.keys(merged.charts).sort()).toEqual(['herd', 'memory']);
    expect(merged.scenarios.map((s) => s.name)).toEqual(['herd', 'memory']);
  });
});
