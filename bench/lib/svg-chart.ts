/**
 * A line chart as a self-contained SVG (no dependency, no script, no external font): white background so it
 * reads the same in GitHub's light and dark themes, axes with ticks and labels, one line with markers per
 * series, a legend naming every series, a title.
 */
import type { ChartPoint } from './kit.js';

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
}

export const CHART_SIZE = { width: 880, height: 440 };
/** The plot area inside the SVG; axes sit on its left and bottom edges. */
export const PLOT_AREA = { left: 80, top: 56, right: 580, bottom: 370 };

/** Colour-blind-friendly (Okabe–Ito) colours, dark enough on white. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const MARKERS = ['circle', 'square', 'diamond', 'triangle'] as const;

/** 1, 2 or 5 times a power of ten, so that about `count` steps cover `span`. */
export function niceStep(span: number, count = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Ticks from a nice value at or below `min` to one at or above `max`. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (min === max) {
    max = min + (min === 0 ? 1 : Math.abs(min));
  }
  const step = niceStep(max - min, count);
  const start = Math.floor(min / step) * step;
  const end = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= end + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function tickLabel(value: number): string {
  if (Math.abs(value) >= 1000) return value.toLocaleString('en-US');
  return String(Number(value.toPrecision(6)));
}

export interface PlottedSeries {
  name: string;
  colour: string;
  /** Point coordinates in SVG units, in x order. */
  points: { x: number; y: number }[];
}

/** Maps the data to SVG coordinates (exported for the unit test). */
export function layout(points: readonly ChartPoint[]): {
  series: PlottedSeries[];
  xTicks: { value: number; at: number }[];
  yTicks: { value: number; at: number }[];
} {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xTickValues = niceTicks(Math.min(...xs), Math.max(...xs));
  // A y axis that starts at zero unless the data is negative: ratios and times read honestly from zero.
  const yTickValues = niceTicks(Math.min(0, ...ys), Math.max(...ys));
  const [x0, x1] = [xTickValues[0], xTickValues[xTickValues.length - 1]];
  const [y0, y1] = [yTickValues[0], yTickValues[yTickValues.length - 1]];
  const { left, right, top, bottom } = PLOT_AREA;
  const sx = (x: number) => left + ((x - x0) / (x1 - x0)) * (right - left);
  const sy = (y: number) => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);
  const names = [...new Set(points.map((p) => p.series))];
  const series = names.map((name, i) => ({
    name,
    colour: COLOURS[i % COLOURS.length],
    points: points
      .filter((p) => p.series === name)
      .sort((a, b) => a.x - b.x)
      .map((p) => ({ x: sx(p.x), y: sy(p.y) })),
  }));
  return {
    series,
    xTicks: xTickValues.map((value) => ({ value, at: sx(value) })),
    yTicks: yTickValues.map((value) => ({ value, at: sy(value) })),
  };
}

function marker(kind: (typeof MARKERS)[number], x: number, y: number, colour: string): string {
  const f = (n: number) => n.toFixed(1);
  switch (kind) {
    case 'circle':
      return `<circle cx="${f(x)}" cy="${f(y)}" r="4" fill="${colour}"/>`;
    case 'square':
      return `<rect x="${f(x - 3.5)}" y="${f(y - 3.5)}" width="7" height="7" fill="${colour}"/>`;
    case 'diamond':
      return `<path d="M${f(x)} ${f(y - 5)}L${f(x + 5)} ${f(y)}L${f(x)} ${f(y + 5)}L${f(x - 5)} ${f(y)}Z" fill="${colour}"/>`;
    case 'triangle':
      return `<path d="M${f(x)} ${f(y - 5)}L${f(x + 5)} ${f(y + 4)}L${f(x - 5)} ${f(y + 4)}Z" fill="${colour}"/>`;
  }
}

export function renderChart(spec: ChartSpec, points: readonly ChartPoint[]): string {
  const { width, height } = CHART_SIZE;
  const { left, right, top, bottom } = PLOT_AREA;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="13" role="img" ` +
      `aria-label="${escapeXml(spec.title)}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff" rx="6"/>`,
    `<text x="${width / 2}" y="30" text-anchor="middle" font-size="16" font-weight="600" fill="#1f2328">${escapeXml(spec.title)}</text>`,
  ];
  if (points.length === 0) {
    out.push(
      `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#57606a">no data</text>`,
      '</svg>',
    );
    return out.join('\n') + '\n';
  }
  const { series, xTicks, yTicks } = layout(points);
  for (const t of yTicks) {
    out.push(
      `<line x1="${left}" y1="${t.at.toFixed(1)}" x2="${right}" y2="${t.at.toFixed(1)}" stroke="#d0d7de" stroke-width="1"/>`,
      `<line x1="${left - 5}" y1="${t.at.toFixed(1)}" x2="${left}" y2="${t.at.toFixed(1)}" stroke="#1f2328"/>`,
      `<text x="${left - 8}" y="${(t.at + 4).toFixed(1)}" text-anchor="end" fill="#1f2328">${tickLabel(t.value)}</text>`,
    );
  }
  for (const t of xTicks) {
    out.push(
      `<line x1="${t.at.toFixed(1)}" y1="${bottom}" x2="${t.at.toFixed(1)}" y2="${bottom + 5}" stroke="#1f2328"/>`,
      `<text x="${t.at.toFixed(1)}" y="${bottom + 20}" text-anchor="middle" fill="#1f2328">${tickLabel(t.value)}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#1f2328" stroke-width="1.5"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#1f2328" stroke-width="1.5"/>`,
    `<text x="${(left + right) / 2}" y="${bottom + 44}" text-anchor="middle" fill="#1f2328">${escapeXml(spec.xLabel)}</text>`,
    `<text x="20" y="${(top + bottom) / 2}" text-anchor="middle" fill="#1f2328" transform="rotate(-90 20 ${(top + bottom) / 2})">${escapeXml(spec.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const path = s.points.map((p, j) => `${j ? 'L' : 'M'}${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join('');
    const dash = i % 2 ? ' stroke-dasharray="6 3"' : '';
    out.push(`<path d="${path}" fill="none" stroke="${s.colour}" stroke-width="2"${dash}/>`);
    for (const p of s.points) out.push(marker(MARKERS[i % MARKERS.length], p.x, p.y, s.colour));
  });
  // Legend to the right of the plot area, one row per series.
  series.forEach((s, i) => {
    const y = top + 10 + i * 22;
    const x = right + 20;
    out.push(
      `<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${s.colour}" stroke-width="2"${i % 2 ? ' stroke-dasharray="6 3"' : ''}/>`,
      marker(MARKERS[i % MARKERS.length], x + 12, y, s.colour),
      `<text x="${x + 32}" y="${y + 4}" fill="#1f2328" class="legend">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
