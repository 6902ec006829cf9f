/**
 * Runs one scenario in a child process of its own (scenario-process.ts) and collects what it records.
 * The child leads a process group of its own, so whatever it started (servers, replicas, npm) is stopped
 * with it when it ends, times out or the run is interrupted.
 */
import { fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchFigure, ChartPoint } from './kit.js';
import { reapedChildrenCpuSeconds } from './machine.js';
import type { ScenarioMessage } from './scenario-messages.js';
import type { ChartSpec } from './svg-chart.js';

const CHILD = fileURLToPath(new URL('./scenario-process.js', import.meta.url));

export interface ScenarioResult {
  name: string;
  ok: boolean;
  /** Why it failed: the error it threw, its exit code, or the timeout. */
  error?: string;
  wallSeconds: number;
  /** CPU (user + system) of the scenario's process and every process it started and reaped. */
  cpuSeconds: number;
  figures: BenchFigure[];
  points: ChartPoint[];
  charts: Record<string, ChartSpec>;
}

const running = new Set<number>();

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Grace given to a scenario to drop its database once told to stop (SIGTERM), before SIGKILL. */
const STOP_GRACE_MS = 6_000;

/** Stops a scenario's process group: SIGTERM (its clean-ups run), SIGKILL after the grace period. */
function stopGroup(pid: number): Promise<void> {
  killGroup(pid, 'SIGTERM');
  return new Promise((stopped) => {
    const started = Date.now();
    const poll = setInterval(() => {
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (!alive || Date.now() - started > STOP_GRACE_MS) {
        clearInterval(poll);
        killGroup(pid, 'SIGKILL');
        stopped();
      }
    }, 100);
  });
}

/** Stops every scenario still running (the runner was interrupted). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map(stopGroup));
}

export function runScenario(
  file: string,
  name: string,
  options: { quick: boolean; timeoutMs: number },
): Promise<ScenarioResult> {
  const started = performance.now();
  const cpuBefore = reapedChildrenCpuSeconds();
  const result: ScenarioResult = {
    name,
    ok: false,
    wallSeconds: 0,
    cpuSeconds: 0,
    figures: [],
    points: [],
    charts: {},
  };
  const child = fork(CHILD, [pathToFileURL(file).href, name], {
    // The child's stdout goes to our stderr: stdout carries only the table.
    stdio: ['ignore', 2, 2, 'ipc'],
    detached: true,
    env: { ...process.env, BENCH_QUICK: options.quick ? '1' : '' },
  });
  if (child.pid) running.add(child.pid);
  child.on('message', (message: ScenarioMessage) => {
    if (message.type === 'figure') result.figures.push(message.figure);
    else if (message.type === 'point') result.points.push(message.point);
    else if (message.type === 'chart') result.charts[message.id] = message.spec;
    else if (message.type === 'failed') result.error = message.stack ?? message.message;
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      result.error = `timed out after ${options.timeoutMs / 1000} s`;
      if (child.pid) void stopGroup(child.pid);
    }, options.timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Anything the scenario started and did not stop dies with its group.
      killGroup(child.pid, 'SIGKILL');
      if (child.pid) running.delete(child.pid);
      result.ok = code === 0 && !result.error;
      if (!result.ok && !result.error) result.error = `exited with ${signal ?? `code ${code}`}`;
      result.wallSeconds = (performance.now() - started) / 1000;
      result.cpuSeconds = reapedChildrenCpuSeconds() - cpuBefore;
      resolve(result);
    });
  });
}
