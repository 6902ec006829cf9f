/**
 * Times a command from spawn to the example app's /health answering 200, and the CPU it took. The command
 * runs in a session of its own (so everything it starts can be stopped together, and its CPU summed from
 * /proc: user + system of the live processes of the session plus the children they reaped). Linux only
 * for the CPU figure; elsewhere it is NaN.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface StartTiming {
  wallSeconds: number;
  cpuSeconds: number;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux build in use). */
const CLOCK_TICKS = 100;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function sessionCpuSeconds(sessionId: number): number {
  let ticks = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return NaN;
  }
  for (const pid of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // After "pid (comm) ": 0 state, 1 ppid, 2 pgrp, 3 session, ... 11 utime, 12 stime, 13 cutime, 14 cstime
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[3]) === sessionId) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks / CLOCK_TICKS;
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Pids of the session's processes still in /proc (zombies included: a lock check sees them alive). */
function sessionMembers(sessionId: number): number[] {
  const members: number[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]) === sessionId)
        members.push(Number(pid));
    } catch {
      // ended meanwhile
    }
  }
  return members;
}

/**
 * Stops the session's whole process group: TERM (the app shuts down and releases the embedded database's
 * lock), then KILL whatever is left after `graceMs`, and waits until no process of the session remains —
 * npm exits on TERM before the app it started has finished, and the next start would find the lock held.
 */
export async function stopSession(child: ChildProcess, graceMs = 10_000): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // already gone
    }
  };
  const gone = async (withinMs: number) => {
    const deadline = performance.now() + withinMs;
    while (sessionMembers(child.pid!).length > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return sessionMembers(child.pid!).length === 0;
  };
  signal('SIGTERM');
  if (await gone(graceMs)) return;
  signal('SIGKILL');
  if (!(await gone(graceMs))) {
    throw new Error(`processes ${sessionMembers(child.pid!).join(', ')} of a stopped start did not end`);
  }
}

/**
 * Starts `command` in `cwd` with PORT set, waits until /health answers 200 (polled every 100 ms), then
 * stops it. Throws with the tail of its output when it exits first or takes longer than `timeoutMs`.
 */
export async function timeStart(
  command: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; port: number; timeoutMs: number },
): Promise<StartTiming> {
  const started = performance.now();
  const child = spawn(command[0], command.slice(1), {
    cwd: options.cwd,
    env: { ...options.env, PORT: String(options.port) },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  try {
    while (!(await healthy(options.port))) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${command.join(' ')} exited before /health answered:\n${output}`);
      }
      if (performance.now() - started > options.timeoutMs) {
        throw new Error(
          `${command.join(' ')}: /health not healthy after ${options.timeoutMs / 1000} s:\n${output}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const wallSeconds = (performance.now() - started) / 1000;
    return { wallSeconds, cpuSeconds: sessionCpuSeconds(child.pid!) };
  } finally {
    await stopSession(child);
  }
}
