/** What a scenario's child process tells the runner over IPC. */
import type { BenchFigure, ChartPoint } from './kit.js';
import type { ChartSpec } from './svg-chart.js';

export type ScenarioMessage =
  | { type: 'figure'; figure: BenchFigure }
  | { type: 'point'; point: ChartPoint }
  | { type: 'chart'; id: string; spec: ChartSpec }
  | { type: 'failed'; message: string; stack?: string };
