import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const WORKER = resolve('test/lifecycle/replica.worker.mjs');

/**
 * The workers run the built library. `tsc -b` builds it only when its sources changed since the last build
 * (the build info in libs/signing-auth/dist says so; about half a second otherwise). Comparing file times
 * does not work with incremental builds: an unchanged source keeps its old output file.
 */
export function ensureLibraryBuilt(): void {
  execFileSync(
    process.execPath,
    [resolve('node_modules/typescript-native/bin/tsc'), '-b', 'libs/signing-auth/tsconfig.lib.json'],
    { stdio: 'inherit' },
  );
}

export interface ReplicaConfig {
  databaseUrl: string;
  schema: string;
  encryptionKeys: string;
  emulatorUrl: string;
  refresh: Record<string, number>;
  /** Chaos suite: run the scheduled sweep with these options (the worker then imports ScheduleModule). */
  sweep?: Record<string, unknown>;
  /** Chaos suite: this replica's clock runs this far ahead (negative: behind) of the machine's. */
  clockOffsetMs?: number;
  activeKeyId?: string;
  /** pg pool settings (`extra` of TypeORM), e.g. `{ connectionTimeoutMillis, query_timeout }`. */
  database?: Record<string, unknown>;
  /** Nest log levels of the worker. Default `['error']`. */
  logger?: string[];
}

/** One app replica in its own Node process, driven over IPC (see replica.worker.mjs). */
export class Replica {
  private nextId = 1;
  private readonly pending = new Map<number, (msg: Record<string, unknown>) => void>();
  private output = '';

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (c) => (this.output += c));
    child.stderr!.on('data', (c) => (this.output += c));
    child.on('message', (msg: Record<string, unknown>) => {
      const done = this.pending.get(msg.id as number);
      this.pending.delete(msg.id as number);
      done?.(msg);
    });
  }

  static async start(config: ReplicaConfig): Promise<Replica> {
    const child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, REPLICA_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const replica = new Replica(child);
    await new Promise<void>((ready, fail) => {
      child.once('message', () => ready());
      child.once('exit', (code) =>
        fail(new Error(`replica exited (${code}) before ready:\n${replica.output}`)),
      );
    });
    return replica;
  }

  request<T extends Record<string, unknown>>(msg: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise((done, fail) => {
      const onExit = (): void => fail(new Error(`replica exited:\n${this.output}`));
      this.child.once('exit', onExit);
      this.pending.set(id, (reply) => {
        this.child.off('exit', onExit);
        done(reply as T);
      });
      this.child.send({ ...msg, id });
    });
  }

  /** The exit code or signal when the process has ended, else undefined. */
  get exited(): string | undefined {
    if (this.child.signalCode !== null) return this.child.signalCode;
    return this.child.exitCode !== null ? `exit ${this.child.exitCode}` : undefined;
  }

  /** Everything the process printed so far. */
  logs(): string {
    return this.output;
  }

  kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((done) => {
      this.child.once('exit', () => done());
      this.child.kill('SIGKILL');
    });
  }
}
